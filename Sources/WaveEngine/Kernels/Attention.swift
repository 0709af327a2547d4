import WaveTensor
// Multi-head self-attention on timm's fused qkv activations.
// Shapes: qkv [B, T, 3D] (per token: Q | K | V, heads split along D, head dim hd = D/H);
//         probs [B, H, T, T] (softmax(scale·Q·Kᵀ), cached for backward); y [B, T, D].
// Products per (batch, head) are sgemm calls on strided views (lda = 3D), so nothing is permuted;
// each head's softmax (and its backward) runs between that head's products while its scores are in
// cache.

/// One head's product: a whole single-threaded sgemm call (OpenBLAS always is, WaveTensor `BLAS`);
/// the heads themselves run concurrently on the engine's workers (`forEachHead`).
@inline(__always)
func sgemmSingleThreaded(_ transA: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Float = 1,
                         _ a: UnsafePointer<Float>, _ lda: Int, _ transB: Bool, _ b: UnsafePointer<Float>, _ ldb: Int,
                         _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    sgemm(transA, transB, m, n, k, alpha: alpha, a, lda, b, ldb, beta: 0, c, ldc)
}

/// Runs body(b, h) for every (batch, head) pair, split across the engine's workers (inline inside
/// a batch shard). Each pair's work is the same whichever worker runs it.
@inline(__always)
func forEachHead(_ s: AttentionShape, _ body: @Sendable (Int, Int) -> Void) {
    let heads = s.heads
    parallelChunks(s.batch * s.heads) { lo, hi in for i in lo..<hi { body(i / heads, i % heads) } }
}

struct AttentionShape: Sendable, CustomStringConvertible {
    var description: String { "B\(batch) T\(tokens) D\(dim) H\(heads)" }
    let batch: Int, tokens: Int, dim: Int, heads: Int
    var headDim: Int { dim / heads }
    var scale: Float { 1 / Float(headDim).squareRoot() }
}

func attentionForward(y: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                      qkv: UnsafePointer<Float>, _ s: AttentionShape) {
    let T = s.tokens, D = s.dim, hd = s.headDim
    let qkvP = SendablePointer(qkv), probsP = SendablePointer(probs), yP = SendablePointer(y)
    // One pass per head: its T×T scores (264 KB at T = 257) stay in cache from the product through
    // the softmax to the product with V. (A separate softmax pass over every head's scores, 12.7 MB at
    // batch 8, measured about 3% slower per training step at 224 px.)
    Profile.measure(.attentionGEMM) {
        forEachHead(s) { b, h in
            let q = qkvP.p + b * T * 3 * D + h * hd, p = probsP.p + (b * s.heads + h) * T * T
            sgemmSingleThreaded(false, T, T, hd, alpha: s.scale, q, 3 * D, true, q + D, 3 * D, p, T)
            for r in 0..<T { softmaxRow(p + r * T, T) }
            sgemmSingleThreaded(false, T, hd, T, p, T, false, q + 2 * D, 3 * D, yP.p + b * T * D + h * hd, D)
        }
    }
}

/// dqkv = ∂L/∂qkv (overwritten). `scratch` holds [B, H, T, T] floats.
func attentionBackward(dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                       dy: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                       _ s: AttentionShape) {
    let T = s.tokens, D = s.dim, hd = s.headDim
    let qkvP = SendablePointer(qkv), probsP = SendablePointer(probs), dyP = SendablePointer(dy)
    let dqkvP = SendablePointer(dqkv), scratchP = SendablePointer(scratch)
    Profile.measure(.attentionGEMM) {
        forEachHead(s) { b, h in
            let base = b * T * 3 * D + h * hd, p = probsP.p + (b * s.heads + h) * T * T
            let g = dyP.p + b * T * D + h * hd, ds = scratchP.p + (b * s.heads + h) * T * T
            sgemmSingleThreaded(false, T, T, hd, g, D, true, qkvP.p + base + 2 * D, 3 * D, ds, T)
            sgemmSingleThreaded(true, T, hd, T, p, T, false, g, D, dqkvP.p + base + 2 * D, 3 * D)
            for r in 0..<T { softmaxBackwardRow(ds + r * T, p + r * T, T) }
            sgemmSingleThreaded(false, T, hd, T, alpha: s.scale, ds, T, false, qkvP.p + base + D, 3 * D, dqkvP.p + base, 3 * D)
            sgemmSingleThreaded(true, T, hd, T, alpha: s.scale, ds, T, false, qkvP.p + base, 3 * D, dqkvP.p + base + D, 3 * D)
        }
    }
}

/// Row softmax in place over `rows` rows of length n (the class-token-only path; full attention
/// calls `softmaxRow` per head).
func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
    let xp = SendablePointer(x)
    parallelChunks(rows, minPerChunk: 16) { lo, hi in
        for r in lo..<hi { softmaxRow(xp.p + r * n, n) }
    }
}

@inline(__always)
func softmaxRow(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    var mv = V16(repeating: -.greatestFiniteMagnitude), i = 0
    while i + 16 <= n { mv = vmax(mv, load16(x + i)); i += 16 }
    var m = hmax(mv)
    while i < n { m = max(m, x[i]); i += 1 }
    var sv = V16(); i = 0
    while i + 16 <= n { let e = vexp(load16(x + i) - m); store16(e, x + i); sv += e; i += 16 }
    var sum = sv.sum()
    if i < n {
        let k = n - i
        let e = vexp(loadPartial(x + i, k) - m)
        for j in 0..<k { x[i + j] = e[j]; sum += e[j] }
    }
    let inv = 1 / sum
    i = 0
    while i + 16 <= n { store16(load16(x + i) * inv, x + i); i += 16 }
    while i < n { x[i] *= inv; i += 1 }
}

/// In place: dp ← p ⊙ (dp − Σ_j dp_j·p_j), row by row.
func softmaxBackwardRows(_ dp: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, rows: Int, n: Int) {
    let dpp = SendablePointer(dp), pp = SendablePointer(p)
    parallelChunks(rows, minPerChunk: 16) { lo, hi in
        for r in lo..<hi { softmaxBackwardRow(dpp.p + r * n, pp.p + r * n, n) }
    }
}

@inline(__always)
func softmaxBackwardRow(_ g: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
    var sv = V16(), i = 0
    while i + 16 <= n { sv += load16(g + i) * load16(y + i); i += 16 }
    var dot = sv.sum()
    while i < n { dot += g[i] * y[i]; i += 1 }
    i = 0
    while i + 16 <= n { store16(load16(y + i) * (load16(g + i) - dot), g + i); i += 16 }
    while i < n { g[i] = y[i] * (g[i] - dot); i += 1 }
}

/// Naive reference of the forward, in Double, without caching.
func attentionForwardNaive(y: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>, _ s: AttentionShape) {
    let T = s.tokens, D = s.dim, hd = s.headDim
    for b in 0..<s.batch {
        for h in 0..<s.heads {
            for i in 0..<T {
                var scores = [Double](repeating: 0, count: T)
                for j in 0..<T {
                    var dot = 0.0
                    for c in 0..<hd {
                        dot += Double(qkv[(b * T + i) * 3 * D + h * hd + c]) * Double(qkv[(b * T + j) * 3 * D + D + h * hd + c])
                    }
                    scores[j] = dot * Double(s.scale)
                }
                let m = scores.max()!
                let e = scores.map { libmExp($0 - m) }
                let z = e.reduce(0, +)
                for c in 0..<hd {
                    var acc = 0.0
                    for j in 0..<T { acc += e[j] / z * Double(qkv[(b * T + j) * 3 * D + 2 * D + h * hd + c]) }
                    y[(b * T + i) * D + h * hd + c] = Float(acc)
                }
            }
        }
    }
}
