import Foundation
import WaveSVG

/// `wave inspect BUNDLE --plot DIR`: per component, three pictures (Schemas/bundle.md rule 1 for the
/// algebra they show): every layer's scaler grid as one heatmap row per layer; the templates as small
/// images with their share of the reconstructed energy; the singular spectrum of the stacked blocks
/// with the kept count marked.
public enum BundlePictures {
    public static func all(_ t: WaveTemplates) -> [(name: String, svg: String)] {
        t.components.flatMap { c -> [(name: String, svg: String)] in
            let energy = TemplateEnergy(c)
            let slug = c.spec.name
            return [("\(slug)-scalers.svg", scalers(c)), ("\(slug)-templates.svg", templates(c, energy)),
                    ("\(slug)-spectrum.svg", spectrum(c, energy))]
        }
    }

    /// "qkv (attn.qkv.weight): scalers" in large type, "6 templates of 384×384, 12 layers" under it.
    static func heading(_ c: ComponentFit, _ what: String, in doc: inout SVGDocument, note: String = "") {
        let size = c.spec.kind == .matrix ? "\(c.shape.tr)×\(c.shape.tc)" : "\(c.shape.tr)"
        doc.text("\(c.spec.name) (\(c.spec.tensor)): \(what)", x: 16, y: 24, size: 15)
        doc.text("\(c.shape.n) template\(c.shape.n == 1 ? "" : "s") of \(size), \(c.layers) layers" + (note.isEmpty ? "" : "; " + note),
                 x: 16, y: 42, fill: "dimgray")
    }

    /// One row per layer; per template its R×C scaler grid, row by row, templates left to right.
    static func scalers(_ c: ComponentFit) -> String {
        let n = c.shape.n, rc = c.shape.blocks, cols = n * rc, L = c.layers
        let values = c.scalers.map(Double.init)   // [L, N, RC] is already row l = (i, a, b)
        let cw = min(24, max(1, 720 / Double(max(cols, 1)))), ch = min(20, max(4, 420 / Double(L)))
        let f = PlotFrame(left: 90, right: 90 + cw * Double(cols), top: 60, bottom: 60 + ch * Double(L))
        var map = Heatmap(values: values, rows: L, cols: cols, scale: .diverging(values), xTitle: gridTitle(c),
                          yTitle: "ancestry layer l", colourBarTitle: "scaler value S^l_i[a, b]")
        let every = max(1, (L + 11) / 12)
        map.rowLabels = stride(from: 0, to: L, by: every).map { ($0, "\($0)") }
        map.columnGroups = (0..<n).map { ($0 * rc, rc, "T\($0 + 1)") }
        var doc = SVGDocument(width: max(f.right + 130, 520), height: f.bottom + 60, title: "\(c.spec.name) scalers")
        heading(c, "scalers S^l_i of every layer", in: &doc,
                note: rc == 1 ? "a cell: one template's coefficient in one layer" : "a cell: one block (a, b) of a template's grid")
        doc.panel("scalers") { map.draw(in: &$0, f) }
        return doc.rendered
    }

    static func gridTitle(_ c: ComponentFit) -> String {
        c.shape.blocks == 1 ? "template i" : "template i, then block (a, b) of its \(c.shape.r)×\(c.shape.c) grid"
    }

    /// Each template as an image (matrices: tr×tc, area-averaged to 32×32; vectors: a strip), with
    /// its share of the reconstructed energy.
    static func templates(_ c: ComponentFit, _ energy: TemplateEnergy) -> String {
        let e = c.shape.blockSize, matrix = c.spec.kind == .matrix
        let tiles = (0..<c.shape.n).map { i -> ImageTiles.Tile in
            let v = c.templates[(i * e)..<((i + 1) * e)].map(Double.init)
            let pct = String(format: "%.1f%%", 100 * energy.shares[i])
            return ImageTiles.Tile(values: v, rows: matrix ? c.shape.tr : 1, cols: matrix ? c.shape.tc : c.shape.tr,
                                   caption: "T\(i + 1): \(pct) of the energy")
        }
        var layout = ImageTiles(tiles: tiles, perRow: matrix ? 4 : 2, tileSize: matrix ? 150 : 384, maxCells: matrix ? 32 : 384,
                                colourBarTitle: "template entry")
        layout.stripHeight = 36
        let size = layout.size
        let sum = energy.shares.reduce(0, +)
        var doc = SVGDocument(width: max(size.width + 32, 620), height: size.height + 100, title: "\(c.spec.name) templates")
        heading(c, "templates T_i", in: &doc)
        guard !tiles.isEmpty else {
            doc.text("No templates: the stacked blocks are zero.", x: 16, y: 80)
            return doc.rendered
        }
        let (fr, fc) = ((tiles[0].rows + layout.maxCells - 1) / layout.maxCells, (tiles[0].cols + layout.maxCells - 1) / layout.maxCells)
        doc.text(fr > 1 || fc > 1 ? "colour: root mean square of each \(fr)×\(fc) block of entries, 0 (dark) to the template's largest (yellow)"
                                  : "colour: each entry, blue < 0 < red, each template on its own scale ±max |entry|", x: 16, y: 60, fill: "dimgray")
        doc.text(String(format: "energy share: Σ_l ‖S^l_i‖²·‖T_i‖² / Σ_l ‖Ŵ^l‖²; the shares sum to %.1f%%", 100 * sum)
                 + (abs(sum - 1) > 0.005 ? " (the templates are not orthogonal)" : ""), x: 16, y: 76, fill: "dimgray")
        layout.draw(in: &doc, x: 16, y: 92)
        return doc.rendered
    }

    /// Left: the singular values of the stacked blocks R (the ancestry's, when the bundle records them)
    /// and of the bundle's own R̂; right: the share of R's energy the first K directions hold.
    static func spectrum(_ c: ComponentFit, _ energy: TemplateEnergy) -> String {
        let n = c.shape.n
        let ancestry = c.spectrum, own = energy.spectrum
        let count = max(ancestry.count, own.count, 1)
        let xAxis = PlotAxis.nice([1, Double(count)], intervals: 8)
        let x = PlotAxis(lo: 1, hi: Double(count), ticks: [1] + xAxis.ticks.filter { $0 > 1 && $0 <= Double(count) }, padFraction: 0.03)
        let dots = count <= 64
        func points(_ s: [Double]) -> [(x: Double, y: Double)] { s.enumerated().map { (Double($0.offset + 1), $0.element) } }
        var series: [LineChart.Series] = []
        if !ancestry.isEmpty {
            series.append(.init(label: "ancestry R (every direction)", colour: "#1f77b4", points: points(ancestry), markers: dots))
        }
        series.append(.init(label: "this bundle's R̂ (\(own.count) kept)", colour: "#d62728", points: points(own), dashed: true,
                            line: own.count > 1, markers: true))
        let marker = LineChart.Marker(x: Double(n) + 0.5, label: "kept: \(n)", colour: "#d62728")
        var left = LineChart(axes: PlotAxes(x: x, y: .nice(ancestry + own, includeZero: true), xTitle: "direction k (largest first)",
                                            yTitle: "singular value σ_k"), series: series)
        left.markers = [marker]
        left.legendAt = (80, 352)
        let panelW = 380.0, gap = 110.0
        let f1 = PlotFrame(left: 76, right: 76 + panelW, top: 64, bottom: 284)
        var doc = SVGDocument(width: 76 + 2 * panelW + gap + 30, height: 400, title: "\(c.spec.name) spectrum")
        let rows = c.layers * c.shape.blocks
        heading(c, "singular spectrum of the stacked blocks", in: &doc,
                note: String(format: "R: one row per block of every layer (%d rows); least-squares relative error ‖R − R̂‖/‖R‖ = %.4f",
                             rows, c.relError))
        doc.panel("singular-values") { left.draw(in: &$0, f1) }
        let f2 = PlotFrame(left: f1.right + gap, right: f1.right + gap + panelW, top: 64, bottom: 284)
        if ancestry.isEmpty {
            doc.text("The ancestry's spectrum is not recorded in this bundle", x: f2.left, y: 150)
            doc.text("(it predates spectrum.C metadata); condense again to see it.", x: f2.left, y: 168)
            return doc.rendered
        }
        let cumulative = TemplateEnergy.cumulativeShares(ancestry).map { 100 * $0 }
        let keptShare = n > 0 && n <= cumulative.count ? cumulative[n - 1] : 0
        var right = LineChart(axes: PlotAxes(x: x, y: PlotAxis(lo: 0, hi: 100, ticks: stride(from: 0, through: 100, by: 20).map(Double.init)),
                                             xTitle: "directions kept K", yTitle: "energy in the first K (% of ‖R‖²)"),
                              series: [.init(label: "cumulative", colour: "#1f77b4", points: points(cumulative), markers: dots)])
        right.markers = [LineChart.Marker(x: Double(n) + 0.5, label: String(format: "kept %d: %.1f%%", n, keptShare), colour: "#d62728")]
        doc.panel("cumulative-energy") { right.draw(in: &$0, f2) }
        return doc.rendered
    }
}
