import Foundation
import WaveTensor

// `--names hf`: what a Hugging Face class needs to load a checkpoint strictly
// (`from_pretrained(dir, output_loading_info=True)` with nothing missing or unexpected): its tensor
// names (the base model under `vit.`/`dinov2.` when a classifier head is present), the tensors it has
// that wave's canonical model lacks, and a config.json of its model_type.

extension ViTConfig {
    /// The HF family a ViT is written as: LayerScale blocks are Dinov2's, others ViT's.
    public var hfFamily: Family { Family.named(layerScaleInit != nil ? "hf-dinov2" : "hf-vit")! }

    /// The config JSON written beside a checkpoint in `names`: timm keyword arguments or an HF config.json.
    public func configJSON(names: NameStyle) -> String { names == .timm ? timmJSON() : hfConfigJSON() }

    /// config.json of `ViTModel`/`ViTForImageClassification`, or of `Dinov2Model`/`Dinov2ForImageClassification`.
    public func hfConfigJSON() -> String {
        let family = hfFamily, classes = family.hf!
        var obj: [String: Any] = [
            "model_type": family.modelTypes![0], "architectures": [numClasses > 0 ? classes.withHead! : classes.model],
            "hidden_size": embedDim, "num_hidden_layers": depth, "num_attention_heads": numHeads,
            "hidden_act": geluTanh ? "gelu_pytorch_tanh" : "gelu", "layer_norm_eps": Self.decimal(normEps),
            "image_size": imageSize, "patch_size": patchSize, "num_channels": inChannels, "qkv_bias": qkvBias,
            "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02,
        ]
        if let ls = layerScaleInit {
            obj["mlp_ratio"] = mlpRatio
            obj["layerscale_value"] = Self.decimal(ls)
            obj["use_swiglu_ffn"] = false
            obj["drop_path_rate"] = 0.0
        } else {
            obj["intermediate_size"] = mlpDim
        }
        if numClasses > 0 {
            obj["id2label"] = Dictionary(uniqueKeysWithValues: (0..<numClasses).map { ("\($0)", "LABEL_\($0)") })
            obj["label2id"] = Dictionary(uniqueKeysWithValues: (0..<numClasses).map { ("LABEL_\($0)", $0) })
        }
        return Self.json(obj)
    }

    static func json(_ obj: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A ViT config from an HF config.json object (model_type vit or dinov2), as wave writes it.
    init(hfConfig k: [String: Any], file: String) throws {
        let d = try ConfigDeclaration(object: k, file: file)
        func size(_ q: ConfigDeclaration.Quantity) throws -> Int {
            guard let v = d.sizes[q] else { throw ConfigError.missingKey("\(q.rawValue) in \(file)") }
            return v.value
        }
        let architectures = k["architectures"] as? [String] ?? []
        let classes = architectures.contains { $0.hasSuffix("ForImageClassification") } ? (k["id2label"] as? [String: Any])?.count ?? 0 : 0
        let dinov2 = d.modelType == "dinov2"
        self.init(imageSize: try size(.image), patchSize: try size(.patch), inChannels: d.sizes[.channels]?.value ?? 3,
                  numClasses: classes, embedDim: try size(.width), depth: try size(.layers),
                  numHeads: d.heads?.value ?? 0, mlpDim: try size(.mlp),
                  layerScaleInit: dinov2 ? (d.layerScale?.value ?? 1) : nil, qkvBias: d.qkvBias?.value ?? true,
                  normEps: d.normEps?.value ?? Family.named(dinov2 ? "hf-dinov2" : "hf-vit")!.defaults!.normEps!,
                  geluTanh: d.activation.map { Activation.tanh.contains($0.value) } ?? false)
        if let problem = problems.first { throw ConfigError.invalid("\(file): \(problem)") }
    }
}

extension Architecture {
    /// Zero tensors the HF class of `config` has and wave's model lacks: Dinov2's mask token (HF
    /// initializes it to zeros; only masked-image training reads it) and `ViTModel`'s pooler (a zero
    /// pooler makes `pooler_output` 0; `last_hidden_state` is the model's output).
    public static func hfOnlyTensors(_ config: ViTConfig) -> [(name: String, shape: [Int])] {
        let d = config.embedDim
        let prefix = hfBasePrefix(config)
        if config.layerScaleInit != nil { return [(prefix + "embeddings.mask_token", [1, d])] }
        return config.numClasses > 0 ? [] : [("pooler.dense.weight", [d, d]), ("pooler.dense.bias", [d])]
    }

    /// `vit.` / `dinov2.` when the model has a head (the base model's place in *ForImageClassification).
    static func hfBasePrefix(_ config: ViTConfig) -> String {
        config.numClasses > 0 ? config.hfFamily.hf?.headPrefix ?? "" : ""
    }

    /// A whole HF checkpoint of a ViT: the renamed tensors plus `hfOnlyTensors`.
    public static func exportHF(_ canonical: TensorSet, config: ViTConfig) throws -> TensorSet {
        var out = try export(canonical, config: config, names: .hf)
        for (name, shape) in hfOnlyTensors(config) { out.add(name, RawTensor(shape: shape, floats: [Float](repeating: 0, count: shape.reduce(1, *)))) }
        return out
    }

    /// A whole HF `BertModel` checkpoint: renamed tensors, and a zero pooler when the source had none
    /// (BertModel has one; a zero pooler makes `pooler_output` 0).
    public static func exportBertHF(_ canonical: TensorSet, config: BertConfig) throws -> TensorSet {
        var out = try exportBert(canonical, layers: config.layers)
        if !canonical.contains("pooler.weight") {
            let d = config.hiddenSize
            out.add("pooler.dense.weight", RawTensor(shape: [d, d], floats: [Float](repeating: 0, count: d * d)))
            out.add("pooler.dense.bias", RawTensor(shape: [d], floats: [Float](repeating: 0, count: d)))
        }
        return out
    }
}

extension BertConfig {
    /// Hugging Face `BertConfig` (config.json of `BertModel`), as written beside a BERT checkpoint.
    public func hfJSON() -> String {
        ViTConfig.json(["model_type": "bert", "architectures": ["BertModel"], "vocab_size": vocabSize, "hidden_size": hiddenSize,
                        "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": intermediateSize,
                        "max_position_embeddings": maxPositions, "type_vocab_size": typeVocabSize, "hidden_act": hiddenAct,
                        "layer_norm_eps": ViTConfig.decimal(layerNormEps), "position_embedding_type": positionEmbeddingType,
                        "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "pad_token_id": 0, "initializer_range": 0.02])
    }
}

extension Architecture {
    /// The HF-only tensors the source itself had (a ViTModel's pooler, Dinov2's mask token), in place
    /// of the zeros `exportHF` wrote, when the source is of the family being written.
    public static func carryHFOnly(_ detected: DetectedModel, source: TensorSet, into out: inout TensorSet, written family: Family) {
        guard detected.family.family == family.family else { return }
        for name in detected.ignored {
            let bare = String(name.dropFirst(detected.prefix.count))
            guard let t = source[name], let target = out.order.first(where: { $0 == bare || $0.hasSuffix("." + bare) }),
                  out[target]?.shape == t.shape else { continue }
            out.set(target, t)
        }
    }
}
