// Row-broadcast elementwise kernels of the residual stream, shapes [rows, d] with vectors [d]:
// LayerScale (out = a + γ⊙b), its gradient (dγ += Σ_rows g⊙b), and scaled copies.

/// out = a + γ⊙b (γ nil: out = a + b). out may alias a.
func residualAdd(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                 gamma: UnsafePointer<Float>?, rows: Int, d: Int) {
    let o = SendablePointer(out), ap = SendablePointer(a), bp = SendablePointer(b)
    let gp = gamma.map { SendablePointer($0) }
    parallelChunks(rows, minPerChunk: 64) { lo, hi in
        for r in lo..<hi {
            let x = ap.p + r * d, y = bp.p + r * d, z = o.p + r * d
            var i = 0
            if let g = gp?.p {
                while i + 16 <= d { store16(load16(x + i) + load16(g + i) * load16(y + i), z + i); i += 16 }
                while i < d { z[i] = x[i] + g[i] * y[i]; i += 1 }
            } else {
                while i + 16 <= d { store16(load16(x + i) + load16(y + i), z + i); i += 16 }
                while i < d { z[i] = x[i] + y[i]; i += 1 }
            }
        }
    }
}

/// out = γ⊙g row by row, and dγ += Σ_rows g⊙b (the LayerScale backward).
func layerScaleBackward(dout: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>,
                        grad: UnsafePointer<Float>, branch: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                        rows: Int, d: Int) {
    let parts = reductionParts(rows: rows, minRows: 64)
    let partial = FloatBuffer(count: parts * d)
    let o = SendablePointer(dout), gp = SendablePointer(grad), bp = SendablePointer(branch)
    let wp = SendablePointer(gamma), pp = SendablePointer(partial.pointer)
    parallelChunks(parts) { wlo, whi in
        for w in wlo..<whi {
            let acc = pp.p + w * d
            for r in (rows * w / parts)..<(rows * (w + 1) / parts) {
                let g = gp.p + r * d, b = bp.p + r * d, z = o.p + r * d
                var i = 0
                while i + 16 <= d {
                    let gi = load16(g + i)
                    store16(load16(acc + i) + gi * load16(b + i), acc + i)
                    store16(gi * load16(wp.p + i), z + i)
                    i += 16
                }
                while i < d { acc[i] += g[i] * b[i]; z[i] = g[i] * wp.p[i]; i += 1 }
            }
        }
    }
    for w in 0..<parts { addInPlace(dgamma, partial.pointer + w * d, d) }
}

/// Σ of squares of n floats, in Double across 16-lane Float partials (for gradient-norm clipping).
func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    var total = 0.0, i = 0
    while i < n {
        let end = min(n, i + 4096)
        var v = V16()
        while i + 16 <= end { let a = load16(x + i); v += a * a; i += 16 }
        var s = Double(v.sum())
        while i < end { s += Double(x[i] * x[i]); i += 1 }
        total += s
    }
    return total
}

/// x *= c.
func scaleInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, by c: Float) {
    var i = 0
    while i + 16 <= n { store16(load16(x + i) * c, x + i); i += 16 }
    while i < n { x[i] *= c; i += 1 }
}
