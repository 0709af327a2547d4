#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CONNX
import CProtobufC
import WaveTensor

/// Turns one unpacked TensorProto into a RawTensor, validating in a fixed order: segment, data type, dims
/// (non-negative, overflow-checked), exactly one payload field, the field allowed for the type, then the payload
/// length against count × size. raw_data and the float/int64/double arrays become views into the unpacked
/// message (`owner` keeps it alive); int32_data/uint64_data holding narrower types are converted into owned
/// buffers; external data is a view into a mapped file.
///
/// Views assume a little-endian host (protobuf-c's repeated arrays are host order, RawTensor's bytes are
/// little-endian); every platform Swift targets here is.
final class ONNXTensorDecoder {
    let folder: String?
    let owner: AnyObject
    private var maps: [String: MappedFile] = [:]

    init(folder: String?, owner: AnyObject) {
        self.folder = folder
        self.owner = owner
    }

    /// ONNX TensorProto.DataType → DType; nil for STRING, complex, 4/8-bit floats and ints, UNDEFINED.
    static func dtype(_ t: Int32) -> DType? {
        switch t {
        case 1: return .f32
        case 2: return .u8
        case 3: return .i8
        case 4: return .u16
        case 5: return .i16
        case 6: return .i32
        case 7: return .i64
        case 9: return .bool
        case 10: return .f16
        case 11: return .f64
        case 12: return .u32
        case 13: return .u64
        case 16: return .bf16
        default: return nil
        }
    }

    func decode(_ t: UnsafePointer<Onnx__TensorProto>, name: String) throws -> RawTensor {
        let p = t.pointee
        if p.segment != nil { throw ONNXError.segmentedTensor(tensor: name) }
        let dataType = p.has_data_type != 0 ? p.data_type : 0
        guard let dtype = Self.dtype(dataType) else { throw ONNXError.unsupportedDataType(tensor: name, dataType: dataType) }

        var shape: [Int] = []
        shape.reserveCapacity(p.n_dims)
        for i in 0..<p.n_dims {
            let d = p.dims[i]
            guard d >= 0 else { throw ONNXError.negativeDimension(tensor: name, index: i, value: d) }
            shape.append(Int(d))
        }
        guard let byteCount = checkedByteCount(shape: shape, elementSize: dtype.size) else {
            throw ONNXError.shapeOverflow(tensor: name, dims: (0..<p.n_dims).map { p.dims[$0] })
        }
        let count = byteCount / dtype.size

        var present: [String] = []
        if p.has_raw_data != 0 { present.append("raw_data") }
        if p.n_float_data > 0 { present.append("float_data") }
        if p.n_int32_data > 0 { present.append("int32_data") }
        if p.n_int64_data > 0 { present.append("int64_data") }
        if p.n_double_data > 0 { present.append("double_data") }
        if p.n_uint64_data > 0 { present.append("uint64_data") }
        if p.n_string_data > 0 { present.append("string_data") }
        let external = p.has_data_location != 0 && p.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL
        if external { present.append("external_data") }
        guard present.count <= 1 else { throw ONNXError.conflictingPayloads(tensor: name, fields: present) }
        guard let field = present.first else {
            if count == 0 { return RawTensor(dtype: dtype, shape: shape, bytes: UnsafeRawBufferPointer(start: nil, count: 0), owner: owner) }
            throw ONNXError.payloadSizeMismatch(tensor: name, field: "raw_data", expected: byteCount, actual: 0)
        }

        func view(_ base: UnsafeRawPointer?, _ n: Int, _ size: Int) throws -> RawTensor {
            guard n == count else { throw ONNXError.payloadSizeMismatch(tensor: name, field: field, expected: count, actual: n) }
            return RawTensor(dtype: dtype, shape: shape, bytes: UnsafeRawBufferPointer(start: base, count: n * size), owner: owner)
        }
        func mismatch() -> ONNXError { .fieldTypeMismatch(tensor: name, field: field, dataType: dataType) }

        switch field {
        case "raw_data":
            guard p.raw_data.len == byteCount else {
                throw ONNXError.payloadSizeMismatch(tensor: name, field: field, expected: byteCount, actual: p.raw_data.len)
            }
            return RawTensor(dtype: dtype, shape: shape, bytes: UnsafeRawBufferPointer(start: p.raw_data.data, count: byteCount), owner: owner)
        case "float_data":
            guard dtype == .f32 else { throw mismatch() }
            return try view(p.float_data, p.n_float_data, 4)
        case "int64_data":
            guard dtype == .i64 else { throw mismatch() }
            return try view(p.int64_data, p.n_int64_data, 8)
        case "double_data":
            guard dtype == .f64 else { throw mismatch() }
            return try view(p.double_data, p.n_double_data, 8)
        case "int32_data":
            if dtype == .i32 { return try view(p.int32_data, p.n_int32_data, 4) }
            return try narrow(UnsafeBufferPointer(start: p.int32_data, count: p.n_int32_data).lazy.map { Int64($0) },
                              n: p.n_int32_data, dtype: dtype, shape: shape, name: name, field: field, dataType: dataType)
        case "uint64_data":
            if dtype == .u64 { return try view(p.uint64_data, p.n_uint64_data, 8) }
            guard dtype == .u32 else { throw mismatch() }
            let values = UnsafeBufferPointer(start: p.uint64_data, count: p.n_uint64_data)
            guard values.count == count else { throw ONNXError.payloadSizeMismatch(tensor: name, field: field, expected: count, actual: values.count) }
            var out = [UInt32](repeating: 0, count: count)
            for (i, v) in values.enumerated() {
                guard v <= UInt64(UInt32.max) else { throw ONNXError.valueOutOfRange(tensor: name, field: field, index: i, value: Int64(bitPattern: v)) }
                out[i] = UInt32(v)
            }
            return out.withUnsafeBytes { RawTensor(dtype: dtype, shape: shape, copying: $0) }
        case "external_data":
            return try externalView(p, name: name, dtype: dtype, shape: shape, byteCount: byteCount)
        default: // string_data
            throw mismatch()
        }
    }

    /// int32_data holding INT8/UINT8/INT16/UINT16/BOOL values or FLOAT16/BFLOAT16 bit patterns, one per entry
    /// (the ONNX spec's rule), packed into the type's own width. Out-of-range entries are errors, not truncations.
    private func narrow<S: Sequence>(_ values: S, n: Int, dtype: DType, shape: [Int], name: String, field: String,
                                     dataType: Int32) throws -> RawTensor where S.Element == Int64 {
        let range: ClosedRange<Int64>
        switch dtype {
        case .i8: range = -128...127
        case .u8: range = 0...255
        case .bool: range = 0...1
        case .i16: range = -32768...32767
        case .u16, .f16, .bf16: range = 0...65535
        default: throw ONNXError.fieldTypeMismatch(tensor: name, field: field, dataType: dataType)
        }
        let count = shape.reduce(1, *)
        guard n == count else { throw ONNXError.payloadSizeMismatch(tensor: name, field: field, expected: count, actual: n) }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count * dtype.size, 1), alignment: 16)
        defer { storage.deallocate() }
        for (i, v) in values.enumerated() {
            guard range.contains(v) else { throw ONNXError.valueOutOfRange(tensor: name, field: field, index: i, value: v) }
            if dtype.size == 1 {
                storage[i] = UInt8(truncatingIfNeeded: v)
            } else {
                storage.storeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        }
        return RawTensor(dtype: dtype, shape: shape, copying: UnsafeRawBufferPointer(rebasing: storage[0..<(count * dtype.size)]))
    }

    /// Data in a file beside the model. The location must be relative and stay inside the model's folder (no
    /// absolute paths, no `..`, and its real path, symlinks resolved, must lie under the folder's real path);
    /// offset/length are checked against the file's size before any view is made.
    private func externalView(_ p: Onnx__TensorProto, name: String, dtype: DType, shape: [Int], byteCount: Int) throws -> RawTensor {
        guard let folder else { throw ONNXError.externalWithoutFolder(tensor: name) }
        var location: String?
        var offset = 0
        var length: Int?
        for i in 0..<p.n_external_data {
            guard let entry = p.external_data[i] else { continue }
            let key = entry.pointee.key.map { String(cString: $0) } ?? ""
            let value = entry.pointee.value.map { String(cString: $0) } ?? ""
            switch key {
            case "location": location = value
            case "offset", "length":
                guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(value) else {
                    throw ONNXError.externalBadNumber(tensor: name, key: key, value: value)
                }
                if key == "offset" { offset = n } else { length = n }
            default: break // checksum and future keys are advisory
            }
        }
        guard let location, !location.isEmpty else { throw ONNXError.externalMissingLocation(tensor: name) }
        if location.hasPrefix("/") || location.hasPrefix("\\") { throw ONNXError.externalAbsolutePath(tensor: name, location: location) }
        // Windows exporters write backslashes; treat both as separators so `..\x` cannot slip through.
        let parts = location.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if parts.contains("..") { throw ONNXError.externalPathEscapes(tensor: name, location: location) }
        let path = folder + "/" + location
        if let real = realPath(path), let root = realPath(folder), !(real == root || real.hasPrefix(root == "/" ? "/" : root + "/")) {
            throw ONNXError.externalPathEscapes(tensor: name, location: location)
        }

        let file: MappedFile
        if let m = maps[path] {
            file = m
        } else {
            do { file = try MappedFile(path: path) } catch let e as FileError {
                if case let .cannotOpen(_, reason) = e { throw ONNXError.externalFileUnreadable(tensor: name, path: path, reason: reason) }
                throw ONNXError.externalFileUnreadable(tensor: name, path: path, reason: e.description)
            }
            maps[path] = file
        }
        let size = file.bytes.count
        let len = length ?? (size >= offset ? size - offset : 0)
        let (end, overflow) = offset.addingReportingOverflow(len)
        guard !overflow, end <= size else {
            throw ONNXError.externalRangePastEnd(tensor: name, offset: offset, length: len, fileSize: size)
        }
        guard len == byteCount else { throw ONNXError.payloadSizeMismatch(tensor: name, field: "external_data", expected: byteCount, actual: len) }
        let bytes = byteCount == 0 ? UnsafeRawBufferPointer(start: nil, count: 0)
                                   : UnsafeRawBufferPointer(rebasing: file.bytes[offset..<end])
        return RawTensor(dtype: dtype, shape: shape, bytes: bytes, owner: file)
    }

    private func realPath(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }
}
