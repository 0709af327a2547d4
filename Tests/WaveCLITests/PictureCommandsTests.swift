import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `inspect --plot`, `expand --plot` and condense's curves, through the built binary: the files
/// appear where the options say, parse as XML, and bad folders are one-line errors.
@Suite struct PictureCommandsTests {
    /// The number of panels (groups of class "panel") in a well-formed SVG file.
    static func panels(_ path: String) throws -> Int {
        final class Counter: NSObject, XMLParserDelegate {
            var panels = 0
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if name == "g" && attributes["class"] == "panel" { panels += 1 }
            }
        }
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        let counter = Counter()
        parser.delegate = counter
        try #require(parser.parse(), "\(path): \(parser.parserError.map { "\($0)" } ?? "")")
        return counter.panels
    }

    @Test func inspectPlotWritesThreePicturesPerComponent() throws {
        let dir = try TempDir()
        _ = try CondenseExpandTests.condensed(dir, extra: ["--template-size", "16", "--templates", "qkv=3,vectors=2"])
        let r = try CLI.run(["inspect", dir.file("a.wave"), "--plot", dir.file("pics/deeper")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("wrote 42 pictures to"), "\(r.stderr)")
        #expect(r.stdout.contains("metadata:   spectrum.* for 14 components"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("pics/deeper")).sorted()
        #expect(files.count == 42 && files.allSatisfy { $0.hasSuffix(".svg") && !$0.hasPrefix(".") }, "\(files)")
        #expect(try Self.panels(dir.file("pics/deeper/qkv-templates.svg")) == 3)
        #expect(try Self.panels(dir.file("pics/deeper/norm1.w-templates.svg")) == 2)
        #expect(try Self.panels(dir.file("pics/deeper/fc1-spectrum.svg")) == 2)
        #expect(try Self.panels(dir.file("pics/deeper/fc1-scalers.svg")) == 1)

        let onFile = try CLI.run(["inspect", dir.file("a.wave"), "--plot", dir.file("a.safetensors")])
        #expect(onFile.status == 1 && onFile.stderr.split(separator: "\n").count == 1 && onFile.stderr.contains("is a file"), "\(onFile.stderr)")
        let model = try CLI.run(["inspect", dir.file("a.safetensors"), "--plot", dir.file("m")])
        #expect(model.status == 1 && model.stderr.contains("--plot is for wave bundles"), "\(model.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("m")))
    }

    @Test func expandPlotShowsEachTargetLayerWithoutWritingTheCheckpoint() throws {
        let dir = try TempDir()
        _ = try CondenseExpandTests.condensed(dir)
        let r = try CLI.run(["expand", dir.file("a.wave"), "--depth", "5", "--width", "64", "--dry-run", "--plot", dir.file("p")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("plan: 3×32"))
        #expect(try Self.panels(dir.file("p/expand-5x64.svg")) == 1 + 14)   // source layers, then each component
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.safetensors", "a.wave", "p"])
        let bad = try CLI.run(["expand", dir.file("a.wave"), "--depth", "5", "--width", "40", "--dry-run", "--plot", dir.file("q")])
        #expect(bad.status == 1 && !FileManager.default.fileExists(atPath: dir.file("q")))
    }
}
