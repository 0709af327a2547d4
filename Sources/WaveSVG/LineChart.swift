import Foundation

/// Lines (with or without point markers) and scatter series over labelled axes, with an optional
/// legend to the right of the frame. Points that are not finite are left out.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var label: String
        public var colour: String
        public var points: [(x: Double, y: Double)]
        /// A dashed line (e.g. a reference that is not one of the compared methods).
        public var dashed: Bool
        public var line: Bool
        public var markers: Bool
        public var lineWidth: Double

        public init(label: String, colour: String, points: [(x: Double, y: Double)], dashed: Bool = false,
                    line: Bool = true, markers: Bool = true, lineWidth: Double = 2) {
            self.label = label; self.colour = colour; self.points = points; self.dashed = dashed
            self.line = line; self.markers = markers; self.lineWidth = lineWidth
        }
    }

    /// A vertical marker line at a data x (e.g. "kept: 6"), labelled at its top.
    public struct Marker: Sendable {
        public var x: Double, label: String, colour: String
        public init(x: Double, label: String, colour: String = "black") { self.x = x; self.label = label; self.colour = colour }
    }

    public var axes: PlotAxes
    public var series: [Series]
    public var markers: [Marker] = []
    /// Where the legend's entries start (nil: no legend); one entry per 20 px downwards.
    public var legendAt: (x: Double, y: Double)? = nil

    public init(axes: PlotAxes, series: [Series]) { self.axes = axes; self.series = series }

    public func draw(in doc: inout SVGDocument, _ f: PlotFrame) {
        axes.draw(in: &doc, f)
        for m in markers where m.x.isFinite {
            let x = axes.px(m.x, f)
            doc.line(x, f.top, x, f.bottom, stroke: m.colour, width: 1, dash: "4 3")
            doc.text(m.label, x: x + 4, y: f.top + 12, fill: m.colour)
        }
        for s in series {
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            let dash = s.dashed ? "6 3" : nil
            if s.line { doc.polyline(pts.map { (axes.px($0.x, f), axes.py($0.y, f)) }, stroke: s.colour, width: s.lineWidth, dash: dash) }
            if s.markers { for p in pts { doc.circle(axes.px(p.x, f), axes.py(p.y, f), r: 3, fill: s.colour) } }
        }
        guard let at = legendAt else { return }
        for (i, s) in series.enumerated() {
            let ly = at.y + 20 * Double(i), lx = at.x
            if s.line { doc.line(lx, ly, lx + 24, ly, stroke: s.colour, width: s.lineWidth, dash: s.dashed ? "6 3" : nil) }
            if s.markers { doc.circle(lx + 12, ly, r: 3, fill: s.colour) }
            doc.text(s.label, x: lx + 32, y: ly + 4)
        }
    }
}
