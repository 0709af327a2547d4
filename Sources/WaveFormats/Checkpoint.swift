import Foundation
import WaveTensor

/// A checkpoint: safetensors weights and the config JSON beside them (timm keyword arguments, or
/// the BERT config), which are one unit. The two are separate files, so no rename makes them
/// change together; instead the weights carry the exact config text in their metadata
/// (`wave.config`) and a loader checks the file beside them against it. The config is renamed
/// into place first: a write killed between the two renames leaves the old weights with the new
/// config, which the check reports, and never new weights with an old config.
public enum Checkpoint {
    public static let configKey = "wave.config"

    /// Writes `set` (with `config` added to its metadata) and `config` beside it.
    @discardableResult
    public static func write(_ set: TensorSet, config: String, to path: String, maxShardBytes: Int? = nil) throws -> [String] {
        try write(set, config: config, to: path, maxShardBytes: maxShardBytes, afterRename: nil)
    }

    /// `afterRename(i)` runs after the i-th rename (0: the config): tests stop there as a kill would.
    static func write(_ set: TensorSet, config: String, to path: String, maxShardBytes: Int?,
                      afterRename: ((Int) throws -> Void)?) throws -> [String] {
        var set = set
        set.metadata[configKey] = config
        return try Safetensors.write(set, to: path, maxShardBytes: maxShardBytes,
                                     first: [(ViTConfig.configPath(besideCheckpoint: path), Array(config.utf8))],
                                     afterRename: afterRename)
    }

    /// The ViT config of the checkpoint at `path`, whose tensors carry `metadata`: the JSON beside it,
    /// which must describe the same model as the copy in the weights (when they have one, as every
    /// checkpoint wave writes does). Without the JSON, the weights' own copy.
    public static func vitConfig(of path: String, metadata: [String: String]) throws -> ViTConfig {
        let configPath = ViTConfig.configPath(besideCheckpoint: path)
        let stored = try metadata[configKey].map { try ViTConfig(json: $0, source: "the config stored in \(path)") }
        guard FileManager.default.fileExists(atPath: configPath) || stored == nil else { return stored! }
        let beside = try ViTConfig.load(besideCheckpoint: path)
        if let stored, stored != beside { throw CheckpointConfigError.configMismatch(config: configPath, weights: path) }
        return beside
    }
}

public enum CheckpointConfigError: Error, CustomStringConvertible, Equatable {
    case configMismatch(config: String, weights: String)

    public var description: String {
        switch self {
        case let .configMismatch(config, weights):
            return "\(config) is not the config \(weights) was written with (left by an interrupted write?): "
                + "write the checkpoint again, or delete \(config) to use the copy inside the weights"
        }
    }
}

extension ViTConfig {
    /// A config from timm keyword-argument JSON text; `source` names it in errors.
    init(json: String, source: String) throws {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw ConfigError.invalid("\(source) is not a JSON object")
        }
        try self.init(configObject: obj, file: source)
    }
}
