import WaveTensor

// IDX files (LeCun's MNIST format, also Fashion-MNIST), big-endian throughout:
//   offset 0   u8 0, u8 0, u8 type (0x08 = unsigned byte), u8 ndim
//   offset 4   ndim × u32 dimension sizes
//   then       Π dims bytes of data, nothing after.
// Images are magic 0x00000803 (n, rows, cols); labels 0x00000801 (n).
// Validation follows the house order: minimum size, header, overflow-checked size, exact coverage.

public enum IDXError: Error, CustomStringConvertible, Equatable {
    case tooShort(Int)
    case badMagic(found: UInt32, expected: UInt32)
    case badDimension(index: Int, value: Int)
    case sizeMismatch(expected: Int, found: Int)
    case tooLarge(Int)
    case countMismatch(images: Int, labels: Int)

    public var description: String {
        switch self {
        case let .tooShort(n): return "IDX: \(n) bytes is too short for a header"
        case let .badMagic(f, e):
            return "IDX: magic 0x\(String(f, radix: 16)) where 0x\(String(e, radix: 16)) was expected (images and labels swapped, or still gzipped?)"
        case let .badDimension(i, v): return "IDX: dimension \(i) is \(v), must be positive"
        case let .sizeMismatch(e, f): return "IDX: header promises \(e) bytes in all, file has \(f) (truncated or trailing data?)"
        case let .tooLarge(n): return "IDX: data of \(n) bytes exceeds the limit"
        case let .countMismatch(i, l): return "IDX: \(i) images but \(l) labels"
        }
    }
}

/// Greyscale images as stored: count × rows × cols bytes.
public struct IDXImages: Sendable {
    public let count: Int, rows: Int, cols: Int
    public let pixels: [UInt8]
}

public enum IDX {
    static let imagesMagic: UInt32 = 0x0000_0803
    static let labelsMagic: UInt32 = 0x0000_0801
    /// 2 GiB: far above any IDX dataset, low enough that a hostile header cannot ask for more.
    static let maxBytes = 1 << 31

    public static func parseImages(_ bytes: UnsafeRawBufferPointer) throws -> IDXImages {
        let (dims, start) = try header(bytes, magic: imagesMagic, ndim: 3)
        return IDXImages(count: dims[0], rows: dims[1], cols: dims[2], pixels: Array(bytes[start...]))
    }

    public static func parseLabels(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        let (_, start) = try header(bytes, magic: labelsMagic, ndim: 1)
        return Array(bytes[start...])
    }

    /// Reads a file, inflating it first when it starts with the gzip magic.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let file = try MappedFile(path: path)
        if Gzip.isGzip(file.bytes) { return try Gzip.decompress(file.bytes, limit: maxBytes) }
        return Array(file.bytes)
    }

    public static func loadImages(path: String) throws -> IDXImages {
        try readFile(path).withUnsafeBytes { try parseImages($0) }
    }

    public static func loadLabels(path: String) throws -> [UInt8] {
        try readFile(path).withUnsafeBytes { try parseLabels($0) }
    }

    /// The dims and the data offset, after checking the whole layout.
    static func header(_ b: UnsafeRawBufferPointer, magic: UInt32, ndim: Int) throws -> ([Int], Int) {
        let headerSize = 4 + 4 * ndim
        guard b.count >= headerSize else { throw IDXError.tooShort(b.count) }
        func u32(_ at: Int) -> UInt32 { UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3]) }
        let found = u32(0)
        guard found == magic else { throw IDXError.badMagic(found: found, expected: magic) }
        var dims: [Int] = [], total = 1
        for i in 0..<ndim {
            let d = Int(u32(4 + 4 * i))
            guard d > 0 else { throw IDXError.badDimension(index: i, value: d) }
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxBytes else { throw IDXError.tooLarge(overflow ? Int.max : p) }
            total = p
            dims.append(d)
        }
        guard b.count == headerSize + total else { throw IDXError.sizeMismatch(expected: headerSize + total, found: b.count) }
        return (dims, headerSize)
    }
}
