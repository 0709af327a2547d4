import Foundation
import Testing
import WaveTensor
import WaveFormats

/// `wave export` and `wave expand --format onnx` through the built binary, read back with
/// `wave inspect`: the exported file must be recognized as the model it came from (family, config,
/// every weight). onnxruntime's agreement with the engine is checked in WaveMethodTests/ONNXExportTests.
@Suite struct ExportCommandTests {
    static let bundle = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures/bundle/seed-0-F32.wave").standardized.path

    static func inspect(_ path: String) throws -> [String: Any] {
        let r = try CLI.run(["inspect", "--json", path])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    static func kwargs(_ inspect: [String: Any]) -> NSDictionary? {
        ((inspect["family"] as? [String: Any])?["timm_kwargs"] as? [String: Any]).map { NSDictionary(dictionary: $0) }
    }

    /// A checkpoint's weights, named as inspect names them, as floats.
    static func weights(_ path: String) throws -> [String: [Float]] {
        let file = try ModelFile.open(path)
        let d = try Architecture.detect(file.tensors, hints: file.configHints)
        return Dictionary(uniqueKeysWithValues: d.canonical.all.map { ($0.name, $0.tensor.floats()) })
    }

    @Test func anExportedCheckpointInspectsAsItself() throws {
        let dir = try TempDir()
        let ckpt = dir.file("m.safetensors"), onnx = dir.file("m.onnx")
        let i = try CLI.run(["init", "--depth", "2", "--width", "32", "--heads", "2", "--patch", "4", "--image-size", "16",
                             "--classes", "5", "--layer-scale", "0.5", "--seed", "3", "-o", ckpt])
        #expect(i.status == 0, "\(i.stderr)")
        let e = try CLI.run(["export", ckpt, "-o", onnx])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stdout.contains("opset 17") && e.stdout.contains("features [batch, 17, 32]") && e.stdout.contains("logits [batch, 5]"), "\(e.stdout)")

        let before = try Self.inspect(ckpt), after = try Self.inspect(onnx)
        #expect((after["family"] as? [String: Any])?["name"] as? String == "timm-vit")
        // The heads come from the config the export stored in the ONNX metadata (wave.config), and inspect says so.
        #expect((after["family"] as? [String: Any])?["heads_source"] as? String == "m.onnx (wave.config) num_heads")
        #expect(Self.kwargs(after) != nil && Self.kwargs(after) == Self.kwargs(before))
        #expect((after["parameters"] as? [String: Int]) == (before["parameters"] as? [String: Int]))
        #expect(try Self.weights(onnx) == Self.weights(ckpt))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["m.json", "m.onnx", "m.safetensors"])
    }

    /// The same expansion as safetensors and as ONNX: one model, two files.
    @Test func expandWritesTheSameModelAsONNX() throws {
        let dir = try TempDir()
        let args = ["expand", Self.bundle, "--depth", "3", "--width", "16", "--quiet"]
        let s = try CLI.run(args + ["-o", dir.file("e.safetensors")])
        #expect(s.status == 0, "\(s.stderr)")
        let o = try CLI.run(args + ["--format", "onnx", "-o", dir.file("e.onnx")])
        #expect(o.status == 0, "\(o.stderr)")
        #expect(Self.kwargs(try Self.inspect(dir.file("e.onnx"))) == Self.kwargs(try Self.inspect(dir.file("e.safetensors"))))
        #expect(try Self.weights(dir.file("e.onnx")) == Self.weights(dir.file("e.safetensors")))
        let wrongName = try CLI.run(args + ["--format", "onnx", "-o", dir.file("e2.safetensors")])
        #expect(wrongName.status == 1 && wrongName.stderr.contains("-o \(dir.file("e2.onnx"))"), "\(wrongName.stderr)")
    }

    /// An HF-named DINOv2-shaped checkpoint without a config beside it, exported at another image
    /// size: the position embeddings are resampled and the file says the new size.
    @Test func exportResamplesForAnotherImageSize() throws {
        let dir = try TempDir()
        _ = try writeSyntheticHF(dir.file("hf.safetensors"), config: CommandLineTests.small)
        let e = try CLI.run(["export", dir.file("hf.safetensors"), "--image-size", "42", "-o", dir.file("hf.onnx")])
        #expect(e.status == 0, "\(e.stderr)")
        let k = try #require(Self.kwargs(try Self.inspect(dir.file("hf.onnx"))))
        #expect(k["img_size"] as? Int == 42 && k["depth"] as? Int == 2 && k["embed_dim"] as? Int == 128 && k["num_heads"] as? Int == 2)
        #expect(k["init_values"] as? Double == 1e-5)
        let pos = try ONNXModel.load(path: dir.file("hf.onnx")).initializers["pos_embed"]
        #expect(pos?.shape == [1, 10, 128])
    }
}
