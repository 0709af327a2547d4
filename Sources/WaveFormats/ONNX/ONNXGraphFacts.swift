import WaveTensor

/// What an ONNX graph says about the model that its weights cannot: the attention's head split, the
/// LayerNorm epsilon and the GELU form. Read from the operators as PyTorch exports them, never guessed:
/// a fact the graph does not show stays nil.
public struct ONNXGraphFacts: Sendable, Equatable {
    /// (heads, head dim) pairs of the attention reshapes (`view(batch, tokens, heads, head_dim)`), most
    /// frequent first; the caller keeps the pair whose product is the width. Heads are -1 where the
    /// graph lets Reshape infer them (`view(batch, tokens, -1, head_dim)`, as transformers 5 writes it).
    public var headSplits: [(heads: Int, headDim: Int)] = []
    /// The epsilon of the LayerNorms: `LayerNormalization`'s attribute (opset 17+), or the constant added
    /// to the variance of a decomposed one (ReduceMean → Add ε → Sqrt). Nil when they disagree or none is found.
    public var normEps: Float?
    /// "gelu" when the graph computes erf (exact GELU), "gelu_tanh" when it has Tanh but no Erf inside an
    /// MLP scope (the tanh approximation); nil otherwise.
    public var activation: String?

    public static func == (a: Self, b: Self) -> Bool {
        a.normEps == b.normEps && a.activation == b.activation
            && a.headSplits.map { [$0.heads, $0.headDim] } == b.headSplits.map { [$0.heads, $0.headDim] }
    }

    public init() {}

    /// The head count the graph gives for width `d`, if any reshape splits `d` into heads.
    public func heads(width d: Int) -> Int? {
        for s in headSplits {
            if s.heads > 0, s.heads * s.headDim == d { return s.heads }
            if s.heads == -1, s.headDim < d, d % s.headDim == 0 { return d / s.headDim }
        }
        return nil
    }
}

extension ONNXModel {
    public var graphFacts: ONNXGraphFacts {
        var producer: [String: ONNXNode] = [:]
        for n in nodes { for o in n.outputs { producer[o] = n } }
        /// A single integer held by a constant, an initializer or a Constant node's `value`.
        func constantInt(_ name: String) -> Int? {
            if let t = initializers[name], !t.dtype.isFloatingPoint, t.count == 1 { return Int(t.element(0)) }
            if let n = producer[name], n.opType == "Unsqueeze" || n.opType == "Identity", let x = n.inputs.first { return constantInt(x) }
            return nil
        }
        func constantFloat(_ name: String) -> Float? {
            if let t = initializers[name], t.dtype.isFloatingPoint, t.count == 1 { return t.element(0) }
            return nil
        }

        var facts = ONNXGraphFacts()
        // Head splits: the shape operand of a Reshape, either a 4-entry constant or a Concat whose last two
        // parts are constants (batch and tokens come from Shape at run time).
        var splits: [[Int]: Int] = [:]
        for n in nodes where n.opType == "Reshape" && n.inputs.count >= 2 {
            let shape = n.inputs[1]
            var dims: [Int]?
            if let t = initializers[shape], !t.dtype.isFloatingPoint, t.shape == [4] {
                dims = (0..<4).map { Int(t.element($0)) }
            } else if let c = producer[shape], c.opType == "Concat", c.inputs.count == 4 {
                dims = c.inputs.suffix(2).compactMap(constantInt)
                if dims?.count != 2 { dims = nil } else { dims = [0, 0] + dims! }
            }
            guard let d = dims, d[2] > 0 || d[2] == -1, d[3] > 0 else { continue }
            splits[[d[2], d[3]], default: 0] += 1
        }
        facts.headSplits = splits.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key[0] < $1.key[0] }.map { ($0.key[0], $0.key[1]) }

        // Epsilon.
        var eps: [Float] = []
        for n in nodes {
            if n.opType == "LayerNormalization" {
                if case let .float(e)? = n.attributes["epsilon"] { eps.append(e) } else { eps.append(1e-5) }   // ONNX's default
            } else if n.opType == "Sqrt", let x = n.inputs.first, let add = producer[x], add.opType == "Add", add.inputs.count == 2,
                      add.inputs.contains(where: { producer[$0]?.opType == "ReduceMean" }) {
                if let e = add.inputs.compactMap(constantFloat).first { eps.append(e) }
            }
        }
        if let first = eps.first, eps.allSatisfy({ $0 == first }) { facts.normEps = first }

        // Activation.
        if nodes.contains(where: { $0.opType == "Erf" }) {
            facts.activation = "gelu"
        } else if nodes.contains(where: { $0.opType == "Tanh" && ($0.name.contains("/mlp/") || $0.name.contains("/intermediate/")) }) {
            facts.activation = "gelu_tanh"
        }
        return facts
    }
}
