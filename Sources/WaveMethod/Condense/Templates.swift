import WaveTensor
import WaveFormats

/// One component's templates and every layer's scalers.
public struct ComponentFit: Sendable {
    public let spec: ComponentSpec
    /// Per-layer block shape at the ancestry's size (n = templates stored).
    public let shape: BlockShape
    /// [N, tr·tc]
    public var templates: [Float]
    /// [L, N, R·C]
    public var scalers: [Float]
    /// N asked for by the plan (shape.n may be smaller when the stack's rank is).
    public let requested: Int
    /// ‖W − Ŵ‖_F / ‖W‖_F over all layers.
    public var relError: Double

    /// Layers the scalers cover.
    public let layers: Int

    /// Every singular value of the ancestry's stacked blocks (descending; the first `shape.n` were
    /// kept), from the least-squares fit: empty when unknown (a bundle written before wave recorded it).
    public var spectrum: [Double] = []

    public init(spec: ComponentSpec, shape: BlockShape, layers: Int, templates: [Float], scalers: [Float],
                requested: Int, relError: Double) {
        precondition(templates.count == shape.templateCount && scalers.count == layers * shape.scalerCount, "ComponentFit: sizes")
        self.spec = spec; self.shape = shape; self.layers = layers; self.templates = templates; self.scalers = scalers
        self.requested = requested; self.relError = relError
    }

    /// The scalers of layer l, [N, R·C].
    public func scalers(layer l: Int) -> ArraySlice<Float> {
        scalers[(l * shape.scalerCount)..<((l + 1) * shape.scalerCount)]
    }

    /// Ŵ^l = Σ_i S^l_i ⊗ T_i at the ancestry's size.
    public func reconstruct(layer l: Int) -> [Float] {
        Kronecker.compose(templates: templates, scalers: Array(scalers(layer: l)), shape)
    }
}

/// What condensation produces and a bundle stores: templates and scalers per component, plus the
/// non-templated tensors (stem, final norm, head) as ordinary F32 tensors.
public struct WaveTemplates: @unchecked Sendable {
    public var family: String
    /// The ancestry's own configuration.
    public var ancestry: ViTConfig
    public var templateSize: Int
    public var layerScale: LayerScaleMode
    public var components: [ComponentFit]
    /// cls_token, pos_embed, patch_embed.proj.*, norm.*, head.* (when present), F32.
    public var others: TensorSet
    public var ancestryParameters: Int

    public init(family: String, ancestry: ViTConfig, templateSize: Int, layerScale: LayerScaleMode,
                components: [ComponentFit], others: TensorSet, ancestryParameters: Int) {
        self.family = family; self.ancestry = ancestry; self.templateSize = templateSize; self.layerScale = layerScale
        self.components = components; self.others = others; self.ancestryParameters = ancestryParameters
    }

    /// The architecture the templates describe: the ancestry, without LayerScale when it was folded.
    public var sourceConfig: ViTConfig {
        var c = ancestry
        if layerScale == .fold { c.layerScaleInit = nil }
        return c
    }

    public func component(_ name: String) -> ComponentFit? { components.first { $0.spec.name == name } }

    /// Parameters the bundle carries (templates + scalers + other tensors).
    public var parameterCount: Int {
        components.reduce(0) { $0 + $1.templates.count + $1.scalers.count } + others.totalElements
    }

    /// The reconstructed ancestry Ŵ in timm names and order (what expanding to the ancestry's own
    /// depth and width must reproduce).
    public func reconstruction() -> TensorSet {
        let cfg = sourceConfig
        var out = TensorSet()
        for (name, _) in cfg.timmShapes {
            if let t = others[name] { out.add(name, t); continue }
            guard let (c, l) = locate(name) else { continue }
            let shape = cfg.timmShapes.first { $0.name == name }!.shape
            out.add(name, RawTensor(shape: shape, floats: c.reconstruct(layer: l)))
        }
        return out
    }

    /// The component and layer a block tensor name belongs to.
    func locate(_ name: String) -> (ComponentFit, Int)? {
        guard name.hasPrefix("blocks.") else { return nil }
        let rest = name.dropFirst("blocks.".count)
        guard let dot = rest.firstIndex(of: "."), let l = Int(rest[..<dot]) else { return nil }
        let suffix = String(rest[rest.index(after: dot)...])
        guard let c = components.first(where: { $0.spec.tensor == suffix }) else { return nil }
        return (c, l)
    }
}
