import Testing
import WaveFormats
@testable import WaveEngine

@Suite struct TrainerTests {
    /// Two classes of noisy 8×8 images (mean +½ or −½, noise σ 1): a tiny ViT must fit them within
    /// 40 steps, and the same seed must give bit-identical parameters. (A left-half/right-half
    /// task is not learnable this fast by a ViT — PyTorch's doesn't either: with near-uniform
    /// initial attention the class token sees the mean of the patches, equal for both classes.)
    func run(seed: UInt64, threads: Int = 2, side: Int = 8, batch B: Int = 8, width: Int = 16, steps: Int = 40) throws
        -> (first: Float, last: Float, params: [Float]) {
        try Engine.withWorkers(threads) {
            let config = ViTConfig(imageSize: side, patchSize: 4, inChannels: 1, numClasses: 2, embedDim: width, depth: 2,
                                   numHeads: 2, mlpDim: 2 * width)
            let model = try ViTModel(config: config, seed: seed)
            let trainer = Trainer(model: model, batch: B, optimizer: AdamWConfig(weightDecay: 0.01),
                                  schedule: CosineSchedule(baseLR: 3e-3, warmupSteps: 5, totalSteps: steps), labelSmoothing: 0)
            var rng = SeededRNG(seed: 99)
            var first: Float = 0, last: Float = 0
            for step in 0..<steps {
                let n = side * side
                var x = [Float](repeating: 0, count: B * n), y = [Int32](repeating: 0, count: B)
                for b in 0..<B {
                    y[b] = Int32(b % 2)
                    for i in 0..<n { x[b * n + i] = (y[b] == 0 ? 0.5 : -0.5) + Float(rng.normal()) }
                }
                let r = trainer.step(images: x, labels: y)
                if step == 0 { first = r.loss }
                last = r.loss
            }
            return (first, last, model.params.array)
        }
    }

    @Test func learnsAndIsDeterministic() throws {
        let a = try run(seed: 5), b = try run(seed: 5)
        #expect(a.last < 0.2 * a.first, "loss \(a.first) → \(a.last)")
        #expect(a.params == b.params)
    }

    /// Reductions (bias, LayerNorm and LayerScale gradients) split rows by the row count, products
    /// into tiles by their shape, batches into shards by the model, never by the worker count, so
    /// the thread count changes nothing. 48 images of 17 tokens at width 128 give products of
    /// 816 × 128 × 256 (OpenBLAS's own threading would split these, and its AVX2 kernels then sum
    /// differently) that cut into 3 tiles. (The worker counts are scoped to this test's thread, `Engine.withWorkers`.)
    @Test func theThreadCountDoesNotChangeTraining() throws {
        let one = try run(seed: 7, threads: 1, side: 16, batch: 48, width: 128, steps: 6)
        let three = try run(seed: 7, threads: 3, side: 16, batch: 48, width: 128, steps: 6)
        let differing = zip(one.params, three.params).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of \(one.params.count) parameters differ")
        #expect(one.last != one.first)
    }
}
