/// The pooled features feature distillation compares (METHOD.md: the final normalized class token
/// and the mean patch token), read from `ViTActivations.tokens` [B, T, D], and the way back:
/// a gradient on the pooled features scattered into ∂L/∂tokens for `ViTModel.backward(dtokens:)`.
public enum Features {
    /// out[b] = [tokens[b,0] | mean_{t≥1} tokens[b,t]], shape [B, 2D].
    public static func classAndMeanPatch(_ a: ViTActivations, into out: UnsafeMutablePointer<Float>) {
        let T = a.tokenCount, D = a.width
        for b in 0..<a.batch {
            let tok = a.tokens.pointer + b * T * D, o = out + b * 2 * D
            o.update(from: tok, count: D)
            let m = o + D
            m.update(repeating: 0, count: D)
            for t in 1..<T { addInPlace(m, tok + t * D, D) }
            scaleInPlace(m, D, by: 1 / Float(T - 1))
        }
    }

    /// dtokens[b,0] += g[b, :D];  dtokens[b,t≥1] += g[b, D:]/(T−1).
    public static func scatterClassAndMeanPatch(_ g: UnsafePointer<Float>, into dtokens: UnsafeMutablePointer<Float>,
                                                batch: Int, tokens T: Int, width D: Int) {
        var share = [Float](repeating: 0, count: D)
        for b in 0..<batch {
            let gb = g + b * 2 * D, dt = dtokens + b * T * D
            addInPlace(dt, gb, D)
            for i in 0..<D { share[i] = gb[D + i] / Float(T - 1) }
            for t in 1..<T { addInPlace(dt + t * D, share, D) }
        }
    }
}
