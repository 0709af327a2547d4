import Testing
@testable import WaveMethod

@Suite struct KroneckerTests {
    static let shapes: [BlockShape] = [
        BlockShape(n: 3, r: 2, c: 3, tr: 4, tc: 4),   // a matrix, 8×12
        BlockShape(n: 6, r: 6, c: 2, tr: 5, tc: 5),   // qkv-like: 3 row groups of 2 blocks
        BlockShape(n: 1, r: 1, c: 1, tr: 7, tc: 7),   // one block
        BlockShape(n: 4, r: 3, c: 1, tr: 8, tc: 1),   // a vector of 3 chunks
        BlockShape(n: 2, r: 4, c: 1, tr: 3, tc: 3),   // a tall matrix (one block column)
        BlockShape(n: 5, r: 3, c: 2, tr: 12, tc: 12), // 144-element blocks: two 64-chunks and a tail
    ]

    /// The composition sums Σ_i in order with a separate multiply and add per term, so it equals
    /// the plain Float loop bit for bit, on every processor (no BLAS kernel in it).
    @Test(arguments: shapes)
    func compositionIsThePlainOrderedSum(_ s: BlockShape) {
        var rng = TestRNG(UInt64(s.weightCount) + 1)
        let t = rng.floats(s.templateCount), sc = rng.floats(s.scalerCount)
        var blocks = [Float](repeating: 0, count: s.weightCount)
        for blk in 0..<s.blocks {
            for e in 0..<s.blockSize {
                var acc: Float = 0
                for i in 0..<s.n { acc = acc + sc[i * s.blocks + blk] * t[i * s.blockSize + e] }
                blocks[blk * s.blockSize + e] = acc
            }
        }
        var w = [Float](repeating: 0, count: s.weightCount)
        blocks.withUnsafeBufferPointer { bp in w.withUnsafeMutableBufferPointer { Kronecker.blocksToMatrix(bp.baseAddress!, $0.baseAddress!, s) } }
        #expect(Kronecker.compose(templates: t, scalers: sc, s) == w)
    }

    @Test(arguments: shapes)
    func blockFormMatchesKroneckerDefinition(_ s: BlockShape) {
        var rng = TestRNG(UInt64(s.weightCount))
        let t = rng.floats(s.templateCount), sc = rng.floats(s.scalerCount)
        let fast = Kronecker.compose(templates: t, scalers: sc, s)
        let naive = Kronecker.composeNaive(templates: t, scalers: sc, s)
        #expect(maxAbsDiff(fast, naive) < 1e-5)
    }

    @Test(arguments: shapes)
    func blockPermutationRoundTrips(_ s: BlockShape) {
        var rng = TestRNG(7)
        let w = rng.floats(s.weightCount)
        var b = [Float](repeating: 0, count: s.weightCount), back = b
        w.withUnsafeBufferPointer { wp in b.withUnsafeMutableBufferPointer { Kronecker.matrixToBlocks(wp.baseAddress!, $0.baseAddress!, s) } }
        b.withUnsafeBufferPointer { bp in back.withUnsafeMutableBufferPointer { Kronecker.blocksToMatrix(bp.baseAddress!, $0.baseAddress!, s) } }
        #expect(back == w)
    }

    /// loss = Σ G ⊙ W(T, S): the analytic gradients against central differences (W is bilinear,
    /// so the differences are exact up to rounding).
    @Test(arguments: shapes)
    func backwardMatchesFiniteDifferences(_ s: BlockShape) {
        var rng = TestRNG(99)
        let t = rng.floats(s.templateCount), sc = rng.floats(s.scalerCount), g = rng.floats(s.weightCount)
        func loss(_ t: [Float], _ sc: [Float]) -> Double {
            let w = Kronecker.composeNaive(templates: t, scalers: sc, s)
            var acc = 0.0
            for i in 0..<w.count { acc += Double(w[i]) * Double(g[i]) }
            return acc
        }
        let (dT, dS) = Kronecker.backward(dW: g, templates: t, scalers: sc, s)
        let h: Float = 1e-2
        for i in stride(from: 0, to: t.count, by: max(1, t.count / 17)) {
            var p = t, m = t
            p[i] += h; m[i] -= h
            let fd = (loss(p, sc) - loss(m, sc)) / Double(2 * h)
            #expect(abs(fd - Double(dT[i])) < 1e-3 * max(1, abs(fd)), "dT[\(i)]")
        }
        for i in 0..<sc.count {
            var p = sc, m = sc
            p[i] += h; m[i] -= h
            let fd = (loss(t, p) - loss(t, m)) / Double(2 * h)
            #expect(abs(fd - Double(dS[i])) < 1e-3 * max(1, abs(fd)), "dS[\(i)]")
        }
    }

    /// Backward accumulates: two layers sharing templates sum their template gradients.
    @Test func backwardAccumulates() {
        let s = BlockShape(n: 2, r: 2, c: 2, tr: 3, tc: 3)
        var rng = TestRNG(5)
        let t = rng.floats(s.templateCount), sc = rng.floats(s.scalerCount), g = rng.floats(s.weightCount)
        let once = Kronecker.backward(dW: g, templates: t, scalers: sc, s)
        var dT = [Float](repeating: 0, count: s.templateCount), dS = [Float](repeating: 0, count: s.scalerCount)
        var scratch = [Float](repeating: 0, count: s.weightCount)
        for _ in 0..<2 {
            Kronecker.backward(dW: g, templates: t, scalers: sc, s, dTemplates: &dT, dScalers: &dS, scratch: &scratch)
        }
        #expect(maxAbsDiff(dT, once.dT.map { 2 * $0 }) < 1e-5)
        #expect(maxAbsDiff(dS, once.dS.map { 2 * $0 }) < 1e-5)
    }
}
