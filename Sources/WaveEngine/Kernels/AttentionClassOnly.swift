// Attention for the class-token query only (the last block of a class-token-only forward).
// Shapes: qkv [B, T, 3D] as in Attention.swift; probs [B·H, T] (one row per image and head);
// y [B, D] (the class rows only).
//   forward:  p = softmax(scale·q0·Kᵀ),  y = p·V
//   backward: dp = dy·Vᵀ,  dV = pᵀ·dy,  ds = p⊙(dp − ⟨dp, p⟩),  dq0 = scale·ds·K,  dK = scale·dsᵀ·q0
// Only row 0 of Q receives a gradient: the other query rows of dqkv are zero.

func attentionForwardClassOnly(y: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                               qkv: UnsafePointer<Float>, _ s: AttentionShape) {
    let T = s.tokens, D = s.dim, hd = s.headDim, H = s.heads
    let qkvP = SendablePointer(qkv), probsP = SendablePointer(probs), yP = SendablePointer(y)
    Profile.measure(.attentionGEMM) {
        forEachHead(s) { b, h in
            let base = qkvP.p + b * T * 3 * D + h * hd, row = probsP.p + (b * H + h) * T
            sgemmSingleThreaded(false, 1, T, hd, alpha: s.scale, base, 3 * D, true, base + D, 3 * D, row, T)
        }
    }
    Profile.measure(.softmax) { softmaxRows(probs, rows: s.batch * H, n: T) }
    Profile.measure(.attentionGEMM) {
        forEachHead(s) { b, h in
            let base = qkvP.p + b * T * 3 * D + h * hd, row = probsP.p + (b * H + h) * T
            sgemmSingleThreaded(false, 1, hd, T, row, T, false, base + 2 * D, 3 * D, yP.p + b * D + h * hd, D)
        }
    }
}

/// dqkv = ∂L/∂qkv (overwritten, zero outside the class query, all keys and all values).
/// `scratch` holds at least [B·H, T] floats.
func attentionBackwardClassOnly(dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                dy: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                _ s: AttentionShape) {
    let T = s.tokens, D = s.dim, hd = s.headDim, H = s.heads
    dqkv.update(repeating: 0, count: s.batch * T * 3 * D)
    let qkvP = SendablePointer(qkv), probsP = SendablePointer(probs), dyP = SendablePointer(dy)
    let dqkvP = SendablePointer(dqkv), scratchP = SendablePointer(scratch)
    Profile.measure(.attentionGEMM) {
        forEachHead(s) { b, h in
            let off = b * T * 3 * D + h * hd, r = b * H + h
            let g = dyP.p + b * D + h * hd, p = probsP.p + r * T
            sgemmSingleThreaded(false, 1, T, hd, g, D, true, qkvP.p + off + 2 * D, 3 * D, scratchP.p + r * T, T)
            // dV = pᵀ·dy: an outer product (k = 1).
            sgemmSingleThreaded(true, T, hd, 1, p, T, false, g, D, dqkvP.p + off + 2 * D, 3 * D)
        }
    }
    Profile.measure(.softmax) { softmaxBackwardRows(scratch, probs, rows: s.batch * H, n: T) }
    Profile.measure(.attentionGEMM) {
        forEachHead(s) { b, h in
            let off = b * T * 3 * D + h * hd, ds = scratchP.p + (b * H + h) * T
            sgemmSingleThreaded(false, 1, hd, T, alpha: s.scale, ds, T, false, qkvP.p + off + D, 3 * D, dqkvP.p + off, 3 * D)
            sgemmSingleThreaded(true, T, hd, 1, alpha: s.scale, ds, T, false, qkvP.p + off, 3 * D, dqkvP.p + off + D, 3 * D)
        }
    }
}
