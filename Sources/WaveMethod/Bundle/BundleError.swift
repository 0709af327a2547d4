/// Everything that can be wrong with a bundle file, each case naming what and where, with a
/// likely cause when there is one.
public enum BundleError: Error, CustomStringConvertible, Equatable {
    case tooSmall(size: Int)
    case badMagic
    case unsupportedVersion(UInt32)
    case reservedFlags(UInt32)
    case manifestTooLarge(length: UInt64, cap: Int)
    case manifestOutOfBounds(length: UInt64, fileSize: Int)
    case manifestChecksum
    case manifestUnparsable
    case badFormatName(String)
    case missingSection(String)
    case tooManyTensors(count: Int, cap: Int)
    case badName(index: Int, reason: String)
    case duplicateTensor(name: String)
    case badDType(name: String, dtype: String)
    case badShape(name: String, reason: String)
    case badEncoding(name: String, value: Int)
    case badRole(name: String, value: Int)
    case lengthMismatch(name: String, rawLength: UInt64, expected: Int)
    case payloadTooLarge(name: String, length: UInt64, cap: Int)
    case misaligned(name: String, offset: UInt64)
    case payloadOutOfBounds(name: String, offset: UInt64, length: UInt64, section: Int)
    case notContiguous(name: String, offset: UInt64, expected: Int)
    case trailingBytes(count: Int)
    case nonZeroPadding(offset: Int)
    case badChecksumField(name: String)
    case checksumMismatch(name: String)
    case badPayload(name: String, reason: String)
    case badPlan(String)
    case badConfig(String)
    case missingTensor(String)

    /// The case name ("badMagic", "checksumMismatch", ...): stable, for tests and JSON output.
    public var code: String {
        switch self {
        case .badMagic: return "badMagic"
        case .manifestChecksum: return "manifestChecksum"
        case .manifestUnparsable: return "manifestUnparsable"
        default: return Mirror(reflecting: self).children.first?.label ?? "unknown"
        }
    }

    public var description: String {
        switch self {
        case let .tooSmall(size): return "bundle: \(size) bytes is shorter than the 56-byte header (truncated file?)"
        case .badMagic: return "bundle: no WAVEBNDL magic at offset 0 (not a wave bundle: make one with `wave condense`)"
        case let .unsupportedVersion(v): return "bundle: format version \(v) is not supported (this wave reads version 1; is it from a newer wave?)"
        case let .reservedFlags(f): return "bundle: reserved header flags 0x\(String(f, radix: 16)) are set (a newer writer, or corruption)"
        case let .manifestTooLarge(l, cap): return "bundle: manifest length \(l) exceeds the \(cap)-byte cap (corrupt header?)"
        case let .manifestOutOfBounds(l, size): return "bundle: manifest of \(l) bytes runs past the end of the \(size)-byte file (truncated?)"
        case .manifestChecksum: return "bundle: manifest SHA-256 does not match the header (corrupt or edited file)"
        case .manifestUnparsable: return "bundle: manifest is not a valid wave.bundle.Manifest protobuf"
        case let .badFormatName(f): return "bundle: manifest format is \"\(f)\", expected \"wave.bundle\""
        case let .missingSection(s): return "bundle: manifest has no \(s)"
        case let .tooManyTensors(n, cap): return "bundle: \(n) tensors exceed the cap of \(cap)"
        case let .badName(i, why): return "bundle: tensor #\(i) has a bad name: \(why)"
        case let .duplicateTensor(n): return "bundle: tensor \(n) is listed twice"
        case let .badDType(n, dt): return "bundle: tensor \(n) has dtype \"\(dt)\"; payloads are F32, F16 or BF16"
        case let .badShape(n, why): return "bundle: tensor \(n): \(why)"
        case let .badEncoding(n, v): return "bundle: tensor \(n) has unknown encoding \(v)"
        case let .badRole(n, v): return "bundle: tensor \(n) has unknown role \(v)"
        case let .lengthMismatch(n, raw, exp): return "bundle: tensor \(n) declares \(raw) decoded bytes but its shape and dtype make \(exp)"
        case let .payloadTooLarge(n, l, cap): return "bundle: tensor \(n) payload of \(l) bytes exceeds the \(cap)-byte cap"
        case let .misaligned(n, off): return "bundle: tensor \(n) payload offset \(off) is not a multiple of 64"
        case let .payloadOutOfBounds(n, off, l, sec): return "bundle: tensor \(n) payload [\(off), +\(l)) lies outside the \(sec)-byte payload section (truncated file?)"
        case let .notContiguous(n, off, exp): return "bundle: tensor \(n) payload starts at \(off), expected \(exp) (payloads are packed in order, 64-byte aligned)"
        case let .trailingBytes(c): return "bundle: \(c) bytes after the last payload"
        case let .nonZeroPadding(off): return "bundle: padding byte at offset \(off) is not zero"
        case let .badChecksumField(n): return "bundle: tensor \(n) checksum is not 32 bytes of SHA-256"
        case let .checksumMismatch(n): return "bundle: tensor \(n) payload fails its SHA-256 check (corrupt file)"
        case let .badPayload(n, why): return "bundle: tensor \(n) payload does not decode: \(why)"
        case let .badPlan(why): return "bundle: template plan: \(why)"
        case let .badConfig(why): return "bundle: ancestry config: \(why)"
        case let .missingTensor(n): return "bundle: tensor \(n) is missing"
        }
    }
}
