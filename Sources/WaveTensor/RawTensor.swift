/// A typed, shaped view of tensor bytes in their stored encoding (little-endian), plus the
/// object that keeps those bytes alive (a mapped file, a decoded ONNX model, or an owned
/// buffer). Converting to Float32 happens only when asked for.
public struct RawTensor: @unchecked Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let bytes: UnsafeRawBufferPointer
    /// Keeps `bytes` valid; never read.
    public let owner: AnyObject

    public init(dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        precondition(checkedByteCount(shape: shape, elementSize: dtype.size) == bytes.count,
                     "RawTensor: \(bytes.count) bytes do not hold \(dtype.rawValue)\(shape)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
        self.owner = owner
    }

    /// A tensor that owns a copy of `data` (bytes in stored encoding).
    public init(dtype: DType, shape: [Int], copying data: UnsafeRawBufferPointer) {
        let storage = OwnedBytes(copying: data)
        self.init(dtype: dtype, shape: shape, bytes: storage.bytes, owner: storage)
    }

    /// A Float32 tensor owning `values`.
    public init(shape: [Int], floats values: [Float]) {
        let storage = values.withUnsafeBytes { OwnedBytes(copying: $0) }
        self.init(dtype: .f32, shape: shape, bytes: storage.bytes, owner: storage)
    }

    public init(_ t: Tensor) { self.init(shape: t.shape, floats: t.data) }

    public var count: Int { shape.reduce(1, *) }
    public var byteCount: Int { bytes.count }

    /// Values as Float32, converting F16, BF16, F64 and integer types. Copies.
    public func floats() -> [Float] {
        let n = count
        switch dtype {
        case .f32:
            return [Float](unsafeUninitializedCapacity: n) { buf, done in
                _ = memcpyBytes(UnsafeMutableRawPointer(buf.baseAddress!), bytes, n * 4)
                done = n
            }
        default:
            return [Float](unsafeUninitializedCapacity: n) { buf, done in
                for i in 0..<n { buf[i] = element(i) }
                done = n
            }
        }
    }

    /// Element `i` as Float32 (slow path; use `floats()` for bulk).
    public func element(_ i: Int) -> Float {
        switch dtype {
        case .f32: return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        case .f64: return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
        case .f16: return f16ToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        case .bf16: return bf16ToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        case .i64: return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
        case .u64: return Float(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        case .i32: return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        case .u32: return Float(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        case .i16: return Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
        case .u16: return Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        case .i8: return Float(bytes.load(fromByteOffset: i, as: Int8.self))
        case .u8, .bool: return Float(bytes[i])
        }
    }

    /// A Float32 compute tensor with the same shape.
    public func toTensor() -> Tensor { Tensor(shape: shape, data: floats()) }
}

@inline(__always) func memcpyBytes(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawBufferPointer, _ n: Int) -> UnsafeMutableRawPointer {
    if n > 0 { dst.copyMemory(from: src.baseAddress!, byteCount: n) }
    return dst
}

/// Heap bytes with a stable address for the lifetime of the object.
public final class OwnedBytes: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let raw: UnsafeMutableRawPointer

    public init(copying data: UnsafeRawBufferPointer) {
        raw = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        if data.count > 0 { raw.copyMemory(from: data.baseAddress!, byteCount: data.count) }
        bytes = UnsafeRawBufferPointer(start: raw, count: data.count)
    }

    deinit { raw.deallocate() }
}
