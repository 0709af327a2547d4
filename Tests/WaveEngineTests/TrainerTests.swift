import Testing
import WaveFormats
@testable import WaveEngine

@Suite struct TrainerTests {
    /// Two classes of noisy 8×8 images (mean +½ or −½, noise σ 1): a tiny ViT must fit them within
    /// 40 steps, and the same seed must give bit-identical parameters. (A left-half/right-half
    /// task is not learnable this fast by a ViT — PyTorch's doesn't either: with near-uniform
    /// initial attention the class token sees the mean of the patches, equal for both classes.)
    func run(seed: UInt64) throws -> (first: Float, last: Float, params: [Float]) {
        Engine.configure(threads: 2)
        let config = ViTConfig(imageSize: 8, patchSize: 4, inChannels: 1, numClasses: 2, embedDim: 16, depth: 2,
                               numHeads: 2, mlpDim: 32)
        let model = try ViTModel(config: config, seed: seed)
        let B = 8
        let trainer = Trainer(model: model, batch: B, optimizer: AdamWConfig(weightDecay: 0.01),
                              schedule: CosineSchedule(baseLR: 3e-3, warmupSteps: 5, totalSteps: 40), labelSmoothing: 0)
        var rng = SeededRNG(seed: 99)
        var first: Float = 0, last: Float = 0
        for step in 0..<40 {
            var x = [Float](repeating: 0, count: B * 64), y = [Int32](repeating: 0, count: B)
            for b in 0..<B {
                y[b] = Int32(b % 2)
                for i in 0..<64 { x[b * 64 + i] = (y[b] == 0 ? 0.5 : -0.5) + Float(rng.normal()) }
            }
            let r = trainer.step(images: x, labels: y)
            if step == 0 { first = r.loss }
            last = r.loss
        }
        return (first, last, model.params.array)
    }

    @Test func learnsAndIsDeterministic() throws {
        let a = try run(seed: 5), b = try run(seed: 5)
        #expect(a.last < 0.2 * a.first, "loss \(a.first) → \(a.last)")
        #expect(a.params == b.params)
    }
}
