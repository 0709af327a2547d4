/// Everything that can go wrong reading an ONNX file. Cases carry the tensor name, byte offset or limit
/// involved; `description` is one line that names the likely cause.
public enum ONNXError: Error, CustomStringConvertible, Equatable, Sendable {
    // Whole file
    case emptyFile
    case fileTooLarge(size: Int, limit: Int)
    // Wire format (found by the pre-unpack scan, offsets are from the start of the file)
    case truncated(offset: Int, field: String)
    case badVarint(offset: Int)
    case lengthPastEnd(offset: Int, field: String, length: UInt64, remaining: Int)
    case wrongWireType(offset: Int, field: String, wireType: Int, expected: Int)
    case invalidWireType(offset: Int, wireType: Int)
    case invalidFieldNumber(offset: Int)
    case badPackedLength(offset: Int, field: String, length: Int, elementSize: Int)
    case unpackFailed(size: Int)
    // Structure
    case missingGraph
    case duplicateTensor(name: String)
    case unsupportedConstant(node: String, attribute: String)
    // Tensors
    case negativeDimension(tensor: String, index: Int, value: Int64)
    case shapeOverflow(tensor: String, dims: [Int64])
    case unsupportedDataType(tensor: String, dataType: Int32)
    case payloadSizeMismatch(tensor: String, field: String, expected: Int, actual: Int)
    case conflictingPayloads(tensor: String, fields: [String])
    case fieldTypeMismatch(tensor: String, field: String, dataType: Int32)
    case segmentedTensor(tensor: String)
    case sparseInitializers(count: Int, first: String)
    case valueOutOfRange(tensor: String, field: String, index: Int, value: Int64)
    // External data
    case externalWithoutFolder(tensor: String)
    case externalMissingLocation(tensor: String)
    case externalBadNumber(tensor: String, key: String, value: String)
    case externalAbsolutePath(tensor: String, location: String)
    case externalPathEscapes(tensor: String, location: String)
    case externalFileUnreadable(tensor: String, path: String, reason: String)
    case externalRangePastEnd(tensor: String, offset: Int, length: Int, fileSize: Int)

    public var description: String {
        switch self {
        case .emptyFile:
            return "ONNX: the file is empty (an interrupted download or a failed export?)"
        case let .fileTooLarge(size, limit):
            return "ONNX: \(size) bytes exceeds the \(limit)-byte protobuf limit (large models must keep weights in external data files)"
        case let .truncated(offset, field):
            return "ONNX: file ends inside \(field) at byte \(offset) (truncated file?)"
        case let .badVarint(offset):
            return "ONNX: varint at byte \(offset) runs past 10 bytes (corrupt file, or not an ONNX protobuf?)"
        case let .lengthPastEnd(offset, field, length, remaining):
            return "ONNX: \(field) at byte \(offset) claims \(length) bytes but only \(remaining) remain (truncated file?)"
        case let .wrongWireType(offset, field, wireType, expected):
            return "ONNX: \(field) at byte \(offset) has wire type \(wireType), schema says \(expected) (not an ONNX model, or a corrupt one?)"
        case let .invalidWireType(offset, wireType):
            return "ONNX: wire type \(wireType) at byte \(offset) is not valid protobuf (corrupt file, or not ONNX?)"
        case let .invalidFieldNumber(offset):
            return "ONNX: field number 0 at byte \(offset) (corrupt file, or not ONNX?)"
        case let .badPackedLength(offset, field, length, elementSize):
            return "ONNX: packed \(field) at byte \(offset) is \(length) bytes, not a multiple of \(elementSize) (corrupt file?)"
        case let .unpackFailed(size):
            return "ONNX: protobuf-c could not decode the \(size)-byte model although its wire structure looked valid (out of memory?)"
        case .missingGraph:
            return "ONNX: the model has no graph (a bare ModelProto header, or not an ONNX model?)"
        case let .duplicateTensor(name):
            return "ONNX: tensor '\(name)' is defined twice (an initializer and a Constant output share a name?)"
        case let .unsupportedConstant(node, attribute):
            return "ONNX: Constant node '\(node)' uses attribute '\(attribute)', which wave does not read (string or sparse constant?)"
        case let .negativeDimension(tensor, index, value):
            return "ONNX: tensor '\(tensor)' has dimension \(index) = \(value) (corrupt file?)"
        case let .shapeOverflow(tensor, dims):
            return "ONNX: tensor '\(tensor)' dims \(dims) overflow a byte count (corrupt file?)"
        case let .unsupportedDataType(tensor, dataType):
            return "ONNX: tensor '\(tensor)' has data type \(dataType) (\(onnxDataTypeName(dataType))), which wave does not support (string, complex or 4/8-bit types)"
        case let .payloadSizeMismatch(tensor, field, expected, actual):
            let unit = field.hasSuffix("_data") && field != "raw_data" && field != "external_data" ? "values" : "bytes"
            return "ONNX: tensor '\(tensor)' \(field) holds \(actual) \(unit), dims and data type need \(expected) (truncated export, or wrong dims?)"
        case let .fieldTypeMismatch(tensor, field, dataType):
            return "ONNX: tensor '\(tensor)' stores \(onnxDataTypeName(dataType)) values in \(field), which the ONNX spec does not allow for that type (a buggy exporter?)"
        case let .conflictingPayloads(tensor, fields):
            return "ONNX: tensor '\(tensor)' has data in several fields \(fields); exactly one is allowed"
        case let .segmentedTensor(tensor):
            return "ONNX: tensor '\(tensor)' is a segment of a larger tensor, which wave does not reassemble"
        case let .sparseInitializers(count, first):
            return "ONNX: the graph has \(count) sparse initializer\(count == 1 ? "" : "s") (first: '\(first)'), which wave does not read; "
                + "export the model with dense initializers"
        case let .valueOutOfRange(tensor, field, index, value):
            return "ONNX: tensor '\(tensor)' \(field)[\(index)] = \(value) does not fit its data type (corrupt file?)"
        case let .externalWithoutFolder(tensor):
            return "ONNX: tensor '\(tensor)' keeps its data in an external file, but the model was parsed from memory (use ONNXModel.load(path:))"
        case let .externalMissingLocation(tensor):
            return "ONNX: tensor '\(tensor)' is external but names no location"
        case let .externalBadNumber(tensor, key, value):
            return "ONNX: tensor '\(tensor)' external \(key) '\(value)' is not a non-negative integer"
        case let .externalAbsolutePath(tensor, location):
            return "ONNX: tensor '\(tensor)' external location '\(location)' is absolute; only paths inside the model's folder are read"
        case let .externalPathEscapes(tensor, location):
            return "ONNX: tensor '\(tensor)' external location '\(location)' leaves the model's folder ('..'); refused"
        case let .externalFileUnreadable(tensor, path, reason):
            return "ONNX: tensor '\(tensor)' external file \(path): \(reason) (was the data file copied with the model?)"
        case let .externalRangePastEnd(tensor, offset, length, fileSize):
            return "ONNX: tensor '\(tensor)' external bytes \(offset)+\(length) pass the end of its \(fileSize)-byte file (truncated data file?)"
        }
    }
}

/// The ONNX spelling of a TensorProto.DataType number, for messages.
func onnxDataTypeName(_ t: Int32) -> String {
    let names = ["UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
                 "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
                 "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"]
    return t >= 0 && Int(t) < names.count ? names[Int(t)] : "unknown"
}
