import Testing
@testable import WaveEngine

@Suite struct LossAndOptimizerTests {
    @Test func crossEntropyByHand() {
        // logits (0, ln 3): p = (1/4, 3/4); label 1, ε = 0.1, K = 2:
        // loss = 0.9·(−ln ¾) + 0.1·½(−ln ¼ − ln ¾); ∂/∂z = p − (0.05, 0.95).
        let z: [Float] = [0, Float(libmLog(3))], y: [Int32] = [1]
        var g: [Float] = [0, 0]
        let loss = Loss.crossEntropy(logits: z, labels: y, batch: 1, classes: 2, smoothing: 0.1, grad: &g)
        let expected = 0.9 * -libmLog(0.75) + 0.05 * (-libmLog(0.25) - libmLog(0.75))
        #expect(abs(Double(loss) - expected) < 1e-6)
        #expect(abs(g[0] - (0.25 - 0.05)) < 1e-6 && abs(g[1] - (0.75 - 0.95)) < 1e-6)
    }

    /// Each loss's gradient against central differences in Double-accumulated Float32.
    @Test func lossGradientsMatchFiniteDifferences() {
        let B = 3, K = 5
        var s = randomFloats(B * K, seed: 1, scale: 2)
        let t = randomFloats(B * K, seed: 2, scale: 2)
        let losses: [(String, ([Float], UnsafeMutablePointer<Float>?) -> Float)] = [
            ("kl τ=2", { Loss.klDistillation(student: $0, teacher: t, batch: B, classes: K, temperature: 2, grad: $1) }),
            ("cosine", { Loss.cosineFeature(student: $0, teacher: t, rows: B, dim: K, grad: $1) }),
            ("smooth-L1", { Loss.smoothL1(student: $0, teacher: t, count: B * K, beta: 1, grad: $1) }),
        ]
        for (name, f) in losses {
            var g = [Float](repeating: 0, count: B * K)
            _ = g.withUnsafeMutableBufferPointer { f(s, $0.baseAddress!) }
            let h: Float = 1e-3
            for i in 0..<(B * K) {
                let keep = s[i]
                s[i] = keep + h; let up = f(s, nil)
                s[i] = keep - h; let down = f(s, nil)
                s[i] = keep
                let numeric = (up - down) / (2 * h)
                #expect(abs(numeric - g[i]) < 2e-3, "\(name)[\(i)]: \(numeric) vs \(g[i])")
            }
        }
        // KL of identical distributions is 0; cosine of identical vectors is 0.
        #expect(abs(Loss.klDistillation(student: t, teacher: t, batch: B, classes: K, temperature: 4)) < 1e-6)
        #expect(abs(Loss.cosineFeature(student: t, teacher: t, rows: B, dim: K)) < 1e-6)
    }

    /// One AdamW step by hand (torch.optim.AdamW): step 1, bias corrections 1−β.
    @Test func adamWOneStepByHand() throws {
        let config = tinyLSConfig
        let model = try ViTModel(config: config)
        let opt = AdamW(layout: model.layout, config: AdamWConfig(beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1))
        let w = model.parameter("blocks.0.attn.qkv.weight")!, b = model.parameter("blocks.0.attn.qkv.bias")!
        w[0] = 2; b[0] = 2
        model.gradient("blocks.0.attn.qkv.weight")![0] = 0.5
        model.gradient("blocks.0.attn.qkv.bias")![0] = 0.5
        opt.update(params: model.params, grads: model.grads, lr: 0.01)
        // m̂ = g, v̂ = g², so the Adam term is lr·g/(|g| + ε) ≈ lr; decay only on the matrix.
        let adam = 0.01 * 0.5 / (0.5 + 1e-8)
        #expect(abs(Double(w[0]) - (2 * (1 - 0.01 * 0.1) - adam)) < 1e-6)
        #expect(abs(Double(b[0]) - (2 - adam)) < 1e-6)
        // Zero gradient, zero state: an undecayed parameter does not move.
        #expect(model.parameter("norm.weight")![0] == 0)
    }

    @Test func scheduleAndClipping() {
        let s = CosineSchedule(baseLR: 1, minLR: 0.1, warmupSteps: 4, totalSteps: 14)
        #expect(s.lr(step: 0) == 0.25 && s.lr(step: 3) == 1)
        #expect(abs(s.lr(step: 9) - 0.55) < 1e-6)   // halfway through the cosine
        #expect(abs(s.lr(step: 14) - 0.1) < 1e-6 && abs(s.lr(step: 100) - 0.1) < 1e-6)

        let g = FloatBuffer([3, 4])
        #expect(clipGradNorm(g, maxNorm: 1) == 5)
        #expect(abs(g[0] - 0.6) < 1e-6 && abs(g[1] - 0.8) < 1e-6)
        let small = FloatBuffer([0.3, 0.4])
        clipGradNorm(small, maxNorm: 1)
        #expect(small[0] == 0.3)
    }

    @Test func rngIsDeterministicAndUniform() {
        var a = SeededRNG(seed: 7), b = SeededRNG(seed: 7), c = SeededRNG(seed: 8)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }
        #expect(xa == xb && xa != (0..<5).map { _ in c.next() })
        var r = SeededRNG(seed: 1)
        let n = 20000
        let v = (0..<n).map { _ in r.normal() }
        let mean = v.reduce(0, +) / Double(n), varc = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean) < 0.03 && abs(varc - 1) < 0.05)
    }
}

@Suite struct FeatureTests {
    /// Pooling then scattering is the adjoint pair: ⟨pool(x), g⟩ = ⟨x, scatter(g)⟩.
    @Test func poolingAndScatterAreAdjoint() throws {
        let model = try ViTModel(config: tinyLSConfig, seed: 1)
        let a = model.makeActivations(batch: 2)
        let x = randomFloats(2 * 3 * 8 * 8, seed: 2)
        model.forward(images: x, a)
        let T = a.tokenCount, D = a.width
        var pooled = [Float](repeating: 0, count: 2 * 2 * D)
        Features.classAndMeanPatch(a, into: &pooled)
        let g = randomFloats(2 * 2 * D, seed: 3)
        var dt = [Float](repeating: 0, count: 2 * T * D)
        Features.scatterClassAndMeanPatch(g, into: &dt, batch: 2, tokens: T, width: D)
        let lhs = zip(pooled, g).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let rhs = (0..<(2 * T * D)).reduce(0.0) { $0 + Double(a.tokens[$1] * dt[$1]) }
        #expect(abs(lhs - rhs) < 1e-4 * max(1, abs(lhs)))
    }
}
