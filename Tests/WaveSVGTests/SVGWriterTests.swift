import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import WaveSVG

/// The shared SVG writer: every document parses as XML, text survives escaping, the helpers put their
/// marks where the data say.
@Suite struct SVGWriterTests {
    @Test func escapedTextRoundTripsThroughAnXMLParser() throws {
        let tricky = "a < b & c > d \"quoted\" 'single' \u{1}\u{8}bell\u{FFFE} ümlaut σ_k ⊗"
        var doc = SVGDocument(width: 100, height: 50, title: tricky)
        doc.text(tricky, x: 1, y: 2)
        doc.panel(#"odd "name" <1>"#) { $0.circle(3, 4, r: 1, fill: "red") }
        let xml = try SVGXML(doc.rendered)
        #expect(xml.root == "svg" && xml.namespace == "http://www.w3.org/2000/svg")
        let expected = "a < b & c > d \"quoted\" 'single' bell ümlaut σ_k ⊗"
        #expect(xml.texts["title"] == [expected] && xml.texts["text"] == [expected])
        #expect(xml.panels == 1 && xml.count("circle") == 1)
        #expect(!doc.rendered.contains("<script") && !doc.rendered.contains("href"))
    }

    @Test func numbersHaveOneDecimalAndNoNegativeZero() {
        #expect(SVG.number(3) == "3" && SVG.number(-0.04) == "0" && SVG.number(12.345) == "12.3" && SVG.number(-7.25) == "-7.2")
        #expect(SVG.label(20) == "20" && SVG.label(0.25) == "0.25" && SVG.label(1e-4) == "0.0001")
    }

    @Test func niceAxesEncloseTheDataWithRoundSteps() {
        for (values, intervals) in [([0.0, 0.83], 6), ([3.2, 97.5], 5), ([-1.5, 2.25], 6), ([1e-5, 3e-4], 4), ([5.0, 5.0], 6), ([0.0, 625], 6)] {
            let a = PlotAxis.nice(values, intervals: intervals)
            #expect(a.lo <= values.min()! && a.hi >= values.max()! && a.hi > a.lo, "\(values)")
            #expect(a.ticks.count - 1 <= intervals && a.ticks.first == a.lo && a.ticks.last == a.hi, "\(values): \(a.ticks)")
            let step = a.ticks[1] - a.ticks[0], mantissa = step / pow(10, floor(log10(step)))
            #expect([1, 2, 2.5, 5].contains { abs($0 - mantissa) < 1e-9 }, "\(values): step \(step)")
        }
        #expect(PlotAxis.nice([0.2, 0.9], includeZero: true).lo == 0)
    }

    @Test func axisPositionsMapTheRangeOntoTheFrame() {
        let a = PlotAxis(lo: 10, hi: 20, ticks: [10, 20], padFraction: 0.1)
        #expect(abs(a.position(15, from: 100, to: 200) - 150) < 1e-9)
        #expect(abs(a.position(10, from: 100, to: 200) - (100 + 100.0 / 12)) < 1e-9)   // 1 of 12 units of padding
        let y = PlotAxis(lo: 0, hi: 1, ticks: [])
        #expect(y.position(1, from: 300, to: 50) == 50 && y.position(0, from: 300, to: 50) == 300)
    }

    @Test func divergingScaleIsWhiteAtZeroAndSaturatesAtTheLimit() {
        let s = ColourScale(.diverging(limit: 2), steps: 4)
        #expect(s.level(0) == 0 && s.level(2) == 4 && s.level(-9) == -4 && s.level(.nan) == nil && s.level(0.24) == 0 && s.level(0.26) == 1)
        #expect(s.colour(ofLevel: 0) == "#f7f7f7" && s.colour(ofLevel: 4) == "#b2182b" && s.colour(ofLevel: -4) == "#2166ac")
        let q = ColourScale(.sequential(lo: 0, hi: 100), steps: 10)
        #expect(q.level(0) == 0 && q.level(100) == 9 && q.level(55) == 5 && q.levels == 0...9)
    }

    /// The runs of every colour path tile exactly the finite cells, each once, in the right colour.
    @Test func heatmapCellsCoverEveryFiniteCellOnceInItsColour() throws {
        let rows = 5, cols = 7
        var values = (0..<(rows * cols)).map { Double(($0 * 37) % 11) - 5 }
        values[3] = .nan; values[20] = .infinity
        for k in 8..<13 { values[k] = 2 }   // a run to merge
        let scale = ColourScale.diverging(values.filter(\.isFinite), steps: 3)
        var doc = SVGDocument(width: 200, height: 200, title: "cells")
        scale.cells(values, rows: rows, cols: cols, in: &doc, x: 10, y: 20, cellWidth: 8, cellHeight: 6)
        let xml = try SVGXML(doc.rendered)
        var painted = [String?](repeating: nil, count: rows * cols)
        for path in xml.elements where path.name == "path" {
            let d = path.attributes["d"]!, fill = path.attributes["fill"]!
            for run in d.split(separator: "z") {
                // "M{c} {r}h{w}v1h-{w}"
                let nums = run.split(whereSeparator: { "Mhv ".contains($0) }).compactMap { Int($0) }
                let (c, r, w) = (nums[0], nums[1], nums[2])
                for j in c..<(c + w) {
                    #expect(painted[r * cols + j] == nil, "cell \(r),\(j) painted twice")
                    painted[r * cols + j] = fill
                }
            }
        }
        for i in 0..<(rows * cols) {
            #expect(painted[i] == scale.level(values[i]).map { scale.colour(ofLevel: $0) }, "cell \(i)")
        }
        #expect(xml.count("path") < rows * cols - 2)   // one path per colour, not per cell
    }

    @Test func pooledImagesAreBlockRootMeanSquares() {
        let v: [Double] = (0..<24).map { i in i % 3 == 0 ? -Double(i) : Double(i) }   // 6 rows × 4 cols, signs mixed
        let (p, r, c) = ImageTiles.pooled(v, rows: 6, cols: 4, maxCells: 2)
        #expect(r == 2 && c == 2)
        func rms(_ xs: [Double]) -> Double { (xs.reduce(0) { $0 + $1 * $1 } / Double(xs.count)).squareRoot() }
        // Block (0, 0) holds rows 0-2, columns 0-1: entries 0, 1, 4, 5, 8, 9.
        let blocks: [[Int]] = [[0, 1, 4, 5, 8, 9], [2, 3, 6, 7, 10, 11], [12, 13, 16, 17, 20, 21], [14, 15, 18, 19, 22, 23]]
        let expected: [Double] = blocks.map { b in rms(b.map { Double($0) }) }
        #expect(zip(p, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(p) vs \(expected)")
        let (q, qr, qc) = ImageTiles.pooled([1, -2, 3, 4, -5], rows: 1, cols: 5, maxCells: 2)   // blocks of 3, the last of 2
        #expect(qr == 1 && qc == 2 && abs(q[0] - rms([1, 2, 3])) < 1e-12 && abs(q[1] - rms([4, 5])) < 1e-12)
        #expect(ImageTiles.pooled(v, rows: 6, cols: 4, maxCells: 8).0 == v)   // fits: the signed values themselves
    }

    @Test func chartsAndTilesMakeOnePanelEach() throws {
        var doc = SVGDocument(width: 900, height: 700, title: "panels")
        let axes = PlotAxes(x: .nice([0, 10]), y: .nice([0, 1]), xTitle: "x (unit)", yTitle: "y (unit)")
        var chart = LineChart(axes: axes, series: [.init(label: "a", colour: "red", points: [(0, 0), (5, .nan), (10, 1)])])
        chart.markers = [.init(x: 5, label: "kept: 5")]
        chart.legendAt = (500, 60)
        doc.panel("chart") { chart.draw(in: &$0, PlotFrame(left: 60, right: 400, top: 40, bottom: 300)) }
        let tiles = ImageTiles(tiles: (0..<3).map { .init(values: [1, -1, 0, 2], rows: 2, cols: 2, caption: "T\($0)\nline two") },
                               perRow: 2, colourBarTitle: "value")
        tiles.draw(in: &doc, x: 20, y: 360)
        let xml = try SVGXML(doc.rendered)
        #expect(xml.panels == 4)
        #expect(xml.count("polyline") == 1 && xml.count("circle") == 3)   // two finite points, one legend marker
        #expect(xml.texts["text"]!.contains("kept: 5") && xml.texts["text"]!.contains("x (unit)") && xml.texts["text"]!.contains("line two"))
    }
}

/// What a test needs to know of a parsed SVG: its root, every element with its attributes, the text
/// of each element kind, and how many panels it has.
struct SVGXML {
    struct Element { let name: String; let attributes: [String: String] }
    private(set) var root: String?, namespace: String?
    private(set) var elements: [Element] = []
    private(set) var texts: [String: [String]] = [:]

    init(_ svg: String) throws {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        guard parser.parse() else { throw ParseError(reason: "\(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)") }
        elements = collector.elements; texts = collector.texts
        root = elements.first?.name; namespace = elements.first?.attributes["xmlns"]
    }

    var panels: Int { elements.filter { $0.name == "g" && $0.attributes["class"] == "panel" }.count }
    func count(_ name: String) -> Int { elements.filter { $0.name == name }.count }

    struct ParseError: Error { let reason: String }

    final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = [], texts: [String: [String]] = [:], open: [String] = [], buffer = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append(Element(name: name, attributes: attributes)); open.append(name); buffer = ""
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { buffer += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" || name == "title" { texts[name, default: []].append(buffer) }
            open.removeLast(); buffer = ""
        }
    }
}
