import Foundation
import WaveTensor

/// The on-disk formats wave reads weights from.
public enum ModelFormat: String, Sendable {
    case safetensors = "safetensors"
    case shardedSafetensors = "safetensors (sharded)"
    case onnx = "ONNX"

    /// Decided by the first bytes (InputKind), never the name; nil for anything but model weights.
    public static func of(path: String) -> ModelFormat? {
        switch try? InputKind.of(path: path) {
        case .safetensors: return .safetensors
        case .safetensorsIndex: return .shardedSafetensors
        case .onnx: return .onnx
        default: return nil
        }
    }
}

/// Why a file is not model weights, or why its parser refused it, always naming the file.
public enum ModelFileError: Error, CustomStringConvertible {
    case notAModel(path: String, kind: InputKind, head: [UInt8])
    case unreadable(path: String, reason: String)
    case noWeightsInFolder(path: String, holds: [String])

    public var description: String {
        switch self {
        case let .notAModel(path, kind, head):
            switch kind {
            case .waveBundle:
                return "\(path) is a wave bundle, not model weights: give the ancestry model (.onnx or .safetensors) here; "
                    + "a bundle goes to `wave expand` or `wave inspect`"
            case .damagedWaveBundle:
                return "\(path) looks like a wave bundle whose first bytes are damaged (\(hex(head.prefix(8))), not \"WAVEBNDL\"): "
                    + "the file is corrupt; condense the ancestry again"
            case .empty:
                return "\(path) is empty: give a .onnx or .safetensors model"
            default:
                return "\(path) is not a safetensors, ONNX or wave bundle file (it starts with \(hex(head.prefix(8)))): give a .onnx or .safetensors model"
            }
        case let .unreadable(path, reason):
            return "\(path): \(reason)"
        case let .noWeightsInFolder(path, holds):
            let pickle = holds.contains("pytorch_model.bin") ? "; pytorch_model.bin is a pickle, which wave does not read: "
                + "save the model with safetensors (save_pretrained(dir, safe_serialization=True))" : ""
            let listed = holds.isEmpty ? "it is empty" : "it holds \(holds.prefix(6).joined(separator: ", "))\(holds.count > 6 ? ", ..." : "")"
            return "\(path) is a folder without model weights (model.safetensors, model.safetensors.index.json or an .onnx); \(listed)\(pickle)"
        }
    }

    private func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

/// A weights file opened for reading: its tensors under the names the ancestry uses (ONNX
/// anonymous initializers named from the graph, matrices in [out, in]) and facts for `inspect`.
public struct ModelFile: @unchecked Sendable {
    public let path: String
    public let format: ModelFormat
    public let tensors: TensorSet
    /// For ONNX: graph name → stored initializer name, where they differ.
    public let storedNames: [String: String]
    /// One-line description of the container (IR version, producer, shard count...).
    public let summary: String
    public let fileBytes: Int
    /// The config file read beside the weights (config.json, or the JSON wave writes), if any.
    public private(set) var configPath: String?
    /// What the config file says; nil without one.
    public private(set) var declaration: ConfigDeclaration?
    /// For a folder: how it was read.
    public private(set) var layout: String?
    /// For ONNX: what the graph says about heads, epsilon and activation.
    public private(set) var graphFacts: ONNXGraphFacts?

    /// Opens a weights file or a model folder (Hugging Face, sentence-transformers, or one holding an
    /// ONNX model), with the config that describes it.
    public static func open(_ path: String) throws -> ModelFile {
        let location = try ModelFolder.locate(path)
        var file = try open(weights: location.weights)
        file.layout = location.layout
        // The config the weights were written with comes first: the JSON beside them may be stale.
        if let stored = file.tensors.metadata[Checkpoint.configKey] {
            file.declaration = try ConfigDeclaration(json: stored, file: "\(location.weights) (wave.config)")
            file.configPath = location.weights
        } else if let config = location.config {
            file.declaration = try ConfigDeclaration.load(path: config)
            file.configPath = config
        }
        return file
    }

    private static func open(weights path: String) throws -> ModelFile {
        let kind = try InputKind.of(path: path)
        let format: ModelFormat
        switch kind {
        case .safetensors: format = .safetensors
        case .safetensorsIndex: format = .shardedSafetensors
        case .onnx: format = .onnx
        default:
            let head = (FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 8) }).map(Array.init) ?? []
            throw ModelFileError.notAModel(path: path, kind: kind, head: head)
        }
        // stat, not lstat: a symlink's size is its target's.
        var st = stat()
        let size = stat(path, &st) == 0 ? Int(st.st_size) : 0
        do {
            return try open(path, format: format, size: size)
        } catch let error as FileError {
            throw error   // names the file already
        } catch {
            throw ModelFileError.unreadable(path: path, reason: "\(error)")
        }
    }

    private static func open(_ path: String, format: ModelFormat, size: Int) throws -> ModelFile {
        switch format {
        case .safetensors, .shardedSafetensors:
            let set = format == .shardedSafetensors ? try Safetensors.readSharded(indexPath: path) : try Safetensors.read(path: path)
            let meta = set.metadata.isEmpty ? "" : ", \(set.metadata.count) metadata entries"
            return ModelFile(path: path, format: format, tensors: set, storedNames: [:],
                             summary: "\(format.rawValue), \(set.count) tensors\(meta)", fileBytes: size)
        case .onnx:
            let model = try ONNXModel.load(path: path)
            let named = try model.namedTensors()
            var stored: [String: String] = [:]
            for (k, v) in model.graphNameToInitializer where k != v { stored[k] = v }
            let opsets = model.opsets.map { $0.domain.isEmpty ? "opset \($0.version)" : "\($0.domain) \($0.version)" }
            var file = ModelFile(path: path, format: .onnx, tensors: named, storedNames: stored,
                                 summary: "ONNX IR \(model.irVersion), \(opsets.joined(separator: ", ")), producer \(model.producer), \(model.nodes.count) nodes, \(model.initializers.count) initializers",
                                 fileBytes: size)
            file.graphFacts = model.graphFacts
            return file
        }
    }

    /// Head count and other facts the weights cannot tell: the config (the copy inside the weights,
    /// else the file beside them), the ONNX graph, `num_heads` in the file's metadata.
    public var configHints: ConfigHints {
        var hints = ConfigHints()
        hints.config = declaration
        hints.graph = graphFacts
        hints.metadataHeads = tensors.metadata["num_heads"].flatMap { Int($0) }
        return hints
    }
}
