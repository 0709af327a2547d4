import WaveTensor
import WaveEngine

/// Mimetic initialization of self-attention (Trockman & Kolter 2023): pretrained ViTs have
/// W_q·W_kᵀ close to a positive multiple of the identity plus noise, and W_v·W_o close to a
/// negative one; drawing the weights so is a better start than i.i.d. noise.
public enum Mimetic {
    public static let qk: (alpha: Float, beta: Float) = (0.7, 0.7)
    public static let vo: (alpha: Float, beta: Float) = (0.4, -0.4)

    /// Overwrites every layer's qkv and proj weights of `model` (other tensors untouched): per head
    /// Q_hᵀ·K_h = the best rank-(head dim) approximation of α·Z + β·I, and per layer
    /// V_allᵀ·Oᵀ = α·Z − β·I exactly (the composite map the heads' values feed through proj).
    public static func apply(to model: ViTModel, seed: UInt64) {
        let c = model.config, d = c.embedDim, k = c.headDim
        var rng = SeededRNG(seed: seed ^ 0x6D69_6D65_7469_63)
        for l in 0..<c.depth {
            let qkv = model.parameter("blocks.\(l).attn.qkv.weight")!
            for h in 0..<c.numHeads {
                let (left, right) = factors(target(d, qk, &rng), d: d, rank: k)
                // Rows h·k… of the Q block hold W_q,h (k×d); of the K block, W_k,h.
                for r in 0..<k { for i in 0..<d {
                    qkv[(h * k + r) * d + i] = left[r * d + i]
                    qkv[(d + h * k + r) * d + i] = right[r * d + i]
                } }
            }
            let (left, right) = factors(target(d, vo, &rng), d: d, rank: d)
            let proj = model.parameter("blocks.\(l).attn.proj.weight")!
            for r in 0..<d { for i in 0..<d {
                qkv[(2 * d + r) * d + i] = left[r * d + i]   // W_v row r
                proj[i * d + r] = right[r * d + i]           // W_o column r
            } }
        }
    }

    /// α·Z + β·I with Z ~ N(0, 1/d), row-major d×d.
    static func target(_ d: Int, _ ab: (alpha: Float, beta: Float), _ rng: inout SeededRNG) -> [Float] {
        var m = [Float](repeating: 0, count: d * d)
        let s = 1 / Double(d).squareRoot()
        for i in 0..<(d * d) { m[i] = Float(Double(ab.alpha) * rng.normal() * s) }
        for i in 0..<d { m[i * d + i] += ab.beta }
        return m
    }

    /// Rank-r factors P, Q (r×d rows, row-major) with Pᵀ·Q the best rank-r approximation of M:
    /// M = U·Σ·Vᵀ, P = (U·Σ^½)ᵀ, Q = (V·Σ^½)ᵀ, from the eigendecomposition of MᵀM.
    static func factors(_ m: [Float], d: Int, rank r: Int) -> (left: [Float], right: [Float]) {
        var gram = [Float](repeating: 0, count: d * d)  // MᵀM
        m.withUnsafeBufferPointer { mp in gram.withUnsafeMutableBufferPointer { g in
            sgemm(true, false, d, d, d, mp.baseAddress!, d, mp.baseAddress!, d, beta: 0, g.baseAddress!, d)
        } }
        let (values, vectors) = LowRankFit.symmetricEigen(gram.map(Double.init), d)  // ascending, column-major
        var right = [Float](repeating: 0, count: r * d), roots = [Float](repeating: 0, count: r)
        for q in 0..<r {
            let col = d - 1 - q
            let sigma = max(values[col], 1e-30).squareRoot()
            roots[q] = Float(sigma.squareRoot())
            for i in 0..<d { right[q * d + i] = Float(vectors[col * d + i]) }  // v_q
        }
        // Rows of P: (M·v_q)ᵀ / σ_q · σ_q^½ = (M·v_q)ᵀ / σ_q^½; rows of Q: v_q · σ_q^½.
        var left = [Float](repeating: 0, count: r * d)
        right.withUnsafeBufferPointer { v in m.withUnsafeBufferPointer { mp in left.withUnsafeMutableBufferPointer { p in
            sgemm(false, true, r, d, d, v.baseAddress!, d, mp.baseAddress!, d, beta: 0, p.baseAddress!, d)  // V_rᵀ·Mᵀ
        } } }
        for q in 0..<r {
            for i in 0..<d { left[q * d + i] /= roots[q]; right[q * d + i] *= roots[q] }
        }
        return (left, right)
    }
}
