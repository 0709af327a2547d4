import Foundation
import Testing
import WaveTensor
import WaveFormats
import WaveEngine
@testable import WaveMethod

/// Runs wave's engine on `set` (timm names) for `images` [B, C, S, S]: (class-token features [B, D], logits [B, K]).
func engineForward(_ set: TensorSet, _ cfg: ViTConfig, images: [Float], batch: Int) throws -> (features: [Float], logits: [Float]) {
    let model = try ViTModel(config: cfg)
    try model.load(set)
    let a = model.makeActivations(batch: batch)
    images.withUnsafeBufferPointer { model.forward(images: $0.baseAddress!, a) }
    var features: [Float] = []
    for b in 0..<batch { features += Array(UnsafeBufferPointer(start: a.classToken(b), count: cfg.embedDim)) }
    let logits = Array(UnsafeBufferPointer(start: a.logits.pointer, count: batch * cfg.numClasses))
    return (features, logits)
}

@Suite struct ExpandTests {
    static func templates(layerScale: LayerScaleMode = .template) throws -> WaveTemplates {
        let cfg = Synthetic.tiny
        return try Condenser.condense(canonical: Synthetic.vit(cfg, seed: 21), config: cfg, family: "timm-vit",
                                      plan: TemplatePlan(templateSize: 8, layerScale: layerScale))
    }

    @Test(arguments: [LayerScaleMode.template, .fold])
    func ownDepthAndWidthReproduceTheReconstructionExactly(_ mode: LayerScaleMode) throws {
        let t = try Self.templates(layerScale: mode)
        let src = t.sourceConfig
        let out = try Expander.plan(t, ExpansionRequest(depth: src.depth, width: src.embedDim)).materialize()
        let recon = t.reconstruction()
        #expect(out.order == recon.order)
        for (name, x) in recon.all { #expect(out[name]!.floats() == x.floats(), "\(name)") }
    }

    /// Width ×2, heads ×2, ε = 0: class-token features are the source's, replicated, and the inherited
    /// head gives the same logits (LayerNorm of a replicated vector is the replicated LayerNorm).
    @Test(arguments: [LayerScaleMode.template, .fold])
    func doublingTheWidthPreservesTheFunction(_ mode: LayerScaleMode) throws {
        let t = try Self.templates(layerScale: mode)
        let src = t.sourceConfig
        var r = ExpansionRequest(depth: src.depth, width: 2 * src.embedDim)
        r.heads = 2 * src.numHeads
        let plan = try Expander.plan(t, r)
        #expect(plan.target.numHeads == 2 * src.numHeads && plan.target.mlpDim == 2 * src.mlpDim)
        var rng = TestRNG(8)
        let batch = 2
        let images = rng.floats(batch * src.inChannels * src.imageSize * src.imageSize)
        let a = try engineForward(t.reconstruction(), src, images: images, batch: batch)
        let b = try engineForward(plan.materialize(), plan.target, images: images, batch: batch)
        let d = src.embedDim
        var replicated: [Float] = []
        for i in 0..<batch { let f = Array(a.features[(i * d)..<((i + 1) * d)]); replicated += f + f }
        #expect(maxAbsDiff(b.features, replicated) <= 1e-4)
        #expect(maxAbsDiff(b.logits, a.logits) <= 1e-4)
    }

    /// With noise the same expansion differs, by about ε.
    @Test func noiseBreaksTheSymmetry() throws {
        let t = try Self.templates()
        var r = ExpansionRequest(depth: 3, width: 32)
        r.noise = 1e-3
        r.seed = 5
        let noisy = try Expander.plan(t, r).materialize()
        r.noise = 0
        let clean = try Expander.plan(t, r).materialize()
        let diff = maxAbsDiff(noisy["blocks.0.attn.proj.weight"]!.floats(), clean["blocks.0.attn.proj.weight"]!.floats())
        #expect(diff > 0 && diff < 1e-2)
        r.noise = 1e-3
        #expect(try Expander.plan(t, r).materialize()["blocks.0.attn.proj.weight"]!.floats() == noisy["blocks.0.attn.proj.weight"]!.floats())
    }

    static let sizes: [(Int, Int)] = [(1, 16), (2, 16), (4, 8), (6, 24), (8, 32), (12, 16), (5, 40)]

    /// Every depth and width (multiples of t = 8, narrower, wider, non-integer factors) expands,
    /// loads strictly into the engine and runs to finite outputs.
    @Test(arguments: sizes)
    func depthsAndWidthsExpandLoadAndRun(_ size: (Int, Int)) throws {
        let t = try Self.templates()
        var r = ExpansionRequest(depth: size.0, width: size.1)
        r.heads = size.1 / 8
        let plan = try Expander.plan(t, r)
        let set = plan.materialize()
        try Architecture.checkShapes(set, against: plan.target.timmShapes)
        let cfg = plan.target
        var rng = TestRNG(1)
        let out = try engineForward(set, cfg, images: rng.floats(cfg.inChannels * cfg.imageSize * cfg.imageSize), batch: 1)
        #expect(out.features.allSatisfy(\.isFinite) && out.logits.allSatisfy(\.isFinite))
    }

    @Test func depthInterpolationAndLinearFit() {
        // Two values per layer, layers 0, 1, 2 = (0, 10), (1, 20), (2, 30).
        let s: [Float] = [0, 10, 1, 20, 2, 30]
        let five = ScalerTransforms.depth(s, layers: 3, perLayer: 2, target: 5, mode: .interp)
        #expect(five == [0, 10, 0.5, 15, 1, 20, 1.5, 25, 2, 30])
        #expect(ScalerTransforms.depth(s, layers: 3, perLayer: 2, target: 1, mode: .interp) == [1, 20])
        // Exactly linear in l/L: the fit is exact, evaluated at j/L'.
        let (a, b) = ScalerTransforms.linearFit(s, layers: 3, perLayer: 2)
        #expect(abs(a[0] - 0) < 1e-5 && abs(b[0] - 3) < 1e-5 && abs(a[1] - 10) < 1e-4 && abs(b[1] - 30) < 1e-4)
        let six = ScalerTransforms.depth(s, layers: 3, perLayer: 2, target: 6, mode: .linearFit)
        #expect(abs(six[2 * 3] - 1.5) < 1e-5)   // j = 3: 0 + (3/6)·3
    }

    /// Block-diagonal padding is I_k ⊗ S per row group; narrower keeps the leading sub-grid.
    @Test func widthPaddingRules() {
        var rng = NormalRNG(seed: 0)
        // qkv-like: 3 groups of 1 row block, 1 column block → ×2: per group I_2 ⊗ S.
        let src = BlockShape(n: 1, r: 3, c: 1, tr: 4, tc: 4), dst = BlockShape(n: 1, r: 6, c: 2, tr: 4, tc: 4)
        let s: ArraySlice<Float> = [1, 2, 3]
        let w = ScalerTransforms.width(s, from: src, to: dst, groups: 3, noise: 0, rng: &rng)
        #expect(w == [1, 0, 0, 1, 2, 0, 0, 2, 3, 0, 0, 3])
        // 2×2 grid → 3×3 (×1.5): S on the diagonal, then its leading corner.
        let s2 = BlockShape(n: 1, r: 2, c: 2, tr: 4, tc: 4), d3 = BlockShape(n: 1, r: 3, c: 3, tr: 4, tc: 4)
        let w3 = ScalerTransforms.width([1, 2, 3, 4], from: s2, to: d3, groups: 1, noise: 0, rng: &rng)
        #expect(w3 == [1, 2, 0, 3, 4, 0, 0, 0, 1])
        // Narrower: 2×2 → 1×1.
        let w1 = ScalerTransforms.width([1, 2, 3, 4], from: s2, to: BlockShape(n: 1, r: 1, c: 1, tr: 4, tc: 4), groups: 1, noise: 0, rng: &rng)
        #expect(w1 == [1])
        // Vectors tile.
        let v = ScalerTransforms.width([7, 8], from: BlockShape(n: 1, r: 2, c: 1, tr: 4, tc: 1),
                                       to: BlockShape(n: 1, r: 5, c: 1, tr: 4, tc: 1), groups: 1, noise: 0, rng: &rng)
        #expect(v == [7, 8, 7, 8, 7])
    }

    /// The streamed file reads back equal to the in-memory plan, with a loadable config beside it;
    /// HF names split qkv into query/key/value.
    @Test(arguments: [NameStyle.timm, .hf])
    func streamedCheckpointReadsBack(_ names: NameStyle) throws {
        let t = try Self.templates()
        var r = ExpansionRequest(depth: 4, width: 32)
        r.classes = 3
        let plan = try Expander.plan(t, r)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-expand-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.safetensors"
        try plan.write(to: path, names: names, metadata: ["k": "v"])
        let back = try Safetensors.read(path: path)
        #expect(back.metadata["k"] == "v")
        #expect(try ViTConfig.load(besideCheckpoint: path) == plan.target)
        let expected = names == .hf ? try Architecture.exportHF(plan.materialize(), config: plan.target) : plan.materialize()
        #expect(back.order == expected.order)
        for (name, x) in expected.all { #expect(back[name]!.floats() == x.floats(), "\(name)") }
        if names == .hf { #expect(back.contains("dinov2.encoder.layer.0.attention.attention.query.weight") && back.contains("classifier.weight")) }
    }

    @Test func invalidTargetsAreRejected() throws {
        let t = try Self.templates()
        #expect(throws: ExpandError.self) { try Expander.plan(t, ExpansionRequest(depth: 2, width: 12)) }   // not a multiple of t = 8
        #expect(throws: ExpandError.self) { try Expander.plan(t, ExpansionRequest(depth: 0, width: 16)) }
        var r = ExpansionRequest(depth: 2, width: 24)
        r.heads = 5
        #expect(throws: ExpandError.self) { try Expander.plan(t, r) }                                         // 5 heads do not divide 24
    }
}

@Suite struct StemTransformTests {
    /// New channel counts and patch sizes keep the response to a constant (grey, smooth) image.
    @Test(arguments: [(3, 1, 4, 4), (1, 3, 4, 4), (3, 3, 4, 2), (3, 3, 2, 4), (3, 1, 4, 8)])
    func patchKernelsKeepTheResponseToAConstantImage(_ c: (Int, Int, Int, Int)) {
        let (ch, chp, p, pp) = c
        var rng = TestRNG(4)
        let d = 3
        let w = rng.floats(d * ch * p * p)
        let wp = StemTransforms.patchKernels(w, d: d, channels: ch, patch: p, toChannels: chp, toPatch: pp)
        #expect(wp.count == d * chp * pp * pp)
        for o in 0..<d {
            let before = w[(o * ch * p * p)..<((o + 1) * ch * p * p)].reduce(0, +)
            let after = wp[(o * chp * pp * pp)..<((o + 1) * chp * pp * pp)].reduce(0, +)
            #expect(abs(before - after) < 1e-4, "output \(o)")
        }
    }

    @Test func tilingAndInheritedHead() {
        #expect(StemTransforms.tileLastAxis([1, 2, 3, 4], d: 2, to: 5) == [1, 2, 1, 2, 1, 3, 4, 3, 4, 3])
        #expect(StemTransforms.tileLastAxis([1, 2, 3, 4], d: 4, to: 2) == [1, 2])
        #expect(StemTransforms.tileFirstAxis([1, 2, 3, 4], d: 2, to: 3, inner: 2) == [1, 2, 3, 4, 1, 2])
        // Logits of a replicated feature are kept: [W/2, W/2]·[f; f] = W·f.
        #expect(StemTransforms.inheritedHead([2, 4], classes: 1, d: 2, to: 4) == [1, 2, 1, 2])
    }

    @Test func planFileIsRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wave-plan-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"template_size": 8, "templates": {"qkv": 3, "vectors": 2}, "layer_scale": "fold"}"#.utf8).write(to: URL(fileURLWithPath: path))
        let plan = try TemplatePlan.load(path: path)
        #expect(plan.templateSize == 8 && plan.layerScale == .fold)
        #expect(plan.count(for: ComponentSpec.named("qkv")!) == 3 && plan.count(for: ComponentSpec.named("fc1.b")!) == 2)
        try Data(#"{"template_size": 8, "extra": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: PlanError.self) { try TemplatePlan.load(path: path) }
    }
}
