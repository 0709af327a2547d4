import CZlib

public enum GzipError: Error, CustomStringConvertible, Equatable {
    case corrupt(String)
    case tooLarge(limit: Int)
    public var description: String {
        switch self {
        case let .corrupt(why): return "gzip data is corrupt: \(why)"
        case let .tooLarge(limit): return "gzip data expands past \(limit) bytes"
        }
    }
}

public enum Gzip {
    /// True when `bytes` start with the gzip magic (1f 8b).
    public static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates a gzip (or zlib) stream, refusing to grow past `limit` bytes so a hostile file
    /// cannot exhaust memory.
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int = 1 << 31) throws -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError.corrupt("inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8]()
        out.reserveCapacity(min(limit, max(input.count * 4, 1 << 16)))
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(input.count)
        while true {
            let status: Int32 = chunk.withUnsafeMutableBufferPointer { buf in
                stream.next_out = buf.baseAddress
                stream.avail_out = UInt32(buf.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunk.count - Int(stream.avail_out)
            guard out.count + produced <= limit else { throw GzipError.tooLarge(limit: limit) }
            out.append(contentsOf: chunk[0..<produced])
            if status == Z_STREAM_END { break }
            guard status == Z_OK else {
                let msg = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw GzipError.corrupt(msg)
            }
            if stream.avail_in == 0 && produced == 0 { throw GzipError.corrupt("truncated stream") }
        }
        return out
    }
}
