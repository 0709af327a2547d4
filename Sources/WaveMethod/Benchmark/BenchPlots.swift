import Foundation
import WaveSVG

/// The benchmark's figures as standalone SVG 1.1 (no fonts, scripts or links to fetch): per regime,
/// top-1 against epochs at one size, against depth at the ancestry's width, and against width at the
/// width table's depth. One line per method that has a result there, in a colour fixed per method.
public enum BenchPlots {
    public static func all(_ r: BenchResults) -> [(name: String, svg: String)] {
        let index = BenchCellIndex(r.cells)
        var out: [(name: String, svg: String)] = []
        for regime in r.regimes {
            let slug = fileSlug(regime.name)
            let sizes = r.sizes(of: regime)
            if let s = sizes.first(where: { $0.depth == 4 && $0.width == r.ancestryWidth }) ?? sizes.first {
                let series = BenchMethod.allCases.compactMap { m -> BenchLineChart.Series? in
                    guard let c = index[regime.name, m, s], c.status == .ok else { return nil }
                    let ys = [c.initTop1] + c.top1
                    return BenchLineChart.Series(method: m, points: ys.enumerated().map { (Double($0.offset), 100 * $0.element) })
                }
                if !series.isEmpty {
                    let epochs = max(regime.epochs, series.map { $0.points.count - 1 }.max() ?? 0)
                    let chart = BenchLineChart(title: "Top-1 by epoch: \(regime.name), \(s.label)", xTitle: "epoch (0: at initialization)",
                                               yTitle: "test top-1 (%)",
                                               xTicks: stride(from: 0, through: epochs, by: max(1, (epochs + 9) / 10)).map(Double.init),
                                               series: series)
                    out.append(("top1-vs-epoch-\(slug)-\(s.depth)x\(s.width).svg", chart.svg()))
                }
            }
            let depthSizes = r.depthSizes(of: regime)
            if let chart = finalTop1Chart(index, regime: regime.name, sizes: depthSizes, x: { $0.depth },
                                          title: "Top-1 by depth: \(regime.name), d=\(r.ancestryWidth)", xTitle: "depth L") {
                out.append(("top1-vs-depth-\(slug).svg", chart.svg()))
            }
            if let w = r.widthTable(of: regime),
               let chart = finalTop1Chart(index, regime: regime.name, sizes: w.sizes, x: { $0.width },
                                          title: "Top-1 by width: \(regime.name), L=\(w.depth)", xTitle: "width d") {
                out.append(("top1-vs-width-\(slug).svg", chart.svg()))
            }
        }
        return out
    }

    private static func finalTop1Chart(_ index: BenchCellIndex, regime: String, sizes: [BenchSize], x: (BenchSize) -> Int,
                                       title: String, xTitle: String) -> BenchLineChart? {
        let series = BenchMethod.allCases.compactMap { m -> BenchLineChart.Series? in
            let points = sizes.compactMap { s in index[regime, m, s]?.finalTop1.map { (Double(x(s)), 100 * $0) } }
            return points.isEmpty ? nil : BenchLineChart.Series(method: m, points: points)
        }
        guard !series.isEmpty else { return nil }
        return BenchLineChart(title: title, xTitle: xTitle, yTitle: "test top-1 (%) after training",
                              xTicks: sizes.map { Double(x($0)) }, series: series)
    }

    /// A regime name as a file-name part: ASCII letters, digits, '-', '_' and '.' kept, each run of
    /// anything else as one '-'.
    static func fileSlug(_ s: String) -> String {
        var out = ""
        for c in s {
            if c.isASCII && (c.isLetter || c.isNumber || "-_.".contains(c)) { out.append(c) } else if !out.hasSuffix("-") { out.append("-") }
        }
        return out.isEmpty || out.allSatisfy({ $0 == "." || $0 == "-" }) ? "regime" : out
    }

    /// Stable per method (index in `BenchMethod.allCases`): WAVE red, Direct PT black, scratch grey.
    static let palette = ["#7f7f7f", "#8c564b", "#bcbd22", "#1f77b4", "#17becf", "#9467bd", "#ff7f0e", "#e377c2", "#2ca02c",
                          "#d62728", "#000000"]

    static func colour(_ m: BenchMethod) -> String {
        palette[BenchMethod.allCases.firstIndex(of: m)! % palette.count]
    }
}

/// A line chart of top-1 percentages: y on 5-point-multiple ticks, x ticks where given, a legend on
/// the right. Drawn by the shared writer (Sources/WaveSVG), one panel per file.
struct BenchLineChart {
    struct Series {
        var method: BenchMethod
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var xTitle: String
    var yTitle: String
    var xTicks: [Double]
    var series: [Series]

    static let width = 850.0, height = 440.0
    /// The plot area; the legend (up to ~32 characters a line) sits right of it.
    static let left = 64.0, right = width - 250, top = 44.0, bottom = height - 56

    func svg() -> String {
        let valid = series.flatMap { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        var xLo = (xTicks + valid.map(\.x)).min() ?? 0, xHi = (xTicks + valid.map(\.x)).max() ?? 1
        if xHi <= xLo { xLo -= 1; xHi += 1 }
        let (yLo, yHi, yStep) = Self.yRange(valid.map(\.y))
        let frame = PlotFrame(left: Self.left, right: Self.right, top: Self.top, bottom: Self.bottom)
        // A little room inside the x axis, so end points do not sit on the frame.
        let axes = PlotAxes(x: PlotAxis(lo: xLo, hi: xHi, ticks: xTicks, padFraction: 0.04),
                            y: PlotAxis(lo: yLo, hi: yHi, ticks: stride(from: yLo, through: yHi + 1e-9, by: yStep).map { $0 }),
                            xTitle: xTitle, yTitle: yTitle)
        var chart = LineChart(axes: axes, series: series.map {
            LineChart.Series(label: $0.method.title, colour: BenchPlots.colour($0.method), points: $0.points,
                             dashed: $0.method.category == .reference)
        })
        chart.legendAt = (Self.right + 16, Self.top + 8)
        var doc = SVGDocument(width: Self.width, height: Self.height, title: title)
        doc.text(title, x: (Self.left + Self.right) / 2, y: 26, anchor: .middle, size: 15)
        doc.panel("top1") { chart.draw(in: &$0, frame) }
        return doc.rendered
    }

    /// Data range padded by a point, widened to multiples of a 5-point step (5, 10, 20, 25 or 50: at most
    /// 8 intervals), within 0-100.
    static func yRange(_ ys: [Double]) -> (lo: Double, hi: Double, step: Double) {
        guard let lo0 = ys.min(), let hi0 = ys.max() else { return (0, 100, 20) }
        let lo1 = max(0, lo0 - 1), hi1 = min(100, hi0 + 1)
        let step = [5.0, 10, 20, 25, 50].first { (ceil(hi1 / $0) - floor(lo1 / $0)) <= 8 } ?? 50
        var lo = floor(lo1 / step) * step, hi = ceil(hi1 / step) * step
        if hi <= lo { if hi + step <= 100 { hi += step } else { lo -= step } }
        return (lo, hi, step)
    }
}
