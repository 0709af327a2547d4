import Foundation
import Testing
import WaveFormats
@testable import WaveEngine

/// The fixed-order gradient sum (`GradientShards`, `DataParallel`) over ranks as threads
/// (`ThreadRanks`): the same bits at every rank count, a lost rank an error and not a hang. The
/// same code over Open MPI is tested end to end in WaveCLITests (`MPITests`).
@Suite struct DataParallelTests {
    @Test func ranksMustTakeWholeNodesOfTheShardTree() throws {
        #expect(GradientShards.validRanks(shards: 8) == [1, 2, 4, 8])
        #expect(GradientShards.validRanks(shards: 6) == [1, 2, 6])
        #expect(GradientShards.validRanks(shards: 1) == [1])
        let p = try GradientShards(batch: 64, shards: 4, ranks: 2)
        #expect(p.block(rank: 1) == 2..<4 && p.images(ofRank: 1) == 32..<64 && p.images(ofShard: 1) == 16..<32)
        #expect(throws: ParallelError.self) { try GradientShards(batch: 64, shards: 3, ranks: 1) }
        #expect(throws: ParallelError.self) { try GradientShards(batch: 48, shards: 6, ranks: 3) }
        #expect(throws: ParallelError.self) { try GradientShards(batch: 64, shards: 2, ranks: 4) }
    }

    /// Shard vectors whose elements span twelve orders of magnitude, so that any other order of
    /// additions changes some of them.
    static func shardVector(_ s: Int, count: Int) -> [Float] {
        var rng = SeededRNG(seed: 40 + UInt64(s))
        return (0..<count).map { _ in Float(rng.normal()) * Float(pow(10.0, Double(rng.below(13)) - 6)) }
    }

    /// One `sum` on this rank's group: shard s leaves `shardVector(s)` and the extras (s, 1).
    static func reduce(_ group: ProcessGroup, shards: Int, count: Int) throws -> [Float] {
        let dp = try DataParallel(group: group, batch: 4 * shards, shards: shards)
        let grads = FloatBuffer(count: count)
        let extras = try dp.sum(gradients: grads, extras: 2) { s, extras in
            Self.shardVector(s, count: count).withUnsafeBufferPointer { grads.pointer.update(from: $0.baseAddress!, count: count) }
            extras[0] = Float(s); extras[1] = 1
        }
        return grads.array + extras
    }

    @Test func everyRankCountAddsTheShardsInTheSameOrder() throws {
        let n = 1001  // not a multiple of the rank counts: the chunks are padded
        let one = try Self.reduce(SingleProcess(), shards: 8, count: n)
        for ranks in [2, 4, 8] {
            let results = try ThreadRanks.run(ranks: ranks) { try Self.reduce($0, shards: 8, count: n) }
            for (r, result) in results.enumerated() {
                #expect(result == one, "\(ranks) ranks, rank \(r): \(zip(result, one).filter { $0 != $1 }.count) elements differ")
            }
        }
        // The tree: ((g0+g1)+(g2+g3)) + ((g4+g5)+(g6+g7)); a left fold gives other bits.
        let g = (0..<8).map { Self.shardVector($0, count: n) }
        func add(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }
        let tree = add(add(add(g[0], g[1]), add(g[2], g[3])), add(add(g[4], g[5]), add(g[6], g[7])))
        #expect(Array(one[..<n]) == tree)
        #expect(Array(one[n...]) == [28, 8])
        let fold = g.dropFirst().reduce(g[0], add)
        #expect(fold != tree, "the inputs must be able to tell the orders apart")
    }

    @Test func aRankThatStopsMakesTheOthersFailNotHang() throws {
        struct Died: Error {}
        #expect(throws: ParallelError.self) {
            _ = try ThreadRanks.run(ranks: 2) { group -> [Float] in
                if group.rank == 1 { throw Died() }
                return try Self.reduce(group, shards: 2, count: 10)
            }
        }
    }

    /// A loader that fills a rank's positions writes exactly what a full loader writes there, with
    /// crops and flips drawn per image in order.
    @Test func aRanksPartOfTheBatchIsTheWholeLoadersPart() {
        var rng = SeededRNG(seed: 3)
        let pixels = (0..<(40 * 10 * 10)).map { _ in UInt8(rng.below(256)) }
        let data = ImageDataset(count: 40, channels: 1, height: 10, width: 10, pixels: pixels,
                                labels: (0..<40).map { Int32($0 % 4) }, classes: 4)
        func loader() -> BatchLoader {
            BatchLoader(dataset: data, batchSize: 16, preprocess: .imageNet(size: 12),
                        augment: Augment(cropPadding: 2, horizontalFlip: true), shuffle: true, seed: 9, dropLast: true)
        }
        let whole = loader(), part = loader()
        part.positions = 8..<16
        let per = 3 * 12 * 12
        whole.startEpoch(1); part.startEpoch(1)
        for b in 0..<2 {
            whole.fill(batch: b); part.fill(batch: b)
            let w = whole.images.array, p = part.images.array
            #expect(Array(w[(8 * per)...]) == Array(p[(8 * per)...]), "batch \(b)")
            #expect(p[..<(8 * per)].allSatisfy { $0 == 0 })
            #expect((0..<16).allSatisfy { whole.labels[$0] == part.labels[$0] })
        }
    }

    /// Steps of a tiny ViT on noisy two-class images (as `TrainerTests`), the gradient from
    /// `shards` shards over `group`; returns the parameters and the losses.
    static func train(_ group: ProcessGroup, shards: Int, steps: Int = 6) throws -> (params: [Float], losses: [Float]) {
        let config = ViTConfig(imageSize: 8, patchSize: 4, inChannels: 1, numClasses: 2, embedDim: 16, depth: 2,
                               numHeads: 2, mlpDim: 32)
        let model = try ViTModel(config: config, seed: 5)
        let B = 8, n = 64
        let trainer = Trainer(model: model, batch: B, optimizer: AdamWConfig(weightDecay: 0.01),
                              schedule: CosineSchedule(baseLR: 3e-3, warmupSteps: 2, totalSteps: steps), labelSmoothing: 0.1)
        trainer.distribute(try DataParallel(group: group, batch: B, shards: shards))
        var rng = SeededRNG(seed: 99)
        var losses: [Float] = []
        for _ in 0..<steps {
            var x = [Float](repeating: 0, count: B * n), y = [Int32](repeating: 0, count: B)
            for b in 0..<B {
                y[b] = Int32(b % 2)
                for i in 0..<n { x[b * n + i] = (y[b] == 0 ? 0.5 : -0.5) + Float(rng.normal()) }
            }
            losses.append(trainer.step(images: x, labels: y).loss)
        }
        return (model.params.array, losses)
    }

    /// Two ranks give one process's training with two shards, bit for bit; one shard (the
    /// ordinary step) differs from two only by rounding.
    @Test func trainingOnTwoRanksIsOneProcessWithTwoShards() throws {
        let one = try Engine.withWorkers(1) { try Self.train(SingleProcess(), shards: 2) }
        let ranks = try ThreadRanks.run(ranks: 2) { try Self.train($0, shards: 2) }
        for r in ranks {
            #expect(r.params == one.params, "\(zip(r.params, one.params).filter { $0 != $1 }.count) parameters differ")
            #expect(r.losses == one.losses)
        }
        let unsharded = try Engine.withWorkers(1) { try Self.train(SingleProcess(), shards: 1) }
        let scale = unsharded.params.map(abs).max()!
        let gap = zip(unsharded.params, one.params).map { abs($0 - $1) }.max()!
        #expect(gap > 0 && gap < 1e-4 * scale, "one shard vs two: \(gap) (largest parameter \(scale))")
    }
}
