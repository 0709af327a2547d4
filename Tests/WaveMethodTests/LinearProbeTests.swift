import Testing
@testable import WaveMethod

/// The ridge head that starts a fit: it classifies what a probe would, and stays small when a
/// feature hardly varies (fine-tuning moves every feature a little; a 1/σ weight would swing the logits).
@Suite struct LinearProbeTests {
    @Test func headClassifiesAndStaysSmallOnNearConstantFeatures() throws {
        var rng = TestRNG(4)
        let n = 300, dim = 8, K = 3
        var f = [Float](), labels = [Int32]()
        for i in 0..<n {
            let c = i % K
            labels.append(Int32(c))
            for k in 0..<dim {
                switch k {
                case 0..<K: f.append((k == c ? 1 : 0) + 0.3 * rng.uniform())           // informative
                case dim - 1: f.append(5 + 1e-5 * Float(c) + 1e-6 * rng.uniform())    // almost constant
                default: f.append(rng.uniform())                                        // noise
                }
            }
        }
        let head = try #require(LinearProbe.head(features: f, labels: labels, dim: dim, classes: K))
        var correct = 0
        for i in 0..<n {
            let scores = (0..<K).map { c in (0..<dim).reduce(head.bias[c]) { $0 + head.weight[c * dim + $1] * f[i * dim + $1] } }
            if scores.firstIndex(of: scores.max()!) == Int(labels[i]) { correct += 1 }
        }
        #expect(Double(correct) / Double(n) > 0.95)
        // The near-constant feature's weight: bounded by the floor (σ ≥ a tenth of the RMS spread), not 1/1e-5.
        let w = (0..<K).map { abs(head.weight[$0 * dim + dim - 1]) }.max()!
        #expect(w < 50, "weight on the near-constant feature: \(w)")
    }
}
