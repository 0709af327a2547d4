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

    /// The fit's feature-KD map: on exactly linear targets a near-zero ridge recovers the map.
    @Test func ridgeMapRecoversALinearMap() throws {
        var rng = TestRNG(9)
        let n = 200, dim = 5, K = 3
        let A = (0..<(K * dim)).map { _ in rng.uniform() * 2 - 1 }, b: [Float] = [0.5, -1, 2]
        let f = (0..<(n * dim)).map { _ in rng.uniform() * 4 - 2 }
        let map = try #require(LinearProbe.ridgeMap(features: f, count: n, dim: dim, outputs: K, ridge: 1e-9) { i, row in
            for c in 0..<K { row[c] = Double(b[c] + (0..<dim).reduce(Float(0)) { $0 + A[c * dim + $1] * f[i * dim + $1] }) }
        })
        #expect(maxAbsDiff(map.weight, A) < 1e-3)
        #expect(maxAbsDiff(map.bias, b) < 1e-3)
        // Mismatched counts are refused, not read out of bounds.
        #expect(LinearProbe.ridgeMap(features: f, count: n + 1, dim: dim, outputs: K) { _, _ in } == nil)
    }
}
