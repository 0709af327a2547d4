import Foundation
import Testing
import WaveTensor
@testable import WaveFormats

/// ONNXWriter on its own: what it packs, the reader (a separate code path: wire scan, protobuf-c
/// unpack, tensor decoder) reads back, and its two-file writes stay consistent when stopped midway.
@Suite struct ONNXWriterTests {
    /// A small graph using every attribute form, an INT64 weight and typed, symbolic-axis values.
    static func graph(scale: Float) -> ONNXGraph {
        var g = ONNXGraph(name: "g", opset: 17, irVersion: 8, producerVersion: "t")
        g.metadata = [("k", "v"), ("wave.x", "{\"a\": 1}")]
        g.inputs = [.init(name: "x", shape: [.symbolic("batch"), .fixed(600)])]
        g.outputs = [.init(name: "y", shape: [.symbolic("batch"), .fixed(600)], doc: "doubled")]
        var b = ONNXGraphBuilder(g)
        let w = b.initializer("w", RawTensor(shape: [600], floats: (0..<600).map { Float($0) * scale }))
        let idx = [Int64](arrayLiteral: 3, -1).withUnsafeBytes { RawTensor(dtype: .i64, shape: [2], copying: $0) }
        _ = b.initializer("idx", idx)
        let m = b.op("Mul", "/m", ["x", w], [("f", .float(0.25)), ("i", .int(-7)), ("is", .ints([1, 2, 3]))])
        b.op("Add", "/a", [m, b.scalar(1)])
        return b.graph
    }

    @Test func whatIsWrittenReadsBack() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let g = Self.graph(scale: 2)
        let written = try ONNXWriter.write(g, to: dir.file("g.onnx"))
        #expect(written.files == [dir.file("g.onnx")])
        let m = try ONNXModel.load(path: dir.file("g.onnx"))
        #expect(m.irVersion == 8 && m.opsets.count == 1 && m.opsets[0].domain == "" && m.opsets[0].version == 17)
        #expect(m.producer == "wave t")
        #expect(m.graphInputs == ["x"] && m.graphOutputs == ["y"])
        #expect(m.initializers.metadata == ["k": "v", "wave.x": "{\"a\": 1}"])
        #expect(m.initializers["w"]?.floats() == (0..<600).map { Float($0) * 2 })
        #expect(m.initializers["idx"]?.dtype == .i64 && m.initializers["idx"]?.shape == [2])
        #expect(m.nodes.map(\.name) == ["/m/Mul", "/Constant", "/a/Add"])
        #expect(m.nodes[0].inputs == ["x", "w"] && m.nodes[0].outputs == ["/m/Mul_output_0"])
        guard case .float(let f) = m.nodes[0].attributes["f"], case .int(let i) = m.nodes[0].attributes["i"],
              case .ints(let v) = m.nodes[0].attributes["is"] else { Issue.record("attributes \(m.nodes[0].attributes)"); return }
        #expect(f == 0.25 && i == -7 && v == [1, 2, 3])
        #expect(m.constantNames == ["/Constant_output_0"] && m.initializers["/Constant_output_0"]?.floats() == [1])
        #expect(m.initializers["/Constant_output_0"]?.shape == [])
    }

    /// A write stopped after its data file's rename and before the model's (as `kill -9` would stop
    /// it) leaves the earlier model reading its own data; the next write removes both stale files.
    @Test func aWriteKilledBetweenItsRenamesKeepsTheOldModelWhole() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("g.onnx")
        let first = try ONNXWriter.write(Self.graph(scale: 1), to: path, externalAbove: 1000)
        #expect(first.files.count == 2)
        struct Killed: Error {}
        #expect(throws: Killed.self) {
            try ONNXWriter.write(Self.graph(scale: 3), to: path, externalAbove: 1000) { if $0 == 0 { throw Killed() } }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names.count == 3 && names.filter { $0.hasSuffix(".data") }.count == 2, "\(names)")
        #expect(try ONNXModel.load(path: path).initializers["w"]?.floats() == (0..<600).map { Float($0) })

        let third = try ONNXWriter.write(Self.graph(scale: 5), to: path, externalAbove: 1000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["g.onnx", URL(fileURLWithPath: third.files[1]).lastPathComponent])
        #expect(try ONNXModel.load(path: path).initializers["w"]?.floats() == (0..<600).map { Float($0) * 5 })
        // Only the idx tensor (16 bytes) stays inline: below 1 KiB.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count < 1000)
    }
}
