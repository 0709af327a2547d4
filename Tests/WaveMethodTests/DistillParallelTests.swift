import Foundation
import Testing
import WaveTensor
import WaveFormats
import WaveEngine
@testable import WaveMethod

/// Data-parallel distillation over ranks as threads (`ThreadRanks`, the stand-in for MPI that
/// needs nothing installed): N ranks give the bundle one process gives with the same shard count,
/// bit for bit, teacher outputs included; the MPI runs of `wave condense` are in WaveCLITests.
@Suite struct DistillParallelTests {
    static func distil(_ p: TinyDistillation, group: ProcessGroup, shards: Int?, steps: Int = 6) throws -> (WaveTemplates, [Float]) {
        var s = p.settings(steps: steps)
        s.gradShards = shards
        let d = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s, group: group)
        try d.run()
        return (d.result(), d.lossHistory)
    }

    static func same(_ a: WaveTemplates, _ b: WaveTemplates) -> Bool {
        zip(a.components, b.components).allSatisfy { $0.templates == $1.templates && $0.scalers == $1.scalers }
            && a.others.order.allSatisfy { a.others[$0]!.floats() == b.others[$0]!.floats() }
    }

    @Test func twoRanksGiveOneProcessesBundleWithTwoShards() throws {
        let p = try TinyDistillation()
        let (one, oneLoss) = try Engine.withWorkers(1) { try Self.distil(p, group: SingleProcess(), shards: 2) }
        // Default shards under a group of two: one per rank.
        let ranks = try ThreadRanks.run(ranks: 2) { try Self.distil(p, group: $0, shards: nil) }
        for (r, (t, loss)) in ranks.enumerated() {
            #expect(Self.same(t, one), "rank \(r)")
            #expect(loss == oneLoss, "rank \(r)")
        }
        // Four shards split over two ranks as over one.
        let (four, _) = try Engine.withWorkers(1) { try Self.distil(p, group: SingleProcess(), shards: 4) }
        let fourOnTwo = try ThreadRanks.run(ranks: 2) { try Self.distil(p, group: $0, shards: 4) }
        #expect(Self.same(fourOnTwo[0].0, four) && Self.same(fourOnTwo[1].0, four))
    }

    /// The shard count is part of the recipe: one shard (the ordinary step) and two differ by
    /// rounding only. Measured on this problem after 6 steps: a few 1e-6 of the largest value.
    @Test func oneShardAndTwoDifferOnlyByRounding() throws {
        let p = try TinyDistillation()
        let (one, _) = try Self.distil(p, group: SingleProcess(), shards: 1)
        let (two, _) = try Self.distil(p, group: SingleProcess(), shards: 2)
        var gap: Float = 0, scale: Float = 0
        for (a, b) in zip(one.components, two.components) {
            gap = max(gap, maxAbsDiff(a.templates, b.templates), maxAbsDiff(a.scalers, b.scalers))
            scale = max(scale, a.templates.map(abs).max() ?? 0, a.scalers.map(abs).max() ?? 0)
        }
        #expect(gap > 0 && gap < 1e-4 * scale, "one shard vs two: \(gap) (largest value \(scale))")
    }

    /// Two ranks computing the teacher's batches (the last one partial) and gathering them give
    /// one process's outputs exactly.
    @Test func theTeacherOnTwoRanksIsOneProcesses() throws {
        let p = try TinyDistillation(images: 100)
        let cfg = Synthetic.tiny
        let ancestry = Synthetic.vit(cfg, seed: 3)
        let one = try Engine.withWorkers(1) {
            try Teacher.compute(ancestry: ancestry, config: cfg, dataset: p.data, imageSize: 16, batch: 32, quiet: true)
        }
        for ranks in [2, 3] {
            let parts = try ThreadRanks.run(ranks: ranks) { group in
                try Teacher.compute(ancestry: ancestry, config: cfg, dataset: p.data, imageSize: 16, batch: 32, quiet: true, group: group)
            }
            for f in parts { #expect(f.values == one.values && f.mean == one.mean && f.std == one.std, "\(ranks) ranks") }
        }
    }

    /// A checkpoint names its shard count when it is not 1: a two-shard run cannot resume a
    /// one-shard checkpoint (its sums differ), and one-shard checkpoints keep their old fingerprint.
    @Test func theShardCountIsPartOfTheCheckpoint() throws {
        let p = try TinyDistillation()
        var s = p.settings(steps: 4)
        let plain = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s)
        #expect(!DistillCheckpoint.fingerprint(plain).contains("grad-shards"))
        s.gradShards = 2
        let sharded = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s)
        #expect(DistillCheckpoint.fingerprint(sharded).hasSuffix(" grad-shards=2"))
        s.gradShards = 3
        #expect(throws: ParallelError.self) { _ = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s) }
    }

    /// The scaler fit (CE plus feature KD from the ancestry) on two ranks is one process's with
    /// two shards: the same fitted model and report.
    @Test func theFitOnTwoRanksIsOneProcessesWithTwoShards() throws {
        let p = try TinyDistillation(images: 64)
        @Sendable func fit(_ group: ProcessGroup, shards: Int?) throws -> ([Float], FitReport) {
            var r = ExpansionRequest(depth: 2, width: 16)
            r.classes = 4; r.imageSize = 16
            let model = try ScalerFit.targetModel(p.templates, r)
            var s = FitSettings()
            s.steps = 5; s.batch = 16; s.lr = 1e-2; s.warmup = 2; s.quiet = true; s.evalImages = 0; s.headImages = 64
            s.gradShards = shards
            s.distillation = FitDistillation(teacher: p.teacher, kind: .feature)
            let report = try ScalerFit.fit(model, train: p.data, test: nil, preprocess: .imageNet(size: 16), settings: s, group: group)
            return (model.params.array, report)
        }
        let (one, oneReport) = try Engine.withWorkers(1) { try fit(SingleProcess(), shards: 2) }
        for (params, report) in try ThreadRanks.run(ranks: 2, { try fit($0, shards: nil) }) {
            #expect(params == one, "\(zip(params, one).filter { $0 != $1 }.count) parameters differ")
            #expect(report.lastLoss == oneReport.lastLoss && report.lastKD == oneReport.lastKD && report.trainTop1 == oneReport.trainTop1)
        }
    }
}
