import WaveTensor
import WaveFormats

extension WaveBundle {
    /// The templates, scalers and ordinary tensors, decoded and checked against the plan and the
    /// ancestry config: every component the architecture has is there, with consistent shapes.
    public func templates() throws -> WaveTemplates {
        let m = manifest
        let cfg = m.ancestry
        guard let mode = LayerScaleMode(rawValue: m.layerScale) else {
            throw BundleError.badPlan("layer_scale is \"\(m.layerScale)\" (template or fold)")
        }
        let t = m.templateSize
        guard t > 0, cfg.embedDim % t == 0, cfg.mlpDim % t == 0 else {
            throw BundleError.badPlan("template size \(t) does not divide width \(cfg.embedDim) and MLP width \(cfg.mlpDim)")
        }
        let expected = ComponentSpec.present(in: cfg, layerScale: mode)
        guard Set(m.components.map(\.name)) == Set(expected.map(\.name)), m.components.count == expected.count else {
            throw BundleError.badPlan("components [\(m.components.map(\.name).joined(separator: ", "))] are not those of the ancestry "
                + "[\(expected.map(\.name).joined(separator: ", "))]")
        }
        var fits: [ComponentFit] = []
        for rec in m.components {
            let spec = ComponentSpec.named(rec.name)!
            guard rec.count >= 0, rec.count <= max(rec.requested, 0), rec.count <= 4096 else {
                throw BundleError.badPlan("\(rec.name): \(rec.count) templates stored, \(rec.requested) requested")
            }
            let shape = spec.blockShape(n: rec.count, t: t, width: cfg.embedDim, mlp: cfg.mlpDim)
            guard rec.kind == spec.kind, rec.tensor == spec.tensor, rec.outDim == shape.rows,
                  rec.inDim == (spec.kind == .matrix ? shape.cols : 0) else {
                throw BundleError.badPlan("\(rec.name): recorded as \(rec.kind.rawValue) \(rec.tensor) [\(rec.outDim), \(rec.inDim)], "
                    + "the ancestry has \(spec.kind.rawValue) \(spec.tensor) [\(shape.rows), \(shape.cols)]")
            }
            let tshape = spec.kind == .matrix ? [shape.n, t, t] : [shape.n, t]
            let sshape = spec.kind == .matrix ? [cfg.depth, shape.n, shape.r, shape.c] : [cfg.depth, shape.n, shape.r]
            let templ = try decoded("templates." + rec.name, shape: tshape, source: "the plan")
            let sc = try decoded("scalers." + rec.name, shape: sshape, source: "the plan")
            var fit = ComponentFit(spec: spec, shape: shape, layers: cfg.depth, templates: templ.floats(), scalers: sc.floats(),
                                   requested: rec.requested, relError: rec.relError)
            fit.spectrum = Self.spectrum(m.metadata[BundleWriter.spectrumKey + rec.name])
            fits.append(fit)
        }
        var others = TensorSet()
        let shapes = Dictionary(uniqueKeysWithValues: cfg.timmShapes.map { ($0.name, $0.shape) })
        for name in Condenser.untemplated {
            guard let want = shapes[name] else { continue }
            let x = try decoded(name, shape: want, source: "the ancestry config")
            others.add(name, RawTensor(shape: x.shape, floats: x.floats()))
        }
        return WaveTemplates(family: m.family, ancestry: cfg, templateSize: t, layerScale: mode, components: fits, others: others,
                             ancestryParameters: m.ancestryParameters)
    }

    /// A recorded spectrum: non-negative finite numbers separated by spaces. It only informs pictures,
    /// so anything else reads as not recorded rather than failing the bundle.
    static func spectrum(_ text: String?) -> [Double] {
        guard let text else { return [] }
        let values = text.split(separator: " ").map { Double($0) }
        guard values.count <= 1 << 20, values.allSatisfy({ $0.map { $0.isFinite && $0 >= 0 } ?? false }) else { return [] }
        return values.map { $0! }
    }

    /// A payload decoded only after its recorded shape is the expected one (so nothing is
    /// allocated for a tensor the plan rejects).
    private func decoded(_ name: String, shape want: [Int], source: String) throws -> RawTensor {
        guard let e = entry(name) else { throw BundleError.missingTensor(name) }
        guard e.shape == want else { throw BundleError.badShape(name: name, reason: "shape \(e.shape), \(source) says \(want)") }
        return try tensor(e)
    }
}
