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
        return try export(canonical, family: config.hfFamily, layers: config.depth, basePrefix: hfBasePrefix(config))
    }

    /// Canonical names into `family`'s source names (the reverse of its map). `basePrefix` goes before
    /// every name but the classifier's (canonical `head.*`), as HF's *ForImageClassification store them.
    static func export(_ canonical: TensorSet, family: Family, layers: Int, basePrefix: String = "") throws -> TensorSet {
        var out = TensorSet()
        out.metadata = canonical.metadata
        var consumed = Set<String>()
        func put(_ spec: Family.Source, _ t: RawTensor, layer: Int?, canonicalName: String) throws {
            switch spec {
            case let .tensor(template):
                out.add((canonicalName.hasPrefix("head.") ? "" : basePrefix) + Family.fill(template, layer: layer), t)
            case let .anyOf(alternatives):
                try put(alternatives[0], t, layer: layer, canonicalName: canonicalName)
            case let .leading(inner, axis, parts):
                var shape = t.shape
                shape[axis] *= parts - 1
                let zeros = [UInt8](repeating: 0, count: shape.reduce(1, *) * t.dtype.size)
                    .withUnsafeBytes { RawTensor(dtype: t.dtype, shape: shape, copying: $0) }
                try put(inner, TensorOps.concat([t, zeros], axis: axis)!, layer: layer, canonicalName: canonicalName)
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
