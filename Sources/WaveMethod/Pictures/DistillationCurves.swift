import Foundation
import WaveSVG

/// `wave condense --data`: the distillation's loss per step and its linear-probe measurements, as the
/// picture written beside the bundle (BUNDLE.curves.svg). The data are what the distiller already
/// keeps (`Distiller.lossHistory`, `Distiller.probes`), so nothing in its loop changes for them.
public enum DistillationCurves {
    /// Steps averaged in the loss's trend line (a single batch's loss jumps with the depth drawn).
    public static let window = 10

    /// One panel for the loss, a second for the probes when there are any.
    public static func svg(losses: [Float], probes: [ProbePoint], title: String) -> String {
        let panelW = 440.0, gap = 110.0, twoPanels = !probes.isEmpty
        var doc = SVGDocument(width: twoPanels ? 80 + 2 * panelW + gap + 150 : 80 + panelW + 150, height: 400, title: title)
        doc.text(title, x: 16, y: 24, size: 15)
        let f1 = PlotFrame(left: 80, right: 80 + panelW, top: 56, bottom: 300)

        let raw = losses.enumerated().map { (Double($0.offset + 1), Double($0.element)) }
        let trend = movingMean(losses.map(Double.init), window: window).enumerated().map { (Double($0.offset + 1), $0.element) }
        let steps = max(losses.count, probes.map(\.step).max() ?? 0, 1)
        let x = PlotAxis.nice([0, Double(steps)], intervals: 6)
        var loss = LineChart(axes: PlotAxes(x: PlotAxis(lo: 0, hi: x.hi, ticks: x.ticks, padFraction: 0.02),
                                            y: .nice(losses.map(Double.init), includeZero: true),
                                            xTitle: "distillation step", yTitle: "loss α·KD + (1−α)·CE"),
                             series: [.init(label: "per step", colour: "#9e9e9e", points: raw, markers: false, lineWidth: 1),
                                      .init(label: "mean of \(window) steps", colour: "#d62728", points: trend, markers: false)])
        loss.legendAt = (f1.left + 8, 352)
        doc.panel("loss") { loss.draw(in: &$0, f1) }
        guard twoPanels else { return doc.rendered }

        let f2 = PlotFrame(left: f1.right + gap, right: f1.right + gap + panelW, top: 56, bottom: 300)
        let depths = Array(Set(probes.map(\.depth))).sorted()
        let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
        let series = depths.enumerated().map { k, d in
            LineChart.Series(label: "depth-\(d) build", colour: colours[k % colours.count],
                             points: probes.filter { $0.depth == d }.sorted { $0.step < $1.step }.map { (Double($0.step), 100 * $0.top1) })
        }
        var probe = LineChart(axes: PlotAxes(x: PlotAxis(lo: 0, hi: x.hi, ticks: x.ticks, padFraction: 0.02),
                                             y: .nice(probes.map { 100 * $0.top1 }, intervals: 5),
                                             xTitle: "distillation step", yTitle: "linear-probe top-1 (%)"),
                              series: series)
        probe.legendAt = (f2.right + 16, f2.top + 8)
        doc.panel("probe") { probe.draw(in: &$0, f2) }
        return doc.rendered
    }

    /// The mean of the last `window` values at each step (fewer at the start).
    public static func movingMean(_ v: [Double], window: Int) -> [Double] {
        var out: [Double] = [], sum = 0.0
        for (i, x) in v.enumerated() {
            sum += x
            if i >= window { sum -= v[i - window] }
            out.append(sum / Double(min(i + 1, window)))
        }
        return out
    }
}
