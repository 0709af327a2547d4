// Position-embedding resampling, as timm `resample_abs_pos_embed` does it: the class-token row is
// kept, the G×G grid of D-vectors is resized bicubically like PyTorch `F.interpolate(mode="bicubic",
// align_corners=False, antialias=False)`: source coordinate (dst + ½)·(in/out) − ½, Keys cubic
// convolution with a = −0.75, taps clamped to the border.

public enum PosEmbed {
    /// `posEmbed` [prefix + gin·gin, D] → [prefix + gout·gout, D].
    public static func resample(_ posEmbed: [Float], dim: Int, prefixTokens: Int = 1,
                                from gin: Int, to gout: Int) -> [Float] {
        precondition(posEmbed.count == (prefixTokens + gin * gin) * dim, "pos_embed is not \(prefixTokens) + \(gin)² rows of \(dim)")
        var out = [Float](repeating: 0, count: (prefixTokens + gout * gout) * dim)
        for i in 0..<(prefixTokens * dim) { out[i] = posEmbed[i] }
        if gin == gout {
            return posEmbed
        }
        let taps = (0..<gout).map { cubicTaps(dst: $0, inSize: gin, outSize: gout) }
        var acc = [Double](repeating: 0, count: dim)
        for oy in 0..<gout {
            for ox in 0..<gout {
                for k in 0..<dim { acc[k] = 0 }
                for (iy, wy) in taps[oy] {
                    for (ix, wx) in taps[ox] {
                        let wgt = wy * wx
                        let src = (prefixTokens + iy * gin + ix) * dim
                        for k in 0..<dim { acc[k] += wgt * Double(posEmbed[src + k]) }
                    }
                }
                let dst = (prefixTokens + oy * gout + ox) * dim
                for k in 0..<dim { out[dst + k] = Float(acc[k]) }
            }
        }
        return out
    }

    /// The four (source index, weight) pairs for output position `dst`.
    static func cubicTaps(dst: Int, inSize: Int, outSize: Int) -> [(Int, Double)] {
        let real = (Double(dst) + 0.5) * Double(inSize) / Double(outSize) - 0.5
        let i0 = Int(real.rounded(.down))
        let t = real - Double(i0)
        let a = -0.75
        func near(_ x: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func far(_ x: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        let w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
        return (0..<4).map { k in (min(max(i0 - 1 + k, 0), inSize - 1), w[k]) }
    }
}
