import Foundation
import WaveTensor
import WaveFormats

/// Ordinary training of a model (`wave train`, and every initialization the pipeline compares:
/// one recipe, so that only the initialization differs).
public struct TrainRecipe: Sendable, Codable {
    public var epochs = 1
    public var batch = 64
    public var lr: Float = 1e-3
    public var warmupFraction = 0.1
    public var weightDecay: Float = 0.05
    public var labelSmoothing: Float = 0.1
    public var seed: UInt64 = 0
    public init() {}
}

public struct TrainResult: Sendable, Codable {
    /// Test top-1 after each epoch.
    public var top1: [Double]
    /// Mean training loss of each epoch.
    public var trainLoss: [Float]
    public var steps: Int
    public var seconds: Double
    public var imagesPerSecond: Double
}

public enum TrainEpochs {
    /// Trains `model` on `train` for `recipe.epochs`, scoring `test` after each epoch; with
    /// `parallel` (its batch min(recipe.batch, train.count)), each step's gradient is summed from
    /// its shards across the ranks.
    public static func run(_ model: ViTModel, train: ImageDataset, test: ImageDataset, preprocess: Preprocess,
                           recipe r: TrainRecipe, label: String = "train", quiet: Bool = false,
                           parallel: DataParallel? = nil) -> TrainResult {
        let B = min(r.batch, train.count)
        let loader = BatchLoader(dataset: train, batchSize: B, preprocess: preprocess, shuffle: true, seed: r.seed, dropLast: true)
        let total = max(1, loader.batchesPerEpoch * r.epochs)
        var opt = AdamWConfig()
        opt.weightDecay = r.weightDecay
        let trainer = Trainer(model: model, batch: B, optimizer: opt,
                              schedule: CosineSchedule(baseLR: r.lr, minLR: r.lr * 0.01,
                                                       warmupSteps: max(1, Int(Double(total) * r.warmupFraction)), totalSteps: total),
                              labelSmoothing: r.labelSmoothing, clipNorm: 1)
        let progress = ProgressReporter(label, total: total, quiet: quiet)
        var result = TrainResult(top1: [], trainLoss: [], steps: 0, seconds: 0, imagesPerSecond: 0)
        let start = Date()
        var trainSeconds = 0.0
        // Data parallel (`wave train` under mpirun): this rank reads and computes its shards only.
        if let parallel { trainer.distribute(parallel); loader.positions = parallel.localImages }
        for epoch in 0..<r.epochs {
            loader.startEpoch(epoch)
            var sum: Float = 0
            let t0 = Date()
            for b in 0..<loader.batchesPerEpoch {
                loader.fill(batch: b)
                let s = trainer.step(images: loader.images.pointer, labels: loader.labels)
                sum += s.loss
                result.steps += 1
                progress.update(result.steps, extra: String(format: "epoch %d, loss %.4f", epoch + 1, s.loss))
            }
            trainSeconds += Date().timeIntervalSince(t0)
            result.trainLoss.append(sum / Float(max(loader.batchesPerEpoch, 1)))
            let eval = BatchLoader(dataset: test, batchSize: min(100, test.count), preprocess: preprocess, shuffle: false, dropLast: false)
            result.top1.append(evaluateTop1(model: model, loader: eval))
        }
        progress.finish()
        result.seconds = Date().timeIntervalSince(start)
        result.imagesPerSecond = Double(result.steps * B) / max(trainSeconds, 1e-9)
        return result
    }
}
