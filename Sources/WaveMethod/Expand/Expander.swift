import Foundation
import WaveTensor
import WaveFormats

/// What target to build from a bundle.
public struct ExpansionRequest: Sendable {
    public var depth: Int
    public var width: Int
    /// Default: the source's heads scaled with the width (head dimension kept).
    public var heads: Int?
    public var patch: Int?
    public var imageSize: Int?
    public var channels: Int?
    public var classes: Int?
    public var depthInit: DepthInit = .interp
    /// ε of the off-diagonal scaler noise.
    public var noise: Float = 0
    public var seed: UInt64 = 0

    public init(depth: Int, width: Int) { self.depth = depth; self.width = width }
}

/// Every output tensor, where it comes from, and how to make it: built first (and printed by
/// `--dry-run`), then executed one tensor at a time so memory stays near the largest tensor.
public struct ExpansionPlan: @unchecked Sendable {
    public struct Entry: @unchecked Sendable {
        public let name: String
        public let shape: [Int]
        public let origin: String
        public let make: () -> [Float]
    }
    public let source: ViTConfig
    public let target: ViTConfig
    public let entries: [Entry]
    /// Facts about the expansion as a whole (function preservation, resampling, head).
    public let notes: [String]

    /// All tensors in memory (tests, small models).
    public func materialize() -> TensorSet {
        var set = TensorSet()
        for e in entries { set.add(e.name, RawTensor(shape: e.shape, floats: e.make())) }
        return set
    }
}

public enum ExpandError: Error, CustomStringConvertible, Equatable {
    case invalidTarget(String)
    public var description: String {
        switch self { case let .invalidTarget(why): return "expand: \(why)" }
    }
}

public enum Expander {
    /// The target configuration a request describes, checked against the templates' size.
    public static func targetConfig(_ t: WaveTemplates, _ r: ExpansionRequest) throws -> ViTConfig {
        let src = t.sourceConfig, ts = t.templateSize
        guard r.depth > 0, r.depth <= BundleFormat.maxDepth else { throw ExpandError.invalidTarget("depth must be 1...\(BundleFormat.maxDepth) (got \(r.depth))") }
        guard r.width > 0, r.width % ts == 0 else {
            throw ExpandError.invalidTarget("width \(r.width) must be a positive multiple of the template size \(ts)")
        }
        guard (r.width * src.mlpDim) % src.embedDim == 0, (r.width * src.mlpDim / src.embedDim) % ts == 0 else {
            throw ExpandError.invalidTarget("MLP width \(Double(r.width) * src.mlpRatio) (ratio \(src.mlpRatio)) is not a multiple of the template size \(ts)")
        }
        let heads: Int
        if let h = r.heads { heads = h }
        else if (r.width * src.numHeads) % src.embedDim == 0 { heads = r.width * src.numHeads / src.embedDim }
        else { throw ExpandError.invalidTarget("cannot keep head dimension \(src.headDim) at width \(r.width): pass --heads") }
        let patch = r.patch ?? src.patchSize
        let image = r.imageSize ?? (patch == src.patchSize ? src.imageSize : src.gridSize * patch)
        let cfg = ViTConfig(imageSize: image, patchSize: patch, inChannels: r.channels ?? src.inChannels,
                            numClasses: r.classes ?? src.numClasses, embedDim: r.width, depth: r.depth, numHeads: heads,
                            mlpDim: r.width * src.mlpDim / src.embedDim, layerScaleInit: src.layerScaleInit,
                            qkvBias: src.qkvBias, normEps: src.normEps, geluTanh: src.geluTanh)
        if let p = cfg.problems.first { throw ExpandError.invalidTarget(p) }
        return cfg
    }

    public static func plan(_ t: WaveTemplates, _ r: ExpansionRequest) throws -> ExpansionPlan {
        let src = t.sourceConfig, tgt = try targetConfig(t, r)
        let L = src.depth, Lp = tgt.depth, d = src.embedDim, dp = tgt.embedDim
        let factor = Double(dp) / Double(d)
        var notes: [String] = []
        let integerWidth = dp % d == 0
        let widthText = dp == d ? "width kept" : integerWidth ? "widened \(d)→\(dp) (I_\(dp / d) ⊗ S, block-diagonal)"
            : dp > d ? "widened \(d)→\(dp) (S tiled along the diagonal, ×\(String(format: "%.3g", factor)))" : "narrowed \(d)→\(dp) (leading sub-grid)"
        // Stem and norm vectors replicate along the width the way the block-diagonal scalers do.
        let tileText = dp == d ? "width kept" : integerWidth ? "tiled ×\(dp / d) along the width"
            : dp > d ? "tiled \(d)→\(dp) along the width" : "leading \(dp) of \(d)"
        if integerWidth && tgt.numHeads * d == src.numHeads * dp && r.noise == 0 && dp != d {
            notes.append("width ×\(dp / d) with heads ×\(dp / d) and ε = 0: the blocks compute the source's function, replicated")
        }

        // Target scalers per component (small: a few thousand values per layer), made now.
        var entriesByName: [String: ExpansionPlan.Entry] = [:]
        for c in t.components {
            let srcShape = c.shape
            let (dstShape, targetScalers) = c.targetScalers(templateSize: t.templateSize, target: tgt, request: r)
            for j in 0..<Lp {
                let name = c.spec.tensorName(layer: j)
                let layerScalers = targetScalers[j]
                var depthText: String
                switch r.depthInit {
                case .interp:
                    let x = ScalerTransforms.sourcePosition(j, source: L, target: Lp)
                    depthText = ScalerTransforms.sourceLayers(j, source: L, target: Lp).map { m in
                        m.weight == 1 ? "layer \(m.layer)" : String(format: "%.3f·L%d", m.weight, m.layer)
                    }.joined(separator: " + ")
                    if !depthText.hasPrefix("layer") { depthText = String(format: "x=%.3f: ", x) + depthText }
                case .linearFit:
                    depthText = String(format: "A + %.3f·B (TLEG fit over %d layers)", Double(j) / Double(Lp), L)
                }
                let templates = c.templates
                let shape = c.spec.kind == .matrix ? [dstShape.rows, dstShape.cols] : [dstShape.rows]
                entriesByName[name] = ExpansionPlan.Entry(
                    name: name, shape: shape,
                    origin: "Σ \(srcShape.n) templates.\(c.spec.name) ⊗ scalers (\(depthText); \(c.spec.kind == .matrix ? widthText : "chunks " + tileText))",
                    make: { Kronecker.compose(templates: templates, scalers: layerScalers, dstShape) })
            }
        }

        // Stem, final norm, head.
        let o = t.others
        func values(_ n: String) -> [Float] { o[n]!.floats() }
        let g = src.gridSize, gp = tgt.gridSize
        entriesByName["cls_token"] = .init(name: "cls_token", shape: [1, 1, dp], origin: "cls_token, \(tileText)",
                                           make: { StemTransforms.tileLastAxis(values("cls_token"), d: d, to: dp) })
        entriesByName["pos_embed"] = .init(name: "pos_embed", shape: [1, tgt.tokens, dp],
            origin: "pos_embed" + (g == gp ? "" : " resampled \(g)×\(g)→\(gp)×\(gp) (bicubic)") + ", \(tileText)",
            make: { StemTransforms.posEmbed(values("pos_embed"), d: d, grid: g, to: gp, width: dp) })
        let (c0, cp, p0, pp) = (src.inChannels, tgt.inChannels, src.patchSize, tgt.patchSize)
        entriesByName["patch_embed.proj.weight"] = .init(name: "patch_embed.proj.weight", shape: [dp, cp, pp, pp],
            origin: "patch_embed.proj.weight" + (cp == c0 ? "" : ", channels \(c0)→\(cp) (summed, spread evenly)")
                + (pp == p0 ? "" : ", kernels \(p0)→\(pp) (bilinear, ×(\(p0)/\(pp))²)") + ", rows \(tileText)",
            make: {
                let k = StemTransforms.patchKernels(values("patch_embed.proj.weight"), d: d, channels: c0, patch: p0, toChannels: cp, toPatch: pp)
                return StemTransforms.tileFirstAxis(k, d: d, to: dp, inner: cp * pp * pp)
            })
        for n in ["patch_embed.proj.bias", "norm.weight", "norm.bias"] {
            entriesByName[n] = .init(name: n, shape: [dp], origin: "\(n), \(tileText)",
                                     make: { StemTransforms.tileLastAxis(values(n), d: d, to: dp) })
        }
        if cp != c0 || pp != p0 || g != gp { notes.append("stem resampled: the function changes with the input geometry") }
        let K = tgt.numClasses
        if K > 0 {
            if src.numClasses == K, o.contains("head.weight"), integerWidth {
                entriesByName["head.weight"] = .init(name: "head.weight", shape: [K, dp], origin: "head.weight, columns tiled ÷\(dp / d)",
                    make: { StemTransforms.inheritedHead(values("head.weight"), classes: K, d: d, to: dp) })
                entriesByName["head.bias"] = .init(name: "head.bias", shape: [K], origin: "head.bias", make: { values("head.bias") })
                notes.append("head inherited from the ancestry")
            } else {
                let seed = r.seed
                entriesByName["head.weight"] = .init(name: "head.weight", shape: [K, dp], origin: "new: N(0, 0.02²), seed \(seed)",
                                                     make: { StemTransforms.freshHead(classes: K, width: dp, seed: seed) })
                entriesByName["head.bias"] = .init(name: "head.bias", shape: [K], origin: "new: zeros",
                                                   make: { [Float](repeating: 0, count: K) })
                notes.append("new head for \(K) classes")
            }
        }
        // Every tensor of the target, in timm order: anything missing here is a bug, not a user error.
        let entries = tgt.timmShapes.map { item -> ExpansionPlan.Entry in
            guard let e = entriesByName[item.name] else { preconditionFailure("expand: no plan for \(item.name)") }
            precondition(e.shape == item.shape, "expand: \(item.name) planned as \(e.shape), config says \(item.shape)")
            return e
        }
        return ExpansionPlan(source: src, target: tgt, entries: entries, notes: notes)
    }
}
