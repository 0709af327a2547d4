import Foundation

/// A value a config file states, with the key it was read from (for `inspect` and for errors).
public struct Declared<Value: Sendable & Equatable>: Sendable, Equatable {
    public let value: Value
    public let key: String
}

/// What a model's config file says: a Hugging Face `config.json` (`model_type`, `hidden_size`, ...) or
/// the timm keyword arguments wave writes beside a ViT. Sizes are checked against the tensors by
/// `Architecture.detect` (a disagreement is an error naming both); head count, epsilon, activation
/// and position-embedding kind are taken from here because the tensors cannot tell them.
public struct ConfigDeclaration: Sendable {
    /// The file as shown in messages (its path).
    public let file: String
    /// `model_type` of an HF config; nil for timm keyword arguments.
    public var modelType: String?
    public var heads: Declared<Int>?
    public var normEps: Declared<Float>?
    /// HF `hidden_act` names ("gelu", "gelu_pytorch_tanh", ...); timm's `act_layer` maps onto them.
    public var activation: Declared<String>?
    public var positionEmbedding: Declared<String>?
    public var layerScale: Declared<Float>?
    public var qkvBias: Declared<Bool>?
    public var sizes: [Quantity: Declared<Int>] = [:]

    /// Sizes the tensors also show.
    public enum Quantity: String, Sendable, CaseIterable {
        case width, layers, mlp, vocabulary, positions, tokenTypes = "token types", patch, image, channels, classes
    }

    /// The short file name used in source notes ("config.json num_attention_heads").
    public var fileName: String { URL(fileURLWithPath: file).lastPathComponent }

    public init(file: String) { self.file = file }

    /// Reads JSON text; `file` names it. Throws on text that is not a JSON object or holds a wrong-typed key.
    public init(json text: String, file: String) throws {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ConfigError.invalid("\(file) is not a JSON object")
        }
        try self.init(object: obj, file: file)
    }

    public static func load(path: String) throws -> ConfigDeclaration {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError.missingFile(path) }
        return try ConfigDeclaration(json: String(decoding: data, as: UTF8.self), file: path)
    }

    init(object k: [String: Any], file: String) throws {
        self.file = file
        func int(_ key: String) throws -> Declared<Int>? {
            guard let v = k[key], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, Double(n.intValue) == n.doubleValue else {
                throw ConfigError.invalid("\(file): \(key) must be an integer (got \(v))")
            }
            return Declared(value: n.intValue, key: key)
        }
        func float(_ key: String) throws -> Declared<Float>? {
            guard let v = k[key], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber else { throw ConfigError.invalid("\(file): \(key) must be a number (got \(v))") }
            return Declared(value: n.floatValue, key: key)
        }
        func string(_ key: String) throws -> Declared<String>? {
            guard let v = k[key], !(v is NSNull) else { return nil }
            guard let s = v as? String else { throw ConfigError.invalid("\(file): \(key) must be a string (got \(v))") }
            return Declared(value: s, key: key)
        }
        func put(_ q: Quantity, _ d: Declared<Int>?) { if let d { sizes[q] = d } }

        if let type = try string("model_type") {
            // Hugging Face PretrainedConfig keys (BertConfig, ViTConfig, Dinov2Config share them).
            modelType = type.value
            heads = try int("num_attention_heads")
            normEps = try float("layer_norm_eps")
            activation = try string("hidden_act")
            positionEmbedding = try string("position_embedding_type")
            layerScale = try float("layerscale_value")
            if let b = k["qkv_bias"] as? Bool { qkvBias = Declared(value: b, key: "qkv_bias") }
            let width = try int("hidden_size")
            put(.width, width)
            put(.layers, try int("num_hidden_layers"))
            if let m = try int("intermediate_size") { put(.mlp, m) }
            else if let r = try float("mlp_ratio"), let width { put(.mlp, Declared(value: Int((Float(width.value) * r.value).rounded()), key: "mlp_ratio × hidden_size")) }
            put(.vocabulary, try int("vocab_size"))
            put(.positions, try int("max_position_embeddings"))
            put(.tokenTypes, try int("type_vocab_size"))
            put(.patch, try int("patch_size"))
            put(.image, try int("image_size"))
            put(.channels, try int("num_channels"))
            if (k["use_swiglu_ffn"] as? Bool) == true {
                throw ConfigError.invalid("\(file): use_swiglu_ffn is true; wave reads GELU MLPs (fc1/fc2) only")
            }
        } else if k["embed_dim"] != nil {
            // timm VisionTransformer keyword arguments (what wave writes beside a timm-named ViT).
            heads = try int("num_heads")
            if let e = try float("norm_eps") { normEps = e } else { normEps = Declared(value: 1e-6, key: "(timm's LayerNorm eps, no norm_eps key)") }
            let act = try string("act_layer")
            activation = act.map { Declared(value: $0.value == "gelu_tanh" ? "gelu_pytorch_tanh" : $0.value, key: "act_layer") }
            layerScale = try float("init_values")
            if let b = k["qkv_bias"] as? Bool { qkvBias = Declared(value: b, key: "qkv_bias") }
            let width = try int("embed_dim")
            put(.width, width)
            put(.layers, try int("depth"))
            if let r = try float("mlp_ratio"), let width { put(.mlp, Declared(value: Int((Float(width.value) * r.value).rounded()), key: "mlp_ratio × embed_dim")) }
            put(.patch, try int("patch_size"))
            put(.image, try int("img_size"))
            put(.channels, try int("in_chans"))
            put(.classes, try int("num_classes"))
        } else if k["architecture"] is String {
            // A timm hub config.json ({"architecture": "vit_small_patch14_dinov2", "pretrained_cfg": ...}): it
            // names the model but states none of the values wave reads.
        } else {
            throw ConfigError.invalid("\(file) is neither a Hugging Face config (no model_type) nor timm keyword arguments (no embed_dim)")
        }
        if let h = heads, h.value <= 0 { throw ConfigError.invalid("\(file): \(h.key) must be positive (got \(h.value))") }
    }
}

/// Activations wave's ViT engine computes, by Hugging Face `hidden_act` name.
enum Activation {
    static let exact: Set<String> = ["gelu"]
    static let tanh: Set<String> = ["gelu_pytorch_tanh", "gelu_new", "gelu_fast", "gelu_tanh"]
}
