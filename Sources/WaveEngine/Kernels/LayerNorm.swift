// LayerNorm over the last dimension, shapes: inp/out [rows, d], weight/bias [d], mean/rstd [rows].
// Forward caches mean and 1/σ per row for the backward (llm.c layernorm_forward/_backward).
// Rows split across workers; the weight/bias gradients are reduced through partial sums whose split
// depends on the row count only (`reductionParts`), so results do not depend on the thread count.

func layerNormForward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                      rstd: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                      rows: Int, d: Int, eps: Float) {
    let o = SendablePointer(out), mp = SendablePointer(mean), rp = SendablePointer(rstd)
    let ip = SendablePointer(inp), wp = SendablePointer(weight), bp = SendablePointer(bias)
    parallelChunks(rows, minPerChunk: 32) { lo, hi in
        for r in lo..<hi {
            let x = UnsafePointer(ip.p + r * d), y = o.p + r * d
            var s = V16(), i = 0
            while i + 16 <= d { s += load16(x + i); i += 16 }
            var sum = s.sum()
            while i < d { sum += x[i]; i += 1 }
            let mu = sum / Float(d)
            // Two-pass variance: the one-pass E[x²]−μ² form loses digits on the residual stream.
            var v = V16(); i = 0
            while i + 16 <= d { let c = load16(x + i) - mu; v += c * c; i += 16 }
            var vs = v.sum()
            while i < d { let c = x[i] - mu; vs += c * c; i += 1 }
            let rs = 1 / (vs / Float(d) + eps).squareRoot()
            i = 0
            while i + 16 <= d {
                store16((load16(x + i) - mu) * rs * load16(wp.p + i) + load16(bp.p + i), y + i); i += 16
            }
            while i < d { y[i] = (x[i] - mu) * rs * wp.p[i] + bp.p[i]; i += 1 }
            mp.p[r] = mu
            rp.p[r] = rs
        }
    }
}

/// dinp += ∂L/∂inp; dweight, dbias += their gradients.
func layerNormBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                       dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                       inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, d: Int) {
    let parts = reductionParts(rows: rows, minRows: 32)
    let partial = FloatBuffer(count: parts * 2 * d)
    let dip = SendablePointer(dinp), dop = SendablePointer(dout), ip = SendablePointer(inp)
    let wp = SendablePointer(weight), mp = SendablePointer(mean), rp = SendablePointer(rstd)
    let pp = SendablePointer(partial.pointer)
    parallelChunks(parts) { wlo, whi in
        for w in wlo..<whi {
            let dw = pp.p + w * 2 * d, db = dw + d
            for r in (rows * w / parts)..<(rows * (w + 1) / parts) {
                let x = ip.p + r * d, g = dop.p + r * d, dx = dip.p + r * d
                let mu = mp.p[r], rs = rp.p[r]
                // Σ dnorm and Σ dnorm·x̂ over the row, dnorm = w ⊙ dout.
                var a = V16(), b = V16(), i = 0
                while i + 16 <= d {
                    let xh = (load16(x + i) - mu) * rs, gi = load16(g + i), dn = load16(wp.p + i) * gi
                    a += dn; b += dn * xh
                    store16(load16(dw + i) + gi * xh, dw + i)
                    store16(load16(db + i) + gi, db + i)
                    i += 16
                }
                var sa = a.sum(), sb = b.sum()
                while i < d {
                    let xh = (x[i] - mu) * rs, dn = wp.p[i] * g[i]
                    sa += dn; sb += dn * xh
                    dw[i] += g[i] * xh; db[i] += g[i]
                    i += 1
                }
                let ma = sa / Float(d), mb = sb / Float(d)
                i = 0
                while i + 16 <= d {
                    let xh = (load16(x + i) - mu) * rs, dn = load16(wp.p + i) * load16(g + i)
                    store16(load16(dx + i) + (dn - ma - xh * mb) * rs, dx + i)
                    i += 16
                }
                while i < d {
                    let xh = (x[i] - mu) * rs, dn = wp.p[i] * g[i]
                    dx[i] += (dn - ma - xh * mb) * rs
                    i += 1
                }
            }
        }
    }
    for w in 0..<parts {
        addInPlace(dweight, partial.pointer + w * 2 * d, d)
        addInPlace(dbias, partial.pointer + w * 2 * d + d, d)
    }
}

/// Naive references in Double.
func layerNormForwardNaive(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                           weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, d: Int, eps: Float) {
    for r in 0..<rows {
        let x = (0..<d).map { Double(inp[r * d + $0]) }
        let mu = x.reduce(0, +) / Double(d)
        let v = x.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(d)
        let rs = 1 / (v + Double(eps)).squareRoot()
        for i in 0..<d { out[r * d + i] = Float((x[i] - mu) * rs * Double(weight[i]) + Double(bias[i])) }
    }
}

func layerNormBackwardNaive(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                            dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                            inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, d: Int, eps: Float) {
    for r in 0..<rows {
        let x = (0..<d).map { Double(inp[r * d + $0]) }
        let mu = x.reduce(0, +) / Double(d)
        let v = x.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(d)
        let rs = 1 / (v + Double(eps)).squareRoot()
        let xh = x.map { ($0 - mu) * rs }
        let dn = (0..<d).map { Double(weight[$0]) * Double(dout[r * d + $0]) }
        let ma = dn.reduce(0, +) / Double(d)
        let mb = zip(dn, xh).reduce(0) { $0 + $1.0 * $1.1 } / Double(d)
        for i in 0..<d {
            dinp[r * d + i] += Float((dn[i] - ma - xh[i] * mb) * rs)
            dweight[i] += Float(Double(dout[r * d + i]) * xh[i])
            dbias[i] += dout[r * d + i]
        }
    }
}
