import CONNX
import CProtobufC
import WaveTensor

/// One operator of the graph, as exported. Names are path-like for PyTorch exports
/// (`/backbone/encoder/layer.0/mlp/fc1/MatMul`), which is what `namedTensors()` uses.
public struct ONNXNode: Sendable {
    public let name: String
    public let opType: String
    public let domain: String
    public let inputs: [String]
    public let outputs: [String]
    public let attributes: [String: ONNXAttribute]
}

/// A node attribute in the forms wave reads; graph-valued, sparse and type attributes are `.unsupported`.
public enum ONNXAttribute: Sendable {
    case float(Float), int(Int), string(String), tensor(RawTensor)
    case floats([Float]), ints([Int]), strings([String])
    case unsupported(type: Int)
}

/// Keeps the protobuf-c message alive; RawTensor views of raw_data and typed arrays point into it.
final class ONNXUnpacked: @unchecked Sendable {
    let message: UnsafeMutablePointer<Onnx__ModelProto>
    init(_ m: UnsafeMutablePointer<Onnx__ModelProto>) { message = m }
    deinit { onnx__model_proto__free_unpacked(message, nil) }
}

/// An ONNX model's graph and weights. Reading order: size checks, a wire-format scan that names the first
/// malformed byte (ONNXWireScan), protobuf-c unpack, then per-tensor validation (ONNXTensorDecoder).
public final class ONNXModel: @unchecked Sendable {
    /// protobuf's own 2 GiB message limit; bigger models must keep weights in external data files.
    public static let maxModelBytes = Int(Int32.max)

    public let irVersion: Int
    /// `producer_name` and `producer_version` joined by a space (e.g. "pytorch 2.7.0").
    public let producer: String
    public let opsets: [(domain: String, version: Int)]
    public let nodes: [ONNXNode]
    public let graphInputs: [String]
    public let graphOutputs: [String]
    /// Graph initializers under their raw names, then Constant-node outputs (named by the output), in graph
    /// order. Views into the unpacked message or mapped external files. metadata_props become `metadata`.
    public let initializers: TensorSet
    /// The subset of `initializers` that came from Constant nodes (shape plumbing, eps, scales) rather than
    /// from graph.initializer.
    public let constantNames: Set<String>

    /// Maps the file (no read into a buffer), unpacks it and validates every tensor. External data is looked
    /// up relative to the model's folder.
    public static func load(path: String) throws -> ONNXModel {
        let file = try MappedFile(path: path)
        let folder: String
        if let slash = path.lastIndex(of: "/") {
            folder = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            folder = "."
        }
        // protobuf-c copies every bytes/string field, so the map is not needed after parse returns.
        return try parse(file.bytes, folder: folder)
    }

    /// Parses model bytes. `folder` is where external data lives; nil refuses external tensors.
    /// `maxBytes` exists so tests can exercise the cap without 2 GiB inputs.
    public static func parse(_ bytes: UnsafeRawBufferPointer, folder: String?, maxBytes: Int = maxModelBytes) throws -> ONNXModel {
        guard bytes.count > 0 else { throw ONNXError.emptyFile }
        guard bytes.count <= maxBytes else { throw ONNXError.fileTooLarge(size: bytes.count, limit: maxBytes) }
        try ONNXWireScan.validate(bytes)
        guard let m = onnx__model_proto__unpack(nil, bytes.count, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)) else {
            throw ONNXError.unpackFailed(size: bytes.count)
        }
        return try ONNXModel(unpacked: ONNXUnpacked(m), folder: folder)
    }

    private init(unpacked: ONNXUnpacked, folder: String?) throws {
        let m = unpacked.message.pointee
        guard let graph = m.graph?.pointee else { throw ONNXError.missingGraph }
        irVersion = m.has_ir_version != 0 ? Int(m.ir_version) : 0
        producer = [cString(m.producer_name), cString(m.producer_version)].filter { !$0.isEmpty }.joined(separator: " ")
        opsets = (0..<m.n_opset_import).compactMap { i in
            m.opset_import[i].map { (domain: cString($0.pointee.domain), version: Int($0.pointee.version)) }
        }
        graphInputs = (0..<graph.n_input).compactMap { graph.input[$0].map { cString($0.pointee.name) } }
        graphOutputs = (0..<graph.n_output).compactMap { graph.output[$0].map { cString($0.pointee.name) } }

        let decoder = ONNXTensorDecoder(folder: folder, owner: unpacked)
        var set = TensorSet()
        for i in 0..<m.n_metadata_props {
            if let e = m.metadata_props[i] { set.metadata[cString(e.pointee.key)] = cString(e.pointee.value) }
        }
        for i in 0..<graph.n_initializer {
            guard let t = graph.initializer[i] else { continue }
            let name = cString(t.pointee.name)
            guard !set.contains(name) else { throw ONNXError.duplicateTensor(name: name) }
            set.add(name, try decoder.decode(t, name: name))
        }
        // Sparse weights would otherwise be missing from the tensors without a word: refused by name.
        if graph.n_sparse_initializer > 0 {
            let first = graph.sparse_initializer[0]?.pointee.values?.pointee.name
            throw ONNXError.sparseInitializers(count: graph.n_sparse_initializer, first: first.map { String(cString: $0) } ?? "")
        }

        var nodes: [ONNXNode] = []
        nodes.reserveCapacity(graph.n_node)
        var constants = Set<String>()
        for i in 0..<graph.n_node {
            guard let n = graph.node[i]?.pointee else { continue }
            let node = try Self.node(n, decoder: decoder)
            nodes.append(node)
            if node.opType == "Constant", node.domain.isEmpty || node.domain == "ai.onnx",
               let out = node.outputs.first, !out.isEmpty {
                let value = try Self.constantValue(node)
                guard !set.contains(out) else { throw ONNXError.duplicateTensor(name: out) }
                set.add(out, value)
                constants.insert(out)
            }
        }
        self.nodes = nodes
        initializers = set
        constantNames = constants
    }

    private static func node(_ n: Onnx__NodeProto, decoder: ONNXTensorDecoder) throws -> ONNXNode {
        let name = cString(n.name)
        var attributes: [String: ONNXAttribute] = [:]
        for i in 0..<n.n_attribute {
            guard let a = n.attribute[i]?.pointee else { continue }
            let key = cString(a.name)
            do {
                attributes[key] = try attribute(a, tensorName: "\(name)/\(key)", decoder: decoder)
            } catch ONNXError.unsupportedDataType where cString(n.op_type) != "Constant" {
                // An operator's string/complex tensor attribute does not stop wave reading the weights;
                // a Constant's does, because its value becomes a tensor.
                attributes[key] = .unsupported(type: 4)
            }
        }
        return ONNXNode(name: name, opType: cString(n.op_type), domain: cString(n.domain),
                        inputs: (0..<n.n_input).map { cString(n.input[$0]) },
                        outputs: (0..<n.n_output).map { cString(n.output[$0]) },
                        attributes: attributes)
    }

    private static func attribute(_ a: Onnx__AttributeProto, tensorName: String, decoder: ONNXTensorDecoder) throws -> ONNXAttribute {
        // Old exporters leave `type` unset; infer it from the one field present.
        let type = a.has_type != 0 ? Int(a.type.rawValue)
            : a.t != nil ? 4 : a.has_s != 0 ? 3 : a.has_i != 0 ? 2 : a.has_f != 0 ? 1
            : a.n_floats > 0 ? 6 : a.n_ints > 0 ? 7 : a.n_strings > 0 ? 8 : 0
        switch type {
        case 1: return .float(a.f)
        case 2: return .int(Int(a.i))
        case 3: return .string(bytesString(a.s))
        case 4:
            guard let t = a.t else { return .unsupported(type: type) }
            return .tensor(try decoder.decode(t, name: tensorName))
        case 6: return .floats(Array(UnsafeBufferPointer(start: a.floats, count: a.n_floats)))
        case 7: return .ints(UnsafeBufferPointer(start: a.ints, count: a.n_ints).map { Int($0) })
        case 8: return .strings(UnsafeBufferPointer(start: a.strings, count: a.n_strings).map(bytesString))
        default: return .unsupported(type: type)
        }
    }

    /// A Constant node's value: `value` (a tensor) or the scalar/list shorthands value_float(s)/value_int(s).
    private static func constantValue(_ node: ONNXNode) throws -> RawTensor {
        for (key, attr) in node.attributes.sorted(by: { $0.key < $1.key }) {
            switch (key, attr) {
            case ("value", .tensor(let t)): return t
            case ("value_float", .float(let f)): return RawTensor(shape: [], floats: [f])
            case ("value_floats", .floats(let fs)): return RawTensor(shape: [fs.count], floats: fs)
            case ("value_int", .int(let i)):
                return withUnsafeBytes(of: Int64(i).littleEndian) { RawTensor(dtype: .i64, shape: [], copying: $0) }
            case ("value_ints", .ints(let v)):
                return v.map { Int64($0).littleEndian }.withUnsafeBytes { RawTensor(dtype: .i64, shape: [v.count], copying: $0) }
            default: continue
            }
        }
        throw ONNXError.unsupportedConstant(node: node.name, attribute: node.attributes.keys.sorted().first ?? "(none)")
    }
}

@inline(__always) func cString(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
@inline(__always) func bytesString(_ b: ProtobufCBinaryData) -> String {
    String(decoding: UnsafeRawBufferPointer(start: b.data, count: b.len), as: UTF8.self)
}
