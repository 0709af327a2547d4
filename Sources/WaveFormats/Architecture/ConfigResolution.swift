import Foundation
import WaveTensor

/// Things the weights cannot tell, and where else to learn them: an explicit head count (`--heads`),
/// the model's config file, the ONNX graph, the file's metadata.
public struct ConfigHints: Sendable {
    /// Given explicitly: wins over the config and the graph.
    public var heads: Int?
    /// How an explicit head count is named in `inspect` ("--heads").
    public var headsOrigin = "given"
    /// LayerScale's initial value when no config states it (only `init` and a new model use it).
    public var layerScaleInit: Float = 1e-5
    /// LayerNorm epsilon and GELU form given explicitly (by code that knows them): win like `heads`.
    public var normEps: Float?
    public var geluTanh: Bool?
    public var config: ConfigDeclaration?
    public var graph: ONNXGraphFacts?
    /// `num_heads` in a safetensors file's metadata.
    public var metadataHeads: Int?

    public init(heads: Int? = nil) { self.heads = heads }

    /// `--heads N` on the command line.
    public mutating func override(heads h: Int?) {
        guard let h else { return }
        heads = h
        headsOrigin = "--heads"
    }
}

/// One resolved value and where it came from, as `inspect` shows it.
public struct ConfigFact: Sendable, Equatable {
    public let name: String
    public let value: String
    public let source: String
}

/// Decides each value the tensors cannot tell (config first, then the graph, then the family's
/// default, each named), and checks every size a config states against the tensors.
struct ConfigResolver {
    let hints: ConfigHints
    let family: Family
    /// Canonical → source tensor names, to name the evidence in errors.
    let sources: [String: [String]]
    let tensors: TensorSet
    private(set) var facts: [ConfigFact] = []

    init(hints: ConfigHints, family: Family, sources: [String: [String]], tensors: TensorSet) {
        self.hints = hints; self.family = family; self.sources = sources; self.tensors = tensors
    }

    private var file: String { hints.config?.fileName ?? "config" }

    /// "embeddings.word_embeddings.weight [64, 32]": the source tensor behind a canonical one.
    func evidence(_ canonical: String) -> String {
        let name = sources[canonical]?.joined(separator: " + ") ?? canonical
        return "\(name) \(tensors[canonical].map { "\($0.shape)" } ?? "")"
    }

    private func disagree(_ key: String, says: String, tensors: String) -> ArchitectureError {
        .configDisagrees(file: hints.config?.file ?? "config", key: key, says: says, tensors: tensors)
    }

    mutating func note(_ name: String, _ value: String, _ source: String) {
        facts.append(ConfigFact(name: name, value: value, source: source))
    }

    /// The config's model_type must be one this family is.
    func checkModelType() throws {
        guard let c = hints.config, let type = c.modelType else { return }
        let known = family.modelTypes ?? []
        guard known.contains(type) else {
            throw disagree("model_type", says: type, tensors: "a \(family.family) model (\(known.isEmpty ? "no Hugging Face model_type" : "model_type " + known.joined(separator: "/")))")
        }
    }

    /// A size the config states, against what the tensors show.
    mutating func check(_ q: ConfigDeclaration.Quantity, tensors value: Int, evidence: String) throws {
        guard let d = hints.config?.sizes[q] else { return }
        guard d.value == value else { throw disagree(d.key, says: "\(d.value)", tensors: "\(value) (\(evidence))") }
    }

    /// The config's value (the graph, where it shows the value too, must agree), else the graph's; nil
    /// when neither says. Each choice is noted with its source.
    private mutating func configOrGraph<T>(_ name: String, _ declared: Declared<T>?, _ graph: T?, same: (T, T) -> Bool,
                                           graphSays: (T) -> String, graphSource: (T) -> String) throws -> T? {
        if let c = declared {
            if let g = graph, !same(g, c.value) { throw disagree(c.key, says: "\(c.value)", tensors: graphSays(g)) }
            note(name, "\(c.value)", "\(file) \(c.key)" + (graph != nil ? "; the ONNX graph agrees" : ""))
            return c.value
        }
        guard let g = graph else { return nil }
        note(name, "\(g)", graphSource(g))
        return g
    }

    mutating func heads(width d: Int, evidence: String) throws -> Int {
        let declared = hints.config?.heads
        let graph = hints.graph?.heads(width: d)
        func divides(_ h: Int, _ origin: String) throws {
            guard h > 0, d % h == 0 else {
                throw origin == "config" ? disagree(declared!.key, says: "\(h)", tensors: "width \(d) (\(evidence)), which \(h) heads do not divide")
                    : ArchitectureError.badConfig("\(h) heads do not divide width \(d)")
            }
        }
        if let h = hints.heads {
            try divides(h, "option")
            let differs = declared.map { $0.value != h ? " (\(file) \($0.key) says \($0.value))" : "" } ?? ""
            note("heads", "\(h)", hints.headsOrigin + differs)
            return h
        }
        if let c = declared { try divides(c.value, "config") }
        if let h = try configOrGraph("heads", declared, graph, same: ==, graphSays: { "\($0) heads of width \(d / $0) (the ONNX graph's attention reshape)" },
                                     graphSource: { "ONNX graph: attention reshaped to \($0) heads × \(d / $0)" }) {
            return h
        }
        if let h = hints.metadataHeads {
            try divides(h, "metadata")
            note("heads", "\(h)", "num_heads in the file's metadata")
            return h
        }
        // Weights do not store the head count: head dimension 64 is what every ViT-Ti/S/B/L, DeiT,
        // DINOv2 and BERT-base size uses, but not every model (all-MiniLM-L6-v2: 12 heads of 32).
        if d % 64 == 0 {
            note("heads", "\(d / 64)", "assumed head dim 64 (no config or graph says; pass --heads)")
            return d / 64
        }
        note("heads", "1", "assumed 1 head (width \(d) is not a multiple of 64; no config or graph says; pass --heads)")
        return 1
    }

    mutating func normEps() throws -> Float {
        if let e = hints.normEps {
            note("eps", "\(e)", "given")
            return e
        }
        if let e = try configOrGraph("eps", hints.config?.normEps, hints.graph?.normEps, same: Self.close,
                                     graphSays: { "\($0) (the ONNX graph's LayerNorm)" }, graphSource: { _ in "ONNX graph: LayerNorm epsilon" }) {
            return e
        }
        let e = family.defaults?.normEps ?? 1e-6
        note("eps", "\(e)", "\(family.family)'s default (no config)")
        return e
    }

    /// The activation by HF `hidden_act` name.
    mutating func activation(vit: Bool) throws -> String {
        let declared = hints.config?.activation, graph = hints.graph?.activation
        var act = "gelu"
        if let tanh = hints.geluTanh {
            act = tanh ? "gelu_pytorch_tanh" : "gelu"
            note("activation", act, "given")
        } else if let c = declared {
            if vit, !Activation.exact.contains(c.value), !Activation.tanh.contains(c.value) {
                throw ArchitectureError.badConfig("\(file) \(c.key) is \(c.value): wave's ViTs compute GELU (exact or tanh) only")
            }
            if let g = graph, (g == "gelu_tanh") != Activation.tanh.contains(c.value), Activation.exact.contains(c.value) || Activation.tanh.contains(c.value) {
                throw disagree(c.key, says: c.value, tensors: "\(g == "gelu" ? "exact GELU (Erf)" : "tanh GELU") in the ONNX graph")
            }
            act = c.value
            note("activation", act, "\(file) \(c.key)" + (graph != nil ? "; the ONNX graph agrees" : ""))
        } else if let g = graph {
            act = g == "gelu_tanh" ? "gelu_pytorch_tanh" : "gelu"
            note("activation", act, "ONNX graph: \(g == "gelu" ? "Erf" : "Tanh in the MLP")")
        } else {
            note("activation", act, "\(family.family)'s default (no config)")
        }
        return act
    }

    /// BERT's position embedding kind (absolute only: a relative kind has tensors wave does not map).
    mutating func positionKind(positions: Int, evidence: String) throws -> String {
        let kind = hints.config?.positionEmbedding
        if let k = kind, k.value != "absolute" {
            throw ArchitectureError.badConfig("\(file) \(k.key) is \(k.value): wave reads absolute position embeddings only")
        }
        let agrees = hints.config?.sizes[.positions] != nil ? "; \(file) max_position_embeddings agrees" : ""
        note("position embedding", "absolute, \(positions) positions",
             (kind.map { "\(file) \($0.key)" } ?? "a learned table") + "; size from \(evidence)" + agrees)
        return "absolute"
    }

    static func close(_ a: Float, _ b: Float) -> Bool { abs(a - b) <= 1e-3 * max(abs(a), abs(b)) }
}
