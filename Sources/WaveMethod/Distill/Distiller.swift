import Foundation
import WaveTensor
import WaveFormats
import WaveEngine

/// Settings of knowledge condensation (step 2 of condensation, paper Eq. 5-6).
public struct DistillSettings: Sendable {
    public var steps = 300
    public var batch = 64
    public var lr: Float = 5e-4
    /// Multiplies the learning rate of the templates (0: only scalers, stem, norm and head learn);
    /// nil: `autoTemplateLRScale`. Adam moves every element by about the learning rate whatever its
    /// scale, and a built weight sums one such step per template: at the full rate, bundles with
    /// more templates than the paper's counts are wrecked in the first hundred steps.
    public var templateLRScale: Float? = nil
    public var warmup = 20
    public var weightDecay: Float = 0.05
    /// Loss = α·KD + (1−α)·CE.
    public var alpha: Float = 0.5
    /// Feature KD (backbone ancestry) or logit KD with temperature `tau` (classifier ancestry).
    public var kd: KDKind = .feature
    public var tau: Float = 2
    /// Depths of the auxiliary model, one drawn per step: condensing once for all sizes.
    public var depths: [Int] = [4, 6, 8, 12]
    /// Input size the auxiliary model and the teacher run at (a multiple of the patch size).
    public var imageSize = 56
    public var clip: Float = 1
    public var seed: UInt64 = 0
    /// Shards each step's gradient is summed from (`GradientShards`); nil: one per rank. N ranks
    /// give the bundle one process gives with the same shard count, bit for bit.
    public var gradShards: Int? = nil
    /// Probe every this many steps (0: never), at `probeDepths`, on `probeImages` train / test images.
    public var probeEvery = 0
    public var probeDepths: [Int] = [4, 12]
    public var probeImages = 2000
    public var quiet = false
    public init() {}
}

/// What the auxiliary model learns from the teacher.
public enum KDKind: String, Sendable, CaseIterable {
    /// Standardized final class and mean patch tokens, smooth-L1.
    case feature
    /// KL(softmax(t/τ) ‖ softmax(s/τ))·τ² on the teacher's logits.
    case logit
}

/// The templates' rate multiplier when none is given: 1 while every matrix component has at most
/// the paper's template count (qkv 6, proj 2, fc1 8, fc2 8), 0.1 beyond. Measured on DINOv2 →
/// Fashion-MNIST (docs/benchmark, "The template rate"), full set, 2×384: 12/4/16/16/8 templates
/// 71.7% at 1 and 83.5% at 0.1 (79.8% undistilled); 18/6/24/24/12 84.3% at 0.1 (81.5%). The
/// paper's counts do about as well either way on the full set (82.0 / 82.9%) but better at 1 in
/// the low-data main job (72.3% against 66.8% at 2×384).
public func autoTemplateLRScale(_ components: [ComponentFit]) -> Float {
    components.contains { $0.spec.kind == .matrix && $0.shape.n > $0.spec.defaultCount } ? 0.1 : 1
}

/// One probe measurement of condensation quality.
public struct ProbePoint: Sendable, Codable {
    public let step: Int
    public let depth: Int
    public let top1: Double
}

/// Trains the auxiliary model — block weights built from templates and scalers — to match the
/// teacher's standardized pooled features (smooth-L1) and the labels (CE), updating templates,
/// scalers, stem, final norm and a head. Its result is a new set of templates.
public final class Distiller {
    public let settings: DistillSettings
    public let aux: TemplatedViT
    public let optimizer: AdamW
    public let source: WaveTemplates
    /// The templates' rate multiplier in use (the settings', or `autoTemplateLRScale`).
    public let templateLRScale: Float
    let teacher: TeacherFeatures
    let dataset: ImageDataset
    public var datasetCount: Int { dataset.count }
    public private(set) var step = 0
    public private(set) var probes: [ProbePoint] = []
    /// Held-out labelled images for the probe (e.g. the test split); when nil the probe uses the
    /// first distillation images, which CE has seen with their labels (optimistic).
    public var probeSet: ImageDataset?
    public private(set) var lossHistory: [Float] = []
    /// How each step's gradient is cut into shards and summed across the ranks.
    public let parallel: DataParallel
    /// Wall time of the steps this process ran (not probes, not the teacher): the benchmark's
    /// steps/s and the all-reduce's share of it (`parallel.reduceSeconds`).
    public private(set) var stepSeconds = 0.0
    public private(set) var stepsRun = 0

    /// `group`: the processes sharing every global batch (one process when not launched by mpirun).
    public init(templates t: WaveTemplates, teacher: TeacherFeatures, dataset: ImageDataset, settings: DistillSettings,
                group: ProcessGroup = SingleProcess()) throws {
        self.settings = settings
        parallel = try DataParallel(group: group, batch: settings.batch, shards: settings.gradShards)
        self.source = t
        self.teacher = teacher
        self.dataset = dataset
        precondition(teacher.count == dataset.count, "teacher features do not cover the dataset")
        var cfg = t.sourceConfig
        guard settings.imageSize % cfg.patchSize == 0 else {
            throw ExpandError.invalidTarget("distillation image size \(settings.imageSize) is not a multiple of the patch size \(cfg.patchSize)")
        }
        let (d, g) = (cfg.embedDim, cfg.gridSize)
        cfg.imageSize = settings.imageSize
        cfg.numClasses = dataset.classes
        var plain = TensorSet()
        for (name, shape) in cfg.timmShapes where !name.hasPrefix("blocks.") {
            if name == "pos_embed" {
                let pos = PosEmbed.resample(t.others["pos_embed"]!.floats(), dim: d, from: g, to: cfg.gridSize)
                plain.add(name, RawTensor(shape: shape, floats: pos))
            } else if let x = t.others[name], x.shape == shape {
                plain.add(name, x)
            } else if name == "head.weight" {
                plain.add(name, RawTensor(shape: shape, floats: StemTransforms.freshHead(classes: cfg.numClasses, width: d, seed: settings.seed)))
            } else {
                plain.add(name, RawTensor(shape: shape, floats: [Float](repeating: 0, count: shape.reduce(1, *))))
            }
        }
        aux = try TemplatedViT(config: cfg, components: t.components.map { .init(spec: $0.spec, shape: $0.shape) },
                               templates: t.components.map(\.templates), scalers: t.components.map(\.scalers),
                               plain: plain, trainTemplates: true)
        var opt = AdamWConfig()
        opt.weightDecay = settings.weightDecay
        let auxRef = aux
        let templateScale = settings.templateLRScale ?? autoTemplateLRScale(t.components)
        templateLRScale = templateScale
        optimizer = AdamW(layout: aux.layout, config: opt, decays: { auxRef.decays($0) },
                          lrScale: { $0.name.hasPrefix("templates.") ? templateScale : 1 })
        for depth in settings.depths where depth < 1 {
            throw ExpandError.invalidTarget("distillation depth \(depth) must be positive")
        }
    }

    /// The depth used at `step`: drawn from (seed, step) alone, so a resumed run draws the same.
    func depth(at step: Int) -> Int {
        var rng = SeededRNG(seed: settings.seed &+ 0xD15 &+ UInt64(step) &* 0x9E37_79B9_7F4A_7C15)
        return settings.depths[rng.below(settings.depths.count)]
    }

    /// Runs until `settings.steps`, calling `checkpoint` every `checkpointEvery` steps (and at the
    /// end) on the lead rank only. Each step's gradient is the sum of its shards' (`parallel`):
    /// this rank reads and computes only its shards of the global batch.
    public func run(checkpointEvery: Int = 0, checkpoint: ((Distiller) throws -> Void)? = nil) throws {
        let s = settings, B = s.batch, dim = teacher.dim, b = parallel.shardBatch, S = parallel.plan.shards
        let loader = BatchLoader(dataset: dataset, batchSize: B, preprocess: .imageNet(size: s.imageSize),
                                 shuffle: true, seed: s.seed, dropLast: true)
        loader.positions = parallel.localImages
        guard loader.batchesPerEpoch > 0 else {
            throw ExpandError.invalidTarget("distillation needs at least \(B) images (got \(dataset.count))")
        }
        let schedule = CosineSchedule(baseLR: s.lr, minLR: s.lr * 0.01, warmupSteps: s.warmup, totalSteps: s.steps)
        var activations: [Int: ViTActivations] = [:]
        let studentF = FloatBuffer(count: b * dim), teacherZ = FloatBuffer(count: b * dim), gradZ = FloatBuffer(count: b * dim)
        let dlogits = FloatBuffer(count: b * dataset.classes)
        let dtokens = FloatBuffer(count: b * aux.config.tokens * aux.config.embedDim)
        let perImage = 3 * s.imageSize * s.imageSize
        // Each shard's losses are means over its images: weighted by 1/S, the shards add up to the
        // global batch's mean (exactly the old weights at one shard).
        let kdWeight = s.alpha / Float(S), ceWeight = (1 - s.alpha) / Float(S)
        let lead = parallel.isLead
        let progress = ProgressReporter("condense (distillation)", total: s.steps, quiet: s.quiet || !lead)
        var epoch = -1
        var images = 0
        // The starting point (the least-squares fit), for comparison with every later probe.
        if s.probeEvery > 0, step == 0, probes.isEmpty, lead { try probe() }
        let started = Date()
        while step < s.steps {
            let stepStart = Date()
            let bpe = loader.batchesPerEpoch
            if step / bpe != epoch { epoch = step / bpe; loader.startEpoch(epoch) }
            let batchIndex = step % bpe
            loader.fill(batch: batchIndex)
            let idx = loader.indices(ofBatch: batchIndex)
            let L = depth(at: step)
            let model = try aux.build(depth: L)
            let a = activations[L] ?? model.makeActivations(batch: b)
            activations[L] = a
            let terms = try parallel.sum(gradients: aux.grads, extras: 2) { shard, extras in
                let range = parallel.plan.images(ofShard: shard)
                let shardIdx = idx[(idx.startIndex + range.lowerBound)...].prefix(b)
                model.forward(images: loader.images.pointer + range.lowerBound * perImage, a)
                dlogits.zero()
                let kd: Float
                switch s.kd {
                case .feature:
                    // Standardized features: z = (f − μ_teacher)/σ_teacher for student and teacher alike.
                    Features.classAndMeanPatch(a, into: studentF.pointer)
                    for (r, i) in shardIdx.enumerated() {
                        for k in 0..<dim {
                            studentF.pointer[r * dim + k] = (studentF.pointer[r * dim + k] - teacher.mean[k]) / teacher.std[k]
                            teacherZ.pointer[r * dim + k] = (teacher.values[i * dim + k] - teacher.mean[k]) / teacher.std[k]
                        }
                    }
                    gradZ.zero()
                    kd = Loss.smoothL1(student: studentF.pointer, teacher: teacherZ.pointer, count: b * dim,
                                       grad: gradZ.pointer, weight: kdWeight)
                    for r in 0..<b { for k in 0..<dim { gradZ.pointer[r * dim + k] /= teacher.std[k] } }
                    dtokens.zero()
                    Features.scatterClassAndMeanPatch(gradZ.pointer, into: dtokens.pointer, batch: b,
                                                      tokens: model.config.tokens, width: model.config.embedDim)
                case .logit:
                    for (r, i) in shardIdx.enumerated() {
                        (teacherZ.pointer + r * dim).update(from: teacher.values, offset: i * dim, count: dim)
                    }
                    kd = Loss.klDistillation(student: a.logits.pointer, teacher: teacherZ.pointer, batch: b, classes: dim,
                                             temperature: s.tau, grad: dlogits.pointer, weight: kdWeight)
                }
                let ce = s.alpha < 1 ? Loss.crossEntropy(logits: a.logits.pointer, labels: loader.labels + range.lowerBound, batch: b,
                                                         classes: dataset.classes, smoothing: 0.1, grad: dlogits.pointer,
                                                         weight: ceWeight) : 0
                model.zeroGrad()
                model.backward(a, dlogits: dlogits.pointer, dtokens: s.kd == .feature ? dtokens.pointer : nil)
                aux.backward(from: model)
                extras[0] = kd / Float(S)
                extras[1] = ce / Float(S)
            }
            let (kd, ce) = (terms[0], terms[1])
            clipGradNorm(aux.grads, maxNorm: s.clip)
            optimizer.update(params: aux.params, grads: aux.grads, lr: schedule.lr(step: step))
            let loss = s.alpha * kd + (1 - s.alpha) * ce
            lossHistory.append(loss)
            step += 1
            images += B
            stepSeconds += Date().timeIntervalSince(stepStart)
            stepsRun += 1
            let rate = Double(images) / max(Date().timeIntervalSince(started), 1e-9)
            progress.update(step, extra: String(format: "depth %d, loss %.4f (KD %.4f, CE %.4f), %.0f img/s", L, loss, kd, ce, rate))
            if lead, s.probeEvery > 0, step % s.probeEvery == 0 || step == s.steps { try probe() }
            if lead, checkpointEvery > 0, step % checkpointEvery == 0, step < s.steps { try checkpoint?(self) }
        }
        progress.finish(String(format: "final loss %.4f", lossHistory.last ?? .nan))
        if lead { try checkpoint?(self) }
    }

    /// Linear-probe top-1 of builds at `probeDepths` (ridge fitted on the first half of the probe
    /// images, scored on the second half).
    public func probe() throws {
        let s = settings
        let pool = probeSet ?? dataset
        let n = min(s.probeImages, pool.count) / 2
        guard n >= 10 else { return }
        let trainSet = pool.prefix(n), testSet = pool.slice(from: n, count: n)
        for L in s.probeDepths {
            let model = try aux.build(depth: L)
            let tl = BatchLoader(dataset: trainSet, batchSize: 50, preprocess: .imageNet(size: s.imageSize), shuffle: false, dropLast: false)
            let vl = BatchLoader(dataset: testSet, batchSize: 50, preprocess: .imageNet(size: s.imageSize), shuffle: false, dropLast: false)
            let ftr = LinearProbe.features(model: model, loader: tl, count: n)
            let fte = LinearProbe.features(model: model, loader: vl, count: n)
            let top1 = LinearProbe.accuracy(train: ftr, trainLabels: trainSet.labels, test: fte, testLabels: testSet.labels,
                                            dim: 2 * model.config.embedDim, classes: dataset.classes)
            probes.append(ProbePoint(step: step, depth: L, top1: top1))
            if !s.quiet { note(String(format: "  probe at step %d: depth %d, linear-probe top-1 %.1f%%", step, L, 100 * top1)) }
        }
    }

    /// The condensed templates: trained templates and scalers; the stem at the distillation
    /// geometry (pos_embed on its grid), final norm, and the trained head.
    public func result() -> WaveTemplates {
        var t = source
        t.components = source.components.map { c in
            var c = c
            c.templates = aux.values("templates.\(c.spec.name)")
            c.scalers = aux.values("scalers.\(c.spec.name)")
            return c
        }
        var others = TensorSet()
        for name in aux.plainNames { others.add(name, RawTensor(shape: aux.layout[name]!.shape, floats: aux.values(name))) }
        t.others = others
        t.ancestry.imageSize = settings.imageSize
        t.ancestry.numClasses = dataset.classes
        return t
    }

    /// Restores a checkpointed run (see `DistillCheckpoint`).
    func restore(step: Int, params: [Float], m: [Float], v: [Float], probes: [ProbePoint], losses: [Float]) {
        precondition(params.count == aux.layout.count)
        params.withUnsafeBufferPointer { aux.params.pointer.update(from: $0.baseAddress!, count: params.count) }
        optimizer.restore(step: step, m: m, v: v)
        self.step = step
        self.probes = probes
        self.lossHistory = losses
    }
}

func note(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

extension UnsafeMutablePointer where Pointee == Float {
    func update(from array: [Float], offset: Int, count: Int) {
        array.withUnsafeBufferPointer { update(from: $0.baseAddress! + offset, count: count) }
    }
}
