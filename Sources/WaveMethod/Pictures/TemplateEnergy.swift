import WaveTensor

/// How one component's reconstruction R̂ = Sᵀ·V (every layer's blocks stacked as rows, as in the
/// least-squares fit: Schemas/bundle.md rule 4) divides its energy ‖R̂‖²_F among the templates.
public struct TemplateEnergy: Sendable {
    /// Per template i: Σ_l ‖S^l_i‖²·‖T_i‖² / ‖R̂‖². They sum to 1 when the templates are orthogonal
    /// (the least-squares fit's are orthonormal); after distillation cross terms make up the rest.
    public let shares: [Double]
    /// ‖R̂‖²_F = Σ_l ‖Ŵ^l‖²_F.
    public let total: Double
    /// Singular values of R̂, descending: at most N (for a least-squares bundle, the ancestry's first N).
    public let spectrum: [Double]

    public init(_ c: ComponentFit) {
        let n = c.shape.n, rc = c.shape.blocks, e = c.shape.blockSize, rows = c.layers * rc
        // S [N, L·RC] in the fit's row order (l, a, b) from scalers [L, N, RC].
        var s = [Float](repeating: 0, count: n * rows)
        for l in 0..<c.layers { for i in 0..<n { for j in 0..<rc {
            s[i * rows + l * rc + j] = c.scalers[(l * n + i) * rc + j]
        } } }
        var recon = [Float](repeating: 0, count: rows * e)
        if n > 0 {
            s.withUnsafeBufferPointer { sp in c.templates.withUnsafeBufferPointer { v in recon.withUnsafeMutableBufferPointer { o in
                sgemm(true, false, rows, e, n, sp.baseAddress!, rows, v.baseAddress!, e, beta: 0, o.baseAddress!, e)
            } } }
        }
        let total = recon.reduce(0.0) { $0 + Double($1) * Double($1) }
        self.total = total
        shares = (0..<n).map { i in
            let ss = s[(i * rows)..<((i + 1) * rows)].reduce(0.0) { $0 + Double($1) * Double($1) }
            let tt = c.templates[(i * e)..<((i + 1) * e)].reduce(0.0) { $0 + Double($1) * Double($1) }
            return total > 0 ? ss * tt / total : 0
        }
        spectrum = n > 0 && total > 0 ? LowRankFit.fit(recon, n: rows, e: e, k: n).sigma : []
    }

    /// Σ_{k ≤ K} σ_k² / Σ σ², for K = 1…count: the share of the energy the first K directions hold.
    public static func cumulativeShares(_ sigma: [Double]) -> [Double] {
        let total = sigma.reduce(0) { $0 + $1 * $1 }
        var run = 0.0
        return sigma.map { run += $0 * $0; return total > 0 ? run / total : 0 }
    }
}
