import Foundation
import CONNX
import CProtobufC
import WaveTensor

/// Writes an `ONNXGraph` as an .onnx file with protobuf-c (the messages of Schemas/onnx-subset.proto),
/// atomically. Weights go into `raw_data`, pointing at the tensors' own bytes (protobuf-c packs
/// them from there, no copy), and the packed message streams into the file through a ProtobufCBuffer.
///
/// protobuf caps a message at 2 GiB, so a model whose weights do not fit under `externalAbove` keeps
/// every initializer of 1 KiB or more in one external data file beside it, `NAME.onnx.<id>.data`
/// (aligned to 64 bytes; the tensors name it with `location`, `offset` and `length`), which ONNX
/// runtimes and wave's reader resolve relative to the model's folder. The data file carries the
/// write's id: it is renamed into place before the model, and the data files of earlier writes are
/// removed after it, so a write killed between the renames leaves the old model with its own data,
/// never a model reading another write's bytes.
public enum ONNXWriter {
    /// Below protobuf's limit with room for the graph itself (nodes, names, shapes: kilobytes).
    public static let defaultExternalAbove = ONNXModel.maxModelBytes - (64 << 20)
    /// onnx's own convention (`convert_model_to_external_data(size_threshold=1024)`): tiny tensors stay inline.
    static let externalMinBytes = 1024
    static let externalAlignment = 64

    public struct Written: Sendable {
        /// The model, then the external data file when there is one.
        public let files: [String]
        public let bytes: Int
    }

    /// `externalAbove`: initializer bytes beyond which weights go to an external data file (tests lower it).
    @discardableResult
    public static func write(_ graph: ONNXGraph, to path: String, externalAbove: Int = defaultExternalAbove) throws -> Written {
        try write(graph, to: path, externalAbove: externalAbove, afterRename: nil)
    }

    /// `afterRename(i)` runs after the i-th rename (0: the data file): tests stop there as a kill would.
    static func write(_ graph: ONNXGraph, to path: String, externalAbove: Int,
                      afterRename: ((Int) throws -> Void)?) throws -> Written {
        let external = graph.initializers.reduce(0) { $0 + $1.tensor.byteCount } > externalAbove
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let base = URL(fileURLWithPath: path).lastPathComponent
        var locations: [String: (offset: Int, length: Int)] = [:]
        var writers: [AtomicFileWriter] = []
        var dataName: String?
        if external {
            var rng = SystemRandomNumberGenerator()
            let name = "\(base).\(String(format: "%016llx", rng.next() as UInt64)).data"
            let data = try AtomicFileWriter(path: folder + "/" + name)
            writers.append(data)
            let zeros = [UInt8](repeating: 0, count: externalAlignment)
            for (tensorName, t) in graph.initializers where t.byteCount >= externalMinBytes {
                let pad = (externalAlignment - data.bytesWritten % externalAlignment) % externalAlignment
                try zeros.withUnsafeBytes { try data.write(UnsafeRawBufferPointer(rebasing: $0.prefix(pad))) }
                locations[tensorName] = (data.bytesWritten, t.byteCount)
                try data.write(t.bytes)
            }
            dataName = name
        }
        let model = try AtomicFileWriter(path: path)
        writers.append(model)
        do {
            let arena = CArena()
            let message = try build(graph, arena: arena, dataFile: dataName, locations: locations)
            try FileSink.pack(message, into: model)
        } catch {
            for w in writers { w.abandon() }
            throw error
        }
        let bytes = writers.reduce(0) { $0 + $1.bytesWritten }
        try AtomicFileWriter.commit(writers, afterRename: afterRename)
        removeOtherDataFiles(of: base, in: folder, keeping: dataName)
        return Written(files: [path] + (dataName.map { [folder + "/" + $0] } ?? []), bytes: bytes)
    }

    /// `NAME.<16 hex>.data` files of earlier writes of `NAME` (only that exact pattern).
    static func removeOtherDataFiles(of base: String, in folder: String, keeping: String?) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for n in names where n != keeping && n.hasPrefix(base + ".") && n.hasSuffix(".data") {
            let id = n.dropFirst(base.count + 1).dropLast(5)
            guard id.count == 16, id.allSatisfy({ $0.isHexDigit }) else { continue }
            unlink(folder + "/" + n)
        }
    }

    // MARK: protobuf-c messages

    private static func build(_ g: ONNXGraph, arena: CArena, dataFile: String?,
                              locations: [String: (offset: Int, length: Int)]) throws -> UnsafeMutablePointer<Onnx__ModelProto> {
        let m = arena.message(onnx__model_proto__init)
        m.pointee.has_ir_version = 1
        m.pointee.ir_version = Int64(g.irVersion)
        m.pointee.producer_name = arena.string("wave")
        m.pointee.producer_version = arena.string(g.producerVersion)
        let opset = arena.message(onnx__operator_set_id_proto__init)
        opset.pointee.domain = arena.string("")
        opset.pointee.has_version = 1
        opset.pointee.version = Int64(g.opset)
        (m.pointee.n_opset_import, m.pointee.opset_import) = arena.pointers([opset])
        (m.pointee.n_metadata_props, m.pointee.metadata_props) = arena.pointers(g.metadata.map { entry($0.key, $0.value, arena) })

        let graph = arena.message(onnx__graph_proto__init)
        graph.pointee.name = arena.string(g.name)
        if !g.doc.isEmpty { graph.pointee.doc_string = arena.string(g.doc) }
        (graph.pointee.n_node, graph.pointee.node) = arena.pointers(try g.nodes.map { try node($0, arena) })
        (graph.pointee.n_initializer, graph.pointee.initializer) = arena.pointers(g.initializers.map { name, t in
            let p = tensor(t, name: name, arena)
            if let loc = locations[name], let dataFile {
                p.pointee.has_raw_data = 0
                p.pointee.raw_data = ProtobufCBinaryData(len: 0, data: nil)
                p.pointee.has_data_location = 1
                p.pointee.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL
                (p.pointee.n_external_data, p.pointee.external_data) = arena.pointers([
                    entry("location", dataFile, arena), entry("offset", "\(loc.offset)", arena), entry("length", "\(loc.length)", arena),
                ])
            }
            return p
        })
        (graph.pointee.n_input, graph.pointee.input) = arena.pointers(g.inputs.map { value($0, arena) })
        (graph.pointee.n_output, graph.pointee.output) = arena.pointers(g.outputs.map { value($0, arena) })
        m.pointee.graph = graph
        return m
    }

    private static func entry(_ key: String, _ value: String, _ arena: CArena) -> UnsafeMutablePointer<Onnx__StringStringEntryProto> {
        let e = arena.message(onnx__string_string_entry_proto__init)
        e.pointee.key = arena.string(key)
        e.pointee.value = arena.string(value)
        return e
    }

    /// A TensorProto whose raw_data points at `t`'s bytes (which must outlive the pack).
    private static func tensor(_ t: RawTensor, name: String?, _ arena: CArena) -> UnsafeMutablePointer<Onnx__TensorProto> {
        let p = arena.message(onnx__tensor_proto__init)
        if let name { p.pointee.name = arena.string(name) }
        p.pointee.has_data_type = 1
        p.pointee.data_type = ONNXGraph.dataType(t.dtype)
        (p.pointee.n_dims, p.pointee.dims) = arena.array(t.shape.map { Int64($0) })
        p.pointee.has_raw_data = 1
        arena.retain(t.owner)
        p.pointee.raw_data = ProtobufCBinaryData(len: t.byteCount,
                                                 data: UnsafeMutablePointer(mutating: t.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)))
        return p
    }

    private static func node(_ n: ONNXGraph.Node, _ arena: CArena) throws -> UnsafeMutablePointer<Onnx__NodeProto> {
        let p = arena.message(onnx__node_proto__init)
        p.pointee.name = arena.string(n.name)
        p.pointee.op_type = arena.string(n.opType)
        (p.pointee.n_input, p.pointee.input) = arena.pointers(n.inputs.map { arena.string($0) })
        (p.pointee.n_output, p.pointee.output) = arena.pointers(n.outputs.map { arena.string($0) })
        (p.pointee.n_attribute, p.pointee.attribute) = arena.pointers(n.attributes.map { name, value in
            let a = arena.message(onnx__attribute_proto__init)
            a.pointee.name = arena.string(name)
            a.pointee.has_type = 1
            switch value {
            case let .int(i):
                a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
                a.pointee.has_i = 1
                a.pointee.i = Int64(i)
            case let .float(f):
                a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
                a.pointee.has_f = 1
                a.pointee.f = f
            case let .ints(v):
                a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
                (a.pointee.n_ints, a.pointee.ints) = arena.array(v.map { Int64($0) })
            case let .tensor(t):
                a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
                a.pointee.t = tensor(t, name: nil, arena)
            }
            return a
        })
        return p
    }

    private static func value(_ v: ONNXGraph.Value, _ arena: CArena) -> UnsafeMutablePointer<Onnx__ValueInfoProto> {
        let shape = arena.message(onnx__tensor_shape_proto__init)
        (shape.pointee.n_dim, shape.pointee.dim) = arena.pointers(v.shape.map { d in
            let p = arena.message(onnx__tensor_shape_proto__dimension__init)
            switch d {
            case let .fixed(n):
                p.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                p.pointee.dim_value = Int64(n)
            case let .symbolic(s):
                p.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                p.pointee.dim_param = arena.string(s)
            }
            return p
        })
        let tensorType = arena.message(onnx__type_proto__tensor__init)
        tensorType.pointee.has_elem_type = 1
        tensorType.pointee.elem_type = ONNXGraph.dataType(v.elementType)
        tensorType.pointee.shape = shape
        let type = arena.message(onnx__type_proto__init)
        type.pointee.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
        type.pointee.tensor_type = tensorType
        let p = arena.message(onnx__value_info_proto__init)
        p.pointee.name = arena.string(v.name)
        p.pointee.type = type
        if !v.doc.isEmpty { p.pointee.doc_string = arena.string(v.doc) }
        return p
    }
}

/// C memory for one model's messages, freed together. protobuf-c's own free_unpacked is for
/// messages it allocated; these are ours.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    private var owners: [AnyObject] = []

    deinit { for b in blocks { b.deallocate() } }

    /// A message initialized by its generated `*__init` (the `*_INIT` macros are invisible to Swift).
    func message<T>(_ initialize: (UnsafeMutablePointer<T>?) -> Void) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
        blocks.append(UnsafeMutableRawPointer(p))
        initialize(p)
        return p
    }

    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(s.utf8CString)
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        p.initialize(from: utf8, count: utf8.count)
        blocks.append(UnsafeMutableRawPointer(p))
        return p
    }

    /// protobuf-c's (count, pointer) pair for a repeated field.
    func array<T>(_ values: [T]) -> (Int, UnsafeMutablePointer<T>?) {
        guard !values.isEmpty else { return (0, nil) }
        let p = UnsafeMutablePointer<T>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        blocks.append(UnsafeMutableRawPointer(p))
        return (values.count, p)
    }

    /// A repeated message or string field: C arrays of nullable pointers.
    func pointers<T>(_ values: [UnsafeMutablePointer<T>]) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<T>?>?) {
        array(values.map { Optional($0) })
    }

    /// Keeps a tensor's storage alive while messages point into it.
    func retain(_ owner: AnyObject) { owners.append(owner) }
}

/// A ProtobufCBuffer that streams packed bytes into an AtomicFileWriter. protobuf-c appends tags and
/// varints a few bytes at a time and payloads (raw_data) whole: small pieces are gathered into a
/// staging buffer, large ones written from where they lie.
final class FileSink {
    private let writer: AtomicFileWriter
    private var staging: [UInt8] = []
    private var error: Error?
    static let stagingBytes = 1 << 20

    private init(_ writer: AtomicFileWriter) {
        self.writer = writer
        staging.reserveCapacity(Self.stagingBytes)
    }

    static func pack(_ message: UnsafeMutablePointer<Onnx__ModelProto>, into writer: AtomicFileWriter) throws {
        let sink = FileSink(writer)
        // The C "subclass" layout: the ProtobufCBuffer first, then a pointer back to the sink.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<ProtobufCBuffer>.stride + MemoryLayout<UnsafeRawPointer>.size,
                                                   alignment: MemoryLayout<UnsafeRawPointer>.alignment)
        defer { raw.deallocate() }
        raw.initializeMemory(as: ProtobufCBuffer.self, repeating: ProtobufCBuffer(append: { buffer, len, data in
            guard let buffer, let data else { return }
            let ctx = UnsafeRawPointer(buffer).load(fromByteOffset: MemoryLayout<ProtobufCBuffer>.stride, as: UnsafeRawPointer.self)
            Unmanaged<FileSink>.fromOpaque(ctx).takeUnretainedValue().append(UnsafeRawBufferPointer(start: data, count: len))
        }), count: 1)
        raw.storeBytes(of: UnsafeRawPointer(Unmanaged.passUnretained(sink).toOpaque()),
                       toByteOffset: MemoryLayout<ProtobufCBuffer>.stride, as: UnsafeRawPointer.self)
        withExtendedLifetime(sink) {
            message.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) {
                _ = protobuf_c_message_pack_to_buffer($0, raw.assumingMemoryBound(to: ProtobufCBuffer.self))
            }
        }
        sink.drain()
        if let e = sink.error { throw e }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) {
        guard error == nil else { return }
        if bytes.count >= Self.stagingBytes / 4 {
            drain()
            do { try writer.write(bytes) } catch { self.error = error }
            return
        }
        if staging.count + bytes.count > Self.stagingBytes { drain() }
        staging.append(contentsOf: bytes)
    }

    private func drain() {
        guard error == nil, !staging.isEmpty else { return }
        do { try writer.write(staging) } catch { self.error = error }
        staging.removeAll(keepingCapacity: true)
    }
}
