/// How the units (rows or columns) of a d-wide tensor become those of a d'-wide one, for the
/// layer-copying baselines: every target unit reads one source unit; an input column is
/// divided by `inputScale` so that copied inputs add up to what one of them gave (Net2Net's
/// rule, which makes integer widening function-preserving like WAVE's block-diagonal scalers).
public struct UnitMap: Sendable, Equatable {
    public let source: [Int]
    public let inputScale: [Float]

    public var count: Int { source.count }

    /// Unit i' copies unit i' mod d (LiGO's copy-selection; plain identity when d' = d).
    /// Inputs are divided by how many copies their source unit has.
    public static func copy(from d: Int, to dp: Int) -> UnitMap {
        let src = (0..<dp).map { $0 % d }
        var copies = [Int](repeating: 0, count: d)
        for s in src { copies[s] += 1 }
        return UnitMap(source: src, inputScale: src.map { 1 / Float(copies[$0]) })
    }

    /// Uniform element selection (Weight Selection): d' ≤ d units evenly spaced, no rescaling.
    public static func uniform(from d: Int, to dp: Int) -> UnitMap {
        precondition(dp <= d, "uniform selection narrows only")
        return UnitMap(source: (0..<dp).map { $0 * d / dp }, inputScale: [Float](repeating: 1, count: dp))
    }

    /// Copy-selection when widening, uniform selection when narrowing.
    public static func adapt(from d: Int, to dp: Int) -> UnitMap { dp >= d ? copy(from: d, to: dp) : uniform(from: d, to: dp) }

    /// The same map applied to `groups` consecutive blocks of d units (fused q, k, v rows).
    public func grouped(_ groups: Int, sourceWidth d: Int) -> UnitMap {
        var src: [Int] = [], scale: [Float] = []
        for g in 0..<groups { src += source.map { g * d + $0 }; scale += inputScale }
        return UnitMap(source: src, inputScale: scale)
    }

    /// A [rows, cols] matrix with rows and columns remapped (columns are inputs, so scaled).
    public static func matrix(_ w: [Float], cols: Int, rows r: UnitMap, cols c: UnitMap) -> [Float] {
        var out = [Float](repeating: 0, count: r.count * c.count)
        for i in 0..<r.count {
            let src = r.source[i] * cols, dst = i * c.count
            for j in 0..<c.count { out[dst + j] = w[src + c.source[j]] * c.inputScale[j] }
        }
        return out
    }

    /// A vector (or the rows of a [n, inner] tensor) remapped without scaling.
    public func rows(_ v: [Float], inner: Int = 1) -> [Float] {
        var out = [Float](repeating: 0, count: count * inner)
        for i in 0..<count { for k in 0..<inner { out[i * inner + k] = v[source[i] * inner + k] } }
        return out
    }

    /// The last axis of a [rows, d] tensor remapped without scaling (cls_token, pos_embed).
    public func lastAxis(_ v: [Float], width d: Int) -> [Float] {
        let n = v.count / d
        var out = [Float](repeating: 0, count: n * count)
        for r in 0..<n { for i in 0..<count { out[r * count + i] = v[r * d + source[i]] } }
        return out
    }
}
