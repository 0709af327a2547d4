import Foundation

/// The shape of a Vision Transformer in timm's `VisionTransformer` terms. It is what family
/// detection produces, what `convert`/`init`/`expand` write beside a checkpoint (as timm keyword
/// arguments), and what the engine builds a model from.
public struct ViTConfig: Sendable, Equatable, Codable {
    public var imageSize: Int
    public var patchSize: Int
    public var inChannels: Int
    /// 0 means no head (a backbone such as DINOv2).
    public var numClasses: Int
    public var embedDim: Int
    public var depth: Int
    public var numHeads: Int
    public var mlpDim: Int
    /// LayerScale initial value; nil when the blocks have no LayerScale.
    public var layerScaleInit: Float?
    public var qkvBias: Bool
    public var normEps: Float
    /// Exact (erf) GELU when false; tanh approximation when true.
    public var geluTanh: Bool

    public init(imageSize: Int, patchSize: Int, inChannels: Int = 3, numClasses: Int, embedDim: Int, depth: Int,
                numHeads: Int, mlpDim: Int? = nil, layerScaleInit: Float? = nil, qkvBias: Bool = true,
                normEps: Float = 1e-6, geluTanh: Bool = false) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.numClasses = numClasses
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
        self.mlpDim = mlpDim ?? 4 * embedDim
        self.layerScaleInit = layerScaleInit
        self.qkvBias = qkvBias
        self.normEps = normEps
        self.geluTanh = geluTanh
    }

    public var gridSize: Int { imageSize / patchSize }
    /// Patch tokens plus the class token.
    public var tokens: Int { gridSize * gridSize + 1 }
    public var headDim: Int { embedDim / numHeads }
    public var mlpRatio: Double { Double(mlpDim) / Double(embedDim) }

    /// Problems that make the configuration unbuildable, as sentences; empty when valid.
    public var problems: [String] {
        var p: [String] = []
        if imageSize <= 0 || patchSize <= 0 || imageSize % patchSize != 0 {
            p.append("image size \(imageSize) must be a positive multiple of the patch size \(patchSize)")
        }
        if inChannels <= 0 { p.append("channels must be positive (got \(inChannels))") }
        if numClasses < 0 { p.append("classes must be 0 (no head) or more (got \(numClasses))") }
        if depth <= 0 { p.append("depth must be positive (got \(depth))") }
        if embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0 {
            p.append("width \(embedDim) must be a positive multiple of the head count \(numHeads)")
        }
        if mlpDim <= 0 { p.append("MLP width must be positive (got \(mlpDim))") }
        return p
    }

    /// Parameter count of the model this config describes.
    public var parameterCount: Int {
        let d = embedDim, m = mlpDim
        let stem = d * inChannels * patchSize * patchSize + d + d + tokens * d
        var block = 2 * d + (3 * d * d + (qkvBias ? 3 * d : 0)) + d * d + d + 2 * d + m * d + m + d * m + d
        if layerScaleInit != nil { block += 2 * d }
        let head = 2 * d + (numClasses > 0 ? numClasses * d + numClasses : 0)
        return stem + depth * block + head
    }

    /// timm `VisionTransformer(**kwargs)` keyword arguments, as written beside checkpoints.
    public var timmKwargs: [String: Any] {
        var k: [String: Any] = [
            "img_size": imageSize, "patch_size": patchSize, "in_chans": inChannels, "num_classes": numClasses,
            "embed_dim": embedDim, "depth": depth, "num_heads": numHeads, "mlp_ratio": mlpRatio,
            "qkv_bias": qkvBias, "class_token": true, "global_pool": "token",
            "act_layer": geluTanh ? "gelu_tanh" : "gelu",
        ]
        // timm's norm layer is LayerNorm(eps=1e-6) and takes no eps keyword: a JSON that
        // `VisionTransformer(**kwargs)` accepts as is names the eps only when it differs.
        if normEps != 1e-6 { k["norm_eps"] = Self.decimal(normEps) }
        k["init_values"] = layerScaleInit.map { Self.decimal($0) } ?? NSNull()
        return k
    }

    /// The shortest decimal that reads back as `x` (1e-05, not 9.999999747378752e-06).
    static func decimal(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

    /// Reads timm keyword arguments back (the JSON beside a checkpoint).
    public init(timmKwargs k: [String: Any]) throws {
        func int(_ key: String) throws -> Int {
            guard let v = k[key] as? NSNumber else { throw ConfigError.missingKey(key) }
            return v.intValue
        }
        let d = try int("embed_dim")
        let ratio = (k["mlp_ratio"] as? NSNumber)?.doubleValue ?? 4
        self.init(imageSize: try int("img_size"), patchSize: try int("patch_size"),
                  inChannels: (k["in_chans"] as? NSNumber)?.intValue ?? 3, numClasses: try int("num_classes"),
                  embedDim: d, depth: try int("depth"), numHeads: try int("num_heads"),
                  mlpDim: Int((Double(d) * ratio).rounded()),
                  layerScaleInit: (k["init_values"] as? NSNumber).map { $0.floatValue },
                  qkvBias: (k["qkv_bias"] as? Bool) ?? true,
                  normEps: (k["norm_eps"] as? NSNumber)?.floatValue ?? 1e-6,
                  geluTanh: (k["act_layer"] as? String) == "gelu_tanh")
        if let problem = problems.first { throw ConfigError.invalid(problem) }
    }

    /// The JSON text written beside a checkpoint (sorted keys, pretty-printed).
    public func timmJSON() -> String {
        let data = try! JSONSerialization.data(withJSONObject: timmKwargs, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Loads the config JSON beside `checkpointPath` (same base name, `.json`).
    public static func load(besideCheckpoint checkpointPath: String) throws -> ViTConfig {
        let path = configPath(besideCheckpoint: checkpointPath)
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError.missingFile(path) }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigError.invalid("\(path) is not a JSON object")
        }
        return try ViTConfig(configObject: obj, file: path)
    }

    /// timm keyword arguments, or an HF config.json (it has `model_type`).
    init(configObject obj: [String: Any], file: String) throws {
        if obj["model_type"] != nil { try self.init(hfConfig: obj, file: file) } else { try self.init(timmKwargs: obj) }
    }

    /// The config beside a checkpoint: `OUT.json` for `OUT.safetensors`, and `config.json` for a
    /// folder's `model.safetensors` (or its sharded index), as Hugging Face folders pair them.
    public static func configPath(besideCheckpoint path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        if name == "model.safetensors" || name == "model.safetensors.index.json" {
            return String(path.dropLast(name.count)) + "config.json"
        }
        var base = path
        for ext in [".safetensors.index.json", ".safetensors", ".onnx"] where base.hasSuffix(ext) {
            base.removeLast(ext.count)
            break
        }
        return base + ".json"
    }
}

public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case missingKey(String)
    case missingFile(String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .missingKey(k): return "model config: missing key \"\(k)\" (timm VisionTransformer keyword arguments expected)"
        case let .missingFile(p): return "model config \(p) not found: every checkpoint needs its JSON config beside it (wave convert/init write one)"
        case let .invalid(why): return "model config: \(why)"
        }
    }
}
