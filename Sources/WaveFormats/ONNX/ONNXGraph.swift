import WaveTensor

/// An ONNX model as wave writes it: one graph in the default domain, its weights, its typed inputs
/// and outputs, and string metadata. `ONNXWriter` packs it with the protobuf-c code generated from
/// Schemas/onnx-subset.proto; `ONNXGraphBuilder` is how graphs are put together.
public struct ONNXGraph: @unchecked Sendable {
    public struct Node: Sendable {
        public var name: String
        public var opType: String
        public var inputs: [String]
        public var outputs: [String]
        /// In the order written; ONNX attributes are a set, but a fixed order keeps files reproducible.
        public var attributes: [(name: String, value: Attribute)]
    }

    /// The attribute forms the writer emits.
    public enum Attribute: @unchecked Sendable {
        case int(Int), float(Float), ints([Int]), tensor(RawTensor)
    }

    /// One axis of a declared input or output.
    public enum Dimension: Sendable, Equatable {
        case fixed(Int)
        /// A named free axis ("batch"): any size, the same wherever the name appears.
        case symbolic(String)
    }

    /// A graph input or output: a dense tensor of `elementType` and `shape`.
    public struct Value: Sendable {
        public var name: String
        public var elementType: DType
        public var shape: [Dimension]
        public var doc: String
        public init(name: String, elementType: DType = .f32, shape: [Dimension], doc: String = "") {
            self.name = name; self.elementType = elementType; self.shape = shape; self.doc = doc
        }
    }

    public var name: String
    /// The default-domain opset the nodes are written against, and the IR version that goes with it.
    public var opset: Int
    public var irVersion: Int
    public var producerVersion: String
    public var doc: String = ""
    public var nodes: [Node] = []
    public var initializers: [(name: String, tensor: RawTensor)] = []
    public var inputs: [Value] = []
    public var outputs: [Value] = []
    /// metadata_props, in the order written.
    public var metadata: [(key: String, value: String)] = []

    public init(name: String, opset: Int, irVersion: Int, producerVersion: String) {
        self.name = name; self.opset = opset; self.irVersion = irVersion; self.producerVersion = producerVersion
    }

    /// ONNX TensorProto.DataType of a dtype (the inverse of the reader's table).
    static func dataType(_ d: DType) -> Int32 {
        switch d {
        case .f32: return 1
        case .u8: return 2
        case .i8: return 3
        case .u16: return 4
        case .i16: return 5
        case .i32: return 6
        case .i64: return 7
        case .bool: return 9
        case .f16: return 10
        case .f64: return 11
        case .u32: return 12
        case .u64: return 13
        case .bf16: return 16
        }
    }
}

/// Appends nodes to an `ONNXGraph` with PyTorch-style names: a node is `<scope>/<Op>` (the scope is
/// a module path such as `/blocks.0/attn/qkv`) and its output `<scope>/<Op>_output_0`, so graphs
/// read like exported ones and the reader's naming rules (ONNXNaming.swift) apply to them. Small
/// constants (shapes, scalars) become Constant nodes, which the reader does not count as weights.
public struct ONNXGraphBuilder {
    public private(set) var graph: ONNXGraph
    private var usedNames = Set<String>()
    private var constants: [String: String] = [:]

    public init(_ graph: ONNXGraph) { self.graph = graph }

    /// Adds `op` under `scope` and returns its first output's name.
    @discardableResult
    public mutating func op(_ opType: String, _ scope: String, _ inputs: [String],
                            _ attributes: [(String, ONNXGraph.Attribute)] = [], outputs: Int = 1) -> String {
        var name = "\(scope)/\(opType)", k = 1
        while usedNames.contains(name) { name = "\(scope)/\(opType)_\(k)"; k += 1 }
        usedNames.insert(name)
        let outs = (0..<outputs).map { "\(name)_output_\($0)" }
        graph.nodes.append(.init(name: name, opType: opType, inputs: inputs, outputs: outs,
                                 attributes: attributes.map { (name: $0.0, value: $0.1) }))
        return outs[0]
    }

    /// A weight, under its own (canonical) name.
    public mutating func initializer(_ name: String, _ tensor: RawTensor) -> String {
        graph.initializers.append((name, tensor))
        return name
    }

    /// A Float32 scalar constant, one node per distinct value.
    public mutating func scalar(_ v: Float) -> String {
        constant(key: "f\(v.bitPattern)", RawTensor(shape: [], floats: [v]))
    }

    /// An INT64 constant (a shape, indices); `scalar` makes it rank 0.
    public mutating func int64s(_ v: [Int], scalar: Bool = false) -> String {
        let t = v.map { Int64($0).littleEndian }.withUnsafeBytes {
            RawTensor(dtype: .i64, shape: scalar ? [] : [v.count], copying: $0)
        }
        return constant(key: "i\(scalar ? "s" : "")\(v)", t)
    }

    private mutating func constant(key: String, _ t: RawTensor) -> String {
        if let name = constants[key] { return name }
        let out = op("Constant", "", [], [("value", .tensor(t))])
        constants[key] = out
        return out
    }
}
