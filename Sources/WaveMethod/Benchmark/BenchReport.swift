import Foundation

/// The benchmark's reports: Markdown shaped like the paper's Tables 1-2 (a depth table at the ancestry's
/// width, a width table at one depth), a flat CSV of every cell and epoch, and the results as JSON.
/// Pure functions of the results, so one run always renders the same bytes.
public enum BenchReport {
    public static func markdown(_ r: BenchResults) -> String {
        let index = BenchCellIndex(r.cells)
        var out: [String] = []
        out.append("# Learngene benchmark: profile `\(r.profile)`")
        out.append("")
        out.append("- **Date:** \(r.date)")
        out.append("- **Machine:** \(r.machine)")
        out.append("- **Ancestry:** \(r.ancestry) (L=\(r.ancestryDepth), d=\(r.ancestryWidth)); Heru-LG and Auto-LG take "
                   + "\(r.learngeneLayers) of its layers")
        out.append("- **Dataset:** \(r.dataset) at \(r.imageSize)×\(r.imageSize) px, \(grouped(r.testImages)) test images")
        out.append("- **WAVE bundle:** \(mebibytes(r.bundleBytes)) (\(grouped(r.bundleBytes)) bytes); \(r.condensation)")
        out.append("- **Wall time:** " + String(format: "%.0f s", r.seconds))
        out.append("")
        out.append("Command:")
        out.append("")
        out.append("```sh")
        out.append(r.command)
        out.append("```")

        for regime in r.regimes {
            out.append("")
            out.append("## Regime `\(regime.name)`")
            let depthSizes = r.depthSizes(of: regime)
            if !depthSizes.isEmpty {
                out.append("")
                out.append("### Depth at width d=\(r.ancestryWidth): test top-1 (%) after \(regime.epochs) epoch(s)")
                out.append("")
                out += table(index, regime: regime, sizes: depthSizes, headers: depthSizes.map { "L=\($0.depth)" })
            }
            if let w = r.widthTable(of: regime) {
                out.append("")
                out.append("### Width at depth L=\(w.depth): test top-1 (%) after \(regime.epochs) epoch(s)")
                out.append("")
                out += table(index, regime: regime, sizes: w.sizes,
                             headers: w.sizes.map { "d=\($0.width) (\(ratio($0.width, r.ancestryWidth))×)" })
            }
            // What each start is worth before (and after little) training: WAVE's fit trains its head,
            // the others start from a random head.
            let all = r.sizes(of: regime).sorted(by: bySize)
            if !all.isEmpty {
                out.append("")
                out.append("### Right after initialization (before training): test top-1 (%)")
                out.append("")
                out += table(index, regime: regime, sizes: all, headers: all.map(\.label), value: { $0.status == .ok ? $0.initTop1 : nil })
                if regime.epochs > 1 {
                    out.append("")
                    out.append("### After the first epoch: test top-1 (%)")
                    out.append("")
                    out += table(index, regime: regime, sizes: all, headers: all.map(\.label), value: { $0.status == .ok ? $0.top1.first : nil })
                }
            }
        }

        out.append("")
        out.append("## Training")
        out.append("")
        for regime in r.regimes {
            let images = regime.trainImages.map { "the first \(grouped($0)) training images" } ?? "all training images"
            if r.lrSearch.isEmpty {
                out.append("- `\(regime.name)`: \(images), \(regime.epochs) epoch(s); methods that start from ancestry weights "
                           + "at peak LR \(regime.transferLR), the rest at the scratch LR \(r.scratchLR).")
            } else {
                out.append("- `\(regime.name)`: \(images), \(regime.epochs) epoch(s), each method at its own peak LR (below).")
            }
        }
        out += lrSearchTable(r)

        out.append("")
        out.append("## Δ WAVE vs best other baseline (percentage points, Direct PT excluded)")
        out.append("")
        for regime in r.regimes {
            let parts = r.sizes(of: regime).sorted(by: bySize).compactMap { delta(index, regime: regime.name, size: $0) }
            out.append("- `\(regime.name)`: " + (parts.isEmpty ? "no size with both WAVE and another baseline" : parts.joined(separator: ", ")))
        }

        let used = BenchMethod.allCases.filter { m in r.cells.contains { $0.method == m } }
        out.append("")
        out.append("## Method definitions")
        out.append("")
        for m in used { out.append("- **\(m.title)**: \(m.definition)") }

        let notes = notesList(r.cells)
        if !notes.isEmpty {
            out.append("")
            out.append("## Notes")
            out.append("")
            out += notes
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The learning-rate search: one row per method, validation top-1 per rate, the chosen one bold.
    static func lrSearchTable(_ r: BenchResults) -> [String] {
        guard !r.lrSearch.isEmpty else { return [] }
        let rates = Array(Set(r.lrSearch.map(\.lr))).sorted(by: >)
        var out = ["", "Peak learning rate per method: every rate below was tried \(r.lrSearchSetting); the best on the "
                   + "held-out images (bold) is used for that method at every size and in every regime. Validation top-1 (%):", ""]
        out.append("| Method | " + rates.map { "LR \($0)" }.joined(separator: " | ") + " |")
        out.append("|---|" + rates.map { _ in "---:|" }.joined())
        for m in BenchMethod.allCases {
            let trials = r.lrSearch.filter { $0.method == m }
            guard !trials.isEmpty else { continue }
            let cells = rates.map { lr -> String in
                guard let t = trials.first(where: { $0.lr == lr }) else { return "" }
                let v = String(format: "%.1f", 100 * t.validationTop1)
                return t.chosen ? "**\(v)**" : v
            }
            out.append("| \(m.title) | " + cells.joined(separator: " | ") + " |")
        }
        return out
    }

    /// One row per cell, in `r.cells` order; top-1 as fractions, exactly as stored (columns: Schemas/bench.md).
    public static func csv(_ r: BenchResults) -> String {
        let epochs = max(r.regimes.map(\.epochs).max() ?? 0, r.cells.map { max($0.top1.count, $0.trainLoss.count) }.max() ?? 0)
        var header = ["regime", "method", "category", "depth", "width", "status", "parameters", "transferred", "extra_steps",
                      "extra_images", "train_images", "lr", "init_top1"]
        header += (0..<epochs).map { "top1_epoch_\($0 + 1)" }
        header.append("final_top1")
        header += (0..<epochs).map { "train_loss_epoch_\($0 + 1)" }
        header.append("seconds")
        var lines = [header.map(csvField).joined(separator: ",")]
        for c in r.cells {
            var row = [c.regime, c.method.rawValue, c.method.category.rawValue, "\(c.depth)", "\(c.width)", c.status.rawValue,
                       "\(c.parameters)", "\(c.transferred)", "\(c.extraSteps)", "\(c.extraImages)", "\(c.trainImages)",
                       "\(c.lr)", "\(c.initTop1)"]
            row += (0..<epochs).map { $0 < c.top1.count ? "\(c.top1[$0])" : "" }
            row.append(c.finalTop1.map { "\($0)" } ?? "")
            row += (0..<epochs).map { $0 < c.trainLoss.count ? "\(c.trainLoss[$0])" : "" }
            row.append("\(c.seconds)")
            lines.append(row.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Non-finite numbers (a diverged loss) are written as the strings "nan", "inf", "-inf" rather than
    /// failing the whole report; decode with `jsonDecoder()`. Schema: Schemas/bench-results.schema.json.
    public static func json(_ r: BenchResults) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try e.encode(r))
    }

    public static func jsonDecoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    // MARK: - Tables

    /// One table: methods with any cell in the regime, grouped by category (named on a group's first row).
    private static func table(_ index: BenchCellIndex, regime: BenchRegime, sizes: [BenchSize], headers: [String],
                              value: (BenchCell) -> Double? = { $0.finalTop1 }) -> [String] {
        let methods = BenchMethod.allCases.filter { index.has(regime.name, $0) }
        var lines = ["| Category | Method | Extra steps | Transferred (M) | " + headers.joined(separator: " | ") + " |",
                     "|---|---|---:|---:|" + String(repeating: "---:|", count: sizes.count)]
        // Compared as displayed (tenths of a point), so equal-looking values are bold together.
        let best: [Int?] = sizes.map { s in
            methods.filter { $0.category != .reference }.compactMap { index[regime.name, $0, s].flatMap(value).flatMap(tenths) }.max()
        }
        var lastCategory: BenchMethod.Category?
        for m in methods {
            let ok = sizes.compactMap { index[regime.name, m, $0] }.filter { $0.status == .ok }
            let steps = ok.map(\.extraSteps).max() ?? 0
            var row = [m.category == lastCategory ? "" : m.category.rawValue, m.title,
                       steps == 0 ? "—" : grouped(steps), transferredText(ok.map(\.transferred))]
            lastCategory = m.category
            for (j, s) in sizes.enumerated() {
                guard let c = index[regime.name, m, s] else { row.append(""); continue }
                switch c.status {
                case .notApplicable: row.append("n/a")
                case .notRun: row.append("not run")
                case .ok:
                    guard let v = value(c) else { row.append(""); continue }
                    guard let t = tenths(v) else { row.append("nan"); continue }
                    row.append(m.category != .reference && t == best[j] ? "**\(tenthsText(t))**" : tenthsText(t))
                }
            }
            lines.append("| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines
    }

    /// Millions with one decimal; a range where the table's sizes transfer different amounts.
    private static func transferredText(_ values: [Int]) -> String {
        guard let lo = values.min(), let hi = values.max(), hi > 0 else { return "—" }
        let a = String(format: "%.1f", Double(lo) / 1e6), b = String(format: "%.1f", Double(hi) / 1e6)
        return a == b ? a : "\(a)–\(b)"
    }

    private static func delta(_ index: BenchCellIndex, regime: String, size: BenchSize) -> String? {
        guard let wave = index[regime, .wave, size]?.finalTop1.flatMap(tenths) else { return nil }
        let others = BenchMethod.allCases.filter { $0 != .wave && $0.category != .reference }
            .compactMap { m in index[regime, m, size]?.finalTop1.flatMap(tenths).map { (method: m, t: $0) } }
        guard let best = others.max(by: { $0.t < $1.t }) else { return nil }
        let d = wave - best.t
        return "\(size.label) \(d > 0 ? "+" : d < 0 ? "-" : "")\(tenthsText(abs(d))) (vs \(best.method.title))"
    }

    /// Cells that were not run or not applicable (or carry a note), once per method, status and note.
    private static func notesList(_ cells: [BenchCell]) -> [String] {
        struct Key: Hashable { var method: BenchMethod; var status: BenchCell.Status; var note: String }
        var order: [Key] = []
        var places: [Key: [(regime: String, sizes: [BenchSize])]] = [:]
        for c in cells where c.status != .ok || !(c.note ?? "").isEmpty {
            let k = Key(method: c.method, status: c.status, note: c.note ?? "")
            if places[k] == nil { order.append(k); places[k] = [] }
            if let i = places[k]!.firstIndex(where: { $0.regime == c.regime }) {
                if !places[k]![i].sizes.contains(c.size) { places[k]![i].sizes.append(c.size) }
            } else {
                places[k]!.append((c.regime, [c.size]))
            }
        }
        return order.map { k in
            let status = k.status == .ok ? "ok" : k.status == .notRun ? "not run" : "n/a"
            let where_ = places[k]!.map { p in "`\(p.regime)` " + p.sizes.sorted(by: bySize).map(\.label).joined(separator: ", ") }
                .joined(separator: "; ")
            return "- **\(k.method.title)** (\(status))" + (k.note.isEmpty ? "" : ": \(k.note)") + " — \(where_)"
        }
    }

    // MARK: - Formatting

    static func tenths(_ top1: Double) -> Int? { top1.isFinite ? Int((1000 * top1).rounded()) : nil }
    static func tenthsText(_ t: Int) -> String { (t < 0 ? "-" : "") + "\(abs(t) / 10).\(abs(t) % 10)" }

    static func grouped(_ n: Int) -> String {
        var out = ""
        for (i, c) in String(n.magnitude).reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }

    static func mebibytes(_ n: Int) -> String { String(format: "%.1f MiB", Double(n) / 1_048_576) }

    /// Width over the ancestry width, as 0.5, 1, 1.5, 2.25.
    static func ratio(_ a: Int, _ b: Int) -> String {
        var s = String(format: "%.2f", Double(a) / Double(max(b, 1)))
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func bySize(_ a: BenchSize, _ b: BenchSize) -> Bool { (a.depth, a.width) < (b.depth, b.width) }
}

/// Cells by (regime, method, size); the first of any duplicates wins.
struct BenchCellIndex {
    private struct Key: Hashable { var regime: String; var method: BenchMethod; var size: BenchSize }
    private var cells: [Key: BenchCell] = [:]
    private var present: Set<String> = []

    init(_ list: [BenchCell]) {
        for c in list {
            let k = Key(regime: c.regime, method: c.method, size: c.size)
            if cells[k] == nil { cells[k] = c }
            present.insert(c.regime + "\u{0}" + c.method.rawValue)
        }
    }

    subscript(regime: String, method: BenchMethod, size: BenchSize) -> BenchCell? {
        cells[Key(regime: regime, method: method, size: size)]
    }

    func has(_ regime: String, _ method: BenchMethod) -> Bool { present.contains(regime + "\u{0}" + method.rawValue) }
}

/// Which sizes the depth and width tables (and plots) show.
extension BenchResults {
    /// The regime's sizes, then any its cells add, without repeats.
    func sizes(of regime: BenchRegime) -> [BenchSize] {
        var seen = Set<BenchSize>(), out: [BenchSize] = []
        for s in regime.sizes + cells.filter({ $0.regime == regime.name }).map(\.size) {
            if seen.insert(s).inserted { out.append(s) }
        }
        return out
    }

    /// Sizes at the ancestry's width, shallowest first.
    func depthSizes(of regime: BenchRegime) -> [BenchSize] {
        sizes(of: regime).filter { $0.width == ancestryWidth }.sorted(by: BenchReport.bySize)
    }

    /// The depth most common among sizes at another width than the ancestry's (ties to the shallower),
    /// and every size at that depth, narrowest first; nil when every size is at the ancestry's width.
    func widthTable(of regime: BenchRegime) -> (depth: Int, sizes: [BenchSize])? {
        let all = sizes(of: regime)
        var counts: [Int: Int] = [:]
        for s in all where s.width != ancestryWidth { counts[s.depth, default: 0] += 1 }
        guard let depth = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key else { return nil }
        return (depth, all.filter { $0.depth == depth }.sorted(by: BenchReport.bySize))
    }
}
