import Foundation
import WaveTensor
import WaveFormats
import WaveEngine

/// Settings of the inheritance fit (METHOD.md "Inheritance", Fit).
public struct FitSettings: Sendable {
    public var steps = 200
    public var batch = 64
    /// Scalers carry the inherited function: a gentle step keeps it (METHOD.md: 1e-4 kept what 1e-3 lost).
    public var lr: Float = 1e-4
    public var warmup = 10
    /// Also train the norms (final norm; block norms are templated and follow the scalers).
    public var trainNorms = true
    /// Also train the stem (patch embedding, class token, position embedding).
    public var trainStem = false
    public var seed: UInt64 = 0
    /// Start the new head where a linear probe of the inherited class token ends (ridge
    /// regression on up to `headImages` fit images), then fine-tune everything.
    public var probeHead = true
    public var headImages = 2000
    /// Images of the test split scored after the fit (0: none).
    public var evalImages = 2000
    public var quiet = false
    public init() {}
}

/// What a fit did.
public struct FitReport: Sendable, Codable {
    public var steps: Int
    public var images: Int
    public var firstLoss: Float
    public var lastLoss: Float
    public var trainTop1: Double
    public var testTop1: Double?
    public var seconds: Double
}

/// Templates frozen; the target's scalers, its head and (by choice) norms and stem trained with
/// cross-entropy on a few target images; then W' = Σ S'_i ⊗ T_i is materialized.
public enum ScalerFit {
    /// The trainable target model of a bundle expansion: scalers at the target depth and width
    /// (interpolated and padded as `Expander` does), plain tensors from the expansion plan.
    public static func targetModel(_ t: WaveTemplates, _ r: ExpansionRequest) throws -> TemplatedViT {
        let plan = try Expander.plan(t, r)
        let tgt = plan.target
        var comps: [TemplatedViT.Component] = [], scalers: [[Float]] = []
        for c in t.components {
            let (dst, layers) = c.targetScalers(templateSize: t.templateSize, target: tgt, request: r)
            comps.append(.init(spec: c.spec, shape: dst))
            scalers.append(layers.flatMap { $0 })
        }
        let templated = Set(comps.flatMap { c in (0..<tgt.depth).map { c.spec.tensorName(layer: $0) } })
        var plain = TensorSet()
        for e in plan.entries where !templated.contains(e.name) { plain.add(e.name, RawTensor(shape: e.shape, floats: e.make())) }
        return try TemplatedViT(config: tgt, components: comps, templates: t.components.map(\.templates), scalers: scalers,
                                plain: plain, trainTemplates: false)
    }

    /// Fits `model` (from `targetModel`) on `train`, scoring on `test`.
    public static func fit(_ model: TemplatedViT, train: ImageDataset, test: ImageDataset?, preprocess: Preprocess,
                           settings s: FitSettings) throws -> FitReport {
        let cfg = model.config
        var frozen = Set<String>()
        if !s.trainStem { frozen.formUnion(["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias"]) }
        if !s.trainNorms { frozen.formUnion(["norm.weight", "norm.bias"]) }
        model.frozenPlain = frozen
        var opt = AdamWConfig()
        opt.weightDecay = 0.05
        let optimizer = AdamW(layout: model.layout, config: opt, decays: { model.decays($0) })
        let B = min(s.batch, train.count)
        let loader = BatchLoader(dataset: train, batchSize: B, preprocess: preprocess, shuffle: true, seed: s.seed, dropLast: true)
        let schedule = CosineSchedule(baseLR: s.lr, minLR: s.lr * 0.01, warmupSteps: s.warmup, totalSteps: s.steps)
        let dlogits = FloatBuffer(count: B * cfg.numClasses)
        let net = try model.build(depth: cfg.depth)
        let a = net.makeActivations(batch: B)
        if s.probeHead { try initializeHead(model, net: net, train: train.prefix(s.headImages), preprocess: preprocess) }
        let progress = ProgressReporter("fit scalers", total: s.steps, quiet: s.quiet)
        var losses: [Float] = [], correct = 0, seen = 0
        let start = Date()
        for step in 0..<s.steps {
            let bpe = loader.batchesPerEpoch
            if step % bpe == 0 { loader.startEpoch(step / bpe) }
            loader.fill(batch: step % bpe)
            _ = try model.build(depth: cfg.depth)
            net.forward(images: loader.images.pointer, a, classTokenOnly: true)
            dlogits.zero()
            let loss = Loss.crossEntropy(logits: a.logits.pointer, labels: loader.labels, batch: B, classes: cfg.numClasses,
                                         smoothing: 0.1, grad: dlogits.pointer)
            let pred = Loss.argmax(logits: a.logits.pointer, batch: B, classes: cfg.numClasses)
            for i in 0..<B where pred[i] == Int(loader.labels[i]) { correct += 1 }
            seen += B
            net.zeroGrad()
            net.backward(a, dlogits: dlogits.pointer)
            model.backward(from: net)
            clipGradNorm(model.grads, maxNorm: 1)
            optimizer.update(params: model.params, grads: model.grads, lr: schedule.lr(step: step))
            losses.append(loss)
            progress.update(step + 1, extra: String(format: "loss %.4f", loss))
        }
        progress.finish()
        _ = try model.build(depth: cfg.depth)
        let tail = losses.suffix(max(1, min(20, losses.count / 4)))
        var report = FitReport(steps: s.steps, images: train.count, firstLoss: losses.first ?? .nan,
                               lastLoss: tail.reduce(0, +) / Float(tail.count),
                               trainTop1: Double(correct) / Double(max(seen, 1)), testTop1: nil,
                               seconds: Date().timeIntervalSince(start))
        if let test, s.evalImages > 0 {
            report.testTop1 = accuracy(net, on: test.prefix(s.evalImages), preprocess: preprocess)
        }
        return report
    }

    /// Sets `head.*` of `model` to the ridge-regression classifier of `net`'s class tokens.
    static func initializeHead(_ model: TemplatedViT, net: ViTModel, train: ImageDataset, preprocess: Preprocess) throws {
        let cfg = net.config, D = cfg.embedDim, B = min(100, train.count)
        guard cfg.numClasses > 0, train.count >= 2 else { return }
        let loader = BatchLoader(dataset: train, batchSize: B, preprocess: preprocess, shuffle: false, dropLast: false)
        loader.startEpoch(0)
        let a = net.makeActivations(batch: B)
        var feats: [Float] = []
        feats.reserveCapacity(train.count * D)
        for b in 0..<loader.batchesPerEpoch {
            let n = loader.fill(batch: b)
            net.forward(images: loader.images.pointer, a, classTokenOnly: true)
            for i in 0..<n { feats += UnsafeBufferPointer(start: a.classToken(i), count: D) }
        }
        guard let (w, bias) = LinearProbe.head(features: feats, labels: train.labels, dim: D, classes: cfg.numClasses) else { return }
        w.withUnsafeBufferPointer { model.pointer("head.weight").update(from: $0.baseAddress!, count: w.count) }
        bias.withUnsafeBufferPointer { model.pointer("head.bias").update(from: $0.baseAddress!, count: bias.count) }
        _ = try model.build(depth: cfg.depth)
    }

    /// Top-1 of a model on a dataset.
    public static func accuracy(_ net: ViTModel, on data: ImageDataset, preprocess: Preprocess, batch: Int = 100) -> Double {
        evaluateTop1(model: net, loader: BatchLoader(dataset: data, batchSize: min(batch, data.count), preprocess: preprocess,
                                                     shuffle: false, dropLast: false))
    }
}
