// GELU over n values (the MLP's hidden activations, [rows, m] flattened).
//   exact: y = x·Φ(x),  Φ(x) = ½(1 + erf(x/√2)),  y' = Φ(x) + x·φ(x),  φ(x) = e^{−x²/2}/√(2π)
//   tanh:  y = ½x(1 + tanh u),  u = √(2/π)(x + 0.044715x³),  y' = ½(1 + tanh u) + ½x(1 − tanh²u)·u'
// The forward writes y' beside y: it shares the one vexp the forward needs anyway (erf's Gaussian
// is φ up to a constant), so the backward is a single multiply instead of a second erf + exp.

private let invSqrt2: Float = 0.707_106_781_186_547_5
private let invSqrt2Pi: Float = 0.398_942_280_401_432_7
private let sqrt2OverPi: Float = 0.797_884_560_802_865_4

@inline(__always)
private func geluAndGrad(_ x: V16, tanhApprox: Bool) -> (V16, V16) {
    if tanhApprox {
        let x2 = x * x
        let u: V16 = sqrt2OverPi * (x + 0.044_715 * x2 * x)
        let t = vtanh(u)
        let du: V16 = sqrt2OverPi * (1 + 0.134_145 * x2)
        let half: V16 = 0.5 * (1 + t)
        let sech2: V16 = 1 - t * t
        return (x * half, half + 0.5 * x * sech2 * du)
    }
    let (e, g) = verfWithGaussian(x * invSqrt2)
    let cdf: V16 = 0.5 * (1 + e)
    return (x * cdf, cdf + x * (invSqrt2Pi * g))
}

/// out = gelu(inp), deriv = gelu'(inp); without `deriv` (inference) only out, which saves the
/// derivative's arithmetic and a third of the memory traffic.
func geluForward(_ out: UnsafeMutablePointer<Float>, deriv: UnsafeMutablePointer<Float>?, _ inp: UnsafePointer<Float>,
                 n: Int, tanhApprox: Bool) {
    guard let deriv else { return geluForwardOnly(out, inp, n: n, tanhApprox: tanhApprox) }
    let o = SendablePointer(out), dp = SendablePointer(deriv), ip = SendablePointer(inp)
    parallelChunks(n / 16, minPerChunk: 1024) { lo, hi in
        let start = lo * 16, end = hi == n / 16 ? n : hi * 16
        var i = start
        while i + 16 <= end {
            let (y, d) = geluAndGrad(load16(ip.p + i), tanhApprox: tanhApprox)
            store16(y, o.p + i); store16(d, dp.p + i)
            i += 16
        }
        if i < end {
            let (y, d) = geluAndGrad(loadPartial(ip.p + i, end - i), tanhApprox: tanhApprox)
            storePartial(y, o.p + i, end - i); storePartial(d, dp.p + i, end - i)
        }
    }
}

private func geluForwardOnly(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, n: Int, tanhApprox: Bool) {
    let o = SendablePointer(out), ip = SendablePointer(inp)
    parallelChunks(n / 16, minPerChunk: 1024) { lo, hi in
        let start = lo * 16, end = hi == n / 16 ? n : hi * 16
        var i = start
        while i + 16 <= end {
            store16(geluAndGrad(load16(ip.p + i), tanhApprox: tanhApprox).0, o.p + i)
            i += 16
        }
        if i < end { storePartial(geluAndGrad(loadPartial(ip.p + i, end - i), tanhApprox: tanhApprox).0, o.p + i, end - i) }
    }
}

/// dinp = dout ⊙ deriv (dinp may alias dout).
func geluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, deriv: UnsafePointer<Float>, n: Int) {
    let dip = SendablePointer(dinp), dop = SendablePointer(dout), dp = SendablePointer(deriv)
    parallelChunks(n / 16, minPerChunk: 1024) { lo, hi in
        let start = lo * 16, end = hi == n / 16 ? n : hi * 16
        var i = start
        while i + 16 <= end { store16(load16(dop.p + i) * load16(dp.p + i), dip.p + i); i += 16 }
        while i < end { dip.p[i] = dop.p[i] * dp.p[i]; i += 1 }
    }
}

/// Naive references through libm in Double.
func geluNaive(_ x: Float, tanhApprox: Bool) -> Float {
    let v = Double(x)
    if tanhApprox {
        return Float(0.5 * v * (1 + libmTanh(Double(sqrt2OverPi) * (v + 0.044715 * v * v * v))))
    }
    return Float(0.5 * v * (1 + libmErf(v / 2.0.squareRoot())))
}

func geluGradNaive(_ x: Float, tanhApprox: Bool) -> Float {
    let v = Double(x)
    if tanhApprox {
        let c = (2 / Double.pi).squareRoot()
        let t = libmTanh(c * (v + 0.044715 * v * v * v))
        return Float(0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v))
    }
    return Float(0.5 * (1 + libmErf(v / 2.0.squareRoot())) + v * libmExp(-0.5 * v * v) / (2 * Double.pi).squareRoot())
}
