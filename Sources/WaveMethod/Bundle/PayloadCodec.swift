import CZstd
import WaveTensor

/// How payloads are stored: elements in a float dtype, optionally byte-shuffled, in one zstd frame.
/// Byte-shuffling (all first bytes, then all second bytes, ...) groups the sign/exponent bytes of
/// the floats, which zstd compresses far better than the interleaved mantissa noise.
public enum PayloadCodec {
    public enum Encoding: Int, Sendable { case raw = 0, zstd = 1, zstdShuffled = 2 }

    /// Little-endian bytes of `values` in `dtype` (F32, F16 or BF16).
    public static func encode(_ values: [Float], as dtype: DType) -> [UInt8] {
        switch dtype {
        case .f32:
            return values.withUnsafeBytes { Array($0) }   // little-endian hosts only (x86-64, arm64)
        case .f16, .bf16:
            var out = [UInt8](repeating: 0, count: values.count * 2)
            for (i, v) in values.enumerated() {
                let bits = dtype == .f16 ? floatToF16(v) : floatToBF16(v)
                out[2 * i] = UInt8(bits & 0xff)
                out[2 * i + 1] = UInt8(bits >> 8)
            }
            return out
        default:
            preconditionFailure("bundle payloads are F32, F16 or BF16")
        }
    }

    public static func shuffle(_ bytes: [UInt8], elementSize s: Int) -> [UInt8] {
        let n = bytes.count / s
        var out = [UInt8](repeating: 0, count: bytes.count)
        for i in 0..<n { for b in 0..<s { out[b * n + i] = bytes[i * s + b] } }
        return out
    }

    public static func unshuffle(_ bytes: UnsafeRawBufferPointer, elementSize s: Int, into out: UnsafeMutableRawBufferPointer) {
        let n = bytes.count / s
        for i in 0..<n { for b in 0..<s { out[i * s + b] = bytes[b * n + i] } }
    }

    public static func compress(_ bytes: [UInt8], level: Int32) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
            }
        }
        precondition(ZSTD_isError(n) == 0, "zstd: \(String(cString: ZSTD_getErrorName(n)))")
        out.removeLast(bound - n)
        return out
    }

    /// The smallest of raw, zstd and shuffled zstd (shuffling kept only when it pays).
    public static func pack(_ elements: [UInt8], elementSize: Int, level: Int32) -> (Encoding, [UInt8]) {
        var best: (Encoding, [UInt8]) = (.raw, elements)
        let plain = compress(elements, level: level)
        if plain.count < best.1.count { best = (.zstd, plain) }
        if elementSize > 1 {
            let shuffled = compress(shuffle(elements, elementSize: elementSize), level: level)
            if shuffled.count < best.1.count { best = (.zstdShuffled, shuffled) }
        }
        return best
    }

    /// Decodes stored bytes into exactly `rawLength` bytes, or says why it cannot: the frame must
    /// declare that size, be a single frame covering every stored byte, and decode to that size.
    public static func unpack(_ stored: UnsafeRawBufferPointer, encoding: Encoding, rawLength: Int, elementSize: Int,
                              name: String) throws -> OwnedBytes {
        if encoding == .raw {
            guard stored.count == rawLength else { throw BundleError.badPayload(name: name, reason: "raw payload of \(stored.count) bytes, expected \(rawLength)") }
            return OwnedBytes(copying: stored)
        }
        let declared = ZSTD_getFrameContentSize(stored.baseAddress, stored.count)
        // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are UInt64.max and .max − 1, which never equal a valid raw length.
        guard declared < UInt64.max - 1, declared == UInt64(rawLength) else {
            throw BundleError.badPayload(name: name, reason: "zstd frame does not declare \(rawLength) bytes")
        }
        let frame = ZSTD_findFrameCompressedSize(stored.baseAddress, stored.count)
        guard ZSTD_isError(frame) == 0, frame == stored.count else {
            throw BundleError.badPayload(name: name, reason: "not exactly one zstd frame")
        }
        let buf = UnsafeMutableRawPointer.allocate(byteCount: max(rawLength, 1), alignment: 64)
        defer { buf.deallocate() }
        let n = ZSTD_decompress(buf, rawLength, stored.baseAddress, stored.count)
        guard ZSTD_isError(n) == 0, n == rawLength else {
            throw BundleError.badPayload(name: name, reason: ZSTD_isError(n) != 0 ? "zstd: \(String(cString: ZSTD_getErrorName(n)))" : "decoded \(n) bytes, expected \(rawLength)")
        }
        let decoded = UnsafeRawBufferPointer(start: buf, count: rawLength)
        if encoding == .zstd { return OwnedBytes(copying: decoded) }
        let out = UnsafeMutableRawPointer.allocate(byteCount: max(rawLength, 1), alignment: 64)
        defer { out.deallocate() }
        unshuffle(decoded, elementSize: elementSize, into: UnsafeMutableRawBufferPointer(start: out, count: rawLength))
        return OwnedBytes(copying: UnsafeRawBufferPointer(start: out, count: rawLength))
    }
}
