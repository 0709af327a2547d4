import Foundation
import Testing
import WaveTensor
import WaveFormats
import WaveEngine
@testable import WaveMethod

/// Exported ONNX graphs (ONNXViTExport) run by onnxruntime against wave's own forward. They live
/// here, not beside the writer, because they need the engine, the expansion and the peer together.
/// Criterion: max |Δ| / max |reference| ≤ 1e-5 on every output (features of every token, logits).
@Suite(.enabled(if: ONNXRuntimePeer.python != nil, "onnxruntime not in the peers' venv: run scripts/setup-peers.sh"))
struct ONNXExportTests {
    /// One tiny model per family shape wave reads: timm ViT/DeiT with a head; DINOv2 (LayerScale,
    /// no head); HF ViT (LayerNorm eps 1e-12, a head); and a grey-input model with the tanh GELU
    /// and no qkv bias. Each goes through its family's names and back (Architecture.export/detect),
    /// as a checkpoint of that family would.
    static let cases: [(family: String, config: ViTConfig)] = [
        ("timm-vit", ViTConfig(imageSize: 16, patchSize: 4, numClasses: 5, embedDim: 24, depth: 2, numHeads: 3, mlpDim: 48)),
        ("hf-dinov2", ViTConfig(imageSize: 12, patchSize: 3, numClasses: 0, embedDim: 16, depth: 3, numHeads: 2, mlpDim: 64, layerScaleInit: 0.1)),
        ("hf-vit", ViTConfig(imageSize: 16, patchSize: 8, numClasses: 3, embedDim: 32, depth: 2, numHeads: 4, mlpDim: 64, normEps: 1e-12)),
        ("timm-vit", ViTConfig(imageSize: 8, patchSize: 2, inChannels: 1, numClasses: 4, embedDim: 16, depth: 2, numHeads: 1, mlpDim: 32,
                               qkvBias: false, geluTanh: true)),
    ]

    static func relative(_ ours: [Float], _ ref: [Float]) -> Float {
        maxAbsDiff(ours, ref) / max(ref.map(abs).max() ?? 0, 1e-12)
    }

    /// The exported graph and the engine agree on `images`; returns the worst relative error.
    @discardableResult
    static func compare(_ path: String, _ set: TensorSet, _ cfg: ViTConfig, batch: Int, images: [Float], check: Bool = false) throws -> Float {
        let ort = try ONNXRuntimePeer.forward(model: path, input: images, dims: [batch, cfg.inChannels, cfg.imageSize, cfg.imageSize], check: check)
        let ours = try engineInference(set, cfg, images: images, batch: batch)
        let features = try #require(ort[ONNXViTExport.featuresName])
        #expect(features.shape == [batch, cfg.tokens, cfg.embedDim])
        var worst = relative(features.values, ours.tokens)
        if cfg.numClasses > 0 {
            let logits = try #require(ort[ONNXViTExport.logitsName])
            #expect(logits.shape == [batch, cfg.numClasses])
            worst = max(worst, relative(logits.values, ours.logits))
        } else {
            #expect(ort[ONNXViTExport.logitsName] == nil)
        }
        #expect(worst <= 1e-5, "onnxruntime vs wave: max |Δ| / max |ref| = \(worst)")
        return worst
    }

    /// Each graph shape also passes onnx.checker's full check (standard operators and shapes only).
    @Test(arguments: 0..<cases.count)
    func onnxruntimeMatchesTheEngine(_ index: Int) throws {
        let (family, cfg) = Self.cases[index]
        let dir = try ExportFolder(), path = dir.path + "/m.onnx"
        defer { dir.remove() }

        let original = Synthetic.vit(cfg, seed: UInt64(40 + index))
        let named = try Architecture.export(original, config: cfg, names: family == "timm-vit" ? .timm : .hf)
        var hints = ConfigHints(heads: cfg.numHeads)
        hints.normEps = cfg.normEps; hints.geluTanh = cfg.geluTanh; hints.layerScaleInit = cfg.layerScaleInit ?? 1e-5
        let detected = try Architecture.detect(named, hints: hints)
        #expect(detected.family.family == family)
        #expect(detected.vit == cfg)

        let written = try exportONNX(detected.canonical, cfg, to: path)
        #expect(written.files == [path])
        // A batch of 3: the batch axis is free (the graph was never told 3).
        let batch = 3
        var rng = TestRNG(UInt64(7 + index))
        let worst = try Self.compare(path, original, cfg, batch: batch,
                                     images: rng.floats(batch * cfg.inChannels * cfg.imageSize * cfg.imageSize, scale: 1), check: true)
        print("export \(family) #\(index): onnxruntime vs wave max |Δ| / max |ref| = \(worst)")
    }

    /// What the file says about itself: wave reads it back as the same model (family, config,
    /// every tensor's bytes), and the metadata carries the config and the preprocessing.
    @Test func theExportedFileReadsBackAsTheSameModel() throws {
        let cfg = Self.cases[1].config
        let dir = try ExportFolder(), path = dir.path + "/m.onnx"
        defer { dir.remove() }
        let set = Synthetic.vit(cfg, seed: 5)
        try exportONNX(set, cfg, to: path)

        let file = try ModelFile.open(path)
        let detected = try Architecture.detect(file.tensors, hints: file.configHints)
        #expect(detected.family.family == "timm-vit")
        #expect(detected.vit == cfg)
        #expect(detected.canonical.order == set.order)
        for (name, t) in set.all { #expect(detected.canonical[name]?.floats() == t.floats(), "\(name)") }

        let model = try ONNXModel.load(path: path)
        #expect(model.opsets.map(\.version) == [17] && model.irVersion == 8)
        #expect(model.graphInputs == ["pixel_values"] && model.graphOutputs == ["features"])
        let meta = model.initializers.metadata
        #expect(meta[Checkpoint.configKey] == cfg.timmJSON())
        let pre = try JSONSerialization.jsonObject(with: Data(meta[ONNXViTExport.preprocessingKey]!.utf8)) as! [String: Any]
        #expect(pre["image_size"] as? Int == 12 && pre["channels"] as? Int == 3 && pre["resize"] as? String == "bilinear")
        #expect((pre["mean"] as? [Double])?.map { Float($0) } == [0.485, 0.456, 0.406])
        #expect((pre["std"] as? [Double])?.map { Float($0) } == [0.229, 0.224, 0.225])
        // Only weights are initializers, in the canonical order; shapes and scalars are Constant nodes.
        #expect(model.initializers.order.filter { !model.constantNames.contains($0) } == set.order)
    }

    /// Above the limit the weights go to one external data file named with the write's id; runtimes
    /// and wave read it, and writing the model again removes the earlier write's data file.
    @Test func largeModelsKeepTheirWeightsInAnExternalDataFile() throws {
        let cfg = Self.cases[0].config
        let dir = try ExportFolder(), path = dir.path + "/m.onnx"
        defer { dir.remove() }
        let set = Synthetic.vit(cfg, seed: 9)
        let first = try exportONNX(set, cfg, to: path, externalAbove: 10_000)
        #expect(first.files.count == 2)
        let data = try #require(first.files.last)
        #expect(URL(fileURLWithPath: data).lastPathComponent.range(of: #"^m\.onnx\.[0-9a-f]{16}\.data$"#, options: .regularExpression) != nil)
        let inline = try Data(contentsOf: URL(fileURLWithPath: path)).count
        #expect(inline < 20_000, "the model file still holds \(inline) bytes")

        let back = try Architecture.detect(try ModelFile.open(path).tensors, hints: ConfigHints(heads: cfg.numHeads))
        for (name, t) in set.all { #expect(back.canonical[name]?.floats() == t.floats(), "\(name)") }
        var rng = TestRNG(3)
        try Self.compare(path, set, cfg, batch: 2, images: rng.floats(2 * 3 * 16 * 16, scale: 1))

        let second = try exportONNX(set, cfg, to: path, externalAbove: 10_000)
        #expect(second.files.count == 2 && second.files[1] != data)
        #expect(!FileManager.default.fileExists(atPath: data), "the first write's data file is left behind")
        try exportONNX(set, cfg, to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.onnx"])
    }
}

/// The real DINOv2 ViT-S/14 (INPUTS.md), condensed without data and expanded to depth 4 at 224 px,
/// exported and run by onnxruntime on real Fashion-MNIST images, against the engine.
@Suite(.enabled(if: ONNXRuntimePeer.python != nil && RealAncestry.onnxPath != nil,
                "needs onnxruntime (scripts/setup-peers.sh) and ~/.cache/wave/vit_s_focus.onnx (scripts/setup.sh)"))
struct RealExportTests {
    @Test func dinov2ExpandedToDepth4MatchesTheEngine() throws {
        let t = try #require(RealAncestry.t384)
        var r = ExpansionRequest(depth: 4, width: 384)
        r.imageSize = 224
        let plan = try Expander.plan(t, r)
        let set = plan.materialize()
        let dir = try ExportFolder(), path = dir.path + "/m.onnx"
        defer { dir.remove() }
        try exportONNX(set, plan.target, to: path)
        let images = try #require(RealAncestry.images(count: 2, size: 224), "Fashion-MNIST not installed")
        let worst = try ONNXExportTests.compare(path, set, plan.target, batch: 2, images: images)
        print("real DINOv2 → depth 4, 224 px, 2 Fashion-MNIST images: onnxruntime vs wave max |Δ| / max |ref| = \(worst)")
    }
}
