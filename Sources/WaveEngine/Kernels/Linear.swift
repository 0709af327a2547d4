import WaveTensor

// Linear layers in PyTorch layout: W is [outF, inF], activations are [rows, features] row-major.
//   forward   out  = inp · Wᵀ + b
//   backward  dinp = dout · W        (overwritten, or added when `accumulate`)
//             dW  += doutᵀ · inp
//             db  += Σ_rows dout
// Every product goes through the engine's tiled sgemm (Products.swift: tiles fixed by the shape,
// so the thread count changes nothing); the bias is pre-filled into `out` so the product lands on
// it with beta = 1 instead of a separate pass.

func linearForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                   _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                   rows: Int, inF: Int, outF: Int) {
    if let bias {
        for r in 0..<rows { (out + r * outF).update(from: bias, count: outF) }
    }
    parallelSgemm(false, true, rows, outF, inF, inp, inF, weight, inF, beta: bias == nil ? 0 : 1, out, outF)
}

/// dinp and dW are independent products of equal work: their tiles share the workers in one go
/// (below 2^23 multiply-adds each is one tile, so at 2 threads the two run side by side, whole).
func linearBackward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
                    dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                    rows: Int, inF: Int, outF: Int, accumulate: Bool = false) {
    var products = [Product(true, false, outF, inF, rows, dout, outF, inp, inF, beta: 1, dweight, inF)]
    if let dinp {
        products.append(Product(false, false, rows, inF, outF, dout, outF, weight, inF, beta: accumulate ? 1 : 0, dinp, inF))
    }
    runProducts(products)
    if let dbias { columnSums(dout, rows: rows, cols: outF, into: dbias) }
}

/// into[j] += Σ_r m[r, j], split by rows into `reductionParts` partial sums spread over the workers.
func columnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into: UnsafeMutablePointer<Float>) {
    let parts = reductionParts(rows: rows, minRows: 64)
    let partial = FloatBuffer(count: parts * cols)
    let mp = SendablePointer(m), pp = SendablePointer(partial.pointer)
    parallelChunks(parts, { lo, hi in
        for w in lo..<hi {
            let r0 = rows * w / parts, r1 = rows * (w + 1) / parts
            let acc = pp.p + w * cols
            for r in r0..<r1 { addInPlace(acc, UnsafePointer(mp.p + r * cols), cols) }
        }
    })
    for w in 0..<parts { addInPlace(into, UnsafePointer(partial.pointer + w * cols), cols) }
}

/// a[i] += b[i].
@inline(__always)
func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i + 16 <= n { store16(load16(a + i) + load16(b + i), a + i); i += 16 }
    while i < n { a[i] += b[i]; i += 1 }
}

/// Naive reference: out[r, j] = Σ_k inp[r, k]·W[j, k] + b[j], accumulated in Double.
public func linearForwardNaive(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                               _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                               rows: Int, inF: Int, outF: Int) {
    for r in 0..<rows {
        for j in 0..<outF {
            var s = Double(bias?[j] ?? 0)
            for k in 0..<inF { s += Double(inp[r * inF + k]) * Double(weight[j * inF + k]) }
            out[r * outF + j] = Float(s)
        }
    }
}

/// Naive reference of `linearBackward` (dinp overwritten; dW, db accumulated).
public func linearBackwardNaive(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rows: Int, inF: Int, outF: Int) {
    for r in 0..<rows {
        for k in 0..<inF {
            var s = 0.0
            for j in 0..<outF { s += Double(dout[r * outF + j]) * Double(weight[j * inF + k]) }
            dinp[r * inF + k] = Float(s)
        }
    }
    for j in 0..<outF {
        var sb = 0.0
        for r in 0..<rows { sb += Double(dout[r * outF + j]) }
        dbias[j] += Float(sb)
        for k in 0..<inF {
            var s = 0.0
            for r in 0..<rows { s += Double(dout[r * outF + j]) * Double(inp[r * inF + k]) }
            dweight[j * inF + k] += Float(s)
        }
    }
}
