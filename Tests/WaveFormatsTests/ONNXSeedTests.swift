import Foundation
import Testing
import WaveFormats

/// Models written by the official onnx Python package (Fixtures/onnx/make-seeds.py), so the reader is checked
/// against another writer's bytes (unpacked dims, its field order), not only against our test encoder.
@Suite struct ONNXSeedTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/Fixtures/onnx/seeds"

    @Test func seedsParse() throws {
        func load(_ name: String) throws -> ONNXModel { try ONNXModel.load(path: Self.folder + "/" + name) }
        #expect(try load("float_data.onnx").initializers["w"]?.floats() == [0, 1, 2, 3, 4, 5])
        #expect(try load("int32_f16.onnx").initializers["h"]?.floats() == [1, -2, 0.5])
        #expect(try load("int8_bool.onnx").initializers["q"]?.floats() == [-128, 0, 127])
        #expect(try load("int8_bool.onnx").initializers["b"]?.floats() == [1, 0])
        #expect(try load("int64_double.onnx").initializers["i"]?.floats() == [-1, 0, Float(1 << 40)])
        #expect(try load("constant.onnx").initializers["c"]?.floats() == [9, 8])
        #expect(try load("external.onnx").initializers["e"]?.floats() == [1, 2])
        let mm = try load("raw_matmul.onnx").namedTensors()
        #expect(mm["blocks.0.mlp.fc1.weight"]?.floats() == [0, 3, 1, 4, 2, 5])
        let pos = try load("pos_embed.onnx").namedTensors()
        #expect(pos.order == ["embeddings.position_embeddings.cls_part", "embeddings.position_embeddings.patch_part", "shape"])
        let m = try load("raw_matmul.onnx")
        #expect(m.producer == "wave-seeds" && m.graphInputs == ["x"] && m.graphOutputs == ["y"])
    }
}
