import Foundation

/// The rectangle a panel draws its data in (the axes sit on its left and bottom edges).
public struct PlotFrame: Sendable {
    public var left: Double, right: Double, top: Double, bottom: Double
    public init(left: Double, right: Double, top: Double, bottom: Double) {
        self.left = left; self.right = right; self.top = top; self.bottom = bottom
    }
    public var width: Double { right - left }
    public var height: Double { bottom - top }
}

/// One linear axis: the data range it shows, its ticks, and room inside the range so that end points
/// do not sit on the frame.
public struct PlotAxis: Sendable {
    public var lo: Double, hi: Double
    public var ticks: [Double]
    /// Added at both ends, as a fraction of hi − lo.
    public var padFraction: Double

    public init(lo: Double, hi: Double, ticks: [Double], padFraction: Double = 0) {
        self.lo = lo; self.hi = hi; self.ticks = ticks; self.padFraction = padFraction
    }

    /// Where `v` lies between the pixel positions `a` (at lo) and `b` (at hi).
    public func position(_ v: Double, from a: Double, to b: Double) -> Double {
        let pad = padFraction * (hi - lo)
        return a + (v - lo + pad) / (hi - lo + 2 * pad) * (b - a)
    }

    /// An axis over `values` with round ticks (steps of 1, 2, 2.5 or 5 × 10ⁿ, at most `intervals` of
    /// them) that enclose the data; `includeZero` starts a positive range at 0.
    public static func nice(_ values: [Double], intervals: Int = 6, includeZero: Bool = false) -> PlotAxis {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
        if hi <= lo { let w = lo == 0 ? 1 : abs(lo) * 0.1; lo -= w; hi += w }
        let raw = (hi - lo) / Double(max(intervals, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { ((hi / $0).rounded(.up) - (lo / $0).rounded(.down)) <= Double(intervals) }
            ?? 10 * magnitude
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
        return PlotAxis(lo: first * step, hi: last * step, ticks: ticks)
    }
}

/// Labelled axes in a frame: grid lines and labels at the y ticks, tick marks and labels at the x
/// ticks, both axis lines, and the two axis titles (the y title turned a quarter).
public struct PlotAxes: Sendable {
    public var x: PlotAxis, y: PlotAxis
    public var xTitle: String, yTitle: String
    /// Tick labels instead of the numbers (e.g. layer names); by position in `ticks`.
    public var xLabels: [String]? = nil, yLabels: [String]? = nil

    public init(x: PlotAxis, y: PlotAxis, xTitle: String, yTitle: String) {
        self.x = x; self.y = y; self.xTitle = xTitle; self.yTitle = yTitle
    }

    public func px(_ v: Double, _ f: PlotFrame) -> Double { x.position(v, from: f.left, to: f.right) }
    public func py(_ v: Double, _ f: PlotFrame) -> Double { y.position(v, from: f.bottom, to: f.top) }

    public func draw(in doc: inout SVGDocument, _ f: PlotFrame) {
        for (i, v) in y.ticks.enumerated() where v.isFinite {
            doc.line(f.left, py(v, f), f.right, py(v, f), stroke: "gainsboro")
            doc.text(yLabels?[i] ?? SVG.label(v), x: f.left - 8, y: py(v, f) + 4, anchor: .end)
        }
        for (i, v) in x.ticks.enumerated() where v.isFinite {
            doc.line(px(v, f), f.bottom, px(v, f), f.bottom + 5, stroke: "black")
            doc.text(xLabels?[i] ?? SVG.label(v), x: px(v, f), y: f.bottom + 19, anchor: .middle)
        }
        doc.line(f.left, f.bottom, f.right, f.bottom, stroke: "black")
        doc.line(f.left, f.top, f.left, f.bottom, stroke: "black")
        doc.text(xTitle, x: (f.left + f.right) / 2, y: f.bottom + 42, anchor: .middle)
        doc.text(yTitle, x: f.left - 46, y: (f.top + f.bottom) / 2, anchor: .middle, rotated: true)
    }
}
