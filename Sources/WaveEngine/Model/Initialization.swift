import WaveFormats

/// How fresh weights are drawn.
public enum InitScheme: String, Sendable, CaseIterable {
    /// timm `init_weights_vit_timm`: Linear weights and pos_embed trunc_normal(std 0.02) (timm's
    /// bounds are absolute ±2, so with std 0.02 nothing is cut in practice), biases 0, cls_token
    /// normal(1e-6), the patch conv PyTorch's default (uniform ±1/√fan_in, weight and bias).
    case truncNormal
    /// He/Kaiming normal: Linear and patch weights N(0, 2/fan_in); the rest as `truncNormal`.
    case he
}

extension ViTModel {
    /// Overwrites every parameter: LayerNorm weights 1, biases 0, LayerScale γ = `layerScaleInit`,
    /// weights by `scheme`, deterministically from `seed` (parameters drawn in layout order).
    public func initialize(scheme: InitScheme = .truncNormal, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        let p = params.pointer
        for e in layout.entries {
            let dst = p + e.offset, n = e.count
            let name = e.name
            func fill(_ f: (inout SeededRNG) -> Double) { for i in 0..<n { dst[i] = Float(f(&rng)) } }
            if name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name == "norm.weight" {
                dst.update(repeating: 1, count: n)
            } else if name.hasSuffix(".gamma") {
                dst.update(repeating: config.layerScaleInit ?? 1, count: n)
            } else if name == "cls_token" {
                fill { $0.normal() * 1e-6 }
            } else if name == "pos_embed" {
                fill { $0.truncatedNormal(std: 0.02, lo: -2, hi: 2) }
            } else if name.hasPrefix("patch_embed.") {
                let fanIn = Double(config.inChannels * config.patchSize * config.patchSize)
                if scheme == .he && name.hasSuffix(".weight") {
                    fill { $0.normal() * (2 / fanIn).squareRoot() }
                } else if scheme == .he {
                    dst.update(repeating: 0, count: n)
                } else {
                    let bound = 1 / fanIn.squareRoot()
                    fill { (2 * $0.uniform() - 1) * bound }
                }
            } else if name.hasSuffix(".weight") && e.shape.count == 2 {
                let fanIn = Double(e.shape[1])
                if scheme == .he { fill { $0.normal() * (2 / fanIn).squareRoot() } }
                else { fill { $0.truncatedNormal(std: 0.02, lo: -2, hi: 2) } }
            } else {
                dst.update(repeating: 0, count: n)
            }
        }
    }

    /// A freshly initialized model.
    public convenience init(config: ViTConfig, scheme: InitScheme = .truncNormal, seed: UInt64) throws {
        try self.init(config: config)
        initialize(scheme: scheme, seed: seed)
    }
}
