import WaveEngine

// The non-templated tensors of a target: stem and final norm widened the way the blocks are (so the
// residual stream of an integer-widened model is the source's, replicated), the stem resampled to a
// new grid, patch size or channel count, and the head inherited or new.
public enum StemTransforms {
    /// Tiles the last axis from `d` to `dp` (copies of the source, the last one truncated; the
    /// leading part when narrower). `x` is [rows, d].
    public static func tileLastAxis(_ x: [Float], d: Int, to dp: Int) -> [Float] {
        let rows = x.count / d
        var out = [Float](repeating: 0, count: rows * dp)
        for r in 0..<rows { for i in 0..<dp { out[r * dp + i] = x[r * d + i % d] } }
        return out
    }

    /// Tiles the first axis from `d` to `dp` rows of `inner` values each (patch_embed rows).
    public static func tileFirstAxis(_ x: [Float], d: Int, to dp: Int, inner: Int) -> [Float] {
        var out = [Float](repeating: 0, count: dp * inner)
        for r in 0..<dp { for i in 0..<inner { out[r * inner + i] = x[(r % d) * inner + i] } }
        return out
    }

    /// pos_embed [1, 1 + g², d] to a g'×g' grid (bicubic, as timm `resample_abs_pos_embed`), then tiled to d'.
    public static func posEmbed(_ x: [Float], d: Int, grid g: Int, to gp: Int, width dp: Int) -> [Float] {
        let resized = g == gp ? x : PosEmbed.resample(x, dim: d, from: g, to: gp)
        return tileLastAxis(resized, d: d, to: dp)
    }

    /// Patch kernels [d, C, p, p] → [d, C', p', p']: channels summed and spread evenly over C'
    /// (a grey image repeated in every channel gives the same response), kernels resized bilinearly
    /// and rescaled by (p/p')² (a smooth image gives the same response). Identity when nothing changes.
    public static func patchKernels(_ w: [Float], d: Int, channels c: Int, patch p: Int, toChannels cp: Int, toPatch pp: Int) -> [Float] {
        var x = w
        var ch = c
        if cp != c {
            var out = [Float](repeating: 0, count: d * cp * p * p)
            for o in 0..<d { for q in 0..<(p * p) {
                var sum: Float = 0
                for k in 0..<c { sum += w[(o * c + k) * p * p + q] }
                for k in 0..<cp { out[(o * cp + k) * p * p + q] = sum / Float(cp) }
            } }
            x = out
            ch = cp
        }
        guard pp != p else { return x }
        let taps = (0..<pp).map { linearTaps($0, inSize: p, outSize: pp) }
        let scale = Float(p * p) / Float(pp * pp)
        var out = [Float](repeating: 0, count: d * ch * pp * pp)
        for plane in 0..<(d * ch) {
            let src = plane * p * p, dst = plane * pp * pp
            for oy in 0..<pp { for ox in 0..<pp {
                var acc: Float = 0
                for (iy, wy) in taps[oy] { for (ix, wx) in taps[ox] { acc += wy * wx * x[src + iy * p + ix] } }
                out[dst + oy * pp + ox] = acc * scale
            } }
        }
        return out
    }

    /// Bilinear taps as PyTorch `interpolate(mode="bilinear", align_corners=False)` takes them.
    static func linearTaps(_ dst: Int, inSize: Int, outSize: Int) -> [(Int, Float)] {
        let x = max((Double(dst) + 0.5) * Double(inSize) / Double(outSize) - 0.5, 0)
        let i0 = min(Int(x), inSize - 1), i1 = min(i0 + 1, inSize - 1)
        let f = Float(x - Double(i0))
        return i0 == i1 ? [(i0, Float(1))] : [(i0, 1 - f), (i1, f)]
    }

    /// An inherited head [K, d] for width d' = k·d: columns tiled and divided by k, so the logits
    /// of a replicated feature are the source's logits.
    public static func inheritedHead(_ w: [Float], classes: Int, d: Int, to dp: Int) -> [Float] {
        let k = Float(dp) / Float(d)
        return tileLastAxis(w, d: d, to: dp).map { $0 / k }
    }

    /// A new head: N(0, 0.02²) weights, seeded.
    public static func freshHead(classes: Int, width dp: Int, seed: UInt64) -> [Float] {
        var rng = NormalRNG.forTensor("head.weight", seed: seed)
        return (0..<(classes * dp)).map { _ in 0.02 * rng.next() }
    }
}
