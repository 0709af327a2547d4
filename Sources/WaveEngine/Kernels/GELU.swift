// GELU over n values (the MLP's hidden activations, [rows, m] flattened).
//   exact: y = x·Φ(x),  Φ(x) = ½(1 + erf(x/√2)),  y' = Φ(x) + x·φ(x),  φ(x) = e^{−x²/2}/√(2π)
//   tanh:  y = ½x(1 + tanh u),  u = √(2/π)(x + 0.044715x³),  y' = ½(1 + tanh u) + ½x(1 − tanh²u)·u'
// The backward recomputes Φ/tanh from the cached pre-activation instead of caching a second
// [rows, m] buffer: two vexp per element cost less than the memory traffic.

private let invSqrt2: Float = 0.707_106_781_186_547_5
private let invSqrt2Pi: Float = 0.398_942_280_401_432_7
private let sqrt2OverPi: Float = 0.797_884_560_802_865_4

func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, n: Int, tanhApprox: Bool) {
    let o = SendablePointer(out), ip = SendablePointer(inp)
    parallelChunks(n / 16, minPerChunk: 1024) { lo, hi in
        let end = hi * 16 == n / 16 * 16 ? n : hi * 16
        let start = lo * 16
        if tanhApprox {
            mapVec(ip.p + start, o.p + start, end - start) { x in
                let u = sqrt2OverPi * (x + 0.044_715 * x * x * x)
                return 0.5 * x * (1 + vtanh(u))
            }
        } else {
            mapVec(ip.p + start, o.p + start, end - start) { x in 0.5 * x * (1 + verf(x * invSqrt2)) }
        }
    }
}

/// dinp = dout ⊙ gelu'(inp) (overwrites).
func geluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                  n: Int, tanhApprox: Bool) {
    let dip = SendablePointer(dinp), dop = SendablePointer(dout), ip = SendablePointer(inp)
    parallelChunks(n / 16, minPerChunk: 1024) { lo, hi in
        let start = lo * 16, end = hi * 16 == n / 16 * 16 ? n : hi * 16
        var i = start
        @inline(__always) func grad(_ x: V16) -> V16 {
            if tanhApprox {
                let x2 = x * x
                let u: V16 = sqrt2OverPi * (x + 0.044_715 * x2 * x)
                let t = vtanh(u)
                let du: V16 = sqrt2OverPi * (1 + 0.134_145 * x2)
                let sech2: V16 = 1 - t * t
                let half: V16 = 0.5 * (1 + t)
                return half + 0.5 * x * sech2 * du
            }
            let cdf: V16 = 0.5 * (1 + verf(x * invSqrt2))
            let pdf: V16 = invSqrt2Pi * vexp(-0.5 * x * x)
            return cdf + x * pdf
        }
        while i + 16 <= end { store16(load16(dop.p + i) * grad(load16(ip.p + i)), dip.p + i); i += 16 }
        if i < end {
            let k = end - i
            storePartial(loadPartial(dop.p + i, k) * grad(loadPartial(ip.p + i, k)), dip.p + i, k)
        }
    }
}

/// Naive references through libm in Double.
func geluNaive(_ x: Float, tanhApprox: Bool) -> Float {
    let v = Double(x)
    if tanhApprox {
        return Float(0.5 * v * (1 + _tanh(Double(sqrt2OverPi) * (v + 0.044715 * v * v * v))))
    }
    return Float(0.5 * v * (1 + _erf(v / 2.0.squareRoot())))
}

func geluGradNaive(_ x: Float, tanhApprox: Bool) -> Float {
    let v = Double(x)
    if tanhApprox {
        let c = (2 / Double.pi).squareRoot()
        let t = _tanh(c * (v + 0.044715 * v * v * v))
        return Float(0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v))
    }
    return Float(0.5 * (1 + _erf(v / 2.0.squareRoot())) + v * _exp(-0.5 * v * v) / (2 * Double.pi).squareRoot())
}
