import Testing
import WaveTensor
import WaveFormats
@testable import WaveEngine

/// The engine against PyTorch dumps (Fixtures/torch/make_goldens.py). Tolerances are relative to
/// each tensor's largest magnitude: Float32 with different summation orders and a polynomial
/// erf/exp (≤ 3.5e-7 absolute) agrees to ~1e-5; gradients pass through more steps, 1e-4.
@Suite struct GoldenTests {
    static let cases: [(String, ViTConfig, Int)] = [("vit_tiny_ls", tinyLSConfig, 2), ("vit_tiny_tanh", tinyTanhConfig, 3)]

    /// Both forward modes: full, and class-token-only (last block compact), which must give the
    /// same logits and gradients.
    @Test(arguments: 0..<2, [false, true])
    func forwardLossAndGradients(_ i: Int, classTokenOnly: Bool) throws {
        let (name, config, batch) = Self.cases[i]
        let fx = try loadFixture(name)
        let model = try ViTModel(config: config)
        try model.load(subset(fx, prefix: "w."))
        let acts = model.makeActivations(batch: batch)
        let x = fx["x"]!.floats()
        model.forward(images: x, acts, classTokenOnly: classTokenOnly)
        #expect(scaledError(acts.logits.array, fx["logits"]!.floats()) < 1e-5)
        if !classTokenOnly { #expect(scaledError(acts.tokens.array, fx["tokens"]!.floats()) < 1e-5) }
        // Inference activations (no GELU derivative kept) give the very same outputs.
        let inference = model.makeActivations(batch: batch, inference: true)
        model.forward(images: x, inference, classTokenOnly: classTokenOnly)
        #expect(inference.logits.array == acts.logits.array)
        if !classTokenOnly { #expect(inference.tokens.array == acts.tokens.array) }

        let labels = fx["y"]!.floats().map { Int32($0) }
        let dlogits = FloatBuffer(count: batch * config.numClasses)
        let loss = Loss.crossEntropy(logits: acts.logits.pointer, labels: labels, batch: batch,
                                     classes: config.numClasses, smoothing: 0.1, grad: dlogits.pointer)
        #expect(abs(loss - fx["loss"]!.floats()[0]) < 1e-5)
        model.zeroGrad()
        model.backward(acts, dlogits: dlogits.pointer)
        let grads = model.exportGradients()
        for e in model.layout.entries {
            let err = scaledError(grads[e.name]!.floats(), fx["g." + e.name]!.floats())
            #expect(err < 1e-4, "gradient of \(e.name): scaled error \(err)")
        }
    }

    @Test(arguments: 0..<2, [false, true])
    func fiveAdamWSteps(_ i: Int, classTokenOnly: Bool) throws {
        let (name, config, batch) = Self.cases[i]
        let fx = try loadFixture(name)
        let model = try ViTModel(config: config)
        try model.load(subset(fx, prefix: "w."))
        let acts = model.makeActivations(batch: batch)
        let x = fx["x"]!.floats(), labels = fx["y"]!.floats().map { Int32($0) }
        let opt = AdamW(layout: model.layout, config: AdamWConfig(weightDecay: 0.05))
        let schedule = CosineSchedule(baseLR: 1e-2, minLR: 1e-4, warmupSteps: 2, totalSteps: 5)
        let lrs = fx["lr"]!.floats()
        let dlogits = FloatBuffer(count: batch * config.numClasses)
        for step in 0..<5 {
            #expect(abs(schedule.lr(step: step) - lrs[step]) < 1e-9)
            model.forward(images: x, acts, classTokenOnly: classTokenOnly)
            dlogits.zero()
            _ = Loss.crossEntropy(logits: acts.logits.pointer, labels: labels, batch: batch,
                                  classes: config.numClasses, smoothing: 0.1, grad: dlogits.pointer)
            model.zeroGrad()
            model.backward(acts, dlogits: dlogits.pointer)
            clipGradNorm(model.grads, maxNorm: 1)
            opt.update(params: model.params, grads: model.grads, lr: schedule.lr(step: step))
        }
        let after = model.export()
        for e in model.layout.entries {
            // Adam normalizes each step to ~lr per coordinate, so compare absolutely at a fraction of lr.
            var a = after[e.name]!.floats(), b = fx["after." + e.name]!.floats()
            if e.name.hasSuffix("attn.qkv.bias") {
                // The key bias's gradient is exactly zero in exact arithmetic (softmax ignores a per-row
                // constant); both sides hold rounding noise there, which Adam's m/√v blows up to ±lr.
                let d = config.embedDim
                a.removeSubrange(d..<(2 * d)); b.removeSubrange(d..<(2 * d))
            }
            let worst = zip(a, b).map { abs($0 - $1) }.max()!
            #expect(worst < 2e-4, "\(e.name) after 5 steps: max abs error \(worst)")
        }
    }

    @Test func posEmbedResampleMatchesTorchBicubic() throws {
        let fx = try loadFixture("pos_embed_resample")
        for (gin, gout) in [(5, 3), (3, 7), (37, 4)] {
            let out = PosEmbed.resample(fx["in_\(gin)_\(gout)"]!.floats(), dim: 6, from: gin, to: gout)
            #expect(scaledError(out, fx["out_\(gin)_\(gout)"]!.floats()) < 1e-6, "\(gin)→\(gout)")
        }
    }
}
