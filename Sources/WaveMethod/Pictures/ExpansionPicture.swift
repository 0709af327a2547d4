import Foundation
import WaveFormats
import WaveSVG

/// `wave expand --dry-run --plot DIR`: what each target layer draws from. First panel: the weight of
/// every source layer in each target layer's scalers (Schemas/bundle.md rule 5, through
/// `ScalerTransforms.depth`, the one home of the depth mapping); then per component, each template's
/// share of the energy of each target layer's weight (rule 6's widened scalers included).
public enum ExpansionPicture {
    /// [L', L]: row j holds the weight of source layer l in target layer j's scalers (interpolation:
    /// at most two non-zero, summing to 1; TLEG's linear fit: every layer, some weights negative).
    public static func sourceWeights(source L: Int, target Lp: Int, mode: DepthInit) -> [Float] {
        var identity = [Float](repeating: 0, count: L * L)
        for l in 0..<L { identity[l * L + l] = 1 }
        return ScalerTransforms.depth(identity, layers: L, perLayer: L, target: Lp, mode: mode)
    }

    /// [L', N]: share of template i in the energy of target layer j's weight, Σ over its blocks of
    /// S'^j_i² · ‖T_i‖², divided by the sum over i (exact for orthogonal templates).
    public static func templateShares(_ c: ComponentFit, templateSize t: Int, target: ViTConfig, request r: ExpansionRequest) -> [Double] {
        let (shape, layers) = c.targetScalers(templateSize: t, target: target, request: r)
        let e = c.shape.blockSize, n = shape.n, k = shape.blocks
        func squares(_ v: ArraySlice<Float>) -> Double { v.reduce(0.0) { $0 + Double($1) * Double($1) } }
        let norms: [Double] = (0..<n).map { i in squares(c.templates[(i * e)..<((i + 1) * e)]) }
        var out: [Double] = []
        for s in layers {
            let parts: [Double] = (0..<n).map { i in squares(s[(i * k)..<((i + 1) * k)]) * norms[i] }
            let sum = parts.reduce(0, +)
            out += parts.map { sum > 0 ? $0 / sum : 0 }
        }
        return out
    }

    public static func svg(_ t: WaveTemplates, _ r: ExpansionRequest) throws -> String {
        let target = try Expander.targetConfig(t, r), src = t.sourceConfig
        let L = src.depth, Lp = target.depth
        let ch = min(18, max(3, 360 / Double(Lp)))
        func rowLabels() -> [(row: Int, text: String)] {
            stride(from: 0, to: Lp, by: max(1, (Lp + 11) / 12)).map { ($0, "\($0)") }
        }
        let title = "Expansion \(L)×\(src.embedDim) → \(Lp)×\(target.embedDim) (\(r.depthInit.rawValue)): what each target layer draws from"
        // Source layers.
        let weights = sourceWeights(source: L, target: Lp, mode: r.depthInit).map(Double.init)
        let cw = min(22, max(4, 400 / Double(L)))
        let f1 = PlotFrame(left: 90, right: 90 + cw * Double(L), top: 80, bottom: 80 + ch * Double(Lp))
        var mix = Heatmap(values: weights, rows: Lp, cols: L, scale: .diverging(weights), xTitle: "source layer l",
                          yTitle: "target layer j", colourBarTitle: "weight of source layer l")
        mix.rowLabels = rowLabels()
        let labelEvery = max(1, (L + 11) / 12)
        mix.columnGroups = (0..<L).map { ($0, 1, $0 % labelEvery == 0 ? "\($0)" : "") }

        // Templates, one small map per component, on one shared 0–100% scale.
        let perRow = 5, tw = 14.0
        let maxN = t.components.map(\.shape.n).max() ?? 1
        let colW = max(tw * Double(maxN), 60) + 70, rowH = ch * Double(Lp) + 70
        let top2 = f1.bottom + 110
        let scale = ColourScale(.sequential(lo: 0, hi: 100), steps: 10)
        let rows = (t.components.count + perRow - 1) / perRow
        let width = max(f1.right + 200, 70 + Double(min(perRow, t.components.count)) * colW + 110)
        var doc = SVGDocument(width: width, height: top2 + Double(rows) * rowH + 10, title: title)
        doc.text(title, x: 16, y: 24, size: 15)
        doc.text(r.depthInit == .interp ? "target layer j reads the source at x = j·(L−1)/(L′−1), between layers ⌊x⌋ and ⌊x⌋+1"
                                        : "TLEG: every entry S^l ≈ A + (l/L)·B over all source layers, S′^j = A + (j/L′)·B",
                 x: 16, y: 44, fill: "dimgray")
        doc.panel("source-layers") { mix.draw(in: &$0, f1) }
        doc.text("Each template's share of the energy of target layer j's weight (Σ_blocks S′^j_i² · ‖T_i‖², normalized per layer)",
                 x: 16, y: top2 - 44, size: 13)
        for (k, c) in t.components.enumerated() {
            let shares = templateShares(c, templateSize: t.templateSize, target: target, request: r).map { 100 * $0 }
            let x0 = 70 + Double(k % perRow) * colW, y0 = top2 + Double(k / perRow) * rowH
            let f = PlotFrame(left: x0, right: x0 + tw * Double(c.shape.n), top: y0, bottom: y0 + ch * Double(Lp))
            var map = Heatmap(values: shares, rows: Lp, cols: c.shape.n, scale: scale, xTitle: "template", yTitle: "",
                              colourBarTitle: "")
            map.showColourBar = false
            map.rowLabels = k % perRow == 0 ? rowLabels() : []
            map.columnGroups = (0..<c.shape.n).map { ($0, 1, c.shape.n <= 8 || $0 % 2 == 0 ? "\($0 + 1)" : "") }
            doc.panel("templates-\(c.spec.name)") { doc in
                doc.text(c.spec.name, x: x0, y: y0 - 8, size: 13)
                map.draw(in: &doc, f)
            }
        }
        scale.bar(in: &doc, x: width - 90, top: top2, bottom: top2 + min(rowH - 70, 240), title: "share of the layer's energy (%)")
        return doc.rendered
    }
}
