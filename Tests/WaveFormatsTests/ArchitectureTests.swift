import Foundation
import Testing
import WaveTensor
@testable import WaveFormats

/// A timm-named model with distinct, seeded values in every tensor.
func syntheticTimm(_ c: ViTConfig, seed: UInt64 = 1) -> TensorSet {
    var set = TensorSet()
    var state = seed
    for (name, shape) in c.timmShapes {
        let n = shape.reduce(1, *)
        let values = (0..<n).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int32(truncatingIfNeeded: state >> 33)) / Float(Int32.max)
        }
        set.add(name, RawTensor(shape: shape, floats: values))
    }
    return set
}

func sameTensors(_ a: TensorSet, _ b: TensorSet) -> Bool {
    guard a.order == b.order else { return false }
    return a.order.allSatisfy { n in
        a[n]!.shape == b[n]!.shape && a[n]!.dtype == b[n]!.dtype && Array(a[n]!.bytes) == Array(b[n]!.bytes)
    }
}

@Suite struct ArchitectureTests {
    static let dinoLike = ViTConfig(imageSize: 28, patchSize: 14, numClasses: 0, embedDim: 128, depth: 3, numHeads: 2,
                                    layerScaleInit: 1e-5)
    static let deitLike = ViTConfig(imageSize: 32, patchSize: 8, inChannels: 1, numClasses: 10, embedDim: 64, depth: 2, numHeads: 1)

    @Test func familiesLoadFromResources() {
        #expect(Family.builtIn.map(\.family) == ["hf-dinov2", "hf-vit", "hf-vit-msn", "timm-vit", "bert", "wave-bert"])
    }

    @Test(arguments: [dinoLike, deitLike])
    func timmNamesAreDetectedWithTheirConfig(config: ViTConfig) throws {
        let d = try Architecture.detect(syntheticTimm(config))
        #expect(d.family.family == "timm-vit")
        #expect(d.vit == config)
        #expect(d.parameterCount == config.parameterCount)
    }

    @Test(arguments: [(dinoLike, "hf-dinov2"), (deitLike, "hf-vit")])
    func hfExportDetectsBackToTheSameTensors(config: ViTConfig, family: String) throws {
        let timm = syntheticTimm(config)
        let hf = try Architecture.export(timm, config: config, names: .hf)
        // With a head, the base model sits under the HF class's prefix (ViTForImageClassification: vit.).
        let base = config.numClasses > 0 ? config.hfFamily.hf!.headPrefix! : ""
        #expect(hf.contains(base + "encoder.layer.0.attention.attention.query.weight"))
        #expect(hf.count == timm.count + 2 * config.depth * (config.qkvBias ? 2 : 1))
        let d = try Architecture.detect(hf)
        #expect(d.family.family == family)
        // Without a config the epsilon is the family's library default (HF ViTModel: 1e-12).
        var expected = config
        expected.normEps = Family.named(family)!.defaults!.normEps!
        #expect(d.vit == expected)
        #expect(sameTensors(d.canonical, timm))
    }

    @Test func prefixAndExtrasAreReportedNotLoaded() throws {
        var set = TensorSet()
        let hf = try Architecture.export(syntheticTimm(Self.dinoLike), config: Self.dinoLike, names: .hf)
        for (n, t) in hf.all { set.add("backbone." + n, t) }
        set.add("decoder.conv.weight", RawTensor(shape: [2, 2], floats: [1, 2, 3, 4]))
        set.add("backbone.embeddings.mask_token", RawTensor(shape: [1, 128], floats: .init(repeating: 0, count: 128)))
        let d = try Architecture.detect(set)
        #expect(d.prefix == "backbone.")
        #expect(d.extras == ["decoder.conv.weight"])
        #expect(d.ignored == ["backbone.embeddings.mask_token"])
        #expect(d.canonical.count == Self.dinoLike.timmShapes.count)
    }

    @Test func onnxStylePositionPiecesAreJoined() throws {
        var hf = try Architecture.export(syntheticTimm(Self.dinoLike), config: Self.dinoLike, names: .hf)
        let pos = hf["embeddings.position_embeddings"]!
        let parts = TensorOps.split(RawTensor(shape: [pos.shape[1], 128], floats: pos.floats()), count: 1, axis: 0)![0]
        let floats = parts.floats()
        hf.remove("embeddings.position_embeddings")
        hf.add("embeddings.position_embeddings.cls_part", RawTensor(shape: [1, 1, 128], floats: Array(floats[0..<128])))
        hf.add("embeddings.position_embeddings.patch_part", RawTensor(shape: [1, pos.shape[1] - 1, 128], floats: Array(floats[128...])))
        let d = try Architecture.detect(hf)
        #expect(d.canonical["pos_embed"]!.floats() == pos.floats())
        #expect(d.sources["pos_embed"] == ["embeddings.position_embeddings.cls_part", "embeddings.position_embeddings.patch_part"])
    }

    @Test func headsComeFromHintsOrHeadDim64() throws {
        let d = try Architecture.detect(syntheticTimm(Self.dinoLike), hints: ConfigHints(heads: 4))
        #expect(d.vit?.numHeads == 4)
        #expect(throws: ArchitectureError.badConfig("3 heads do not divide width 128")) {
            try Architecture.detect(syntheticTimm(Self.dinoLike), hints: ConfigHints(heads: 3))
        }
    }

    nonisolated(unsafe) static let strictCases: [(String, (inout TensorSet) -> Void, ArchitectureError)] = [
        ("missing tensor", { $0.remove("blocks.1.mlp.fc2.bias") },
         .missingTensor(canonical: "blocks.1.mlp.fc2.bias", source: ["blocks.1.mlp.fc2.bias"])),
        ("unused tensor", { $0.add("blocks.0.attn.extra", RawTensor(shape: [1], floats: [0])) },
         .unusedTensors(["blocks.0.attn.extra"])),
        ("shape mismatch", { $0.set("blocks.0.mlp.fc1.bias", RawTensor(shape: [7], floats: .init(repeating: 0, count: 7))) },
         .shapeMismatch(name: "blocks.0.mlp.fc1.bias", expected: [512], got: [7])),
        ("not square grid", { $0.set("pos_embed", RawTensor(shape: [1, 4, 128], floats: .init(repeating: 0, count: 512))) },
         .badConfig("pos_embed has 4 tokens: not a square patch grid plus a class token")),
        ("no family", { s in for n in s.order where n.hasPrefix("patch_embed") { s.remove(n) } },
         .unknownFamily(sample: [])),
    ]

    @Test(arguments: strictCases.indices)
    func loadingIsStrict(index: Int) {
        let (label, mutate, expected) = Self.strictCases[index]
        var set = syntheticTimm(Self.dinoLike)
        mutate(&set)
        do {
            _ = try Architecture.detect(set)
            Issue.record("\(label): expected \(expected)")
        } catch let e as ArchitectureError {
            if case .unknownFamily = expected, case .unknownFamily = e { return }
            #expect(e == expected, "\(label)")
        } catch { Issue.record("\(label): \(error)") }
    }

    @Test func bertIsRecognized() throws {
        var set = TensorSet()
        func add(_ n: String, _ s: [Int]) { set.add(n, RawTensor(shape: s, floats: .init(repeating: 0.5, count: s.reduce(1, *)))) }
        let d = 128, m = 512
        add("embeddings.word_embeddings.weight", [100, d]); add("embeddings.position_embeddings.weight", [64, d])
        add("embeddings.token_type_embeddings.weight", [2, d]); add("embeddings.LayerNorm.weight", [d]); add("embeddings.LayerNorm.bias", [d])
        set.add("embeddings.position_ids", RawTensor(dtype: .i64, shape: [1], copying: UnsafeRawBufferPointer(start: [Int64(0)], count: 8)))
        for l in 0..<2 {
            let p = "encoder.layer.\(l)."
            for q in ["query", "key", "value"] { add(p + "attention.self.\(q).weight", [d, d]); add(p + "attention.self.\(q).bias", [d]) }
            add(p + "attention.output.dense.weight", [d, d]); add(p + "attention.output.dense.bias", [d])
            add(p + "attention.output.LayerNorm.weight", [d]); add(p + "attention.output.LayerNorm.bias", [d])
            add(p + "intermediate.dense.weight", [m, d]); add(p + "intermediate.dense.bias", [m])
            add(p + "output.dense.weight", [d, m]); add(p + "output.dense.bias", [d])
            add(p + "output.LayerNorm.weight", [d]); add(p + "output.LayerNorm.bias", [d])
        }
        let r = try Architecture.detect(set)
        #expect(r.family.family == "bert")
        #expect(r.bert == BertConfig(vocabSize: 100, hiddenSize: d, layers: 2, heads: 2, intermediateSize: m, maxPositions: 64, typeVocabSize: 2))
        let back = try Architecture.exportBert(r.canonical, layers: 2)
        #expect(Set(back.order) == Set(set.order.filter { $0 != "embeddings.position_ids" }))
    }
}
