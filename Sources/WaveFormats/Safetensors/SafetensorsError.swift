import WaveTensor

/// Every way a safetensors file, a sharded index or a write can fail. Cases carry the tensor
/// name, offset or limit involved; messages are one line and guess at a cause, because the
/// usual culprit (a truncated download, a file of another format) is not obvious from bytes.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    // Framing: the 8-byte length prefix and the header it announces.
    case fileTooSmall(size: Int)
    case headerTooLarge(length: UInt64, limit: Int)
    case headerPastEnd(length: UInt64, available: Int)
    case headerNotUTF8(offset: Int)

    // Header JSON.
    case invalidJSON(offset: Int, reason: String)
    case jsonTooDeep(offset: Int, limit: Int)
    case duplicateKey(key: String, offset: Int)
    case headerNotObject
    case metadataNotStringMap(key: String)
    case duplicateTensorName(name: String)

    // One tensor entry.
    case entryNotObject(name: String)
    case missingField(name: String, field: String)
    case unexpectedField(name: String, field: String)
    case unknownDType(name: String, dtype: String)
    case shapeNotArray(name: String)
    case invalidDimension(name: String, index: Int, value: String)
    case elementCountOverflow(name: String, shape: [Int])
    case invalidDataOffsets(name: String)
    case offsetsReversed(name: String, begin: Int, end: Int)
    case sizeMismatch(name: String, dtype: String, shape: [Int], expected: Int, actual: Int)

    // Layout of the data section, checked over all entries sorted by offset.
    case offsetsNotFromZero(name: String, begin: Int)
    case overlappingTensors(name: String, previous: String, begin: Int, previousEnd: Int)
    case gapBeforeTensor(name: String, begin: Int, previousEnd: Int)
    case dataOutOfBounds(name: String, end: Int, dataLength: Int)
    case trailingBytes(count: Int, dataEnd: Int)

    // Sharded checkpoints (`*.safetensors.index.json`).
    case invalidIndex(path: String, reason: String)
    case shardMissing(file: String, reason: String)
    case tensorMissingFromShard(name: String, file: String)
    case tensorNotInIndex(name: String, file: String)
    case shardMetadataConflict(key: String, file: String)
    case shardOfAnotherWrite(file: String, index: String)
    indirect case inShard(file: String, error: SafetensorsError)

    // Writing.
    case reservedTensorName(name: String)
    case invalidShardLimit(bytes: Int)
    case shardedPathNotSafetensors(path: String)

    public var description: String {
        switch self {
        case let .fileTooSmall(size):
            return "file of \(size) bytes is too small for a safetensors header (needs 8 bytes of length); is it empty or truncated?"
        case let .headerTooLarge(length, limit):
            return "header length \(length) exceeds the \(limit)-byte limit; is this a safetensors file?"
        case let .headerPastEnd(length, available):
            return "header length \(length) runs past the end of the file (\(available) bytes after the length); truncated download?"
        case let .headerNotUTF8(offset):
            return "header is not valid UTF-8 at byte \(offset) of the header; corrupt file?"
        case let .invalidJSON(offset, reason):
            return "header JSON is invalid at byte \(offset): \(reason)"
        case let .jsonTooDeep(offset, limit):
            return "header JSON nests deeper than \(limit) levels at byte \(offset); safetensors headers are 3 levels deep"
        case let .duplicateKey(key, offset):
            return "header JSON repeats the key \"\(key)\" at byte \(offset); a reader would silently keep one of them"
        case .headerNotObject:
            return "header JSON is not an object of tensor entries"
        case let .metadataNotStringMap(key):
            return "__metadata__ must map strings to strings, but \"\(key)\" is not a string (write numbers as strings)"
        case let .duplicateTensorName(name):
            return "tensor \"\(name)\" appears twice in the header"
        case let .entryNotObject(name):
            return "entry for tensor \"\(name)\" is not an object with dtype, shape and data_offsets"
        case let .missingField(name, field):
            return "tensor \"\(name)\" has no \"\(field)\""
        case let .unexpectedField(name, field):
            return "tensor \"\(name)\" has an unknown field \"\(field)\"; newer format version?"
        case let .unknownDType(name, dtype):
            return "tensor \"\(name)\" has dtype \"\(dtype)\", not one of \(DTypeNames.all); newer format version?"
        case let .shapeNotArray(name):
            return "tensor \"\(name)\" has a shape that is not an array of integers"
        case let .invalidDimension(name, index, value):
            return "tensor \"\(name)\" has dimension \(index) = \(value); dimensions are non-negative integers"
        case let .elementCountOverflow(name, shape):
            return "tensor \"\(name)\" shape \(shape) has more elements than fit in memory; corrupt header?"
        case let .invalidDataOffsets(name):
            return "tensor \"\(name)\" data_offsets is not [begin, end] of two non-negative integers"
        case let .offsetsReversed(name, begin, end):
            return "tensor \"\(name)\" data_offsets begin \(begin) is after end \(end)"
        case let .sizeMismatch(name, dtype, shape, expected, actual):
            return "tensor \"\(name)\" \(dtype)\(shape) needs \(expected) bytes but data_offsets span \(actual); wrong dtype or shape?"
        case let .offsetsNotFromZero(name, begin):
            return "first tensor \"\(name)\" starts at data offset \(begin), not 0; offsets are relative to the end of the header"
        case let .overlappingTensors(name, previous, begin, previousEnd):
            return "tensor \"\(name)\" starts at \(begin), inside \"\(previous)\" which ends at \(previousEnd)"
        case let .gapBeforeTensor(name, begin, previousEnd):
            return "\(begin - previousEnd) unused bytes before tensor \"\(name)\" (starts at \(begin), previous ends at \(previousEnd))"
        case let .dataOutOfBounds(name, end, dataLength):
            return "tensor \"\(name)\" ends at data offset \(end), past the \(dataLength) data bytes; truncated download?"
        case let .trailingBytes(count, dataEnd):
            return "\(count) bytes follow the last tensor (which ends at data offset \(dataEnd)); appended garbage or wrong offsets?"
        case let .invalidIndex(path, reason):
            return "sharded index \(path): \(reason)"
        case let .shardMissing(file, reason):
            return "shard \(file) cannot be read (\(reason)); was every shard downloaded?"
        case let .tensorMissingFromShard(name, file):
            return "index maps \"\(name)\" to \(file), but that shard does not contain it"
        case let .tensorNotInIndex(name, file):
            return "shard \(file) contains \"\(name)\", which the index does not map to it; index from another checkpoint?"
        case let .shardOfAnotherWrite(file, index):
            return "shard \(file) belongs to another write than \(index) (a write stopped between its renames?); write the checkpoint again"
        case let .shardMetadataConflict(key, file):
            return "shard \(file) gives __metadata__ \"\(key)\" a different value than an earlier shard"
        case let .inShard(file, error):
            return "\(file): \(error)"
        case let .reservedTensorName(name):
            return "cannot write a tensor named \"\(name)\": the name is reserved for metadata"
        case let .invalidShardLimit(bytes):
            return "shard size limit \(bytes) must be positive"
        case let .shardedPathNotSafetensors(path):
            return "sharded output \(path) must end in .safetensors (shards are named after it)"
        }
    }
}

enum DTypeNames {
    static let all = DType.allCases.map(\.rawValue).joined(separator: " ")
}
