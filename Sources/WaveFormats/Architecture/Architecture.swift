import WaveTensor

/// Hyper-parameters of a BERT encoder, as far as the weights tell them.
public struct BertConfig: Sendable, Equatable {
    public var vocabSize, hiddenSize, layers, heads, intermediateSize, maxPositions, typeVocabSize: Int
}

/// What a set of tensors was recognized as.
public struct DetectedModel: Sendable {
    public let family: Family
    /// Common prefix of the family's tensors in the source (e.g. "backbone." in the DINOv2 ONNX).
    public let prefix: String
    public let vit: ViTConfig?
    public let bert: BertConfig?
    /// How the head count was decided (weights do not store it).
    public let headsSource: String
    /// The ancestry in canonical (timm) names and order.
    public let canonical: TensorSet
    /// Source names outside the family prefix: carried by the file, not part of the ancestry.
    public let extras: [String]
    /// Source names the family lists as known but weightless (e.g. HF's mask token).
    public let ignored: [String]
    /// Which source tensor(s) each canonical tensor came from.
    public let sources: [String: [String]]

    public var parameterCount: Int { canonical.totalElements }
}

/// Things the weights cannot tell, given by the user or by metadata.
public struct ConfigHints: Sendable {
    public var heads: Int?
    public var layerScaleInit: Float = 1e-5
    public var normEps: Float = 1e-6
    public var geluTanh = false
    public init(heads: Int? = nil) { self.heads = heads }
}

public enum Architecture {
    /// Recognizes the family, counts layers, assembles canonical tensors and checks every shape.
    /// Strict: a missing tensor, a tensor under the family prefix that nothing uses, or a shape
    /// mismatch is an error naming the tensor.
    public static func detect(_ source: TensorSet, hints: ConfigHints = ConfigHints()) throws -> DetectedModel {
        // Graph plumbing (ONNX shape constants) is integer-typed; only float tensors are weights.
        let weights = source.order.filter { source[$0]!.dtype.isFloatingPoint }
        guard let (family, prefix) = match(weights: Set(weights)) else {
            throw ArchitectureError.unknownFamily(sample: weights.isEmpty ? source.order : weights)
        }
        var layers = 0
        while source.contains(prefix + Family.fill(family.layerProbe, layer: layers)) { layers += 1 }

        var canonical = TensorSet()
        var used = Set<String>()
        var sources: [String: [String]] = [:]
        func take(_ entry: Family.Entry, layer: Int?) throws {
            let name = Family.fill(entry.name, layer: layer)
            if let (t, names) = try resolve(entry.from, layer: layer, prefix: prefix, in: source, canonical: name) {
                canonical.add(name, t)
                used.formUnion(names)
                sources[name] = names
            } else if entry.optional != true {
                throw ArchitectureError.missingTensor(canonical: name, source: entry.from.names(layer: layer).map { prefix + $0 })
            }
        }
        for e in family.stem { try take(e, layer: nil) }
        for l in 0..<layers { for e in family.layer { try take(e, layer: l) } }
        for e in family.head { try take(e, layer: nil) }

        let ignoredNames = Set(family.ignore.map { prefix + $0 })
        let underPrefix = weights.filter { prefix.isEmpty || $0.hasPrefix(prefix) }
        let unused = underPrefix.filter { !used.contains($0) && !ignoredNames.contains($0) }
        guard unused.isEmpty else { throw ArchitectureError.unusedTensors(unused) }
        let extras = prefix.isEmpty ? [] : weights.filter { !$0.hasPrefix(prefix) }
        let ignored = underPrefix.filter { ignoredNames.contains($0) }

        var headsSource = "given"
        if family.kind == "bert" {
            let bert = try bertConfig(canonical, layers: layers, hints: hints, headsSource: &headsSource)
            return DetectedModel(family: family, prefix: prefix, vit: nil, bert: bert, headsSource: headsSource,
                                 canonical: canonical, extras: extras, ignored: ignored, sources: sources)
        }
        let vit = try vitConfig(canonical, layers: layers, hints: hints, headsSource: &headsSource)
        try checkShapes(canonical, against: vit.timmShapes)
        return DetectedModel(family: family, prefix: prefix, vit: vit, bert: nil, headsSource: headsSource,
                             canonical: canonical, extras: extras, ignored: ignored, sources: sources)
    }

    /// Strict check of a canonical set against the expected (name, shape) list.
    public static func checkShapes(_ set: TensorSet, against expected: [(name: String, shape: [Int])]) throws {
        for (name, shape) in expected {
            guard let t = set[name] else { throw ArchitectureError.missingTensor(canonical: name, source: [name]) }
            guard t.shape == shape else { throw ArchitectureError.shapeMismatch(name: name, expected: shape, got: t.shape) }
        }
        let known = Set(expected.map(\.name))
        let extra = set.order.filter { !known.contains($0) }
        guard extra.isEmpty else { throw ArchitectureError.unusedTensors(extra) }
    }

    /// The first family (in `Family.builtIn` order) whose detect names all exist under one prefix.
    static func match(weights: Set<String>) -> (Family, String)? {
        for family in Family.builtIn {
            guard let key = family.detect.first else { continue }
            for name in weights.sorted() where name.hasSuffix(key) {
                let prefix = String(name.dropLast(key.count))
                guard prefix.isEmpty || prefix.hasSuffix(".") else { continue }
                if family.detect.allSatisfy({ weights.contains(prefix + $0) }) { return (family, prefix) }
            }
        }
        return nil
    }

    static func resolve(_ spec: Family.Source, layer: Int?, prefix: String, in set: TensorSet,
                        canonical: String) throws -> (RawTensor, [String])? {
        switch spec {
        case let .tensor(template):
            let name = prefix + Family.fill(template, layer: layer)
            return set[name].map { ($0, [name]) }
        case let .anyOf(alternatives):
            for alt in alternatives {
                if let r = try resolve(alt, layer: layer, prefix: prefix, in: set, canonical: canonical) { return r }
            }
            return nil
        case let .concat(parts, axis):
            var tensors: [RawTensor] = []
            var names: [String] = []
            for p in parts {
                guard let (t, n) = try resolve(p, layer: layer, prefix: prefix, in: set, canonical: canonical) else { return nil }
                tensors.append(t)
                names += n
            }
            guard let joined = TensorOps.concat(tensors, axis: axis) else {
                let shapes = tensors.map { "\($0.dtype.rawValue)\($0.shape)" }.joined(separator: ", ")
                throw ArchitectureError.cannotAssemble(canonical: canonical, reason: "parts \(names.joined(separator: ", ")) do not concatenate on axis \(axis) (\(shapes))")
            }
            return (joined, names)
        }
    }

    static func vitConfig(_ c: TensorSet, layers: Int, hints: ConfigHints, headsSource: inout String) throws -> ViTConfig {
        guard let pe = c["patch_embed.proj.weight"], pe.shape.count == 4, pe.shape[2] == pe.shape[3] else {
            throw ArchitectureError.badConfig("patch_embed.proj.weight must be [width, channels, patch, patch]")
        }
        let d = pe.shape[0], channels = pe.shape[1], patch = pe.shape[2]
        guard let pos = c["pos_embed"], pos.shape.count == 3, pos.shape[2] == d, pos.shape[1] >= 2 else {
            throw ArchitectureError.badConfig("pos_embed must be [1, tokens, \(d)]")
        }
        let grid = Int(Double(pos.shape[1] - 1).squareRoot().rounded())
        guard grid * grid == pos.shape[1] - 1 else {
            throw ArchitectureError.badConfig("pos_embed has \(pos.shape[1]) tokens: not a square patch grid plus a class token")
        }
        guard layers > 0, let fc1 = c["blocks.0.mlp.fc1.weight"], fc1.shape.count == 2 else {
            throw ArchitectureError.badConfig("no transformer blocks found")
        }
        let classes = c["head.weight"]?.shape.first ?? 0
        let heads = try headCount(width: d, hints: hints, headsSource: &headsSource)
        let cfg = ViTConfig(imageSize: grid * patch, patchSize: patch, inChannels: channels, numClasses: classes,
                            embedDim: d, depth: layers, numHeads: heads, mlpDim: fc1.shape[0],
                            layerScaleInit: c.contains("blocks.0.ls1.gamma") ? hints.layerScaleInit : nil,
                            qkvBias: c.contains("blocks.0.attn.qkv.bias"), normEps: hints.normEps, geluTanh: hints.geluTanh)
        if let problem = cfg.problems.first { throw ArchitectureError.badConfig(problem) }
        return cfg
    }

    static func bertConfig(_ c: TensorSet, layers: Int, hints: ConfigHints, headsSource: inout String) throws -> BertConfig {
        guard let word = c["embed.word"], word.shape.count == 2, let pos = c["embed.position"], pos.shape.count == 2,
              let fc1 = c["blocks.0.mlp.fc1.weight"], fc1.shape.count == 2 else {
            throw ArchitectureError.badConfig("BERT embeddings or blocks are malformed")
        }
        let d = word.shape[1]
        let heads = try headCount(width: d, hints: hints, headsSource: &headsSource)
        let cfg = BertConfig(vocabSize: word.shape[0], hiddenSize: d, layers: layers, heads: heads,
                             intermediateSize: fc1.shape[0], maxPositions: pos.shape[0],
                             typeVocabSize: c["embed.token_type"]?.shape.first ?? 0)
        var expected: [(String, [Int])] = [("embed.word", word.shape), ("embed.position", [pos.shape[0], d])]
        if cfg.typeVocabSize > 0 { expected.append(("embed.token_type", [cfg.typeVocabSize, d])) }
        expected += [("embed.norm.weight", [d]), ("embed.norm.bias", [d])]
        for l in 0..<layers {
            let b = "blocks.\(l)."
            expected += [(b + "attn.qkv.weight", [3 * d, d]), (b + "attn.qkv.bias", [3 * d]),
                         (b + "attn.proj.weight", [d, d]), (b + "attn.proj.bias", [d]),
                         (b + "norm1.weight", [d]), (b + "norm1.bias", [d]),
                         (b + "mlp.fc1.weight", [fc1.shape[0], d]), (b + "mlp.fc1.bias", [fc1.shape[0]]),
                         (b + "mlp.fc2.weight", [d, fc1.shape[0]]), (b + "mlp.fc2.bias", [d]),
                         (b + "norm2.weight", [d]), (b + "norm2.bias", [d])]
        }
        if c.contains("pooler.weight") { expected += [("pooler.weight", [d, d]), ("pooler.bias", [d])] }
        try checkShapes(c, against: expected)
        return cfg
    }

    /// Weights do not store the head count: take the hint, else assume head dimension 64 (every
    /// ViT-Ti/S/B/L, DeiT, DINOv2 and BERT size uses it), else one head.
    static func headCount(width d: Int, hints: ConfigHints, headsSource: inout String) throws -> Int {
        if let h = hints.heads {
            guard h > 0, d % h == 0 else { throw ArchitectureError.badConfig("\(h) heads do not divide width \(d)") }
            headsSource = "given"
            return h
        }
        if d % 64 == 0 {
            headsSource = "assumed head dim 64"
            return d / 64
        }
        headsSource = "assumed 1 head (width \(d) is not a multiple of 64; pass --heads)"
        return 1
    }
}
