import WaveTensor
import WaveFormats
import WaveEngine

/// A ViT whose block tensors are built from WAVE templates and scalers (W = Σ_i S_i ⊗ T_i): the
/// auxiliary model of knowledge condensation and the target of the scaler fit (METHOD.md).
///
/// Everything trainable lives in one flat buffer with a `ParameterLayout`, so the engine's AdamW
/// and gradient clipping apply unchanged:
///   `templates.<c>` [N, tr·tc]   per component c (frozen during a scaler fit)
///   `scalers.<c>`   [Ls, N, R·C] one scaler set per *source* layer
///   stem, final norm and head under their timm names.
/// A model of any depth L' is built by reading each target layer's scalers at source position
/// x = j·(Ls−1)/(L'−1), linearly between neighbours (the expansion rule), so one set of
/// templates and scalers trains shallow and deep builds alike; gradients flow back through the
/// interpolation and the Kronecker construction.
public final class TemplatedViT: @unchecked Sendable {
    public struct Component: Sendable {
        public let spec: ComponentSpec
        public let shape: BlockShape
    }

    public let components: [Component]
    /// Source layers of trainable scalers.
    public let sourceLayers: Int
    /// The model at `sourceLayers` depth: width, heads, stem geometry, classes.
    public let config: ViTConfig
    public let layout: ParameterLayout
    public let params: FloatBuffer
    public let grads: FloatBuffer
    /// False for the scaler fit: template gradients are dropped and AdamW leaves them unchanged.
    public let trainTemplates: Bool
    /// Names of the non-templated tensors (stem, final norm, head) in the layout.
    public let plainNames: [String]
    /// Plain tensors whose gradients are dropped (kept as they are), e.g. the stem during a fit.
    public var frozenPlain: Set<String> = []

    private var models: [Int: ViTModel] = [:]
    private let scratch: FloatBuffer
    private let layerScalers: FloatBuffer
    private let layerGrad: FloatBuffer

    /// `templates[c]` [N, e] and `scalers[c]` [Ls, N, RC] per component, in `components` order;
    /// `plain` holds the stem, final norm and head at `config`'s shapes.
    public init(config: ViTConfig, components: [Component], templates: [[Float]], scalers: [[Float]],
                plain: TensorSet, trainTemplates: Bool) throws {
        self.config = config
        self.components = components
        self.sourceLayers = config.depth
        self.trainTemplates = trainTemplates
        var shapes: [(name: String, shape: [Int])] = []
        for c in components {
            shapes.append(("templates.\(c.spec.name)", [c.shape.n, c.shape.blockSize]))
            shapes.append(("scalers.\(c.spec.name)", [config.depth, c.shape.n, c.shape.blocks]))
        }
        let templated = Set(components.flatMap { c in (0..<config.depth).map { c.spec.tensorName(layer: $0) } })
        plainNames = config.timmShapes.map(\.name).filter { !templated.contains($0) }
        let expected = Dictionary(uniqueKeysWithValues: config.timmShapes.map { ($0.name, $0.shape) })
        for n in plainNames {
            guard let t = plain[n] else { throw ModelError.missingTensor(n) }
            guard t.shape == expected[n]! else { throw ModelError.shapeMismatch(name: n, expected: expected[n]!, found: t.shape) }
            shapes.append((n, t.shape))
        }
        layout = ParameterLayout(shapes: shapes)
        params = FloatBuffer(count: layout.count)
        grads = FloatBuffer(count: layout.count)
        scratch = FloatBuffer(count: components.map(\.shape.weightCount).max() ?? 1)
        layerScalers = FloatBuffer(count: components.map(\.shape.scalerCount).max() ?? 1)
        layerGrad = FloatBuffer(count: components.map(\.shape.scalerCount).max() ?? 1)
        for (i, c) in components.enumerated() {
            precondition(templates[i].count == c.shape.templateCount && scalers[i].count == config.depth * c.shape.scalerCount,
                         "TemplatedViT: sizes of \(c.spec.name)")
            write(templates[i], to: "templates.\(c.spec.name)")
            write(scalers[i], to: "scalers.\(c.spec.name)")
        }
        for n in plainNames { write(plain[n]!.floats(), to: n) }
    }

    /// Decoupled weight decay on templates (they act as weight matrices) and timm's choice for
    /// the plain tensors; never on scalers, whose scale is the knowledge being inherited.
    public func decays(_ e: ParameterLayout.Entry) -> Bool {
        if e.name.hasPrefix("scalers.") { return false }
        if frozenPlain.contains(e.name) { return false }
        if e.name.hasPrefix("templates.") {
            return trainTemplates && components.contains { "templates.\($0.spec.name)" == e.name && $0.spec.kind == .matrix }
        }
        return AdamW.timmDecays(e)
    }

    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> { params.pointer + layout[name]!.offset }
    func gradPointer(_ name: String) -> UnsafeMutablePointer<Float> { grads.pointer + layout[name]!.offset }

    private func write(_ values: [Float], to name: String) {
        let e = layout[name]!
        precondition(values.count == e.count)
        values.withUnsafeBufferPointer { (params.pointer + e.offset).update(from: $0.baseAddress!, count: e.count) }
    }

    public func values(_ name: String) -> [Float] {
        let e = layout[name]!
        return Array(UnsafeBufferPointer(start: params.pointer + e.offset, count: e.count))
    }

    /// Source layers and weights target layer j of L' reads (one entry when it sits on a layer).
    public func mixing(layer j: Int, depth Lp: Int) -> [(Int, Float)] {
        ScalerTransforms.sourceLayers(j, source: sourceLayers, target: Lp).map { ($0.layer, $0.weight) }
    }

    /// The engine model for depth L', with every weight built from the current templates and
    /// scalers. Models are kept per depth; call again after each optimizer step.
    public func build(depth Lp: Int) throws -> ViTModel {
        let model: ViTModel
        if let m = models[Lp] { model = m } else {
            var c = config
            c.depth = Lp
            model = try ViTModel(config: c)
            models[Lp] = model
        }
        for n in plainNames {
            let e = layout[n]!
            model.parameter(n)!.baseAddress!.update(from: params.pointer + e.offset, count: e.count)
        }
        for c in components {
            let T = pointer("templates.\(c.spec.name)"), S = pointer("scalers.\(c.spec.name)")
            let K = c.shape.scalerCount
            for j in 0..<Lp {
                mixScalers(S, perLayer: K, layer: j, depth: Lp)
                let w = model.parameter(c.spec.tensorName(layer: j))!.baseAddress!
                if c.shape.n == 0 { w.update(repeating: 0, count: c.shape.weightCount); continue }
                Kronecker.compose(templates: T, scalers: layerScalers.pointer, c.shape, into: w, scratch: scratch.pointer)
            }
        }
        return model
    }

    private func mixScalers(_ S: UnsafeMutablePointer<Float>, perLayer K: Int, layer j: Int, depth Lp: Int) {
        let out = layerScalers.pointer
        out.update(repeating: 0, count: K)
        for (i, wgt) in mixing(layer: j, depth: Lp) {
            let src = S + i * K
            for k in 0..<K { out[k] += wgt * src[k] }
        }
    }

    /// Turns the engine model's gradients (after `model.backward`) into gradients of the
    /// templates, scalers and plain tensors, overwriting `grads`.
    public func backward(from model: ViTModel) {
        grads.zero()
        let Lp = model.config.depth
        for n in plainNames where !frozenPlain.contains(n) {
            let e = layout[n]!
            (grads.pointer + e.offset).update(from: model.gradient(n)!.baseAddress!, count: e.count)
        }
        for c in components where c.shape.n > 0 {
            let T = pointer("templates.\(c.spec.name)"), S = pointer("scalers.\(c.spec.name)")
            let dT = gradPointer("templates.\(c.spec.name)"), dS = gradPointer("scalers.\(c.spec.name)")
            let K = c.shape.scalerCount
            for j in 0..<Lp {
                mixScalers(S, perLayer: K, layer: j, depth: Lp)
                layerGrad.pointer.update(repeating: 0, count: K)
                let dW = UnsafePointer(model.gradient(c.spec.tensorName(layer: j))!.baseAddress!)
                Kronecker.backward(dW: dW, templates: T, scalers: layerScalers.pointer, c.shape,
                                   dTemplates: dT, dScalers: layerGrad.pointer, scratch: scratch.pointer)
                for (i, wgt) in mixing(layer: j, depth: Lp) {
                    let dst = dS + i * K
                    for k in 0..<K { dst[k] += wgt * layerGrad.pointer[k] }
                }
            }
            if !trainTemplates { dT.update(repeating: 0, count: c.shape.templateCount) }
        }
    }

    /// Every tensor of the depth-L' build in timm names (the checkpoint the fit writes).
    public func materialize(depth Lp: Int) throws -> TensorSet {
        try build(depth: Lp).export()
    }
}
