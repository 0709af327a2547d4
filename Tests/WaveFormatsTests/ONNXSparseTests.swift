import Foundation
import Testing
import WaveFormats
import WaveTensor

private typealias B = ONNXBuild

/// Sparse initializers (GraphProto field 15) are refused by name: before schema version 2 they were an
/// unknown field, and the model loaded without those weights.
@Suite struct ONNXSparseTests {
    /// A graph with one dense initializer and one sparse one: 2 non-zeros of a [2, 3] matrix.
    static func modelWithSparse(valuesName: String) -> [UInt8] {
        var g = B.graph(initializers: [B.floats("dense", [2], [1, 2])])
        var sparse = ONNXProto()
        sparse.message(1, B.floats(valuesName, [2], [5, 6]))
        sparse.message(2, B.tensor("", .int64, [2]) { $0.packedVarints(7, [1, 4]) })
        sparse.packedVarints(3, [2, 3])
        g.message(15, sparse)
        return B.model(g)
    }

    @Test func aSparseInitializerIsAnErrorNamingIt() throws {
        #expect(throws: ONNXError.sparseInitializers(count: 1, first: "blocks.0.attn.qkv.weight")) {
            try parseONNX(Self.modelWithSparse(valuesName: "blocks.0.attn.qkv.weight"))
        }
        let text = "\(ONNXError.sparseInitializers(count: 1, first: "w"))"
        #expect(text.contains("'w'") && text.contains("dense initializers"))
    }

    @Test func throughModelFileTheErrorNamesTheFile() throws {
        let dir = try onnxTempFolder(["m.onnx": Self.modelWithSparse(valuesName: "w")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try ModelFile.open(dir + "/m.onnx")
            Issue.record("a model with a sparse initializer opened")
        } catch {
            #expect("\(error)".hasPrefix(dir + "/m.onnx: ONNX: the graph has 1 sparse initializer"), "\(error)")
        }
    }

    /// The wire scan follows the schema into the new message: a bad wire type inside it is caught.
    @Test func theWireScanChecksTheSparseMessage() throws {
        var g = B.graph()
        var sparse = ONNXProto()
        sparse.int(1, 3)   // values is a message; a varint there is the wrong wire type
        g.message(15, sparse)
        #expect(throws: ONNXError.self) { try parseONNX(B.model(g)) }
    }
}
