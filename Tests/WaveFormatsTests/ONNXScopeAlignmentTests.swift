import Foundation
import Testing
import WaveFormats
import WaveTensor

private typealias B = ONNXBuild

/// Rule 3 of `namedTensors()`: node scopes that carry an extra wrapper component (a called
/// `Sequential`, as a sentence-transformers export has) are aligned with the stored module paths.
@Suite struct ONNXScopeAlignmentTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/hf").path

    @Test func aWrappedSequentialScopeMeetsTheStateDictNames() throws {
        let inits = [
            B.floats("model.0.auto_model.layer.0.query.bias", [2], [1, 2]),
            B.floats("onnx::MatMul_1", [2, 2], [1, 2, 3, 4]),
            // No bias under this scope: it drops as many components as the others did.
            B.floats("onnx::MatMul_2", [2, 2], [5, 6, 7, 8]),
        ]
        let nodes = [
            B.node("/model/model.0/auto_model/layer.0/query/MatMul", "MatMul", ["x", "onnx::MatMul_1"], ["q"]),
            B.node("/model/model.0/auto_model/layer.0/query/Add", "Add", ["model.0.auto_model.layer.0.query.bias", "q"], ["qb"]),
            B.node("/model/model.0/auto_model/layer.0/out/MatMul", "MatMul", ["qb", "onnx::MatMul_2"], ["o"]),
        ]
        let named = try parseONNX(B.model(initializers: inits, nodes: nodes)).namedTensors()
        #expect(named.order == ["model.0.auto_model.layer.0.query.bias", "model.0.auto_model.layer.0.query.weight",
                                "model.0.auto_model.layer.0.out.weight"])
        #expect(named["model.0.auto_model.layer.0.out.weight"]!.floats() == [5, 7, 6, 8])  // [in, out] → [out, in]
    }

    /// Fixtures/hf/bert-st.onnx: a tiny BERT inside a sentence-transformers Sequential, exported by torch.
    @Test func theSentenceTransformersExportIsABert() throws {
        let model = try ModelFile.open(Self.fixtures + "/bert-st.onnx")
        let d = try Architecture.detect(model.tensors, hints: model.configHints)
        #expect(d.family.family == "bert")
        #expect(d.prefix == "model.0.auto_model.")
        #expect(d.bert?.layers == 2 && d.bert?.hiddenSize == 32)
        // Against the same model's safetensors: every canonical tensor is the same.
        let st = try Architecture.detect(try Safetensors.read(path: Self.fixtures + "/bert/model.safetensors"))
        for name in d.canonical.order { #expect(d.canonical[name]!.floats() == st.canonical[name]!.floats(), "\(name)") }
    }
}
