import Foundation
import WaveTensor

/// Naming schemes a checkpoint can be written in.
public enum NameStyle: String, Sendable, CaseIterable {
    /// timm `VisionTransformer` names (fused qkv): wave's canonical names.
    case timm
    /// Hugging Face `ViTModel` names, or `Dinov2Model` names when the blocks have LayerScale.
    case hf
}

extension Architecture {
    /// Renames canonical (timm) tensors into `style`, splitting fused tensors where the target
    /// family stores them apart (HF's query/key/value). The inverse of `detect` for ViTs.
    public static func export(_ canonical: TensorSet, config: ViTConfig, names style: NameStyle) throws -> TensorSet {
        if style == .timm { return canonical }
        return try export(canonical, family: Family.named(config.layerScaleInit != nil ? "hf-dinov2" : "hf-vit")!,
                          layers: config.depth)
    }

    /// Canonical names into `family`'s source names (the reverse of its map).
    static func export(_ canonical: TensorSet, family: Family, layers: Int) throws -> TensorSet {
        var out = TensorSet()
        out.metadata = canonical.metadata
        var consumed = Set<String>()
        func put(_ spec: Family.Source, _ t: RawTensor, layer: Int?, canonicalName: String) throws {
            switch spec {
            case let .tensor(template):
                out.add(Family.fill(template, layer: layer), t)
            case let .anyOf(alternatives):
                try put(alternatives[0], t, layer: layer, canonicalName: canonicalName)
            case let .concat(parts, axis):
                guard let pieces = TensorOps.split(t, count: parts.count, axis: axis) else {
                    throw ArchitectureError.cannotAssemble(canonical: canonicalName,
                        reason: "shape \(t.shape) does not split into \(parts.count) equal parts on axis \(axis)")
                }
                for (p, piece) in zip(parts, pieces) { try put(p, piece, layer: layer, canonicalName: canonicalName) }
            }
        }
        func emit(_ e: Family.Entry, layer: Int?) throws {
            let name = Family.fill(e.name, layer: layer)
            guard let t = canonical[name] else { return }
            try put(e.from, t, layer: layer, canonicalName: name)
            consumed.insert(name)
        }
        for e in family.stem { try emit(e, layer: nil) }
        for l in 0..<layers { for e in family.layer { try emit(e, layer: l) } }
        for e in family.head { try emit(e, layer: nil) }
        let left = canonical.order.filter { !consumed.contains($0) }
        guard left.isEmpty else { throw ArchitectureError.unusedTensors(left) }
        return out
    }
}

extension Architecture {
    /// BERT canonical names back to Hugging Face `BertModel` names.
    public static func exportBert(_ canonical: TensorSet, layers: Int) throws -> TensorSet {
        try export(canonical, family: Family.named("bert")!, layers: layers)
    }
}

extension BertConfig {
    /// Hugging Face `BertConfig` keys, as written beside a converted BERT checkpoint.
    public func hfJSON() -> String {
        let obj: [String: Any] = ["model_type": "bert", "vocab_size": vocabSize, "hidden_size": hiddenSize,
                                  "num_hidden_layers": layers, "num_attention_heads": heads,
                                  "intermediate_size": intermediateSize, "max_position_embeddings": maxPositions,
                                  "type_vocab_size": typeVocabSize, "hidden_act": "gelu", "layer_norm_eps": 1e-12]
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
