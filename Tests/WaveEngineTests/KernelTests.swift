import Testing
@testable import WaveEngine

/// Every optimized kernel against its naive Double reference, at sizes that are not multiples of
/// the 16-lane vectors (tails), at the tests' one worker; that more workers give the very same bits
/// is shown for the products here and for every kernel of a training step in TrainerTests.
@Suite struct KernelTests {
    @Test(arguments: [(37, 21, 19), (301, 67, 61)])
    func linearForwardAndBackwardMatchNaive(rows: Int, inF: Int, outF: Int) {
        let x = randomFloats(rows * inF, seed: 1), w = randomFloats(outF * inF, seed: 2), b = randomFloats(outF, seed: 3)
        var fast = [Float](repeating: 0, count: rows * outF), slow = fast
        linearForward(&fast, x, w, b, rows: rows, inF: inF, outF: outF)
        linearForwardNaive(&slow, x, w, b, rows: rows, inF: inF, outF: outF)
        #expect(scaledError(fast, slow) < 1e-6)

        let g = randomFloats(rows * outF, seed: 4)
        var dxF = [Float](repeating: 0, count: rows * inF), dxS = dxF
        var dwF = [Float](repeating: 0.5, count: outF * inF), dwS = dwF
        var dbF = [Float](repeating: 0.25, count: outF), dbS = dbF
        linearBackward(dinp: &dxF, dweight: &dwF, dbias: &dbF, dout: g, inp: x, weight: w, rows: rows, inF: inF, outF: outF)
        linearBackwardNaive(dinp: &dxS, dweight: &dwS, dbias: &dbS, dout: g, inp: x, weight: w, rows: rows, inF: inF, outF: outF)
        #expect(scaledError(dxF, dxS) < 1e-6)
        #expect(scaledError(dwF, dwS) < 1e-6)
        #expect(scaledError(dbF, dbS) < 1e-6)
    }

    /// Training is bit-identical at any thread count (TrainerTests) because every product is cut
    /// into tiles fixed by its shape and each tile is one whole single-threaded sgemm call, whichever
    /// worker runs it. 1100 rows × 96 × 200 cuts dinp into 5 row tiles and dW into 3 (Product.tiles):
    /// the backward must give the very same bits at 1-4 workers, and its tiles must cover C exactly
    /// (against the naive reference).
    @Test func tiledProductsAreBitIdenticalAtAnyThreadCount() {
        let rows = 1100, inF = 96, outF = 200
        let x = randomFloats(rows * inF, seed: 1), w = randomFloats(outF * inF, seed: 2), g = randomFloats(rows * outF, seed: 4)
        x.withUnsafeBufferPointer { xp in
            g.withUnsafeBufferPointer { gp in
                let dinp = Product(false, false, rows, inF, outF, gp.baseAddress!, outF, w, inF, beta: 0, UnsafeMutablePointer(bitPattern: 64)!, inF)
                let dw = Product(true, false, outF, inF, rows, gp.baseAddress!, outF, xp.baseAddress!, inF, beta: 1, UnsafeMutablePointer(bitPattern: 64)!, inF)
                #expect(dinp.tiles.count == 5 && dw.tiles.count == 3)
            }
        }
        func backward(threads: Int) -> [Float] {
            Engine.withWorkers(threads) {
                var dx = [Float](repeating: 0, count: rows * inF), dw = [Float](repeating: 0.5, count: outF * inF)
                linearBackward(dinp: &dx, dweight: &dw, dbias: nil, dout: g, inp: x, weight: w, rows: rows, inF: inF, outF: outF)
                return dx + dw
            }
        }
        let one = backward(threads: 1)
        for threads in [2, 3, 4] { #expect(backward(threads: threads) == one, "\(threads) threads") }
        var dxS = [Float](repeating: 0, count: rows * inF), dwS = [Float](repeating: 0.5, count: outF * inF)
        var dbS = [Float](repeating: 0, count: outF)
        linearBackwardNaive(dinp: &dxS, dweight: &dwS, dbias: &dbS, dout: g, inp: x, weight: w, rows: rows, inF: inF, outF: outF)
        #expect(scaledError(Array(one.prefix(rows * inF)), dxS) < 1e-6)
        #expect(scaledError(Array(one.suffix(outF * inF)), dwS) < 1e-6)
    }

    /// Tiles split C's longer side only, never the summed dimension, into a count set by the shape.
    @Test func tilesCutTheLongerSideByShapeAlone() {
        let p = UnsafeMutablePointer<Float>(bitPattern: 64)!
        #expect(Product(false, true, 64, 64, 64, p, 64, p, 64, beta: 0, p, 64).tiles.count == 1)
        let tall = Product(false, true, 4160, 768, 192, p, 192, p, 192, beta: 0, p, 768).tiles
        #expect(tall.count == 8 && tall.allSatisfy { $0.n == 768 && $0.k == 192 } && tall.map(\.m).reduce(0, +) == 4160)
        let wide = Product(true, false, 192, 768, 4160, p, 192, p, 768, beta: 1, p, 768).tiles
        #expect(wide.count == 8 && wide.allSatisfy { $0.m == 192 && $0.k == 4160 } && wide.map(\.n).reduce(0, +) == 768)
        #expect(wide[1].b == p + 96 && wide[1].c == p + 96)
    }

    @Test(arguments: [16, 24, 5])
    func layerNormMatchesNaive(d: Int) {
        let rows = 70
        // An offset and scale like a residual stream's, where one-pass variance would lose digits.
        let x = randomFloats(rows * d, seed: 5).map { 3 + 2 * $0 }
        let w = randomFloats(d, seed: 6).map { 1 + 0.3 * $0 }, b = randomFloats(d, seed: 7)
        var y = [Float](repeating: 0, count: rows * d), ref = y
        var mean = [Float](repeating: 0, count: rows), rstd = mean
        layerNormForward(&y, mean: &mean, rstd: &rstd, x, weight: w, bias: b, rows: rows, d: d, eps: 1e-6)
        layerNormForwardNaive(&ref, x, weight: w, bias: b, rows: rows, d: d, eps: 1e-6)
        #expect(scaledError(y, ref) < 1e-5)

        let g = randomFloats(rows * d, seed: 8)
        var dx = [Float](repeating: 0.1, count: rows * d), dxR = dx
        var dw = [Float](repeating: 0, count: d), dwR = dw, db = dw, dbR = dw
        layerNormBackward(dinp: &dx, dweight: &dw, dbias: &db, dout: g, inp: x, weight: w, mean: mean, rstd: rstd, rows: rows, d: d)
        layerNormBackwardNaive(dinp: &dxR, dweight: &dwR, dbias: &dbR, dout: g, inp: x, weight: w, rows: rows, d: d, eps: 1e-6)
        #expect(scaledError(dx, dxR) < 1e-5)
        #expect(scaledError(dw, dwR) < 1e-5)
        #expect(scaledError(db, dbR) < 1e-5)
    }

    @Test(arguments: [false, true])
    func geluMatchesNaive(tanhApprox: Bool) {
        let n = 16 * 1100 + 7
        let x = (0..<n).map { Float($0) / Float(n) * 16 - 8 }
        var y = [Float](repeating: 0, count: n), dy = y
        geluForward(&y, deriv: &dy, x, n: n, tanhApprox: tanhApprox)
        var worstY: Float = 0, worstD: Float = 0
        for i in 0..<n {
            worstY = max(worstY, abs(y[i] - geluNaive(x[i], tanhApprox: tanhApprox)))
            worstD = max(worstD, abs(dy[i] - geluGradNaive(x[i], tanhApprox: tanhApprox)))
        }
        #expect(worstY < 2e-6, "gelu abs error \(worstY)")
        #expect(worstD < 2e-6, "gelu' abs error \(worstD)")
        // Inference (no derivative) gives the same values.
        var yOnly = [Float](repeating: 0, count: n)
        geluForward(&yOnly, deriv: nil, x, n: n, tanhApprox: tanhApprox)
        #expect(yOnly == y)
        let g = randomFloats(n, seed: 9)
        var dx = [Float](repeating: 0, count: n)
        geluBackward(dinp: &dx, dout: g, deriv: dy, n: n)
        #expect(dx[1234] == g[1234] * dy[1234])
    }

    @Test func fastExpAndErfAccuracy() {
        var worstExp = 0.0, worstErf = 0.0
        var x: Float = -80
        while x < 80 {
            let e = Double(FastMath.exp(x)), r = libmExp(Double(x))
            worstExp = max(worstExp, abs(e - r) / r)
            x += 0.0137
        }
        x = -6
        while x < 6 {
            worstErf = max(worstErf, abs(Double(FastMath.erf(x)) - libmErf(Double(x))))
            x += 0.000_37
        }
        #expect(worstExp < 2.5e-7, "exp relative error \(worstExp)")
        #expect(worstErf < 4e-7, "erf absolute error \(worstErf)")
    }

    /// Small heads, and heads large enough (T 70, hd 64) that products are cut into row blocks.
    @Test(arguments: [AttentionShape(batch: 2, tokens: 19, dim: 24, heads: 3), AttentionShape(batch: 1, tokens: 70, dim: 128, heads: 2)])
    func attentionMatchesNaive(_ s: AttentionShape) {
        let qkv = randomFloats(s.batch * s.tokens * 3 * s.dim, seed: 10)
        var y = [Float](repeating: 0, count: s.batch * s.tokens * s.dim), ref = y
        var probs = [Float](repeating: 0, count: s.batch * s.heads * s.tokens * s.tokens)
        attentionForward(y: &y, probs: &probs, qkv: qkv, s)
        attentionForwardNaive(y: &ref, qkv: qkv, s)
        #expect(scaledError(y, ref) < 1e-5)
        // Each probability row sums to 1.
        for r in 0..<(s.batch * s.heads * s.tokens) {
            let sum = probs[(r * s.tokens)..<((r + 1) * s.tokens)].reduce(0, +)
            #expect(abs(sum - 1) < 1e-5)
        }
    }

    /// The attention backward against central differences of the naive forward in Double-accumulated
    /// Float32 (loss = Σ g⊙y, so ∂loss/∂qkv is a vector–Jacobian product).
    @Test(arguments: [AttentionShape(batch: 1, tokens: 5, dim: 8, heads: 2), AttentionShape(batch: 1, tokens: 66, dim: 64, heads: 1)])
    func attentionBackwardMatchesFiniteDifferences(_ s: AttentionShape) {
        var qkv = randomFloats(s.tokens * 3 * s.dim, seed: 11)
        let g = randomFloats(s.tokens * s.dim, seed: 12)
        var y = [Float](repeating: 0, count: s.tokens * s.dim)
        var probs = [Float](repeating: 0, count: s.heads * s.tokens * s.tokens), scratch = probs
        attentionForward(y: &y, probs: &probs, qkv: qkv, s)
        var dqkv = [Float](repeating: 0, count: qkv.count)
        attentionBackward(dqkv: &dqkv, scratch: &scratch, dy: g, qkv: qkv, probs: probs, s)
        func loss(_ q: [Float]) -> Double {
            var out = [Float](repeating: 0, count: s.tokens * s.dim)
            attentionForwardNaive(y: &out, qkv: q, s)
            return zip(out, g).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let h: Float = 1e-2
        var worst = 0.0
        // Every entry at the tiny size; a seeded sample of Q, K and V entries at the large one.
        var pick = SeededRNG(seed: 15)
        let indices = qkv.count <= 500 ? Array(0..<qkv.count) : (0..<48).map { _ in pick.below(qkv.count) }
        for i in indices {
            let keep = qkv[i]
            qkv[i] = keep + h; let up = loss(qkv)
            qkv[i] = keep - h; let down = loss(qkv)
            qkv[i] = keep
            worst = max(worst, abs((up - down) / Double(2 * h) - Double(dqkv[i])))
        }
        #expect(worst < 2e-3, "max abs error \(worst)")
    }

    @Test func softmaxBackwardRowIdentity() {
        // For p = softmax(z): Σ_j ∂L/∂z_j = 0 whatever ∂L/∂p is.
        let n = 37
        var p = randomFloats(n, seed: 13)
        softmaxRows(&p, rows: 1, n: n)
        var dp = randomFloats(n, seed: 14)
        softmaxBackwardRows(&dp, p, rows: 1, n: n)
        #expect(abs(dp.reduce(0, +)) < 1e-6)
    }
}
