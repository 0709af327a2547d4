import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import WaveMethod

/// The benchmark's renderers on a synthetic run: 2 regimes, 5 sizes around an ancestry of width 64,
/// Weight Selection not applicable wider than the ancestry, GHN-3 not run.
@Suite struct BenchReportTests {
    static let sizes = [(2, 64), (4, 64), (2, 32), (2, 96), (2, 128)].map { BenchSize(depth: $0.0, width: $0.1) }
    static let methods: [BenchMethod] = [.scratch, .mimetic, .ghn3, .weightSelection, .ligo, .tleg, .wave, .directPT]

    /// WAVE is the best baseline everywhere but at 2×128, where LiGO beats it by a point; Direct PT (the
    /// reference) is above all, and must never be bold.
    static func final(_ m: BenchMethod, _ s: BenchSize, regime: Int) -> Double {
        let base = 0.40 + 0.01 * Double(s.depth) + 0.01 * Double(s.width) / 64 + 0.1 * Double(regime)
        let offset: Double
        switch m {
        case .mimetic: offset = 0.02
        case .weightSelection: offset = 0.05
        case .ligo: offset = 0.08
        case .tleg: offset = 0.07
        case .wave: offset = s.width == 128 ? 0.07 : 0.11
        case .directPT: offset = 0.15
        default: offset = 0
        }
        return base + offset
    }

    static func results(regimeNames: [String] = ["low", "full"]) -> BenchResults {
        var cells: [BenchCell] = []
        let regimes = regimeNames.enumerated().map { i, name in
            BenchRegime(name: name, trainImages: i == 0 ? 2000 : nil, epochs: 2, sizes: sizes, transferLR: i == 0 ? 1e-3 : 5e-4)
        }
        for (ri, regime) in regimes.enumerated() {
            for s in sizes {
                for m in methods {
                    var c = BenchCell(regime: regime.name, method: m, depth: s.depth, width: s.width,
                                      parameters: 1000 * s.depth * s.width, trainImages: regime.trainImages ?? 60_000,
                                      lr: m.usesAncestry ? regime.transferLR : 5e-4, seconds: 1.5)
                    if m == .ghn3 {
                        c.status = .notRun
                        c.note = "needs the 2.5 GB GHN-3 checkpoint"
                    } else if m == .weightSelection && s.width > 64 {
                        c.status = .notApplicable
                        c.note = "wider than the ancestry"
                    } else {
                        let v = final(m, s, regime: ri)
                        c.initTop1 = m == .wave ? 0.3 : 0.1
                        c.top1 = [v - 0.05, v]
                        c.trainLoss = [1.5, 1.0]
                        c.transferred = m.usesAncestry ? 40_000 * s.depth * s.width : 0
                        c.extraSteps = m == .wave ? 1200 : m == .directPT ? 500 : 0
                        c.extraImages = 64 * c.extraSteps
                    }
                    cells.append(c)
                }
            }
        }
        return BenchResults(profile: "test", command: "wave bench --profile test", date: "2026-12-01", machine: "2 cores",
                            ancestry: "synthetic ViT", ancestryDepth: 4, ancestryWidth: 64, dataset: "synthetic", imageSize: 56,
                            testImages: 1000, scratchLR: 5e-4, learngeneLayers: 2, bundleBytes: 3_000_000,
                            condensation: "exact least squares", regimes: regimes, cells: cells, seconds: 12)
    }

    /// The Markdown tables: (header cells, rows of cells) for each run of lines starting with '|'.
    static func tables(_ md: String) -> [(header: [String], rows: [[String]])] {
        var out: [(header: [String], rows: [[String]])] = []
        var current: [[String]] = []
        for line in md.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) + [""] {
            if line.hasPrefix("|") {
                current.append(line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) })
            } else if !current.isEmpty {
                out.append((current[0], Array(current.dropFirst(2))))
                current = []
            }
        }
        return out
    }

    @Test func markdownNamesEveryMethodAndMarksCells() {
        let md = BenchReport.markdown(Self.results())
        for m in Self.methods { #expect(md.contains(m.title), "\(m.title)") }
        #expect(!md.contains(BenchMethod.shareInit.title))
        #expect(md.contains("wave bench --profile test"))
        let tables = Self.tables(md)
        // Per regime: depth, width, right after initialization, after the first epoch.
        #expect(tables.count == 8)
        #expect(md.contains("### Right after initialization") && md.contains("### After the first epoch"))
        #expect(tables[0].header.suffix(2) == ["L=2", "L=4"])
        #expect(tables[1].header.suffix(4) == ["d=32 (0.5×)", "d=64 (1×)", "d=96 (1.5×)", "d=128 (2×)"])
        for t in tables {
            let ghn = t.rows.first { $0[1] == "GHN-3" }!
            #expect(ghn.dropFirst(4).allSatisfy { $0 == "not run" })
            let ws = t.rows.first { $0[1] == "Weight Selection" }!
            let col96 = t.header.firstIndex(of: "d=96 (1.5×)")
            if let col96 { #expect(ws[col96] == "n/a") }
            #expect(t.rows.filter { !$0[0].isEmpty }.map { $0[0] } == ["Direct initialization", "Transfer initialization",
                                                                       "Learngene initialization", "Reference"])
            #expect(t.rows.first { $0[1] == "WAVE" }![2] == "1,200")
            #expect(t.rows.first { $0[1] == "Mimetic" }![3] == "—")
        }
    }

    @Test func theBestBaselinePerColumnAndOnlyItIsBold() {
        let tables = Self.tables(BenchReport.markdown(Self.results()))
        for t in tables {
            for col in 4..<t.header.count {
                let values = t.rows.filter { $0[1] != "Direct PT" }
                    .compactMap { row in Double(row[col].replacingOccurrences(of: "*", with: "")).map { (row[1], $0) } }
                let best = values.map(\.1).max()!
                let bold = t.rows.filter { $0[col].hasPrefix("**") }.map { $0[1] }
                #expect(bold == values.filter { $0.1 == best }.map(\.0), "\(t.header[col])")
                #expect(bold.count == 1)
            }
        }
        // At 2×128 LiGO (52.0) beats WAVE (51.0); elsewhere WAVE is bold.
        let width = tables[1]
        let col128 = width.header.firstIndex(of: "d=128 (2×)")!
        #expect(width.rows.first { $0[1] == "LiGO" }![col128] == "**52.0**")
        #expect(width.rows.first { $0[1] == "WAVE" }![col128] == "51.0")
        #expect(tables[0].rows.first { $0[1] == "WAVE" }![4] == "**54.0**")
    }

    @Test func deltaLineIsSigned() {
        let md = BenchReport.markdown(Self.results())
        let line = md.split(separator: "\n").first { $0.hasPrefix("- `low`:") && $0.contains("vs ") }!
        #expect(line.contains("2×64 +3.0 (vs LiGO)"))
        #expect(line.contains("2×128 -1.0 (vs LiGO)"))
        #expect(line.contains("2×32 +3.0 (vs LiGO)"))
        #expect(md.contains("- `low`: the first 2,000 training images, 2 epoch(s); methods that start from ancestry weights "
                            + "at peak LR 0.001, the rest at the scratch LR 0.0005."))
        #expect(md.contains("- `full`: all training images, 2 epoch(s);"))
    }

    @Test func notesNameEachMethodAndReasonOnce() {
        let md = BenchReport.markdown(Self.results())
        let notes = md.split(separator: "\n").filter { $0.hasPrefix("- **") && $0.contains(" — `") }
        #expect(notes.count == 2)
        #expect(notes.contains { $0.hasPrefix("- **GHN-3** (not run): needs the 2.5 GB GHN-3 checkpoint — `low` 2×32, 2×64, 2×96, 2×128, 4×64; `full` ") })
        #expect(notes.contains {
            $0.hasPrefix("- **Weight Selection** (n/a): wider than the ancestry — `low` 2×96, 2×128; `full` 2×96, 2×128")
        })
    }

    /// Splits one CSV line, honouring quotes and doubled quotes.
    static func fields(_ line: Substring) -> [String] {
        let chars = Array(line)
        var out: [String] = [], field = "", quoted = false, i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted && c == "\"" && i + 1 < chars.count && chars[i + 1] == "\"" {
                field.append("\"")
                i += 1
            } else if c == "\"" {
                quoted.toggle()
            } else if c == "," && !quoted {
                out.append(field)
                field = ""
            } else {
                field.append(c)
            }
            i += 1
        }
        out.append(field)
        return out
    }

    @Test func csvHasOneRowPerCellAndRoundTrips() throws {
        let r = Self.results()
        let lines = BenchReport.csv(r).split(separator: "\n")
        #expect(lines.count == 1 + r.cells.count)
        let header = Self.fields(lines[0])
        #expect(header.count == 15 + 2 * 2)
        #expect(header.prefix(3) == ["regime", "method", "category"])
        #expect(Array(header.suffix(4)) == ["final_top1", "train_loss_epoch_1", "train_loss_epoch_2", "seconds"])
        let rows = lines.dropFirst().map(Self.fields)
        #expect(rows.allSatisfy { $0.count == header.count })
        let final = header.firstIndex(of: "final_top1")!, status = header.firstIndex(of: "status")!
        for (row, cell) in zip(rows, r.cells) {
            #expect(row[1] == cell.method.rawValue && row[status] == cell.status.rawValue)
            #expect(row[final].isEmpty ? cell.finalTop1 == nil : Double(row[final]) == cell.finalTop1)
        }
        #expect(rows[0][2] == "Direct initialization")
    }

    @Test func specialCharactersAreQuotedEscapedAndSlugged() throws {
        let name = #"low, "<tiny>" & co"#
        let r = Self.results(regimeNames: [name])
        let rows = BenchReport.csv(r).split(separator: "\n").dropFirst().map(Self.fields)
        #expect(rows.allSatisfy { $0[0] == name })
        let plots = BenchPlots.all(r)
        #expect(plots.map(\.name).contains("top1-vs-depth-low-tiny-co.svg"))
        for p in plots { #expect(try Self.parse(p.svg).root == "svg", "\(p.name)") }
        #expect(BenchReport.markdown(r).contains("`\(name)`"))
    }

    @Test func jsonDecodesToTheSameCells() throws {
        var r = Self.results()
        r.cells[0].trainLoss[0] = .nan
        let back = try BenchReport.jsonDecoder().decode(BenchResults.self, from: Data(try BenchReport.json(r)))
        #expect(back.cells.count == r.cells.count)
        #expect(back.cells[0].trainLoss[0].isNaN)
        r.cells[0].trainLoss[0] = 1.5
        var b = back
        b.cells[0].trainLoss[0] = 1.5
        #expect(b.cells == r.cells)
        #expect(b.regimes == r.regimes && b.profile == r.profile && b.bundleBytes == r.bundleBytes)
    }

    static func parse(_ svg: String) throws -> (root: String?, namespace: String?, polylines: Int) {
        let outline = try SVGOutline(svg)   // PicturesTests.swift
        return (outline.root, outline.namespace, outline.elements.filter { $0 == "polyline" }.count)
    }

    @Test func plotsAreValidSVGWithOneLinePerMethod() throws {
        let r = Self.results()
        let plots = BenchPlots.all(r)
        #expect(plots.map(\.name) == ["top1-vs-epoch-low-4x64.svg", "top1-vs-depth-low.svg", "top1-vs-width-low.svg",
                                      "top1-vs-epoch-full-4x64.svg", "top1-vs-depth-full.svg", "top1-vs-width-full.svg"])
        func plotted(_ regime: String, _ sizes: [BenchSize]) -> Int {
            Set(r.cells.filter { $0.regime == regime && sizes.contains($0.size) && $0.status == .ok }.map(\.method)).count
        }
        for p in plots {
            let parsed = try Self.parse(p.svg)
            #expect(parsed.root == "svg" && parsed.namespace == "http://www.w3.org/2000/svg", "\(p.name)")
            #expect(!p.svg.contains("<script") && !p.svg.contains("href"))
            let regime = p.name.contains("low") ? "low" : "full"
            let sizes = p.name.hasPrefix("top1-vs-epoch") ? [BenchSize(depth: 4, width: 64)]
                : p.name.hasPrefix("top1-vs-depth") ? Self.sizes.filter { $0.width == 64 } : Self.sizes.filter { $0.depth == 2 }
            #expect(parsed.polylines == plotted(regime, sizes), "\(p.name)")
            #expect(parsed.polylines == 7, "\(p.name)")  // all but GHN-3; Weight Selection has ok cells in each
        }
        // Without a 4×64 the epoch plot takes the regime's first size.
        var r2 = r
        r2.regimes[0].sizes.removeAll { $0 == BenchSize(depth: 4, width: 64) }
        r2.cells.removeAll { $0.regime == "low" && $0.depth == 4 }
        #expect(BenchPlots.all(r2).first?.name == "top1-vs-epoch-low-2x64.svg")
    }

    @Test func yRangeIsPaddedToFivePointTicks() {
        let (lo, hi, step) = BenchLineChart.yRange([51.0, 63.2])
        #expect(lo == 50 && hi == 65 && step == 5)
        let wide = BenchLineChart.yRange([3, 97])
        #expect(wide.lo == 0 && wide.hi == 100 && wide.step.truncatingRemainder(dividingBy: 5) == 0)
        #expect((wide.hi - wide.lo) / wide.step <= 8)
    }

    /// A given bundle's distillation work comes from the report `wave condense` stores in it, so
    /// WAVE's extra steps are counted even without a bench run's BUNDLE.json beside the bundle.
    @Test func distillationWorkIsReadFromTheBundlesOwnReport() throws {
        let report = "distilled: 625 steps of 64 images (40000 training images, 1.00 epochs) at 56 px, depths 4,6,8,12, in 690 s\nloss: 1.6964 → 0.6231"
        let info = try #require(BenchRunner.distillationInfo(["distillation.report": report], bytes: 7))
        #expect(info.steps == 625 && info.images == 40000 && info.bytes == 7)
        #expect(info.summary == [String(report.split(separator: "\n")[0])])
        #expect(BenchRunner.distillationInfo([:], bytes: 7) == nil)
        #expect(BenchRunner.distillationInfo(["distillation.report": "distilled: many steps"], bytes: 7) == nil)
    }
}
