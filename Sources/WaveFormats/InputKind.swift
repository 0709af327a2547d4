import Foundation
import WaveTensor

/// What a file is, from its first bytes, never its name: decided before any parser runs, so that a file
/// given to the wrong command is named for what it is ("a wave bundle") instead of failing deep inside
/// another format's parser ("ONNX: wire type 7 at byte 0").
public enum InputKind: Equatable, Sendable, CustomStringConvertible {
    /// An 8-byte little-endian header length, then the JSON header's `{`.
    case safetensors
    /// JSON text: a sharded checkpoint's `*.safetensors.index.json`.
    case safetensorsIndex
    /// Protobuf whose first field is one of ModelProto's.
    case onnx
    /// The magic `WAVEBNDL` (Schemas: the bundle format).
    case waveBundle
    /// Most of the bundle magic, or a `.wave` name over bytes that are nothing else: a bundle whose
    /// first bytes were damaged.
    case damagedWaveBundle
    case empty
    case unknown

    public static let waveBundleMagic: [UInt8] = Array("WAVEBNDL".utf8)

    /// The first bytes of `path` decide; throws when the file is missing or unreadable.
    public static func of(path: String) throws -> InputKind {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw FileError.cannotOpen(path: path, reason: "no such file")
        }
        guard !isDir.boolValue else { throw FileError.cannotOpen(path: path, reason: "a folder, not a file") }
        guard let h = FileHandle(forReadingAtPath: path) else { throw FileError.cannotOpen(path: path, reason: "not readable") }
        defer { try? h.close() }
        let head = (try? h.read(upToCount: 16)).map(Array.init) ?? []
        return of(head: head, name: URL(fileURLWithPath: path).lastPathComponent)
    }

    /// `head`: the file's first (up to 16) bytes.
    public static func of(head: [UInt8], name: String) -> InputKind {
        guard let first = head.first else { return .empty }
        if head.starts(with: waveBundleMagic) { return .waveBundle }
        if head.count >= 9, head[8] == UInt8(ascii: "{") { return .safetensors }
        if head.count >= 8, zip(head, waveBundleMagic).filter({ $0 == $1 }).count >= 5 { return .damagedWaveBundle }
        if let c = head.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }), c == UInt8(ascii: "{") { return .safetensorsIndex }
        if onnxFirstTags.contains(first) || (head.count >= 2 && onnxTwoByteTags.contains([first, head[1]])) { return .onnx }
        if name.hasSuffix(".wave") { return .damagedWaveBundle }
        return .unknown
    }

    /// ModelProto's fields as their first tag byte (field number << 3 | wire type): ir_version (1, varint),
    /// producer_name, producer_version, domain (2-4, bytes), model_version (5, varint), doc_string (6),
    /// graph (7), opset_import (8), metadata_props (14, all bytes). Exporters write ir_version first.
    static let onnxFirstTags: Set<UInt8> = [0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]
    /// training_info (20) and functions (25): two-byte tags.
    static let onnxTwoByteTags: Set<[UInt8]> = [[0xa2, 0x01], [0xca, 0x01]]

    public var description: String {
        switch self {
        case .safetensors: return "a safetensors file"
        case .safetensorsIndex: return "a JSON file (a sharded checkpoint's index?)"
        case .onnx: return "an ONNX model"
        case .waveBundle: return "a wave bundle"
        case .damagedWaveBundle: return "a damaged wave bundle"
        case .empty: return "an empty file"
        case .unknown: return "not a safetensors, ONNX or wave bundle file"
        }
    }

    /// True for the kinds `ModelFile` reads (model weights).
    public var isModel: Bool { [.safetensors, .safetensorsIndex, .onnx].contains(self) }
}
