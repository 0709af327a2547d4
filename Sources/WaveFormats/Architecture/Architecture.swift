import WaveTensor

/// Hyper-parameters of a BERT encoder: sizes from the weights, the rest from its config.
public struct BertConfig: Sendable, Equatable {
    public var vocabSize, hiddenSize, layers, heads, intermediateSize, maxPositions, typeVocabSize: Int
    public var layerNormEps: Float = 1e-12
    /// Hugging Face `hidden_act` ("gelu" is exact).
    public var hiddenAct = "gelu"
    public var positionEmbeddingType = "absolute"

    public init(vocabSize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int, maxPositions: Int,
                typeVocabSize: Int, layerNormEps: Float = 1e-12, hiddenAct: String = "gelu", positionEmbeddingType: String = "absolute") {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.layers = layers; self.heads = heads
        self.intermediateSize = intermediateSize; self.maxPositions = maxPositions; self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps; self.hiddenAct = hiddenAct; self.positionEmbeddingType = positionEmbeddingType
    }
}

/// What a set of tensors was recognized as.
public struct DetectedModel: Sendable {
    public let family: Family
    /// Common prefix of the family's tensors in the source (e.g. "backbone." in the DINOv2 ONNX).
    public let prefix: String
    public let vit: ViTConfig?
    public let bert: BertConfig?
    /// How the head count was decided (weights do not store it).
    public var headsSource: String { facts.first { $0.name == "heads" }?.source ?? "" }
    /// Every value the tensors cannot tell, with where it came from (config, graph, option, default).
    public let facts: [ConfigFact]
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

public enum Architecture {
    /// Recognizes the family, counts layers, assembles canonical tensors and checks every shape.
    /// Strict: a missing tensor, a tensor under the family prefix that nothing uses, or a shape
    /// mismatch is an error naming the tensor.
    public static func detect(_ source: TensorSet, hints: ConfigHints = ConfigHints()) throws -> DetectedModel {
        // Graph plumbing (ONNX shape constants) is integer-typed; only float tensors are weights.
        let weights = source.order.filter { source[$0]!.dtype.isFloatingPoint }
        guard let (family, prefix) = match(weights: Set(weights), modelType: hints.config?.modelType) else {
            throw ArchitectureError.unknownFamily(sample: weights.isEmpty ? source.order : weights)
        }
        var layers = 0
        while source.contains(prefix + Family.fill(family.layerProbe, layer: layers)) { layers += 1 }

        var canonical = TensorSet()
        var used = Set<String>()
        var sources: [String: [String]] = [:]
        func take(_ entry: Family.Entry, layer: Int?, outsidePrefix: Bool = false) throws {
            let name = Family.fill(entry.name, layer: layer)
            // A head may sit outside the base model's prefix (HF's *ForImageClassification: `vit.*` and `classifier.*`).
            let found = try resolve(entry.from, layer: layer, prefix: prefix, in: source, canonical: name)
                ?? (outsidePrefix && !prefix.isEmpty ? try resolve(entry.from, layer: layer, prefix: "", in: source, canonical: name) : nil)
            if let (t, names) = found {
                canonical.add(name, t)
                used.formUnion(names)
                sources[name] = names
            } else if entry.optional != true {
                throw ArchitectureError.missingTensor(canonical: name, source: entry.from.names(layer: layer).map { prefix + $0 })
            }
        }
        for e in family.stem { try take(e, layer: nil) }
        for l in 0..<layers { for e in family.layer { try take(e, layer: l) } }
        for e in family.head { try take(e, layer: nil, outsidePrefix: true) }

        let ignoredNames = Set(family.ignore.map { prefix + $0 })
        let underPrefix = weights.filter { prefix.isEmpty || $0.hasPrefix(prefix) }
        let unused = underPrefix.filter { !used.contains($0) && !ignoredNames.contains($0) }
        guard unused.isEmpty else { throw ArchitectureError.unusedTensors(unused) }
        let extras = prefix.isEmpty ? [] : weights.filter { !$0.hasPrefix(prefix) && !used.contains($0) }
        let ignored = underPrefix.filter { ignoredNames.contains($0) }

        var resolver = ConfigResolver(hints: hints, family: family, sources: sources, tensors: canonical)
        try resolver.checkModelType()
        try resolver.check(.layers, tensors: layers, evidence: "\(prefix)\(family.layerProbe) for layers 0...\(layers - 1)")
        if family.kind == "bert" {
            let bert = try bertConfig(canonical, layers: layers, resolver: &resolver)
            return DetectedModel(family: family, prefix: prefix, vit: nil, bert: bert, facts: resolver.facts,
                                 canonical: canonical, extras: extras, ignored: ignored, sources: sources)
        }
        let vit = try vitConfig(canonical, layers: layers, resolver: &resolver)
        try checkShapes(canonical, against: vit.timmShapes)
        return DetectedModel(family: family, prefix: prefix, vit: vit, bert: nil, facts: resolver.facts,
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

    /// The first family (in `Family.builtIn` order) whose detect names all exist under one prefix;
    /// among those, one that lists the config's `model_type` first (HF's ViTMSN files have ViT's names).
    static func match(weights: Set<String>, modelType: String? = nil) -> (Family, String)? {
        func prefix(_ family: Family) -> String? {
            guard let key = family.detect.first else { return nil }
            for name in weights.sorted() where name.hasSuffix(key) {
                let prefix = String(name.dropLast(key.count))
                guard prefix.isEmpty || prefix.hasSuffix(".") else { continue }
                if family.detect.allSatisfy({ weights.contains(prefix + $0) }) { return prefix }
            }
            return nil
        }
        let matching = Family.builtIn.compactMap { f in prefix(f).map { (f, $0) } }
        if let modelType, let typed = matching.first(where: { $0.0.modelTypes?.contains(modelType) == true }) { return typed }
        return matching.first
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
        case let .leading(inner, axis, parts):
            guard let (t, names) = try resolve(inner, layer: layer, prefix: prefix, in: set, canonical: canonical) else { return nil }
            guard let pieces = TensorOps.split(t, count: parts, axis: axis) else {
                throw ArchitectureError.cannotAssemble(canonical: canonical, reason: "\(names[0]) \(t.shape) does not split into \(parts) equal parts on axis \(axis)")
            }
            guard pieces.dropFirst().allSatisfy({ $0.floats().allSatisfy { $0 == 0 } }) else {
                throw ArchitectureError.cannotAssemble(canonical: canonical,
                    reason: "\(names[0]) reads more than its first \(t.shape[axis] / parts) inputs (parts 2...\(parts) are not zero); wave's model has no place for them")
            }
            return (pieces[0], names)
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

    static func vitConfig(_ c: TensorSet, layers: Int, resolver r: inout ConfigResolver) throws -> ViTConfig {
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
        let stem = r.evidence("patch_embed.proj.weight")
        try r.check(.width, tensors: d, evidence: stem)
        try r.check(.patch, tensors: patch, evidence: stem)
        try r.check(.channels, tensors: channels, evidence: stem)
        try r.check(.mlp, tensors: fc1.shape[0], evidence: r.evidence("blocks.0.mlp.fc1.weight"))
        try r.check(.image, tensors: grid * patch, evidence: "a \(grid)×\(grid) grid of patch \(patch) in \(r.evidence("pos_embed"))")
        if c.contains("head.weight") || r.hints.config?.sizes[.classes]?.value != 0 {
            try r.check(.classes, tensors: classes, evidence: c.contains("head.weight") ? r.evidence("head.weight") : "no head")
        }
        let qkvBias = c.contains("blocks.0.attn.qkv.bias")
        if let b = r.hints.config?.qkvBias, b.value != qkvBias {
            throw ArchitectureError.configDisagrees(file: r.hints.config!.file, key: b.key, says: "\(b.value)",
                                                    tensors: qkvBias ? "query/key/value biases present" : "no query/key/value biases")
        }
        let heads = try r.heads(width: d, evidence: stem)
        let eps = try r.normEps()
        let act = try r.activation(vit: true)
        r.note("position embedding", "learned, 1 + \(grid)×\(grid) tokens", "\(r.evidence("pos_embed"))"
               + (r.hints.config?.sizes[.image] != nil ? "; \(r.hints.config!.fileName) \(r.hints.config!.sizes[.image]!.key) agrees" : ""))
        let hasLayerScale = c.contains("blocks.0.ls1.gamma")
        let cfg = ViTConfig(imageSize: grid * patch, patchSize: patch, inChannels: channels, numClasses: classes,
                            embedDim: d, depth: layers, numHeads: heads, mlpDim: fc1.shape[0],
                            layerScaleInit: hasLayerScale ? (r.hints.config?.layerScale?.value ?? r.hints.layerScaleInit) : nil,
                            qkvBias: qkvBias, normEps: eps, geluTanh: Activation.tanh.contains(act))
        if let problem = cfg.problems.first { throw ArchitectureError.badConfig(problem) }
        return cfg
    }

    static func bertConfig(_ c: TensorSet, layers: Int, resolver r: inout ConfigResolver) throws -> BertConfig {
        guard let word = c["embed.word"], word.shape.count == 2, let pos = c["embed.position"], pos.shape.count == 2,
              let fc1 = c["blocks.0.mlp.fc1.weight"], fc1.shape.count == 2 else {
            throw ArchitectureError.badConfig("BERT embeddings or blocks are malformed")
        }
        let d = word.shape[1]
        let words = r.evidence("embed.word")
        try r.check(.width, tensors: d, evidence: words)
        try r.check(.vocabulary, tensors: word.shape[0], evidence: words)
        try r.check(.positions, tensors: pos.shape[0], evidence: r.evidence("embed.position"))
        try r.check(.mlp, tensors: fc1.shape[0], evidence: r.evidence("blocks.0.mlp.fc1.weight"))
        let types = c["embed.token_type"]?.shape.first ?? 0
        try r.check(.tokenTypes, tensors: types, evidence: types > 0 ? r.evidence("embed.token_type") : "no token type embeddings")
        let heads = try r.heads(width: d, evidence: words)
        let eps = try r.normEps()
        let act = try r.activation(vit: false)
        let kind = try r.positionKind(positions: pos.shape[0], evidence: r.evidence("embed.position"))
        let cfg = BertConfig(vocabSize: word.shape[0], hiddenSize: d, layers: layers, heads: heads,
                             intermediateSize: fc1.shape[0], maxPositions: pos.shape[0], typeVocabSize: types,
                             layerNormEps: eps, hiddenAct: act, positionEmbeddingType: kind)
        try checkShapes(c, against: cfg.canonicalShapes(pooler: c.contains("pooler.weight")))
        return cfg
    }
}
