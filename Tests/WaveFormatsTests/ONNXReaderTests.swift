import Foundation
import Testing
import WaveFormats
import WaveTensor

private typealias B = ONNXBuild

/// Each payload form ONNX allows, built in code and read back.
@Suite struct ONNXReaderTests {
    @Test func headerFields() throws {
        var meta = ONNXProto(); meta.string(1, "author"); meta.string(2, "tests")
        var m = ONNXProto(bytes: B.model(initializers: [B.floats("w", [1], [1])]))
        m.message(14, meta)
        m.string(3, "1.0")
        let model = try parseONNX(m.bytes)
        #expect(model.irVersion == 7)
        #expect(model.producer == "wave-tests 1.0")
        #expect(model.opsets.count == 1 && model.opsets[0].domain == "" && model.opsets[0].version == 14)
        #expect(model.initializers.metadata == ["author": "tests"])
    }

    @Test func floatData() throws {
        let m = try parseONNX(B.model(initializers: [B.floats("w", [2, 3], [1, 2, 3, 4, 5, -6])]))
        let t = try #require(m.initializers["w"])
        #expect(t.dtype == .f32 && t.shape == [2, 3])
        #expect(t.floats() == [1, 2, 3, 4, 5, -6])
    }

    @Test func rawData() throws {
        let m = try parseONNX(B.model(initializers: [B.raw("w", [3], floats: [0.5, -1.5, 3])]))
        #expect(m.initializers["w"]?.floats() == [0.5, -1.5, 3])
    }

    /// FLOAT16/BFLOAT16 live in int32_data as bit patterns, one per entry, and come out in their 2-byte form.
    @Test func int32DataHalfBits() throws {
        let half = B.tensor("h", .float16, [3]) { $0.packedVarints(5, [0x3C00, 0xC000, 0x3800]) }
        let bf = B.tensor("b", .bfloat16, [2]) { $0.packedVarints(5, [0x3F80, 0xC040]) }
        let m = try parseONNX(B.model(initializers: [half, bf]))
        let h = try #require(m.initializers["h"])
        #expect(h.dtype == .f16 && h.byteCount == 6)
        #expect(h.floats() == [1, -2, 0.5])
        #expect(m.initializers["b"]?.dtype == .bf16)
        #expect(m.initializers["b"]?.floats() == [1, -3])
    }

    @Test func int32DataNarrowAndWide() throws {
        let i8 = B.tensor("i8", .int8, [3]) { $0.packedVarints(5, [-128, 0, 127]) }
        let u8 = B.tensor("u8", .uint8, [2]) { $0.packedVarints(5, [0, 255]) }
        let bools = B.tensor("b", .bool, [2]) { $0.packedVarints(5, [1, 0]) }
        let i32 = B.tensor("i32", .int32, [2]) { $0.packedVarints(5, [-7, 1 << 30]) }
        let u32 = B.tensor("u32", .uint32, [1]) { $0.packedVarints(11, [4_000_000_000]) }
        let m = try parseONNX(B.model(initializers: [i8, u8, bools, i32, u32]))
        #expect(m.initializers["i8"]?.floats() == [-128, 0, 127])
        #expect(m.initializers["i8"]?.byteCount == 3)
        #expect(m.initializers["u8"]?.floats() == [0, 255])
        #expect(m.initializers["b"]?.dtype == .bool && m.initializers["b"]?.floats() == [1, 0])
        #expect(m.initializers["i32"]?.floats() == [-7, Float(1 << 30)])
        #expect(m.initializers["u32"]?.dtype == .u32 && m.initializers["u32"]?.floats() == [4_000_000_000])
    }

    @Test func int64Data() throws {
        let t = B.tensor("shape", .int64, [3]) { $0.packedVarints(7, [-1, 0, 1 << 40]) }
        let m = try parseONNX(B.model(initializers: [t]))
        let r = try #require(m.initializers["shape"])
        #expect(r.dtype == .i64)
        let values = (0..<3).map { r.bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
        #expect(values == [-1, 0, 1 << 40])
    }

    @Test func doubleData() throws {
        let t = B.tensor("d", .double, [2]) { $0.packedDoubles(10, [0.25, -1e300]) }
        let r = try #require(try parseONNX(B.model(initializers: [t])).initializers["d"])
        #expect(r.dtype == .f64)
        #expect(r.bytes.loadUnaligned(fromByteOffset: 8, as: Double.self) == -1e300)
    }

    /// Unpacked repeated dims (one field per dim, as onnx.proto's proto2 form writes) and packed dims both parse.
    @Test func packedAndUnpackedDims() throws {
        var t = ONNXProto()
        t.packedVarints(1, [2, 2])
        t.int(2, 1)
        t.string(8, "p")
        t.packedFloats(4, [1, 2, 3, 4])
        let m = try parseONNX(B.model(initializers: [t, B.floats("u", [2, 2], [5, 6, 7, 8])]))
        #expect(m.initializers["p"]?.shape == [2, 2])
        #expect(m.initializers["u"]?.shape == [2, 2])
    }

    @Test func constantNodes() throws {
        var vf = ONNXProto(); vf.string(1, "value_float"); vf.float(2, 0.125); vf.int(20, 1)
        var vi = ONNXProto(); vi.string(1, "value_ints"); vi.packedVarints(8, [3, -4]); vi.int(20, 7)
        let nodes = [
            B.node("/Constant", "Constant", [], ["c0"], [B.tensorAttribute("value", B.floats("", [2], [9, 8]))]),
            B.node("/Constant_1", "Constant", [], ["c1"], [vf]),
            B.node("/Constant_2", "Constant", [], ["c2"], [vi]),
        ]
        let m = try parseONNX(B.model(initializers: [B.floats("w", [1], [1])], nodes: nodes))
        #expect(m.initializers.order == ["w", "c0", "c1", "c2"])
        #expect(m.constantNames == ["c0", "c1", "c2"])
        #expect(m.initializers["c0"]?.floats() == [9, 8])
        #expect(m.initializers["c1"]?.shape == [] && m.initializers["c1"]?.floats() == [0.125])
        #expect(m.initializers["c2"]?.dtype == .i64 && m.initializers["c2"]?.floats() == [3, -4])
        #expect(m.nodes.count == 3 && m.nodes[0].opType == "Constant" && m.nodes[0].outputs == ["c0"])
    }

    @Test func externalData() throws {
        let payload = [UInt8](repeating: 0xEE, count: 5) + floatBytes([1, 2, 3, 4]) + floatBytes([7])
        let dir = try onnxTempFolder(["weights.bin": payload])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = B.external("a", [2, 2], [("location", "weights.bin"), ("offset", "5"), ("length", "16")])
        let b = B.external("b", [1], [("location", "./weights.bin"), ("offset", "21")])
        let bytes = B.model(initializers: [a, b])
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/m.onnx"))
        let m = try ONNXModel.load(path: dir + "/m.onnx")
        #expect(m.initializers["a"]?.floats() == [1, 2, 3, 4])
        #expect(m.initializers["b"]?.floats() == [7])
    }

    /// Fields the subset schema does not declare (a ValueInfo's type, a future field 99) are skipped.
    @Test func unknownFieldsAreSkipped() throws {
        var g = B.graph(initializers: [B.floats("w", [1], [2])])
        var vi = ONNXProto(); vi.string(1, "input"); vi.bytes(2, [0x0a, 0x02, 0x08, 0x01])
        g.message(11, vi)
        g.int(99, 12345)
        var m = ONNXProto(bytes: B.model(g))
        m.bytes(25, [1, 2, 3])
        let model = try parseONNX(m.bytes)
        #expect(model.graphInputs == ["input"])
        #expect(model.initializers["w"]?.floats() == [2])
    }

    @Test func emptyTensorNeedsNoPayload() throws {
        let m = try parseONNX(B.model(initializers: [B.tensor("e", .float, [0, 4])]))
        #expect(m.initializers["e"]?.shape == [0, 4] && m.initializers["e"]?.byteCount == 0)
    }
}
