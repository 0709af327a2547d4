import Foundation

/// How values become colours: a fixed number of steps, so a picture of thousands of cells is one
/// path per colour (horizontal runs of a colour merged) instead of one element per cell.
public struct ColourScale: Sendable {
    public enum Kind: Sendable {
        /// Signed values: blue below zero, white at zero, red above, symmetric in ±limit.
        case diverging(limit: Double)
        /// Magnitudes from lo (dark purple) to hi (yellow).
        case sequential(lo: Double, hi: Double)
    }
    public var kind: Kind
    /// Colours on each side of zero (diverging) or in all (sequential).
    public var steps: Int

    public init(_ kind: Kind, steps: Int = 12) { self.kind = kind; self.steps = max(steps, 2) }

    /// Symmetric around zero, reaching the largest magnitude in `values` (1 when all are zero).
    public static func diverging(_ values: [Double], steps: Int = 12) -> ColourScale {
        let m = values.filter(\.isFinite).map(abs).max() ?? 0
        return ColourScale(.diverging(limit: m > 0 ? m : 1), steps: steps)
    }

    public var range: (lo: Double, hi: Double) {
        switch kind { case let .diverging(l): return (-l, l); case let .sequential(lo, hi): return (lo, hi) }
    }

    /// The colour step of `v` (clamped to the range); nil for a value that is not finite.
    public func level(_ v: Double) -> Int? {
        guard v.isFinite else { return nil }
        switch kind {
        case let .diverging(l):
            let u = max(-1, min(1, v / l))
            return Int((u * Double(steps)).rounded())            // −steps…steps, 0 is white
        case let .sequential(lo, hi):
            let u = hi > lo ? max(0, min(1, (v - lo) / (hi - lo))) : 0
            return min(steps - 1, Int(u * Double(steps)))        // 0…steps−1
        }
    }

    public var levels: ClosedRange<Int> {
        switch kind { case .diverging: return -steps...steps; case .sequential: return 0...(steps - 1) }
    }

    /// The value at the middle of a step (what the colour bar shows it as).
    public func value(ofLevel k: Int) -> Double {
        switch kind {
        case let .diverging(l): return Double(k) / Double(steps) * l
        case let .sequential(lo, hi): return lo + (Double(k) + 0.5) / Double(steps) * (hi - lo)
        }
    }

    public func colour(ofLevel k: Int) -> String {
        switch kind {
        case .diverging:
            // ColorBrewer RdBu's ends and middle, interpolated.
            let u = Double(k) / Double(steps)
            return u < 0 ? Self.mix((247, 247, 247), (33, 102, 172), -u) : Self.mix((247, 247, 247), (178, 24, 43), u)
        case .sequential:
            // viridis at five anchors, interpolated.
            let anchors: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
            let u = (Double(k) + 0.5) / Double(steps) * Double(anchors.count - 1)
            let i = min(Int(u), anchors.count - 2)
            return Self.mix(anchors[i], anchors[i + 1], u - Double(i))
        }
    }

    private static func mix(_ a: (Double, Double, Double), _ b: (Double, Double, Double), _ t: Double) -> String {
        func c(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * t).rounded()) }
        return String(format: "#%02x%02x%02x", c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
    }

    /// The cells of a rows × cols grid (row-major) as one path per colour, in a group scaled so that a
    /// cell is 1 × 1: `<g transform="translate(x y) scale(w h)">`. Cells that are not finite stay empty.
    public func cells(_ values: [Double], rows: Int, cols: Int, in doc: inout SVGDocument,
                      x: Double, y: Double, cellWidth: Double, cellHeight: Double) {
        precondition(values.count == rows * cols, "ColourScale.cells: \(values.count) values for \(rows)×\(cols)")
        var runs: [Int: String] = [:]
        for r in 0..<rows {
            var c = 0
            while c < cols {
                guard let k = level(values[r * cols + c]) else { c += 1; continue }
                var end = c + 1
                while end < cols, level(values[r * cols + end]) == k { end += 1 }
                runs[k, default: ""] += "M\(c) \(r)h\(end - c)v1h-\(end - c)z"
                c = end
            }
        }
        doc.raw(#"<g transform="translate(\#(SVG.number(x)) \#(SVG.number(y))) scale(\#(Self.scale(cellWidth)) \#(Self.scale(cellHeight)))" "#
                + #"shape-rendering="crispEdges">"#)
        for k in runs.keys.sorted() { doc.raw(#"<path fill="\#(colour(ofLevel: k))" d="\#(runs[k]!)"/>"#) }
        doc.raw("</g>")
    }

    /// A cell size as a scale factor: three decimals (one-decimal rounding would shift a 60-cell row by pixels).
    private static func scale(_ v: Double) -> String {
        var s = String(format: "%.3f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// A vertical colour bar: every step as a band, labelled at the range's ends and middle, with its
    /// title (the values' unit) turned a quarter to its right.
    public func bar(in doc: inout SVGDocument, x: Double, top: Double, bottom: Double, title: String) {
        let ks = Array(levels), h = (bottom - top) / Double(ks.count)
        for (i, k) in ks.reversed().enumerated() { doc.rect(x, top + Double(i) * h, 14, h + 0.2, fill: colour(ofLevel: k)) }
        doc.rect(x, top, 14, bottom - top, fill: "none", stroke: "black")
        let (lo, hi) = range
        for (v, yy) in [(hi, top), ((lo + hi) / 2, (top + bottom) / 2), (lo, bottom)] {
            doc.line(x + 14, yy, x + 18, yy, stroke: "black")
            doc.text(Self.short(v), x: x + 21, y: yy + 4)
        }
        doc.text(title, x: x + 70, y: (top + bottom) / 2, anchor: .middle, rotated: true)
    }

    /// A value in at most four significant digits.
    public static func short(_ v: Double) -> String { v == 0 ? "0" : String(format: "%.3g", v) }
}

/// A grid of values as coloured cells in a frame: rows top to bottom, columns left to right, with
/// labelled row ticks, column groups (thin separators and a label under each) and a colour bar.
public struct Heatmap: Sendable {
    public var values: [Double]
    public var rows: Int, cols: Int
    public var scale: ColourScale
    public var xTitle: String, yTitle: String
    /// Rows to label on the left, by index.
    public var rowLabels: [(row: Int, text: String)] = []
    /// Consecutive column ranges with a label each (e.g. one per template); separators between them.
    public var columnGroups: [(start: Int, count: Int, label: String)] = []
    public var colourBarTitle: String
    /// Off when several maps share one scale and one bar drawn beside them.
    public var showColourBar = true

    public init(values: [Double], rows: Int, cols: Int, scale: ColourScale, xTitle: String, yTitle: String, colourBarTitle: String) {
        precondition(values.count == rows * cols, "Heatmap: \(values.count) values for \(rows)×\(cols)")
        self.values = values; self.rows = rows; self.cols = cols; self.scale = scale
        self.xTitle = xTitle; self.yTitle = yTitle; self.colourBarTitle = colourBarTitle
    }

    /// Draws the cells in `f` (the colour bar goes 16 px right of it).
    public func draw(in doc: inout SVGDocument, _ f: PlotFrame) {
        let cw = f.width / Double(max(cols, 1)), ch = f.height / Double(max(rows, 1))
        scale.cells(values, rows: rows, cols: cols, in: &doc, x: f.left, y: f.top, cellWidth: cw, cellHeight: ch)
        doc.rect(f.left, f.top, f.width, f.height, fill: "none", stroke: "black")
        for g in columnGroups {
            let x0 = f.left + Double(g.start) * cw
            if g.start > 0 { doc.line(x0, f.top, x0, f.bottom, stroke: "black", width: 1) }
            doc.text(g.label, x: x0 + Double(g.count) * cw / 2, y: f.bottom + 16, anchor: .middle)
        }
        for r in rowLabels {
            doc.text(r.text, x: f.left - 6, y: f.top + (Double(r.row) + 0.5) * ch + 4, anchor: .end)
        }
        if !xTitle.isEmpty { doc.text(xTitle, x: (f.left + f.right) / 2, y: f.bottom + 36, anchor: .middle) }
        if !yTitle.isEmpty { doc.text(yTitle, x: f.left - 40, y: (f.top + f.bottom) / 2, anchor: .middle, rotated: true) }
        if showColourBar { scale.bar(in: &doc, x: f.right + 16, top: f.top, bottom: f.bottom, title: colourBarTitle) }
    }
}
