import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WaveTensor
@testable import WaveMethod

/// The bundle, condensation and expansion pictures: well-formed SVG with the expected panels, and
/// numbers in them that agree with the algebra (Schemas/bundle.md rules 4-6).
@Suite struct PicturesTests {
    @Test func everyComponentHasThreeWellFormedPicturesWithTheirPanels() throws {
        let t = try BundleFixture.templates()
        let pictures = BundlePictures.all(t)
        #expect(pictures.count == 3 * t.components.count)
        for c in t.components {
            let name = c.spec.name
            let scalers = try SVGOutline(pictures.first { $0.name == "\(name)-scalers.svg" }!.svg)
            let templates = try SVGOutline(pictures.first { $0.name == "\(name)-templates.svg" }!.svg)
            let spectrum = try SVGOutline(pictures.first { $0.name == "\(name)-spectrum.svg" }!.svg)
            #expect(scalers.panels == ["scalers"], "\(name)")
            #expect(templates.panels == (0..<c.shape.n).map { "tile-\($0)" }, "\(name)")
            #expect(spectrum.panels == ["singular-values", "cumulative-energy"], "\(name)")
            for outline in [scalers, templates, spectrum] {
                #expect(outline.root == "svg" && outline.namespace == "http://www.w3.org/2000/svg")
                #expect(!outline.elements.contains("script") && !outline.elements.contains("image"))
            }
            // Axis titles carry their units; captions carry the energy shares.
            #expect(scalers.texts.contains("ancestry layer l") && scalers.texts.contains("scaler value S^l_i[a, b]"))
            #expect(spectrum.texts.contains("singular value σ_k") && spectrum.texts.contains { $0.hasPrefix("kept \(c.shape.n): ") })
            #expect(templates.texts.filter { $0.hasSuffix("% of the energy") }.count == c.shape.n)
        }
    }

    /// For the least-squares fit the templates are orthonormal and the scalers are projections, so
    /// template i holds σ_i² of the energy, the shares sum to 1, R̂'s spectrum is the ancestry's first
    /// N, and the energy kept is 1 − rel_error².
    @Test func energySharesAgreeWithTheSpectrumOfALeastSquaresFit() throws {
        let t = try BundleFixture.templates()
        for c in t.components {
            let e = TemplateEnergy(c), n = c.shape.n
            let total = c.spectrum.reduce(0) { $0 + $1 * $1 }
            #expect(c.spectrum.count == min(c.layers * c.shape.blocks, c.shape.blockSize), "\(c.spec.name)")
            #expect(zip(c.spectrum, c.spectrum.dropFirst()).allSatisfy { $0 >= $1 }, "\(c.spec.name): not descending")
            #expect(abs(e.shares.reduce(0, +) - 1) < 1e-4, "\(c.spec.name): \(e.shares)")
            for i in 0..<n {
                #expect(abs(e.shares[i] * e.total - c.spectrum[i] * c.spectrum[i]) < 1e-4 * total, "\(c.spec.name) T\(i + 1)")
                #expect(abs(e.spectrum[i] - c.spectrum[i]) < 1e-4 * c.spectrum[0], "\(c.spec.name) σ\(i + 1)")
            }
            let kept = TemplateEnergy.cumulativeShares(c.spectrum)[n - 1]
            #expect(abs(kept - (1 - c.relError * c.relError)) < 1e-4, "\(c.spec.name): kept \(kept), error \(c.relError)")
        }
    }

    @Test func nonOrthogonalTemplatesAreSaidToBe() throws {
        var c = try #require(try BundleFixture.templates().component("fc1"))
        // Cross terms Σ_{i≠j} ⟨S_i, S_j⟩⟨T_i, T_j⟩ need both pairs non-orthogonal: T2 += T1 and S2 += S1.
        let e = c.shape.blockSize, rc = c.shape.blocks, n = c.shape.n
        for j in 0..<e { c.templates[e + j] += c.templates[j] }
        for l in 0..<c.layers { for j in 0..<rc { c.scalers[(l * n + 1) * rc + j] += c.scalers[(l * n) * rc + j] } }
        #expect(abs(TemplateEnergy(c).shares.reduce(0, +) - 1) > 0.01)
        let picture = try SVGOutline(BundlePictures.templates(c, TemplateEnergy(c)))
        #expect(picture.texts.contains { $0.contains("(the templates are not orthogonal)") })
    }

    @Test func theSpectrumTravelsInTheBundleAndIsOptional() throws {
        let t = try BundleFixture.templates()
        let back = try BundleFixture.open(try BundleFixture.bytes()).templates()
        for (a, b) in zip(t.components, back.components) {
            #expect(a.spectrum.count == b.spectrum.count && !a.spectrum.isEmpty)
            #expect(zip(a.spectrum, b.spectrum).allSatisfy { abs($0 - $1) <= 1e-6 * max($0, 1e-30) }, "\(a.spec.name)")
        }
        // A bundle without it (or with one that does not parse) still opens; the picture says so.
        let bare = try BundleFixture.editManifest(try BundleFixture.bytes()) { m in
            for k in m.metadata.keys where k.hasPrefix(BundleWriter.spectrumKey) { m.metadata[k] = nil }
            m.metadata["spectrum.qkv"] = "1 2 x"
        }
        let old = try BundleFixture.open(bare).templates()
        #expect(old.components.allSatisfy { $0.spectrum.isEmpty })
        let c = old.component("qkv")!
        let picture = try SVGOutline(BundlePictures.spectrum(c, TemplateEnergy(c)))
        #expect(picture.panels == ["singular-values"])
        #expect(picture.texts.contains("The ancestry's spectrum is not recorded in this bundle"))
        #expect(WaveBundle.spectrum("3 2.5 0") == [3, 2.5, 0] && WaveBundle.spectrum("1 -2").isEmpty && WaveBundle.spectrum("nan").isEmpty)
    }

    /// The weights are the depth mapping itself: applied to any scalers they give what
    /// `ScalerTransforms.depth` gives (it is linear in the scalers).
    @Test(arguments: [DepthInit.interp, .linearFit])
    func sourceWeightsReproduceTheDepthMapping(_ mode: DepthInit) {
        for (L, Lp) in [(12, 6), (3, 7), (5, 1), (4, 4)] {
            let w = ExpansionPicture.sourceWeights(source: L, target: Lp, mode: mode)
            var rng = TestRNG(UInt64(L * 100 + Lp))
            let K = 5, s = rng.floats(L * K)
            let direct = ScalerTransforms.depth(s, layers: L, perLayer: K, target: Lp, mode: mode)
            for j in 0..<Lp {
                let row = w[(j * L)..<((j + 1) * L)]
                #expect(abs(row.reduce(0, +) - 1) < 1e-5, "\(L)→\(Lp) row \(j)")   // a constant scaler stays constant
                if mode == .interp {
                    let nonzero = row.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) }
                    let expected = ScalerTransforms.sourceLayers(j, source: L, target: Lp)
                    #expect(nonzero.map(\.0) == expected.map(\.layer) && nonzero.map(\.1) == expected.map(\.weight), "\(L)→\(Lp) row \(j)")
                }
                for k in 0..<K {
                    let mixed = (0..<L).reduce(Float(0)) { $0 + w[j * L + $1] * s[$1 * K + k] }
                    #expect(abs(mixed - direct[j * K + k]) < 1e-5, "\(L)→\(Lp) row \(j)")
                }
            }
        }
    }

    /// Widening by an integer factor with ε = 0 repeats every scaler grid block-diagonally, which
    /// scales every template's energy alike: the shares are the source layer's own.
    @Test func templateSharesAreNormalizedAndKeptByExactWidening() throws {
        let t = try BundleFixture.templates()
        let cfg = t.sourceConfig
        let same = ExpansionRequest(depth: cfg.depth, width: cfg.embedDim), wide = ExpansionRequest(depth: cfg.depth, width: 2 * cfg.embedDim)
        for c in t.components {
            let a = ExpansionPicture.templateShares(c, templateSize: t.templateSize, target: try Expander.targetConfig(t, same), request: same)
            let b = ExpansionPicture.templateShares(c, templateSize: t.templateSize, target: try Expander.targetConfig(t, wide), request: wide)
            #expect(a.count == cfg.depth * c.shape.n)
            for j in 0..<cfg.depth {
                #expect(abs(a[(j * c.shape.n)..<((j + 1) * c.shape.n)].reduce(0, +) - 1) < 1e-9, "\(c.spec.name) layer \(j)")
            }
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 }, "\(c.spec.name)")
        }
        let svg = try SVGOutline(try ExpansionPicture.svg(t, ExpansionRequest(depth: 5, width: 2 * cfg.embedDim)))
        #expect(svg.panels == ["source-layers"] + t.components.map { "templates-\($0.spec.name)" })
        #expect(svg.texts.contains("source layer l") && svg.texts.contains("target layer j"))
        #expect(throws: ExpandError.self) { try ExpansionPicture.svg(t, ExpansionRequest(depth: 2, width: 12)) }
    }

    @Test func distillationCurvesHaveALossPanelAndAProbePanelWhenProbed() throws {
        let losses: [Float] = (0..<40).map { 2 / Float($0 + 1) + 0.05 * Float($0 % 3) }
        let probes = [0, 20, 40].flatMap { s in [4, 12].map { ProbePoint(step: s, depth: $0, top1: 0.5 + Double(s) / 100 + Double($0) / 100) } }
        let both = try SVGOutline(DistillationCurves.svg(losses: losses, probes: probes, title: "t"))
        #expect(both.panels == ["loss", "probe"])
        #expect(both.elements.filter { $0 == "polyline" }.count == 2 + 2)   // raw and mean loss; one line per probed depth
        #expect(both.texts.contains("linear-probe top-1 (%)") && both.texts.contains("depth-12 build") && both.texts.contains("distillation step"))
        let lossOnly = try SVGOutline(DistillationCurves.svg(losses: losses, probes: [], title: "t"))
        #expect(lossOnly.panels == ["loss"])
        #expect(DistillationCurves.movingMean([1, 2, 3, 4, 5], window: 2) == [1, 1.5, 2.5, 3.5, 4.5])
    }
}

/// A parsed SVG as the tests read it: root and namespace, element names in order, the ids of its
/// panels (groups of class "panel") and the text of every text element.
struct SVGOutline {
    var root: String?, namespace: String?
    var elements: [String] = [], panels: [String] = [], texts: [String] = []

    init(_ svg: String) throws {
        let parser = XMLParser(data: Data(svg.utf8))
        let reader = Reader()
        parser.delegate = reader
        try #require(parser.parse(), "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "") at line \(parser.lineNumber)")
        self = reader.outline
    }

    private init() {}

    final class Reader: NSObject, XMLParserDelegate {
        var outline = SVGOutline(), buffer = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if outline.root == nil { outline.root = name; outline.namespace = attributes["xmlns"] }
            outline.elements.append(name)
            if name == "g", attributes["class"] == "panel" { outline.panels.append(attributes["id"] ?? "") }
            buffer = ""
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { buffer += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { outline.texts.append(buffer) }
            buffer = ""
        }
    }
}
