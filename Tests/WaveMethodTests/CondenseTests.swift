import Testing
import WaveTensor
import WaveFormats
@testable import WaveMethod

@Suite struct LowRankFitTests {
    /// An exactly rank-3 stack is recovered to rounding, on both sides of the Gram choice.
    @Test(arguments: [(12, 40), (40, 12)])
    func exactRankIsRecovered(_ dims: (Int, Int)) {
        let (n, e) = dims
        var rng = TestRNG(11)
        let a = rng.floats(n * 3), b = rng.floats(3 * e)
        var r = [Float](repeating: 0, count: n * e)
        for i in 0..<n { for j in 0..<e { for k in 0..<3 { r[i * e + j] += a[i * 3 + k] * b[k * e + j] } } }
        let fit = LowRankFit.fit(r, n: n, e: e, k: 5)
        #expect(fit.k == 3)   // rank 3: the two extra directions are not fitted
        #expect(LowRankFit.relativeError(r, n: n, e: e, fit) < 1e-5)
    }

    /// Eckart–Young: the rank-k error equals the energy of the discarded singular values, and both
    /// Gram sides give the same error (R and Rᵀ have the same singular values).
    @Test func errorMatchesDiscardedSpectrum() {
        let n = 20, e = 30, k = 4
        var rng = TestRNG(3)
        let r = rng.floats(n * e)
        let fit = LowRankFit.fit(r, n: n, e: e, k: k)
        let all = LowRankFit.fit(r, n: n, e: e, k: n)
        let total = all.sigma.reduce(0) { $0 + $1 * $1 }
        let tail = all.sigma[k...].reduce(0) { $0 + $1 * $1 }
        let err = LowRankFit.relativeError(r, n: n, e: e, fit)
        #expect(abs(err - (tail / total).squareRoot()) < 1e-4)
        var rt = [Float](repeating: 0, count: n * e)
        for i in 0..<n { for j in 0..<e { rt[j * n + i] = r[i * e + j] } }
        let fitT = LowRankFit.fit(rt, n: e, e: n, k: k)
        #expect(abs(LowRankFit.relativeError(rt, n: e, e: n, fitT) - err) < 1e-4)
        // Templates are orthonormal.
        for i in 0..<k { for j in 0..<k {
            var dot: Float = 0
            for x in 0..<e { dot += fit.basis[i * e + x] * fit.basis[j * e + x] }
            #expect(abs(dot - (i == j ? 1 : 0)) < 1e-5)
        } }
    }
}

@Suite struct CondenserTests {
    /// A model whose blocks are built from templates is condensed back exactly; the reconstruction
    /// has the ancestry's names and shapes.
    @Test func modelBuiltFromTemplatesIsRecovered() throws {
        let cfg = Synthetic.tiny
        var set = Synthetic.vit(cfg, seed: 1)
        var rng = TestRNG(2)
        let t = 8
        for spec in ComponentSpec.present(in: cfg, layerScale: .template) {
            let shape = spec.blockShape(n: 2, t: t, width: cfg.embedDim, mlp: cfg.mlpDim)
            let templates = rng.floats(shape.templateCount)
            for l in 0..<cfg.depth {
                let w = Kronecker.compose(templates: templates, scalers: rng.floats(shape.scalerCount), shape)
                set.set(spec.tensorName(layer: l), RawTensor(shape: set[spec.tensorName(layer: l)]!.shape, floats: w))
            }
        }
        let plan = TemplatePlan(templateSize: t, counts: Dictionary(uniqueKeysWithValues: ComponentSpec.all.map { ($0.name, 2) }))
        let fit = try Condenser.condense(canonical: set, config: cfg, family: "timm-vit", plan: plan)
        for c in fit.components { #expect(c.relError < 1e-5, "\(c.spec.name)") }
        let recon = fit.reconstruction()
        #expect(recon.order == cfg.timmShapes.map(\.name))
        for (name, x) in set.all { #expect(maxAbsDiff(recon[name]!.floats(), x.floats()) < 1e-4, "\(name)") }
    }

    /// Default counts on a random model: errors in (0, 1), scalers and templates of the planned sizes.
    @Test func defaultPlanShapes() throws {
        let cfg = Synthetic.tiny
        let fit = try Condenser.condense(canonical: Synthetic.vit(cfg, seed: 4), config: cfg, family: "timm-vit", plan: TemplatePlan())
        #expect(fit.templateSize == 16)
        let qkv = fit.component("qkv")!
        #expect(qkv.shape == BlockShape(n: 6, r: 3, c: 1, tr: 16, tc: 16))
        #expect(fit.component("norm1.w")!.shape.n == 3)   // 3 layers × 1 chunk: rank 3 < 4 asked
        #expect(qkv.requested == 6)
        let fc1 = fit.component("fc1")!
        #expect(fc1.shape.n == 8 && fc1.shape.r == 4 && fc1.shape.c == 1)
        #expect(fit.component("ls1") != nil)
        for c in fit.components { #expect(c.relError >= 0 && c.relError < 1) }
    }

    /// Folding LayerScale into proj/fc2 is exact: γ ⊙ (W x + b) = (diag γ · W) x + γ ⊙ b.
    @Test func foldedLayerScaleGoesIntoProjAndFc2() throws {
        let cfg = Synthetic.tiny
        let set = Synthetic.vit(cfg, seed: 6)
        var plan = TemplatePlan(templateSize: 8, layerScale: .fold)
        try plan.apply(overrides: "qkv=100,proj=100,fc1=100,fc2=100,vectors=100")
        let fit = try Condenser.condense(canonical: set, config: cfg, family: "timm-vit", plan: plan)
        #expect(fit.component("ls1") == nil && fit.sourceConfig.layerScaleInit == nil)
        let recon = fit.reconstruction()
        let w = set["blocks.1.attn.proj.weight"]!.floats(), g = set["blocks.1.ls1.gamma"]!.floats()
        let d = cfg.embedDim
        let expected = (0..<(d * d)).map { w[$0] * g[$0 / d] }
        #expect(maxAbsDiff(recon["blocks.1.attn.proj.weight"]!.floats(), expected) < 1e-4)
        #expect(recon["blocks.1.ls1.gamma"] == nil)
    }

    @Test func planOverridesAndErrors() throws {
        var plan = TemplatePlan()
        try plan.apply(overrides: "qkv=3,vectors=2, fc2=5")
        #expect(plan.count(for: ComponentSpec.named("qkv")!) == 3)
        #expect(plan.count(for: ComponentSpec.named("norm1.b")!) == 2)
        #expect(plan.count(for: ComponentSpec.named("fc2")!) == 5)
        #expect(plan.count(for: ComponentSpec.named("proj")!) == 2)
        #expect(throws: PlanError.self) { try plan.apply(overrides: "attn=3") }
        #expect(throws: PlanError.self) { try plan.apply(overrides: "qkv=0") }
        #expect(throws: PlanError.badTemplateSize(5, width: 16, mlp: 64)) {
            try TemplatePlan(templateSize: 5).resolvedSize(for: Synthetic.tiny)
        }
    }
}
