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
}
