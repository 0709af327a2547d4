import Foundation
import WaveTensor

/// The on-disk formats wave reads weights from.
public enum ModelFormat: String, Sendable {
    case safetensors = "safetensors"
    case shardedSafetensors = "safetensors (sharded)"
    case onnx = "ONNX"

    /// Decided by name first, then by the first bytes (a safetensors header is a little-endian
    /// length followed by `{`; anything else that parses is tried as ONNX).
    public static func of(path: String) -> ModelFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors.index.json") { return .shardedSafetensors }
        if lower.hasSuffix(".safetensors") { return .safetensors }
        if lower.hasSuffix(".onnx") { return .onnx }
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        let head = (try? h.read(upToCount: 9)) ?? Data()
        if head.count == 9, head[8] == UInt8(ascii: "{") { return .safetensors }
        return head.isEmpty ? nil : .onnx
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

    public static func open(_ path: String) throws -> ModelFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FileError.cannotOpen(path: path, reason: "no such file")
        }
        guard let format = ModelFormat.of(path: path) else {
            throw FileError.cannotOpen(path: path, reason: "unreadable or empty")
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        switch format {
        case .safetensors, .shardedSafetensors:
            let set = try Safetensors.read(path: path)
            let meta = set.metadata.isEmpty ? "" : ", \(set.metadata.count) metadata entries"
            return ModelFile(path: path, format: format, tensors: set, storedNames: [:],
                             summary: "\(format.rawValue), \(set.count) tensors\(meta)", fileBytes: size)
        case .onnx:
            let model = try ONNXModel.load(path: path)
            let named = try model.namedTensors()
            var stored: [String: String] = [:]
            for (k, v) in model.graphNameToInitializer where k != v { stored[k] = v }
            let opsets = model.opsets.map { $0.domain.isEmpty ? "opset \($0.version)" : "\($0.domain) \($0.version)" }
            return ModelFile(path: path, format: .onnx, tensors: named, storedNames: stored,
                             summary: "ONNX IR \(model.irVersion), \(opsets.joined(separator: ", ")), producer \(model.producer), \(model.nodes.count) nodes, \(model.initializers.count) initializers",
                             fileBytes: size)
        }
    }

    /// Head count and other facts the weights cannot tell: from a config JSON beside the file
    /// (timm keyword arguments, as wave writes them) or `num_heads` in the file's metadata.
    public var configHints: ConfigHints {
        var hints = ConfigHints()
        if let cfg = try? ViTConfig.load(besideCheckpoint: path) {
            hints.heads = cfg.numHeads
            hints.normEps = cfg.normEps
            hints.geluTanh = cfg.geluTanh
            if let ls = cfg.layerScaleInit { hints.layerScaleInit = ls }
        } else if let h = tensors.metadata["num_heads"].flatMap({ Int($0) }) {
            hints.heads = h
        }
        return hints
    }
}
