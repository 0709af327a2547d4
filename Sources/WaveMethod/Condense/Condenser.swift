import Foundation
import WaveTensor
import WaveFormats

/// Data-free condensation (METHOD.md "Condensation", step 1): for every templated component, the
/// least-squares optimal templates and scalers for the ancestry's own weights.
public enum Condenser {
    /// Tensors kept as they are (not templated).
    public static let untemplated = ["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
                                     "norm.weight", "norm.bias", "head.weight", "head.bias"]

    /// `canonical` must be a complete timm-named ViT of `config` (as `Architecture.detect` returns it).
    public static func condense(canonical: TensorSet, config: ViTConfig, family: String, plan: TemplatePlan,
                                progress: ((String) -> Void)? = nil) throws -> WaveTemplates {
        try Architecture.checkShapes(canonical, against: config.timmShapes)
        let t = try plan.resolvedSize(for: config)
        let layerScale: LayerScaleMode = plan.layerScale
        let fold = layerScale == .fold && config.layerScaleInit != nil
        let L = config.depth, d = config.embedDim, m = config.mlpDim

        var others = TensorSet()
        for name in untemplated { if let x = canonical[name] { others.add(name, RawTensor(shape: x.shape, floats: x.floats())) } }

        /// The block tensor as the templates will see it: with LayerScale multiplied in when folding.
        func values(_ spec: ComponentSpec, layer l: Int) -> [Float] {
            var v = canonical[spec.tensorName(layer: l)]!.floats()
            guard fold else { return v }
            let gammaName: String?
            switch spec.name {
            case "proj", "proj.b": gammaName = "blocks.\(l).ls1.gamma"
            case "fc2", "fc2.b": gammaName = "blocks.\(l).ls2.gamma"
            default: gammaName = nil
            }
            guard let gammaName else { return v }
            let gamma = canonical[gammaName]!.floats()
            let cols = v.count / gamma.count   // rows of W (or entries of b) are scaled: γ ⊙ (W x + b)
            for r in 0..<gamma.count { for c in 0..<cols { v[r * cols + c] *= gamma[r] } }
            return v
        }

        var fits: [ComponentFit] = []
        for spec in ComponentSpec.present(in: config, layerScale: layerScale) {
            let requested = plan.count(for: spec)
            let shape = spec.blockShape(n: requested, t: t, width: d, mlp: m)
            let rowsPerLayer = shape.blocks, e = shape.blockSize
            var stack = [Float](repeating: 0, count: L * rowsPerLayer * e)
            stack.withUnsafeMutableBufferPointer { r in
                for l in 0..<L {
                    let w = values(spec, layer: l)
                    w.withUnsafeBufferPointer { Kronecker.matrixToBlocks($0.baseAddress!, r.baseAddress! + l * rowsPerLayer * e, shape) }
                }
            }
            let n = L * rowsPerLayer
            let fit = LowRankFit.fit(stack, n: n, e: e, k: requested)
            let err = LowRankFit.relativeError(stack, n: n, e: e, fit)
            let k = fit.k
            var kept = shape
            kept.n = k
            // coefficients [k, L·RC] → scalers [L, k, RC]
            var scalers = [Float](repeating: 0, count: L * k * rowsPerLayer)
            for l in 0..<L { for i in 0..<k { for j in 0..<rowsPerLayer {
                scalers[(l * k + i) * rowsPerLayer + j] = fit.coefficients[i * n + l * rowsPerLayer + j]
            } } }
            var c = ComponentFit(spec: spec, shape: kept, layers: L, templates: fit.basis, scalers: scalers,
                                 requested: requested, relError: err)
            c.spectrum = fit.spectrum
            fits.append(c)
            progress?("  \(spec.name): \(k) template(s) of \(shape.tr)×\(shape.tc), relative error \(String(format: "%.4f", err))"
                      + (k < requested ? " (rank \(k) < \(requested) asked)" : ""))
        }
        return WaveTemplates(family: family, ancestry: config, templateSize: t, layerScale: layerScale, components: fits,
                             others: others, ancestryParameters: canonical.totalElements)
    }
}
