import Foundation

/// Where a model's weights and config are, for a path as users give it: a weights file, or a folder
/// as Hugging Face `save_pretrained`, sentence-transformers and ONNX exporters write it.
public struct ModelLocation: Sendable, Equatable {
    /// The weights file (a .safetensors, a sharded checkpoint's index, or an .onnx).
    public let weights: String
    /// The config file that describes them, if there is one.
    public let config: String?
    /// How the folder was read ("Hugging Face folder", "sentence-transformers folder, module 0 at 0_Transformer"), nil for a file.
    public let layout: String?
}

public enum ModelFolder {
    public static func isFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Weights file names in a model folder, in the order they are preferred.
    static let weightNames = ["model.safetensors", "model.safetensors.index.json", "onnx/model.onnx", "model.onnx"]

    public static func locate(_ path: String) throws -> ModelLocation {
        guard isFolder(path) else { return ModelLocation(weights: path, config: configBeside(path), layout: nil) }
        var folder = path
        var layout = "Hugging Face folder"
        // sentence-transformers: modules.json lists the modules; the Transformer's files are at its path
        // ("" for the folder itself in current releases, "0_Transformer" in older ones).
        if let data = FileManager.default.contents(atPath: path + "/modules.json"),
           let modules = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
           let transformer = modules.first(where: { ($0["type"] as? String)?.hasSuffix("models.Transformer") == true }) {
            let sub = transformer["path"] as? String ?? ""
            if !sub.isEmpty { folder = path + "/" + sub }
            layout = "sentence-transformers folder, Transformer module at " + (sub.isEmpty ? "the root" : sub)
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var weights = weightNames.map { folder + "/" + $0 }.first { FileManager.default.fileExists(atPath: $0) }
        if weights == nil {
            // One weights file under another name (e.g. a timm export's open_clip_model.safetensors).
            let candidates = files.filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".safetensors.index.json") || $0.hasSuffix(".onnx") }
            let indexes = candidates.filter { $0.hasSuffix(".index.json") }
            if indexes.count == 1 { weights = folder + "/" + indexes[0] }
            else if candidates.count == 1 { weights = folder + "/" + candidates[0] }
        }
        guard let weights else {
            throw ModelFileError.noWeightsInFolder(path: folder, holds: files.sorted())
        }
        let config = FileManager.default.fileExists(atPath: folder + "/config.json") ? folder + "/config.json" : configBeside(weights)
        return ModelLocation(weights: weights, config: config, layout: layout)
    }

    /// The config of a weights file given by itself: the JSON wave writes beside it (OUT.json), else
    /// the folder's config.json (HF), else the parent's when the file sits in an `onnx/` folder.
    static func configBeside(_ weights: String) -> String? {
        let own = ViTConfig.configPath(besideCheckpoint: weights)
        if own != weights, FileManager.default.fileExists(atPath: own) { return own }
        let dir = URL(fileURLWithPath: weights).deletingLastPathComponent()
        var candidates = [dir.appendingPathComponent("config.json").path]
        if dir.lastPathComponent == "onnx" { candidates.append(dir.deletingLastPathComponent().appendingPathComponent("config.json").path) }
        return candidates.first { $0 != weights && FileManager.default.fileExists(atPath: $0) }
    }
}
