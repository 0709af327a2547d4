// Losses over a batch. Each returns the loss (a batch mean, accumulated in Double) and, when given
// a gradient buffer, ADDS weight·∂loss/∂input into it, so combined objectives
// (α·KD + (1−α)·CE, feature + CE) sum their gradients in one buffer without extra passes.

public enum Loss {
    /// Cross-entropy with label smoothing ε, as `F.cross_entropy(label_smoothing: ε)`: the target is
    /// (1−ε)·onehot + ε/K, loss averaged over the batch.
    public static func crossEntropy(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                    classes K: Int, smoothing eps: Float = 0,
                                    grad: UnsafeMutablePointer<Float>? = nil, weight: Float = 1) -> Float {
        var total = 0.0
        var p = [Double](repeating: 0, count: K)
        for b in 0..<batch {
            let z = logits + b * K, y = Int(labels[b])
            precondition(y >= 0 && y < K, "label \(y) outside 0..<\(K)")
            let lse = logSumExp(z, K, into: &p)
            var meanNLL = 0.0
            for k in 0..<K { meanNLL += lse - Double(z[k]) }
            meanNLL /= Double(K)
            total += (1 - Double(eps)) * (lse - Double(z[y])) + Double(eps) * meanNLL
            if let grad {
                let s = Double(weight) / Double(batch)
                for k in 0..<K {
                    let target = (k == y ? 1 - Double(eps) : 0) + Double(eps) / Double(K)
                    grad[b * K + k] += Float(s * (p[k] - target))
                }
            }
        }
        return Float(total / Double(batch))
    }

    /// Knowledge distillation KL(softmax(t/τ) ‖ softmax(s/τ))·τ², batch mean (Hinton; as
    /// `F.kl_div(log_softmax(s/τ), log_softmax(t/τ), log_target=True, reduction="batchmean")·τ²`).
    /// ∂/∂s = τ·(softmax(s/τ) − softmax(t/τ))/B.
    public static func klDistillation(student: UnsafePointer<Float>, teacher: UnsafePointer<Float>, batch: Int,
                                      classes K: Int, temperature tau: Float,
                                      grad: UnsafeMutablePointer<Float>? = nil, weight: Float = 1) -> Float {
        var total = 0.0
        var ps = [Double](repeating: 0, count: K), pt = [Double](repeating: 0, count: K)
        var zs = [Float](repeating: 0, count: K), zt = [Float](repeating: 0, count: K)
        let t = Double(tau)
        for b in 0..<batch {
            for k in 0..<K { zs[k] = student[b * K + k] / tau; zt[k] = teacher[b * K + k] / tau }
            let ls = logSumExp(zs, K, into: &ps), lt = logSumExp(zt, K, into: &pt)
            for k in 0..<K where pt[k] > 0 {
                total += pt[k] * ((Double(zt[k]) - lt) - (Double(zs[k]) - ls))
            }
            if let grad {
                let s = Double(weight) * t / Double(batch)
                for k in 0..<K { grad[b * K + k] += Float(s * (ps[k] - pt[k])) }
            }
        }
        return Float(total / Double(batch) * t * t)
    }

    /// Feature distillation by cosine: mean over rows of 1 − cos(s_r, t_r), vectors of length `dim`.
    public static func cosineFeature(student: UnsafePointer<Float>, teacher: UnsafePointer<Float>, rows: Int,
                                     dim: Int, grad: UnsafeMutablePointer<Float>? = nil, weight: Float = 1) -> Float {
        var total = 0.0
        let epsNorm = 1e-8
        for r in 0..<rows {
            let s = student + r * dim, t = teacher + r * dim
            var ss = 0.0, tt = 0.0, st = 0.0
            for i in 0..<dim {
                ss += Double(s[i]) * Double(s[i]); tt += Double(t[i]) * Double(t[i]); st += Double(s[i]) * Double(t[i])
            }
            let ns = max(ss.squareRoot(), epsNorm), nt = max(tt.squareRoot(), epsNorm)
            let cos = st / (ns * nt)
            total += 1 - cos
            if let grad {
                // ∂(1 − cos)/∂s = −(t/(|s||t|) − cos·s/|s|²)
                let c = Double(weight) / Double(rows)
                for i in 0..<dim {
                    let d = Double(t[i]) / (ns * nt) - cos * Double(s[i]) / (ns * ns)
                    grad[r * dim + i] -= Float(c * d)
                }
            }
        }
        return Float(total / Double(rows))
    }

    /// Smooth-L1 (Huber with threshold β), mean over all n elements, as `F.smooth_l1_loss(beta: β)`.
    public static func smoothL1(student: UnsafePointer<Float>, teacher: UnsafePointer<Float>, count n: Int,
                                beta: Float = 1, grad: UnsafeMutablePointer<Float>? = nil, weight: Float = 1) -> Float {
        var total = 0.0
        let b = Double(beta), c = Double(weight) / Double(n)
        for i in 0..<n {
            let d = Double(student[i]) - Double(teacher[i]), a = abs(d)
            total += a < b ? 0.5 * d * d / b : a - 0.5 * b
            if let grad { grad[i] += Float(c * (a < b ? d / b : (d > 0 ? 1 : -1))) }
        }
        return Float(total / Double(n))
    }

    /// Index of the largest logit per image.
    public static func argmax(logits: UnsafePointer<Float>, batch: Int, classes K: Int) -> [Int] {
        (0..<batch).map { b in
            var best = 0
            for k in 1..<K where logits[b * K + k] > logits[b * K + best] { best = k }
            return best
        }
    }

    /// log Σ exp(z), leaving softmax(z) in `p`.
    private static func logSumExp(_ z: UnsafePointer<Float>, _ K: Int, into p: inout [Double]) -> Double {
        var m = -Double.infinity
        for k in 0..<K { m = max(m, Double(z[k])) }
        var s = 0.0
        for k in 0..<K { p[k] = libmExp(Double(z[k]) - m); s += p[k] }
        for k in 0..<K { p[k] /= s }
        return m + libmLog(s)
    }

    private static func logSumExp(_ z: [Float], _ K: Int, into p: inout [Double]) -> Double {
        z.withUnsafeBufferPointer { logSumExp($0.baseAddress!, K, into: &p) }
    }
}
