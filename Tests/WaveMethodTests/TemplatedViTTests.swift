import Testing
import WaveTensor
import WaveFormats
import WaveEngine
@testable import WaveMethod

/// A tiny templated ViT with seeded values everywhere.
func tinyTemplated(depth: Int = 3, trainTemplates: Bool = true) throws -> TemplatedViT {
    let cfg = ViTConfig(imageSize: 8, patchSize: 4, inChannels: 3, numClasses: 3, embedDim: 8, depth: depth, numHeads: 2,
                        mlpDim: 16, layerScaleInit: 0.1)
    var rng = NormalRNG(seed: 42)
    let comps = ComponentSpec.present(in: cfg, layerScale: .template).map {
        TemplatedViT.Component(spec: $0, shape: $0.blockShape(n: 2, t: 4, width: 8, mlp: 16))
    }
    let templates = comps.map { c in (0..<c.shape.templateCount).map { _ in 0.5 * rng.next() } }
    let scalers = comps.map { c in (0..<(depth * c.shape.scalerCount)).map { _ in 0.5 * rng.next() } }
    var plain = TensorSet()
    let templated = Set(comps.flatMap { c in (0..<depth).map { c.spec.tensorName(layer: $0) } })
    for (n, shape) in cfg.timmShapes where !templated.contains(n) {
        plain.add(n, RawTensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in 0.3 * rng.next() }))
    }
    return try TemplatedViT(config: cfg, components: comps, templates: templates, scalers: scalers, plain: plain,
                            trainTemplates: trainTemplates)
}

@Suite struct TemplatedViTTests {
    /// loss = Σ r ⊙ logits for fixed r: the gradient of the logits is r.
    func loss(_ m: TemplatedViT, depth: Int, images: [Float], r: [Float]) throws -> Double {
        let model = try m.build(depth: depth)
        let a = model.makeActivations(batch: 2)
        images.withUnsafeBufferPointer { model.forward(images: $0.baseAddress!, a) }
        var s = 0.0
        for i in 0..<r.count { s += Double(r[i]) * Double(a.logits.pointer[i]) }
        return s
    }

    @Test(arguments: [3, 2, 5])
    func gradientsMatchFiniteDifferencesThroughInterpolation(depth: Int) throws {
        let m = try tinyTemplated()
        var rng = NormalRNG(seed: 7)
        let images = (0..<(2 * 3 * 8 * 8)).map { _ in rng.next() }
        let r = (0..<6).map { _ in rng.next() }
        let model = try m.build(depth: depth)
        let a = model.makeActivations(batch: 2)
        images.withUnsafeBufferPointer { model.forward(images: $0.baseAddress!, a) }
        model.zeroGrad()
        r.withUnsafeBufferPointer { model.backward(a, dlogits: $0.baseAddress!) }
        m.backward(from: model)

        // Probe entries of templates, scalers (every source layer) and plain tensors.
        var probes: [(String, Int)] = []
        for c in m.components where ["qkv", "fc2", "ls1", "norm2.b"].contains(c.spec.name) {
            probes.append(("templates.\(c.spec.name)", 3))
            for l in 0..<3 { probes.append(("scalers.\(c.spec.name)", l * c.shape.scalerCount + 1)) }
        }
        probes += [("pos_embed", 5), ("head.weight", 2), ("norm.bias", 1)]
        var worst = 0.0
        for (name, k) in probes {
            let p = m.pointer(name) + k
            let saved = p.pointee, h: Float = 1e-2
            p.pointee = saved + h
            let up = try loss(m, depth: depth, images: images, r: r)
            p.pointee = saved - h
            let down = try loss(m, depth: depth, images: images, r: r)
            p.pointee = saved
            let fd = (up - down) / (2 * Double(h))
            let an = Double(m.grads.pointer[m.layout[name]!.offset + k])
            let err = abs(fd - an) / max(1e-2, abs(fd) + abs(an))
            worst = max(worst, err)
            #expect(err < 3e-2, "\(name)[\(k)] depth \(depth): analytic \(an), finite difference \(fd)")
        }
        #expect(worst < 3e-2)
    }

    @Test func buildAtSourceDepthComposesEachLayersOwnScalers() throws {
        let m = try tinyTemplated()
        let model = try m.build(depth: 3)
        let c = m.components.first { $0.spec.name == "fc1" }!
        let T = m.values("templates.fc1"), S = m.values("scalers.fc1")
        let K = c.shape.scalerCount
        for l in 0..<3 {
            let expected = Kronecker.composeNaive(templates: T, scalers: Array(S[(l * K)..<((l + 1) * K)]), c.shape)
            let got = Array(model.parameter("blocks.\(l).mlp.fc1.weight")!)
            #expect(zip(expected, got).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    @Test func frozenTemplatesGetNoGradient() throws {
        let m = try tinyTemplated(trainTemplates: false)
        let model = try m.build(depth: 2)
        let a = model.makeActivations(batch: 1)
        let images = [Float](repeating: 0.5, count: 3 * 64)
        images.withUnsafeBufferPointer { model.forward(images: $0.baseAddress!, a) }
        model.zeroGrad()
        [Float](repeating: 1, count: 3).withUnsafeBufferPointer { model.backward(a, dlogits: $0.baseAddress!) }
        m.backward(from: model)
        let e = m.layout["templates.qkv"]!
        #expect(UnsafeBufferPointer(start: m.grads.pointer + e.offset, count: e.count).allSatisfy { $0 == 0 })
        let s = m.layout["scalers.qkv"]!
        #expect(UnsafeBufferPointer(start: m.grads.pointer + s.offset, count: s.count).contains { $0 != 0 })
    }
}
