import WaveFormats
// Inheritance of scalers (METHOD.md "Inheritance", paper Eq. 7): depth by interpolation or TLEG's
// linear fit, width by block-diagonal padding. Templates never change; only the scaler grids do.

/// How target layers get their scalers.
public enum DepthInit: String, Sendable, CaseIterable {
    /// Target layer j reads the source at x = j·(L−1)/(L'−1), linearly between neighbours.
    case interp
    /// TLEG: S^l ≈ A + (l/L)·B fitted by least squares, then S'^j = A + (j/L')·B.
    case linearFit = "linear-fit"
}

public enum ScalerTransforms {
    /// Source position of target layer j (METHOD.md): j·(L−1)/(L'−1), or (L−1)/2 when L' = 1.
    public static func sourcePosition(_ j: Int, source L: Int, target Lp: Int) -> Double {
        Lp == 1 ? Double(L - 1) / 2 : Double(j) * Double(L - 1) / Double(Lp - 1)
    }

    /// The source layers target layer j mixes, with their weights: layer ⌊x⌋ alone where x =
    /// sourcePosition is a whole number, else ⌊x⌋ and ⌊x⌋+1 at 1−f and f (f = x − ⌊x⌋). The one
    /// home of the depth mapping: expansion (`depth`), the auxiliary model's builds
    /// (`TemplatedViT.mixing`) and the plan's description all read it. (x is a whole number exactly
    /// when it should be: j·(L−1) and L'−1 are integers, and IEEE division of integers with an integer
    /// quotient is exact.)
    public static func sourceLayers(_ j: Int, source L: Int, target Lp: Int) -> [(layer: Int, weight: Float)] {
        let x = sourcePosition(j, source: L, target: Lp)
        let i0 = min(Int(x.rounded(.down)), L - 1), f = Float(x - Double(i0))
        if f == 0 || i0 == L - 1 { return [(i0, 1)] }
        return [(i0, 1 - f), (i0 + 1, f)]
    }

    /// Scalers [L, K] (K values per layer) → [L', K].
    public static func depth(_ s: [Float], layers L: Int, perLayer K: Int, target Lp: Int, mode: DepthInit) -> [Float] {
        precondition(s.count == L * K)
        var out = [Float](repeating: 0, count: Lp * K)
        switch mode {
        case .interp:
            for j in 0..<Lp {
                let mix = sourceLayers(j, source: L, target: Lp)
                for k in 0..<K { out[j * K + k] = mix.reduce(0) { $0 + $1.weight * s[$1.layer * K + k] } }
            }
        case .linearFit:
            let (a, b) = linearFit(s, layers: L, perLayer: K)
            for j in 0..<Lp {
                let u = Float(Double(j) / Double(Lp))
                for k in 0..<K { out[j * K + k] = a[k] + u * b[k] }
            }
        }
        return out
    }

    /// Least-squares A, B with S^l ≈ A + (l/L)·B (B = 0 for a single layer).
    public static func linearFit(_ s: [Float], layers L: Int, perLayer K: Int) -> (a: [Float], b: [Float]) {
        let us = (0..<L).map { Double($0) / Double(L) }
        let mean = us.reduce(0, +) / Double(L)
        let varU = us.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        var a = [Float](repeating: 0, count: K), b = a
        for k in 0..<K {
            var sMean = 0.0
            for l in 0..<L { sMean += Double(s[l * K + k]) }
            sMean /= Double(L)
            var cov = 0.0
            for l in 0..<L { cov += (us[l] - mean) * (Double(s[l * K + k]) - sMean) }
            let slope = varU > 0 ? cov / varU : 0
            b[k] = Float(slope)
            a[k] = Float(sMean - mean * slope)
        }
        return (a, b)
    }

    /// Where target index a' along an axis of `groups` groups reads from: per group, the source's
    /// `nb` blocks repeat (copy c = position / nb), truncated at the target's `nbp` blocks.
    @inline(__always)
    static func axisSource(_ ap: Int, groups: Int, nb: Int, nbp: Int) -> (index: Int, copy: Int) {
        let g = ap / nbp, w = ap % nbp
        return (g * nb + w % nb, w / nb)
    }

    /// One layer's scalers [N, R, C] widened to [N, R', C'] block-diagonally: S' = I_k ⊗ S per row
    /// group for integer factors k, tiled along the diagonal for other multiples of t, the leading
    /// sub-grid for narrower targets; off-diagonal blocks are ε·N(0, 1) (zero when ε = 0).
    /// Vectors (C = 1) tile their chunks the same way (a replicated vector).
    public static func width(_ s: ArraySlice<Float>, from src: BlockShape, to dst: BlockShape, groups: Int,
                             noise: Float, rng: inout NormalRNG) -> [Float] {
        precondition(src.n == dst.n && s.count == src.scalerCount)
        let base = s.startIndex
        let nbR = src.r / groups, nbRp = dst.r / groups
        var out = [Float](repeating: 0, count: dst.scalerCount)
        let isVector = src.c == 1 && dst.c == 1 && src.tc == 1
        for i in 0..<dst.n {
            for ap in 0..<dst.r {
                let (a, ca) = axisSource(ap, groups: groups, nb: nbR, nbp: nbRp)
                for bp in 0..<dst.c {
                    let (b, cb) = axisSource(bp, groups: 1, nb: src.c, nbp: dst.c)
                    let o = i * dst.blocks + ap * dst.c + bp
                    if isVector || ca == cb {
                        out[o] = s[base + i * src.blocks + a * src.c + b]
                    } else if noise != 0 {
                        out[o] = noise * rng.next()
                    }
                }
            }
        }
        return out
    }
}

/// Seeded standard normals (SplitMix64 + Box–Muller) so expansions with noise are reproducible.
public struct NormalRNG: Sendable {
    private var state: UInt64
    private var spare: Float?
    public init(seed: UInt64) { state = seed }

    public mutating func nextBits() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> Float {
        if let s = spare { spare = nil; return s }
        let u1 = max(Double(nextBits() >> 11) / Double(1 << 53), 1e-300)
        let u2 = Double(nextBits() >> 11) / Double(1 << 53)
        let r = (-2 * _log(u1)).squareRoot()
        spare = Float(r * _sin(2 * .pi * u2))
        return Float(r * _cos(2 * .pi * u2))
    }

    /// A generator for one named tensor, independent of the order tensors are made in.
    public static func forTensor(_ name: String, seed: UInt64) -> NormalRNG {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return NormalRNG(seed: seed ^ h)
    }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }

extension ComponentFit {
    /// This component's scalers for every layer of `target` — depth by `request.depthInit`, then
    /// width by block-diagonal padding with the request's noise (seeded per output tensor) — and
    /// the target's block shape. What `Expander.plan` materializes and what a scaler fit trains.
    public func targetScalers(templateSize t: Int, target: ViTConfig, request r: ExpansionRequest) -> (shape: BlockShape, layers: [[Float]]) {
        let dst = spec.blockShape(n: shape.n, t: t, width: target.embedDim, mlp: target.mlpDim)
        let K = shape.scalerCount
        let deep = ScalerTransforms.depth(scalers, layers: layers, perLayer: K, target: target.depth, mode: r.depthInit)
        let out = (0..<target.depth).map { j -> [Float] in
            var rng = NormalRNG.forTensor(spec.tensorName(layer: j), seed: r.seed)
            return ScalerTransforms.width(deep[(j * K)..<((j + 1) * K)], from: shape, to: dst, groups: spec.groups,
                                          noise: r.noise, rng: &rng)
        }
        return (dst, out)
    }
}
