// AdamW with torch.optim.AdamW semantics (PyTorch ≥ 1.x, foreach=False path): decoupled weight
// decay applied to the parameter before the Adam update, bias-corrected moments:
//   p ← p·(1 − lr·wd)
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
// Weight decay applies per tensor (timm's `param_groups_weight_decay`: not to 1-D tensors, biases,
// pos_embed or cls_token).

public struct AdamWConfig: Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var eps: Float = 1e-8
    public var weightDecay: Float = 0.05
    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.05) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }
}

public final class AdamW: @unchecked Sendable {
    public let config: AdamWConfig
    public private(set) var step = 0
    let m: FloatBuffer, v: FloatBuffer
    /// (offset, count, decayed, learning-rate multiplier) per parameter tensor.
    let groups: [(Int, Int, Bool, Float)]

    /// `lrScale` multiplies the learning rate of a tensor (and so its decoupled decay), as a
    /// PyTorch param group with its own lr would; 0 freezes it.
    public init(layout: ParameterLayout, config: AdamWConfig = AdamWConfig(),
                decays: (ParameterLayout.Entry) -> Bool = AdamW.timmDecays,
                lrScale: (ParameterLayout.Entry) -> Float = { _ in 1 }) {
        self.config = config
        m = FloatBuffer(count: layout.count)
        v = FloatBuffer(count: layout.count)
        groups = layout.entries.map { ($0.offset, $0.count, decays($0), lrScale($0)) }
    }

    /// timm: decay matrices and conv kernels only.
    public static func timmDecays(_ e: ParameterLayout.Entry) -> Bool {
        !(e.shape.count <= 1 || e.name.hasSuffix(".bias") || e.name == "pos_embed" || e.name == "cls_token")
    }

    /// The optimizer's whole state (step count, first and second moments), for checkpoints that
    /// resume bit-for-bit.
    public var state: (step: Int, m: [Float], v: [Float]) { (step, m.array, v.array) }

    public func restore(step: Int, m mValues: [Float], v vValues: [Float]) {
        precondition(mValues.count == m.count && vValues.count == v.count, "AdamW.restore: sizes differ")
        self.step = step
        mValues.withUnsafeBufferPointer { m.pointer.update(from: $0.baseAddress!, count: m.count) }
        vValues.withUnsafeBufferPointer { v.pointer.update(from: $0.baseAddress!, count: v.count) }
    }

    /// One update of `params` from `grads` at learning rate `lr`.
    public func update(params: FloatBuffer, grads: FloatBuffer, lr: Float) {
        step += 1
        let c = config
        let bc1 = 1 - Float(libmExp(Double(step) * libmLog(Double(c.beta1))))
        let bc2 = 1 - Float(libmExp(Double(step) * libmLog(Double(c.beta2))))
        let stepSize = lr / bc1, invBC2Sqrt = 1 / bc2.squareRoot()
        let pp = SendablePointer(params.pointer), gp = SendablePointer(grads.pointer)
        let mp = SendablePointer(m.pointer), vp = SendablePointer(v.pointer)
        let groups = self.groups
        parallelChunks(groups.count) { lo, hi in
            for gi in lo..<hi {
                let (o, n, decay, scale) = groups[gi]
                let shrink: Float = decay ? 1 - scale * lr * c.weightDecay : 1
                let stepSize = scale * stepSize
                let p = pp.p + o, g = gp.p + o, mm = mp.p + o, vv = vp.p + o
                var i = 0
                while i + 16 <= n {
                    let gi = load16(g + i)
                    let m1 = c.beta1 * load16(mm + i) + (1 - c.beta1) * gi
                    let v1 = c.beta2 * load16(vv + i) + (1 - c.beta2) * gi * gi
                    store16(m1, mm + i); store16(v1, vv + i)
                    let denom = v1.squareRoot() * invBC2Sqrt + c.eps
                    store16(load16(p + i) * shrink - stepSize * m1 / denom, p + i)
                    i += 16
                }
                while i < n {
                    mm[i] = c.beta1 * mm[i] + (1 - c.beta1) * g[i]
                    vv[i] = c.beta2 * vv[i] + (1 - c.beta2) * g[i] * g[i]
                    p[i] = p[i] * shrink - stepSize * mm[i] / (vv[i].squareRoot() * invBC2Sqrt + c.eps)
                    i += 1
                }
            }
        }
    }
}

/// Gradient-norm clipping as `torch.nn.utils.clip_grad_norm_`: the global L2 norm over every
/// gradient; when above `maxNorm`, all gradients are scaled by maxNorm/(norm + 1e-6). Returns the
/// norm before clipping.
@discardableResult
public func clipGradNorm(_ grads: FloatBuffer, maxNorm: Float) -> Float {
    let norm = Float(sumOfSquares(grads.pointer, grads.count).squareRoot())
    let coef = maxNorm / (norm + 1e-6)
    if coef < 1 { scaleInPlace(grads.pointer, grads.count, by: coef) }
    return norm
}

/// Linear warmup then cosine decay, by optimizer step (0-based):
///   step < warmup:  lr = base·(step+1)/warmup
///   else:           lr = min + ½(base − min)(1 + cos(π·(step − warmup)/(total − warmup)))
public struct CosineSchedule: Sendable {
    public var baseLR: Float, minLR: Float, warmupSteps: Int, totalSteps: Int
    public init(baseLR: Float, minLR: Float = 0, warmupSteps: Int, totalSteps: Int) {
        self.baseLR = baseLR; self.minLR = minLR; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    public func lr(step: Int) -> Float {
        if step < warmupSteps { return baseLR * Float(step + 1) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        return minLR + Float(0.5 * Double(baseLR - minLR) * (1 + libmCos(Double.pi * progress)))
    }
}
