import Foundation
import Testing
import WaveFormats
import WaveTensor

private typealias B = ONNXBuild

/// One malformed model and the exact error it must produce. `files` are written beside it (external data);
/// `expected` gets the folder so errors that carry a path can be stated exactly.
struct ONNXCorruptCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    var files: [String: [UInt8]] = [:]
    /// nil parses from memory (no folder, so external data is refused).
    var useFolder = true
    var maxBytes = ONNXModel.maxModelBytes
    let expected: @Sendable (String) -> ONNXError
    var testDescription: String { label }

    init(_ label: String, _ bytes: [UInt8], files: [String: [UInt8]] = [:], useFolder: Bool = true,
         maxBytes: Int = ONNXModel.maxModelBytes, _ expected: @escaping @Sendable (String) -> ONNXError) {
        self.label = label; self.bytes = bytes; self.files = files; self.useFolder = useFolder
        self.maxBytes = maxBytes; self.expected = expected
    }
    init(_ label: String, _ bytes: [UInt8], maxBytes: Int = ONNXModel.maxModelBytes, _ expected: ONNXError) {
        self.init(label, bytes, maxBytes: maxBytes) { _ in expected }
    }
}

private let valid = B.model(initializers: [B.floats("w", [2, 3], [1, 2, 3, 4, 5, 6])])
/// Length of the graph message inside `valid` (tag at byte 2, one-byte length at 3).
private let validGraphLength = Int(valid[3])
private func ext(_ entries: [(String, String)]) -> [UInt8] { B.model(initializers: [B.external("x", [2], entries)]) }
private let eightBytes = floatBytes([1, 2])

/// Each case breaks one rule and nothing else, roughly in the order the reader checks.
let onnxCorruptCases: [ONNXCorruptCase] = [
    .init("empty file", [], .emptyFile),
    .init("over the size cap", valid, maxBytes: 16, .fileTooLarge(size: valid.count, limit: 16)),
    .init("truncated file (graph cut short)", Array(valid.dropLast(valid.count - 20)),
          .lengthPastEnd(offset: 2, field: "ModelProto.graph", length: UInt64(validGraphLength), remaining: 16)),
    .init("truncated inside a varint", [0x08, 0x80], .truncated(offset: 1, field: "ModelProto.ir_version")),
    .init("bad varint (11 continuation bytes)", [0x08] + [UInt8](repeating: 0xff, count: 11) + [0x01], .badVarint(offset: 1)),
    .init("wrong wire type (ir_version length-delimited)", [0x0a, 0x00],
          .wrongWireType(offset: 0, field: "ModelProto.ir_version", wireType: 2, expected: 0)),
    .init("wrong wire type (graph as varint)", [0x38, 0x01],
          .wrongWireType(offset: 0, field: "ModelProto.graph", wireType: 0, expected: 2)),
    .init("length past end", [0x3a, 0x64, 0x0a, 0x00, 0x00],
          .lengthPastEnd(offset: 0, field: "ModelProto.graph", length: 100, remaining: 3)),
    .init("group wire type", [0x0b], .invalidWireType(offset: 0, wireType: 3)),
    .init("field number zero", [0x00, 0x01], .invalidFieldNumber(offset: 0)),
    // Offset 19: ir_version (2) + graph tag/length (2) + graph name (6) + initializer tag/length (2) + dims, type, name (7).
    .init("packed float_data not a multiple of 4",
          B.model(initializers: [B.tensor("w", .float, [1]) { $0.bytes(4, [0, 0, 0x80, 0x3f, 0]) }]),
          .badPackedLength(offset: 19, field: "TensorProto.float_data", length: 5, elementSize: 4)),
    .init("no graph", B.model(nil), .missingGraph),
    .init("raw_data size mismatch", B.model(initializers: [B.tensor("w", .float, [2, 3]) { $0.bytes(9, [UInt8](repeating: 0, count: 20)) }]),
          .payloadSizeMismatch(tensor: "w", field: "raw_data", expected: 24, actual: 20)),
    .init("float_data count mismatch", B.model(initializers: [B.floats("w", [2, 3], [1, 2, 3, 4, 5])]),
          .payloadSizeMismatch(tensor: "w", field: "float_data", expected: 6, actual: 5)),
    .init("no payload at all", B.model(initializers: [B.tensor("w", .float, [4])]),
          .payloadSizeMismatch(tensor: "w", field: "raw_data", expected: 16, actual: 0)),
    .init("negative dim", B.model(initializers: [B.floats("w", [2, -3], [])]),
          .negativeDimension(tensor: "w", index: 1, value: -3)),
    .init("huge dims overflow", B.model(initializers: [B.floats("w", [1 << 40, 1 << 40], [1])]),
          .shapeOverflow(tensor: "w", dims: [1 << 40, 1 << 40])),
    .init("unsupported dtype STRING", B.model(initializers: [B.tensor("s", .string, [1]) { $0.bytes(6, Array("hi".utf8)) }]),
          .unsupportedDataType(tensor: "s", dataType: 8)),
    .init("unsupported dtype COMPLEX64", B.model(initializers: [B.tensor("c", .complex64, [1]) { $0.packedFloats(4, [1, 2]) }]),
          .unsupportedDataType(tensor: "c", dataType: 14)),
    .init("float_data for an INT64 tensor", B.model(initializers: [B.tensor("i", .int64, [1]) { $0.packedFloats(4, [1]) }]),
          .fieldTypeMismatch(tensor: "i", field: "float_data", dataType: 7)),
    .init("raw_data and float_data both set", B.model(initializers: [B.tensor("w", .float, [1]) { $0.packedFloats(4, [1]); $0.bytes(9, floatBytes([1])) }]),
          .conflictingPayloads(tensor: "w", fields: ["raw_data", "float_data"])),
    .init("INT8 value out of range in int32_data", B.model(initializers: [B.tensor("q", .int8, [2]) { $0.packedVarints(5, [1, 300]) }]),
          .valueOutOfRange(tensor: "q", field: "int32_data", index: 1, value: 300)),
    .init("segmented tensor", B.model(initializers: [B.tensor("w", .float, [1]) { t in
              var s = ONNXProto(); s.int(1, 0); s.int(2, 1); t.message(3, s); t.packedFloats(4, [1]) }]),
          .segmentedTensor(tensor: "w")),
    .init("duplicate initializer", B.model(initializers: [B.floats("w", [1], [1]), B.floats("w", [1], [2])]),
          .duplicateTensor(name: "w")),
    .init("Constant output shadows an initializer",
          B.model(initializers: [B.floats("w", [1], [1])],
                  nodes: [B.node("/Constant", "Constant", [], ["w"], [B.tensorAttribute("value", B.floats("", [1], [2]))])]),
          .duplicateTensor(name: "w")),
    .init("string Constant", B.model(nodes: [B.node("/C", "Constant", [], ["c"], [{ var a = ONNXProto(); a.string(1, "value_string"); a.bytes(4, [0x41]); a.int(20, 3); return a }()])]),
          .unsupportedConstant(node: "/C", attribute: "value_string")),
    .init("external data parsed from memory", ext([("location", "w.bin")]), useFolder: false) { _ in .externalWithoutFolder(tensor: "x") },
    .init("external data without location", ext([("offset", "0")])) { _ in .externalMissingLocation(tensor: "x") },
    .init("external path escape (..)", ext([("location", "../secret.bin")])) { _ in
        .externalPathEscapes(tensor: "x", location: "../secret.bin") },
    .init("external path escape (..\\ Windows-style)", ext([("location", "sub\\..\\..\\secret.bin")])) { _ in
        .externalPathEscapes(tensor: "x", location: "sub\\..\\..\\secret.bin") },
    .init("absolute external path", ext([("location", "/etc/passwd")])) { _ in
        .externalAbsolutePath(tensor: "x", location: "/etc/passwd") },
    .init("external offset not a number", ext([("location", "w.bin"), ("offset", "-4")]), files: ["w.bin": eightBytes]) { _ in
        .externalBadNumber(tensor: "x", key: "offset", value: "-4") },
    .init("external offset+length past the file", ext([("location", "w.bin"), ("offset", "4"), ("length", "8")]),
          files: ["w.bin": eightBytes]) { _ in .externalRangePastEnd(tensor: "x", offset: 4, length: 8, fileSize: 8) },
    .init("external offset overflows", ext([("location", "w.bin"), ("offset", "9223372036854775807"), ("length", "8")]),
          files: ["w.bin": eightBytes]) { _ in .externalRangePastEnd(tensor: "x", offset: Int.max, length: 8, fileSize: 8) },
    .init("external length wrong for dims", ext([("location", "w.bin"), ("length", "4")]), files: ["w.bin": eightBytes]) { _ in
        .payloadSizeMismatch(tensor: "x", field: "external_data", expected: 8, actual: 4) },
    .init("missing external file", ext([("location", "missing.bin")])) { folder in
        .externalFileUnreadable(tensor: "x", path: folder + "/missing.bin", reason: "No such file or directory") },
]

@Suite struct ONNXCorruptTests {
    @Test(arguments: onnxCorruptCases)
    func rejects(_ c: ONNXCorruptCase) throws {
        let folder = try onnxTempFolder(c.files)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let expected = c.expected(folder)
        #expect(throws: expected) { try parseONNX(c.bytes, folder: c.useFolder ? folder : nil, maxBytes: c.maxBytes) }
        // Messages are one line and name a cause.
        #expect(!expected.description.contains("\n"))
    }

    /// The table must keep covering the reader's checks.
    @Test func tableIsLarge() { #expect(onnxCorruptCases.count >= 15) }

    /// A symlink inside the folder that points outside is refused like `..`.
    @Test func symlinkEscapeIsRefused() throws {
        let outside = try onnxTempFolder(["secret.bin": eightBytes])
        let folder = try onnxTempFolder()
        defer { try? FileManager.default.removeItem(atPath: outside); try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.bin", withDestinationPath: outside + "/secret.bin")
        #expect(throws: ONNXError.externalPathEscapes(tensor: "x", location: "link.bin")) {
            try parseONNX(ext([("location", "link.bin")]), folder: folder)
        }
    }

    /// Every prefix of a valid model fails with an error (never a crash) or, at field boundaries, parses.
    @Test func everyTruncationIsHandled() throws {
        let model = B.model(initializers: [B.floats("w", [2, 3], [1, 2, 3, 4, 5, 6]), B.raw("r", [2], floats: [1, 2])],
                            nodes: [B.node("/a/MatMul", "MatMul", ["x", "w"], ["y"])])
        for n in 0..<model.count {
            do { _ = try parseONNX(Array(model.prefix(n))) } catch is ONNXError {}
        }
    }
}
