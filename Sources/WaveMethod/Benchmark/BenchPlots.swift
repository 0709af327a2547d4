import Foundation

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

/// A line chart of top-1 percentages: y on 5-point-multiple ticks, x ticks where given, a legend on the right.
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
        let (L, R, T, B) = (Self.left, Self.right, Self.top, Self.bottom)
        // A little room inside the axes, so end points do not sit on them.
        let pad = 0.04 * (xHi - xLo)
        func px(_ x: Double) -> Double { L + (x - xLo + pad) / (xHi - xLo + 2 * pad) * (R - L) }
        func py(_ y: Double) -> Double { B - (y - yLo) / (yHi - yLo) * (B - T) }

        var s: [String] = []
        s.append(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        s.append(#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\#(n(Self.width))" height="\#(n(Self.height))" "#
                 + #"viewBox="0 0 \#(n(Self.width)) \#(n(Self.height))" font-family="sans-serif" font-size="12">"#)
        s.append("<title>\(xmlText(title))</title>")
        s.append(#"<rect x="0" y="0" width="\#(n(Self.width))" height="\#(n(Self.height))" fill="white"/>"#)
        s.append(#"<text x="\#(n((L + R) / 2))" y="26" text-anchor="middle" font-size="15">\#(xmlText(title))</text>"#)

        var y = yLo
        while y <= yHi + 1e-9 {
            s.append(#"<line x1="\#(n(L))" y1="\#(n(py(y)))" x2="\#(n(R))" y2="\#(n(py(y)))" stroke="gainsboro"/>"#)
            s.append(#"<text x="\#(n(L - 8))" y="\#(n(py(y) + 4))" text-anchor="end">\#(label(y))</text>"#)
            y += yStep
        }
        for x in xTicks where x.isFinite {
            s.append(#"<line x1="\#(n(px(x)))" y1="\#(n(B))" x2="\#(n(px(x)))" y2="\#(n(B + 5))" stroke="black"/>"#)
            s.append(#"<text x="\#(n(px(x)))" y="\#(n(B + 19))" text-anchor="middle">\#(label(x))</text>"#)
        }
        s.append(#"<line x1="\#(n(L))" y1="\#(n(B))" x2="\#(n(R))" y2="\#(n(B))" stroke="black"/>"#)
        s.append(#"<line x1="\#(n(L))" y1="\#(n(T))" x2="\#(n(L))" y2="\#(n(B))" stroke="black"/>"#)
        s.append(#"<text x="\#(n((L + R) / 2))" y="\#(n(B + 42))" text-anchor="middle">\#(xmlText(xTitle))</text>"#)
        s.append(#"<text x="18" y="\#(n((T + B) / 2))" text-anchor="middle" transform="rotate(-90 18 \#(n((T + B) / 2)))">"#
                 + "\(xmlText(yTitle))</text>")

        for line in series {
            let c = BenchPlots.colour(line.method)
            let dash = line.method.category == .reference ? #" stroke-dasharray="6 3""# : ""
            let pts = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            let coords = pts.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
            s.append(#"<polyline fill="none" stroke="\#(c)" stroke-width="2"\#(dash) points="\#(coords)"/>"#)
            for p in pts { s.append(#"<circle cx="\#(n(px(p.x)))" cy="\#(n(py(p.y)))" r="3" fill="\#(c)"/>"#) }
        }

        for (i, line) in series.enumerated() {
            let c = BenchPlots.colour(line.method), ly = T + 8 + 20 * Double(i), lx = R + 16
            let dash = line.method.category == .reference ? #" stroke-dasharray="6 3""# : ""
            s.append(#"<line x1="\#(n(lx))" y1="\#(n(ly))" x2="\#(n(lx + 24))" y2="\#(n(ly))" stroke="\#(c)" stroke-width="2"\#(dash)/>"#)
            s.append(#"<circle cx="\#(n(lx + 12))" cy="\#(n(ly))" r="3" fill="\#(c)"/>"#)
            s.append(#"<text x="\#(n(lx + 32))" y="\#(n(ly + 4))">\#(xmlText(line.method.title))</text>"#)
        }
        s.append("</svg>")
        return s.joined(separator: "\n") + "\n"
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

    private func n(_ v: Double) -> String {
        var s = String(format: "%.1f", v)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s == "-0" ? "0" : s
    }

    private func label(_ v: Double) -> String { v == v.rounded() ? "\(Int(v))" : String(format: "%g", v) }
}

/// Text and attribute values for XML; control characters XML 1.0 cannot carry are dropped.
private func xmlText(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\t", "\n", "\r": out.unicodeScalars.append(u)
        default: if u.value >= 0x20 && u.value != 0xFFFE && u.value != 0xFFFF { out.unicodeScalars.append(u) }
        }
    }
    return out
}
