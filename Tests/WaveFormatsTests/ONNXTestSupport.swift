import Foundation
import WaveFormats
import WaveTensor

/// A minimal protobuf writer for building ONNX bytes in tests: varints, fixed-width and length-delimited fields.
/// Fields are written in the order called, so a test controls the exact layout (and byte offsets) it corrupts.
struct ONNXProto {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func tag(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
    mutating func int(_ field: Int, _ v: Int64) { tag(field, 0); varint(UInt64(bitPattern: v)) }
    mutating func float(_ field: Int, _ v: Float) { tag(field, 5); append32(v.bitPattern) }
    mutating func bytes(_ field: Int, _ b: [UInt8]) { tag(field, 2); varint(UInt64(b.count)); bytes += b }
    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: ONNXProto) { bytes(field, m.bytes) }
    mutating func packedFloats(_ field: Int, _ v: [Float]) {
        var b = ONNXProto(); for x in v { b.append32(x.bitPattern) }; bytes(field, b.bytes)
    }
    mutating func packedDoubles(_ field: Int, _ v: [Double]) {
        var b = ONNXProto(); for x in v { b.append64(x.bitPattern) }; bytes(field, b.bytes)
    }
    mutating func packedVarints(_ field: Int, _ v: [Int64]) {
        var b = ONNXProto(); for x in v { b.varint(UInt64(bitPattern: x)) }; bytes(field, b.bytes)
    }
    mutating func append32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func append64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
}

/// ONNX messages with the official field numbers (Schemas/onnx-subset.proto).
enum ONNXBuild {
    enum DataType: Int64 { case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, string = 8, bool = 9, float16 = 10, double = 11, uint32 = 12, complex64 = 14, bfloat16 = 16 }

    /// A TensorProto; `body` adds the payload (and anything else a test wants) after name, data type and dims.
    static func tensor(_ name: String, _ type: DataType, _ dims: [Int64], _ body: (inout ONNXProto) -> Void = { _ in }) -> ONNXProto {
        var t = ONNXProto()
        for d in dims { t.int(1, d) }
        t.int(2, type.rawValue)
        t.string(8, name)
        body(&t)
        return t
    }
    static func floats(_ name: String, _ dims: [Int64], _ v: [Float]) -> ONNXProto {
        tensor(name, .float, dims) { $0.packedFloats(4, v) }
    }
    static func raw(_ name: String, _ dims: [Int64], floats v: [Float]) -> ONNXProto {
        tensor(name, .float, dims) { t in t.bytes(9, v.flatMap { x in withUnsafeBytes(of: x.bitPattern.littleEndian, Array.init) }) }
    }
    static func external(_ name: String, _ dims: [Int64], _ entries: [(String, String)]) -> ONNXProto {
        tensor(name, .float, dims) { t in
            for (k, v) in entries { var e = ONNXProto(); e.string(1, k); e.string(2, v); t.message(13, e) }
            t.int(14, 1)
        }
    }
    static func node(_ name: String, _ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [ONNXProto] = []) -> ONNXProto {
        var n = ONNXProto()
        for i in inputs { n.string(1, i) }
        for o in outputs { n.string(2, o) }
        n.string(3, name)
        n.string(4, op)
        for a in attributes { n.message(5, a) }
        return n
    }
    static func tensorAttribute(_ name: String, _ t: ONNXProto) -> ONNXProto {
        var a = ONNXProto(); a.string(1, name); a.message(5, t); a.int(20, 4); return a
    }
    static func intAttribute(_ name: String, _ v: Int64) -> ONNXProto {
        var a = ONNXProto(); a.string(1, name); a.int(3, v); a.int(20, 2); return a
    }
    static func graph(initializers: [ONNXProto] = [], nodes: [ONNXProto] = []) -> ONNXProto {
        var g = ONNXProto()
        for n in nodes { g.message(1, n) }
        g.string(2, "test")
        for t in initializers { g.message(5, t) }
        return g
    }
    /// ir_version first (2 bytes: offset 0..1), so a graph field always starts at byte 2.
    static func model(_ graph: ONNXProto?, producer: String = "wave-tests") -> [UInt8] {
        var m = ONNXProto()
        m.int(1, 7)
        if let graph { m.message(7, graph) }
        m.string(2, producer)
        var opset = ONNXProto(); opset.string(1, ""); opset.int(2, 14)
        m.message(8, opset)
        return m.bytes
    }
    static func model(initializers: [ONNXProto] = [], nodes: [ONNXProto] = []) -> [UInt8] {
        model(graph(initializers: initializers, nodes: nodes))
    }
}

func parseONNX(_ bytes: [UInt8], folder: String? = nil, maxBytes: Int = ONNXModel.maxModelBytes) throws -> ONNXModel {
    try bytes.withUnsafeBytes { try ONNXModel.parse($0, folder: folder, maxBytes: maxBytes) }
}

/// A fresh temporary folder holding `files`, removed by the caller.
func onnxTempFolder(_ files: [String: [UInt8]] = [:]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-onnx-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, bytes) in files {
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
    }
    return dir
}

func floatBytes(_ v: [Float]) -> [UInt8] { v.flatMap { x in withUnsafeBytes(of: x.bitPattern.littleEndian, Array.init) } }
