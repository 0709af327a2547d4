import Testing
import WaveFormats
@testable import WaveEngine

/// Backward against central finite differences of the forward, at tiny sizes. Float32 forward
/// noise (~1e-6 of the loss) over a step h = 1e-2 gives ~1e-4 absolute noise and the O(h²) term is
/// similar, so each check compares a directional derivative per parameter tensor (a random unit
/// direction inside that tensor) with a 2% + 2e-4 tolerance.
@Suite struct GradientCheckTests {
    static let configs: [ViTConfig] = [
        ViTConfig(imageSize: 8, patchSize: 4, inChannels: 2, numClasses: 3, embedDim: 8, depth: 2, numHeads: 2,
                  mlpDim: 12, layerScaleInit: 0.7, qkvBias: true, normEps: 1e-6, geluTanh: false),
        ViTConfig(imageSize: 6, patchSize: 3, inChannels: 1, numClasses: 4, embedDim: 12, depth: 1, numHeads: 3,
                  mlpDim: 20, layerScaleInit: nil, qkvBias: false, normEps: 1e-5, geluTanh: true),
    ]

    @Test(arguments: 0..<2)
    func modelGradientsMatchFiniteDifferences(_ which: Int) throws {
        let config = Self.configs[which]
        let model = try ViTModel(config: config)
        var rng = SeededRNG(seed: 42)
        for e in model.layout.entries {
            let p = model.parameter(e.name)!
            let isScale = e.name.hasSuffix("norm1.weight") || e.name.hasSuffix("norm2.weight") || e.name == "norm.weight"
            for i in p.indices { p[i] = Float(isScale ? 1 + 0.2 * rng.normal() : 0.4 * rng.normal()) }
        }
        let B = 2, K = config.numClasses, T = config.tokens, D = config.embedDim
        let x = randomFloats(B * config.inChannels * config.imageSize * config.imageSize, seed: 43)
        let labels: [Int32] = [1, 2]
        // Feature term: loss += Σ c⊙tokens, so ∂loss/∂tokens = c exercises the token-gradient path.
        let c = randomFloats(B * T * D, seed: 44, scale: 0.1)
        let acts = model.makeActivations(batch: B)

        func loss() -> Double {
            model.forward(images: x, acts)
            let ce = Loss.crossEntropy(logits: acts.logits.pointer, labels: labels, batch: B, classes: K, smoothing: 0.1)
            var f = 0.0
            for i in 0..<(B * T * D) { f += Double(c[i]) * Double(acts.tokens[i]) }
            return Double(ce) + f
        }

        model.forward(images: x, acts)
        let dlogits = FloatBuffer(count: B * K)
        _ = Loss.crossEntropy(logits: acts.logits.pointer, labels: labels, batch: B, classes: K, smoothing: 0.1,
                              grad: dlogits.pointer)
        model.zeroGrad()
        model.backward(acts, dlogits: dlogits.pointer, dtokens: c)

        let h: Float = 1e-2
        for e in model.layout.entries {
            let p = model.parameter(e.name)!, g = model.gradient(e.name)!
            var u = (0..<e.count).map { _ in Float(rng.normal()) }
            let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            u = u.map { $0 / norm }
            let analytic = zip(u, g).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let keep = Array(p)
            for i in p.indices { p[i] = keep[i] + h * u[i] }
            let up = loss()
            for i in p.indices { p[i] = keep[i] - h * u[i] }
            let down = loss()
            for i in p.indices { p[i] = keep[i] }
            let numeric = (up - down) / Double(2 * h)
            #expect(abs(numeric - analytic) <= 0.02 * abs(numeric) + 2e-4,
                    "\(e.name): finite difference \(numeric), backward \(analytic)")
        }
    }
}
