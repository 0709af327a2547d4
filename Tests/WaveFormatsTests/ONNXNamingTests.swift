import Testing
import WaveFormats
import WaveTensor

private typealias B = ONNXBuild

/// `namedTensors()` rules on a tiny graph shaped like a PyTorch export.
@Suite struct ONNXNamingTests {
    static let model: [UInt8] = {
        let inits = [
            B.floats("blocks.0.norm.weight", [2], [1, 1]),
            B.floats("onnx::MatMul_10", [2, 3], [1, 2, 3, 4, 5, 6]),          // [in 2, out 3]
            B.floats("onnx::Gemm_11", [3, 2], [1, 2, 3, 4, 5, 6]),            // transB = 1: already [out, in]
            B.floats("onnx::Add_12", [3], [7, 8, 9]),
            B.floats("onnx::Concat_13", [1, 1, 2], [0.5, 0.25]),              // CLS position
            B.floats("onnx::Reshape_14", [1, 4, 2], [1, 2, 3, 4, 5, 6, 7, 8]),// 2×2 patch grid
            B.floats("onnx::Mul_15", [1], [3]),
            B.floats("onnx::MatMul_16", [2, 2], [1, 2, 3, 4]),                // same scope as MatMul_10: collides
            B.floats("onnx::Unused_17", [1], [0]),
        ]
        let nodes = [
            B.node("/blocks.0/attn/qkv/MatMul", "MatMul", ["x", "onnx::MatMul_10"], ["q"]),
            B.node("/blocks.0/attn/qkv/Add", "Add", ["onnx::Add_12", "q"], ["qb"]),
            B.node("/head/Gemm", "Gemm", ["x", "onnx::Gemm_11"], ["h"], [B.intAttribute("transB", 1)]),
            B.node("/embeddings/Reshape_1", "Reshape", ["onnx::Reshape_14", "shape"], ["r"]),
            B.node("/embeddings/Transpose", "Transpose", ["r"], ["rt"]),
            B.node("/embeddings/Resize", "Resize", ["rt", "", "", "sizes"], ["rs"]),
            B.node("/embeddings/Concat_6", "Concat", ["onnx::Concat_13", "rs"], ["pos"]),
            B.node("/embeddings/Add", "Add", ["tokens", "pos"], ["emb"]),
            B.node("/blocks.0/ls/Mul", "Mul", ["emb", "onnx::Mul_15"], ["m"]),
            B.node("/blocks.0/attn/qkv/MatMul_1", "MatMul", ["x", "onnx::MatMul_16"], ["q2"]),
            B.node("/Constant", "Constant", [], ["/Constant_output_0"], [B.tensorAttribute("value", B.floats("", [], [1e-6]))]),
        ]
        return B.model(initializers: inits, nodes: nodes)
    }()

    @Test func namesFromTheGraph() throws {
        let m = try parseONNX(Self.model)
        let named = try m.namedTensors()
        #expect(named.order == [
            "blocks.0.norm.weight",
            "blocks.0.attn.qkv.weight",
            "head.weight",
            "blocks.0.attn.qkv.bias",
            "embeddings.position_embeddings.cls_part",
            "embeddings.position_embeddings.patch_part",
            "blocks.0.ls.Mul.input1",
            "onnx::MatMul_16",
            "onnx::Unused_17",
        ])
        // MatMul weights come out [out, in]; Gemm with transB = 1 is left alone.
        #expect(named["blocks.0.attn.qkv.weight"]?.shape == [3, 2])
        #expect(named["blocks.0.attn.qkv.weight"]?.floats() == [1, 4, 2, 5, 3, 6])
        #expect(named["head.weight"]?.floats() == [1, 2, 3, 4, 5, 6])
        #expect(named["embeddings.position_embeddings.patch_part"]?.shape == [1, 4, 2])
        // The scalar Constant (eps) is plumbing, not a weight.
        #expect(!named.contains("/Constant_output_0"))
        #expect(m.graphNameToInitializer["blocks.0.attn.qkv.weight"] == "onnx::MatMul_10")
    }

    @Test func rulesAreReported() throws {
        let plan = Dictionary(uniqueKeysWithValues: try parseONNX(Self.model).namingPlan().map { ($0.stored, $0) })
        #expect(plan["blocks.0.norm.weight"]?.rule == .stored)
        #expect(plan["onnx::MatMul_10"]?.rule == .matmulWeight && plan["onnx::MatMul_10"]?.transposed == true)
        #expect(plan["onnx::Gemm_11"]?.rule == .layerParameter && plan["onnx::Gemm_11"]?.transposed == false)
        #expect(plan["onnx::Concat_13"]?.rule == .positionEmbeddingPart)
        #expect(plan["onnx::Mul_15"]?.rule == .consumerInput)
        #expect(plan["onnx::MatMul_16"]?.rule == .unnamed)
        #expect(plan["onnx::Unused_17"]?.rule == .unnamed)
    }
}
