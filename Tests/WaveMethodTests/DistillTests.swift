import Foundation
import Testing
import WaveTensor
import WaveFormats
import WaveEngine
@testable import WaveMethod

/// A tiny condensation problem: a synthetic ancestry, its least-squares templates, random images
/// and the ancestry's own features as the teacher.
struct TinyDistillation {
    let templates: WaveTemplates
    let data: ImageDataset
    let teacher: TeacherFeatures

    init(images: Int = 96) throws {
        let cfg = Synthetic.tiny
        let ancestry = Synthetic.vit(cfg, seed: 3)
        var plan = TemplatePlan()
        plan.templateSize = 8
        templates = try Condenser.condense(canonical: ancestry, config: cfg, family: "timm-vit", plan: plan)
        var rng = TestRNG(11)
        // Four classes told apart by brightness, so that labels can be learned.
        let labels = (0..<images).map { Int32($0 % 4) }
        let pixels = (0..<(images * 12 * 12)).map { i in UInt8(Int(labels[i / 144]) * 60 + Int(rng.next() % 40)) }
        data = ImageDataset(count: images, channels: 1, height: 12, width: 12, pixels: pixels, labels: labels, classes: 4)
        teacher = try Teacher.compute(ancestry: ancestry, config: cfg, dataset: data, imageSize: 16, batch: 32, quiet: true)
    }

    func settings(steps: Int) -> DistillSettings {
        var s = DistillSettings()
        s.steps = steps; s.batch = 16; s.imageSize = 16; s.depths = [2, 3, 5]; s.warmup = 2; s.lr = 2e-3
        s.seed = 5; s.quiet = true
        return s
    }
}

@Suite struct DistillTests {
    @Test func distillationLowersTheLossAtEveryDepth() throws {
        let p = try TinyDistillation()
        let d = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: p.settings(steps: 30))
        try d.run()
        let first = d.lossHistory.prefix(5).reduce(0, +) / 5, last = d.lossHistory.suffix(5).reduce(0, +) / 5
        #expect(last < 0.8 * first, "loss \(first) → \(last)")
        let t = d.result()
        #expect(t.ancestry.numClasses == 4)
        #expect(t.others["pos_embed"]!.shape == [1, 17, 16])
        // The new templates still expand to any depth.
        for depth in [1, 2, 4, 7] {
            let plan = try Expander.plan(t, ExpansionRequest(depth: depth, width: 16))
            #expect(plan.materialize().count == plan.target.timmShapes.count)
        }
    }

    /// `templateLRScale` 0 distils everything but the templates: they come out exactly as they went
    /// in while the scalers move; a scale of ½ moves them, but less far than the full rate.
    @Test func theTemplateRateScaleFreezesOrSlowsTheTemplates() throws {
        let p = try TinyDistillation()
        func run(_ scale: Float) throws -> (templates: Float, scalers: Float) {
            var s = p.settings(steps: 8)
            s.templateLRScale = scale
            let d = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s)
            try d.run()
            var moved: (Float, Float) = (0, 0)
            for (before, after) in zip(p.templates.components, d.result().components) {
                for (x, y) in zip(before.templates, after.templates) { moved.0 = max(moved.0, abs(x - y)) }
                for (x, y) in zip(before.scalers, after.scalers) { moved.1 = max(moved.1, abs(x - y)) }
            }
            return moved
        }
        let frozen = try run(0), half = try run(0.5), full = try run(1)
        #expect(frozen.templates == 0)
        #expect(frozen.scalers > 0)
        #expect(half.templates > 0 && half.templates < full.templates, "\(half.templates) vs \(full.templates)")
    }

    /// Without `templateLRScale`, templates keep the full rate at the paper's counts and a tenth
    /// beyond them (one matrix component above its count is enough).
    @Test func theTemplateRateDefaultsByTheTemplateCounts() throws {
        let p = try TinyDistillation()
        #expect(autoTemplateLRScale(p.templates.components) == 1)
        var plan = TemplatePlan()
        plan.templateSize = 8
        plan.counts["qkv"] = 7
        let more = try Condenser.condense(canonical: Synthetic.vit(Synthetic.tiny, seed: 3), config: Synthetic.tiny,
                                          family: "timm-vit", plan: plan)
        #expect(more.component("qkv")!.shape.n == 7)
        #expect(autoTemplateLRScale(more.components) == 0.1)
        let d = try Distiller(templates: more, teacher: p.teacher, dataset: p.data, settings: p.settings(steps: 1))
        #expect(d.templateLRScale == 0.1)
    }

    struct Interrupted: Error {}

    @Test func aKilledRunResumesToTheSameBundle() throws {
        let p = try TinyDistillation()
        let s = p.settings(steps: 14)
        let whole = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s)
        try whole.run()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-ckpt-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ckpt = dir + "/run.ckpt"
        let first = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s)
        // The process "dies" right after its second checkpoint (step 8 of 14): no later state survives.
        #expect(throws: Interrupted.self) {
            try first.run(checkpointEvery: 4) { d in
                try DistillCheckpoint.save(d, to: ckpt)
                if d.step == 8 { throw Interrupted() }
            }
        }
        let second = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s)
        #expect(try DistillCheckpoint.resume(second, from: ckpt))
        #expect(second.step == 8)
        try second.run()
        #expect(second.lossHistory == whole.lossHistory)
        let a = whole.result(), b = second.result()
        for (ca, cb) in zip(a.components, b.components) {
            #expect(ca.templates == cb.templates && ca.scalers == cb.scalers, "\(ca.spec.name)")
        }
        for n in a.others.order { #expect(a.others[n]!.floats() == b.others[n]!.floats(), "\(n)") }
    }

    /// Distillation (template builds, engine steps, template gradients, AdamW) gives the same bundle
    /// at any thread count: every split in it is fixed by shapes, never by the workers.
    @Test func theThreadCountDoesNotChangeDistillation() throws {
        let p = try TinyDistillation()
        func distil(threads: Int) throws -> WaveTemplates {
            try Engine.withWorkers(threads) {
                let d = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: p.settings(steps: 6))
                try d.run()
                return d.result()
            }
        }
        let one = try distil(threads: 1), three = try distil(threads: 3)
        for (ca, cb) in zip(one.components, three.components) {
            #expect(ca.templates == cb.templates && ca.scalers == cb.scalers, "\(ca.spec.name)")
        }
        for n in one.others.order { #expect(one.others[n]!.floats() == three.others[n]!.floats(), "\(n)") }
    }

    @Test func aCheckpointOfAnotherRunIsRefused() throws {
        let p = try TinyDistillation()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-ckpt-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: p.settings(steps: 4))
        try DistillCheckpoint.save(d, to: dir + "/c")
        let other = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: p.settings(steps: 9))
        #expect(throws: CheckpointError.self) { try DistillCheckpoint.resume(other, from: dir + "/c") }
        var bytes = [UInt8](FileManager.default.contents(atPath: dir + "/c")!)
        bytes.removeLast(3)
        try writeFileAtomically(bytes, to: dir + "/c")
        #expect(throws: CheckpointError.corrupt(dir + "/c")) { try DistillCheckpoint.resume(d, from: dir + "/c") }
        #expect(try !DistillCheckpoint.resume(d, from: dir + "/none"))
    }

    /// One key scheme for every command: equal images share an entry; two datasets of the same
    /// count (the transfer setting), another input size or logits instead of features do not.
    @Test func teacherCacheKeysNameTheImagesNotJustTheirCount() throws {
        let p = try TinyDistillation(images: 8)
        let path = "/nonexistent/ancestry.onnx"
        func key(_ d: ImageDataset, size: Int = 16, logits: Bool = false) -> String {
            Teacher.cacheKey(ancestry: path, imageSize: size, logits: logits, data: d)
        }
        var other = p.data.pixels
        other[0] ^= 1
        let flipped = ImageDataset(count: 8, channels: 1, height: 12, width: 12, pixels: other, labels: p.data.labels, classes: 4)
        #expect(key(p.data) == key(p.data.prefix(8)))
        #expect(key(p.data) != key(flipped))
        #expect(key(p.data) != key(p.data, size: 32))
        #expect(key(p.data) != key(p.data, logits: true))
    }

    @Test func theLinearProbeSeparatesSeparableFeatures() {
        var rng = TestRNG(1)
        func make(_ n: Int) -> ([Float], [Int32]) {
            var f: [Float] = [], l: [Int32] = []
            for i in 0..<n {
                let c = i % 3
                for k in 0..<6 { f.append(rng.uniform() * 0.3 + (k == c ? 2 : 0)) }
                l.append(Int32(c))
            }
            return (f, l)
        }
        let (a, la) = make(90), (b, lb) = make(60)
        #expect(LinearProbe.accuracy(train: a, trainLabels: la, test: b, testLabels: lb, dim: 6, classes: 3) == 1)
    }

    @Test func theFitLearnsTheLabelsWithTemplatesFrozen() throws {
        let p = try TinyDistillation(images: 128)
        var r = ExpansionRequest(depth: 2, width: 16)
        r.classes = 4
        r.imageSize = 16
        let model = try ScalerFit.targetModel(p.templates, r)
        let before = model.values("templates.fc1")
        var s = FitSettings()
        s.steps = 60; s.batch = 32; s.lr = 1e-2; s.warmup = 3; s.quiet = true; s.evalImages = 0
        let report = try ScalerFit.fit(model, train: p.data, test: nil, preprocess: .imageNet(size: 16), settings: s)
        #expect(report.lastLoss < 0.8 * report.firstLoss, "loss \(report.firstLoss) → \(report.lastLoss)")
        #expect(model.values("templates.fc1") == before)
        #expect(model.values("pos_embed") == (try Expander.plan(p.templates, r)).materialize()["pos_embed"]!.floats())
    }

    /// The fit ends with the head solved again by ridge regression on the fitted body's class
    /// tokens (the Adam steps on a head over near-constant features lose accuracy; ScalerFit.fit):
    /// the final head is exactly the ridge head of the final body, and without the re-solve it is not.
    @Test func theFitEndsWithTheRidgeHeadOfTheFittedBody() throws {
        let p = try TinyDistillation(images: 96)
        var r = ExpansionRequest(depth: 2, width: 16)
        r.classes = 4
        r.imageSize = 16
        func fitted(resolve: Bool) throws -> (head: [Float], ridge: [Float]) {
            let model = try ScalerFit.targetModel(p.templates, r)
            var s = FitSettings()
            s.steps = 20; s.batch = 32; s.lr = 1e-2; s.warmup = 2; s.quiet = true; s.evalImages = 0; s.resolveHead = resolve
            _ = try ScalerFit.fit(model, train: p.data, test: nil, preprocess: .imageNet(size: 16), settings: s)
            let net = try model.build(depth: 2)
            let feats = LinearProbe.classTokens(net, images: p.data, preprocess: .imageNet(size: 16))
            let ridge = try #require(LinearProbe.head(features: feats, labels: p.data.labels, dim: 16, classes: 4))
            return (model.values("head.weight"), ridge.weight)
        }
        let (head, ridge) = try fitted(resolve: true)
        #expect(head == ridge)
        let (stepped, ridgeOfStepped) = try fitted(resolve: false)
        #expect(stepped != ridgeOfStepped)
    }

    /// `--teacher` in the fit: feature KD through the ridge map (also to a wider target than the
    /// teacher) and logit KD lower their KD term with templates frozen; a logit teacher with the
    /// wrong number of classes is refused before any step.
    @Test func theFitDistilsFromATeacher() throws {
        let p = try TinyDistillation(images: 96)
        func fit(width: Int, _ kd: FitDistillation, mapImages: Int = 96, lr: Float = 1e-2) throws -> FitReport {
            var r = ExpansionRequest(depth: 2, width: width)
            r.classes = 4; r.imageSize = 16
            let model = try ScalerFit.targetModel(p.templates, r)
            var s = FitSettings()
            s.steps = 50; s.batch = 32; s.lr = lr; s.warmup = 3; s.quiet = true; s.evalImages = 0
            s.distillation = kd; s.headImages = mapImages
            return try ScalerFit.fit(model, train: p.data, test: nil, preprocess: .imageNet(size: 16), settings: s)
        }
        // Another ancestry's features, so that the target does not start where the teacher is.
        let other = try Teacher.compute(ancestry: Synthetic.vit(Synthetic.tiny, seed: 99), config: Synthetic.tiny, dataset: p.data,
                                        imageSize: 16, batch: 32, quiet: true)
        for width in [16, 32] {
            // The map from 6 images only: the features of these tiny random ViTs are so nearly linear in
            // each other that a map from all 96 leaves nothing to learn (KD ≈ 0.002).
            let report = try fit(width: width, FitDistillation(teacher: other, kind: .feature, alpha: 1), mapImages: 6, lr: 3e-3)
            let kd = try #require(report.lastKD)
            #expect(report.lastLoss == kd)   // α = 1: the loss is the KD term alone
            #expect(report.firstKD == report.firstLoss)
            // These tiny random ViTs leave the scalers little to move toward another's features (about −10%
            // in 50 steps); that the step follows the true gradient is the finite-difference test below.
            #expect(kd < 0.95 * report.firstLoss, "width \(width): KD \(report.firstLoss) → \(kd)")
        }
        // Logit KD from a teacher whose logits name the next class (learnable from brightness, unlike the labels' CE, which is off).
        let logits = TeacherFeatures(count: p.data.count, dim: 4, values: (0..<(p.data.count * 4)).map { j in
            j % 4 == (Int(p.data.labels[j / 4]) + 1) % 4 ? 4 : 0
        })
        let report = try fit(width: 16, FitDistillation(teacher: logits, kind: .logit, alpha: 1))
        let first = try #require(report.firstKD), last = try #require(report.lastKD)
        #expect(last < 0.9 * first, "logit KD \(first) → \(last)")
        let wrong = TeacherFeatures(count: p.data.count, dim: 5, values: [Float](repeating: 0, count: p.data.count * 5))
        #expect(throws: ExpandError.self) { try fit(width: 16, FitDistillation(teacher: wrong, kind: .logit)) }
    }

    /// The feature-KD term's gradient, through the fixed ridge map, the pooling and the frozen-template
    /// build, matches central finite differences on scalers and norm entries.
    ///
    /// Tolerance, measured (2026-12-01, AVX2 and AVX kernels alike): the loss (about 14) evaluated in
    /// Float32 jitters by up to ~2.5e-5 between nearby parameters (20-30 ulps: the forward's rounding
    /// through the ridge map), whatever the step, so a central difference carries ±ε/2h of noise:
    /// ±1.3e-3 at h = 1e-2, where the old bound (3e-2 of |fd|+|an| floored at 1e-2, i.e. 3e-4 absolute)
    /// failed on the smallest gradients (|∂| ≈ 4e-3 and 1e-4: differences of 3.6e-4 on the Zen/Haswell
    /// kernels, 6.6e-4..1.3e-3 with OpenBLAS's thread split). Differences at h = 3e-2, 1e-2, 3e-3 and
    /// 1e-3 agree with the analytic gradient to 0.05-1% on every entry above 0.1 (no truncation error
    /// at 3e-2), so the cause is Float rounding, not the gradient. The bound is now 3% of the larger
    /// value plus the noise floor 4e-6·|L|/2h, at h = 3e-2 (about 1e-3).
    /// It still catches real errors: the gradients above 0.03 resolve a 10% error (checked below on
    /// the analytic values scaled by 0.9 and 1.1), and dropping the mean-patch half of the pooled
    /// features' gradient (a deliberate bug tried by hand in `FitKDTerm.apply`) fails 8 of 10 probes.
    @Test func theFitsFeatureKDGradientMatchesFiniteDifferences() throws {
        let p = try TinyDistillation(images: 32)
        let other = try Teacher.compute(ancestry: Synthetic.vit(Synthetic.tiny, seed: 99), config: Synthetic.tiny, dataset: p.data,
                                        imageSize: 16, batch: 32, quiet: true)
        var r = ExpansionRequest(depth: 2, width: 32)
        r.classes = 4; r.imageSize = 16
        let m = try ScalerFit.targetModel(p.templates, r)
        let net = try m.build(depth: 2)
        let B = 8, pre = Preprocess.imageNet(size: 16)
        let term = try FitKDTerm(FitDistillation(teacher: other, kind: .feature, alpha: 1000), net: net, batch: B,
                                 train: p.data.prefix(6), preprocess: pre)
        let loader = BatchLoader(dataset: p.data, batchSize: B, preprocess: pre, shuffle: true, seed: 1, dropLast: true)
        loader.startEpoch(0)
        loader.fill(batch: 1)
        let a = net.makeActivations(batch: B), dlogits = FloatBuffer(count: B * 4)
        func loss() throws -> Double {
            _ = try m.build(depth: 2)
            net.forward(images: loader.images.pointer, a)
            dlogits.zero()
            return 1000 * Double(term.apply(a, images: loader.indices(ofBatch: 1), dlogits: dlogits.pointer))
        }
        _ = try loss()
        net.zeroGrad()
        net.backward(a, dlogits: dlogits.pointer, dtokens: term.dtokens.pointer)
        m.backward(from: net)
        var probes: [(String, Int)] = [("norm.weight", 3), ("norm.bias", 5)]
        for c in m.components where ["qkv", "fc1", "fc2", "norm1.w"].contains(c.spec.name) {
            probes += [("scalers.\(c.spec.name)", 1), ("scalers.\(c.spec.name)", c.shape.scalerCount + 2)]
        }
        let h: Float = 3e-2, noise = 4e-6 * abs(try loss()) / (2 * Double(h))
        func agrees(_ fd: Double, _ an: Double) -> Bool { abs(fd - an) <= 3e-2 * max(abs(fd), abs(an)) + noise }
        var resolving = 0
        for (name, k) in probes {
            let ptr = m.pointer(name) + k
            let saved = ptr.pointee
            ptr.pointee = saved + h
            let up = try loss()
            ptr.pointee = saved - h
            let down = try loss()
            ptr.pointee = saved
            let fd = (up - down) / (2 * Double(h))
            let an = Double(m.grads.pointer[m.layout[name]!.offset + k])
            #expect(agrees(fd, an), "\(name)[\(k)]: analytic \(an), finite difference \(fd), noise floor \(noise)")
            if abs(an) > 0.03 {
                resolving += 1
                #expect(!agrees(fd, 1.1 * an) && !agrees(fd, 0.9 * an), "\(name)[\(k)]: a 10% error would pass")
            }
        }
        #expect(resolving >= 6, "too few probes above the noise floor: \(resolving)")
    }
}
