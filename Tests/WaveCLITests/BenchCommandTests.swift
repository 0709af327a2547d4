import Foundation
import Testing
import WaveFormats

/// `wave bench --profile quick` end to end on a tiny synthetic ancestry and IDX folder: every
/// method, both regimes, every output, then --resume.
@Suite struct BenchCommandTests {
    static let ancestry = ViTConfig(imageSize: 16, patchSize: 4, numClasses: 0, embedDim: 128, depth: 2, numHeads: 2, layerScaleInit: 1e-5)

    @Test func quickProfileWritesEveryReportAndResumes() throws {
        let dir = try TempDir()
        try writeIDXFolder(dir.path, train: 48, test: 12)
        _ = try writeSyntheticHF(dir.file("a.safetensors"), config: Self.ancestry)
        let env = ["WAVE_CACHE": dir.file("cache")]
        let args = ["bench", "--profile", "quick", "--ancestry", dir.file("a.safetensors"), "--data", dir.path, "--out", dir.file("b"), "--quiet"]
        let r = try CLI.run(args, environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["results.md", "results.csv", "results.json", "bundle.wave"] {
            #expect(FileManager.default.fileExists(atPath: dir.file("b/\(f)")), "\(f)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("b/results.json")))) as! [String: Any]
        let cells = json["cells"] as! [[String: Any]]
        // 2 regimes × 4 sizes × 11 methods.
        #expect(cells.count == 88)
        func cell(_ regime: String, _ method: String, _ depth: Int, _ width: Int) -> [String: Any]? {
            cells.first { $0["regime"] as? String == regime && $0["method"] as? String == method && $0["depth"] as? Int == depth && $0["width"] as? Int == width }
        }
        #expect(cell("large", "ghn-3", 1, 128)?["status"] as? String == "not-run")
        #expect(cell("large", "weight-selection", 1, 256)?["status"] as? String == "not-applicable")
        for m in ["he-init", "mimetic", "share-init", "ligo", "heru-lg", "auto-lg", "tleg", "wave", "direct-pt"] {
            let c = cell("low-data", m, 1, 192)
            #expect(c?["status"] as? String == "ok", "\(m)")
            #expect((c?["top1"] as? [Double])?.count == 1, "\(m)")
        }
        #expect((cell("large", "he-init", 2, 128)?["transferred"] as? Int) == 0)
        #expect((cell("large", "tleg", 2, 128)?["transferred"] as? Int ?? 0) > 0)
        #expect(cell("large", "wave", 2, 128)?["extraSteps"] as? Int ?? 0 > 0)
        #expect(r.stdout.contains("| WAVE"), "the Markdown table goes to stdout")
        let plots = try FileManager.default.contentsOfDirectory(atPath: dir.file("b/plots"))
        #expect(plots.contains("top1-vs-depth-large.svg") && plots.contains("top1-vs-width-low-data.svg"), "\(plots)")

        // --resume with one cell removed: only that cell runs again; the others are kept as they were.
        let csv = try String(contentsOfFile: dir.file("b/results.csv"), encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir.file("b/cells/low-data-tleg-2x128.json"))
        let again = try CLI.run(args.filter { $0 != "--quiet" } + ["--resume"], environment: env)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("reusing"))
        let ran = again.stderr.split(separator: "\n").filter { $0.hasPrefix("bench [") }
        #expect(ran.count == 1 && ran[0].contains("TLEG"), "\(ran)")
        let csvAgain = try String(contentsOfFile: dir.file("b/results.csv"), encoding: .utf8)
        #expect(csvAgain.split(separator: "\n").count == csv.split(separator: "\n").count)

        // --bundle: WAVE from a bundle made elsewhere (the transfer setting), no condensation here;
        // --fit-kd: WAVE's fit also distils the ancestry's features.
        let given = try CLI.run(["bench", "--profile", "quick", "--ancestry", dir.file("a.safetensors"), "--data", dir.path,
                                 "--out", dir.file("c"), "--methods", "he-init,wave", "--bundle", dir.file("b/bundle.wave"),
                                 "--fit-kd"], environment: env)
        #expect(given.status == 0, "\(given.stderr)")
        #expect(!given.stderr.contains("condensing") && given.stdout.contains("given bundle bundle.wave"), "\(given.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("c/bundle.wave")))
    }

    @Test func badArgumentsAreRefused() throws {
        let dir = try TempDir()
        let p = try CLI.run(["bench", "--profile", "huge", "--out", dir.file("x")])
        #expect(p.status != 0 && p.stderr.contains("quick or full"))
        let m = try CLI.run(["bench", "--methods", "wave,nonsense", "--out", dir.file("x")])
        #expect(m.status != 0 && m.stderr.contains("unknown name"))
    }
}
