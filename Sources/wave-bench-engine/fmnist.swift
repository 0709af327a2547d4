import Foundation
import WaveEngine
import WaveFormats

/// Trains a ViT (width 192, 6 layers, 3 heads, patch 4) from scratch on Fashion-MNIST and reports
/// test top-1 after each epoch: the library-level check that training works.
@MainActor func trainFashionMNIST() {
    let dir = option("--dir", "/usr/share/datasets/fashion-mnist")
    let epochs = Int(option("--epochs", "1"))!, batch = Int(option("--batch", "64"))!
    let lr = Float(option("--lr", "1e-3"))!, size = Int(option("--size", "28"))!
    let limit = Int(option("--limit", "0"))!, seed = UInt64(option("--seed", "0"))!
    let warmup = Int(option("--warmup", "100"))!
    var train = try! ImageDataset.idx(images: dir + "/train-images-idx3-ubyte.gz", labels: dir + "/train-labels-idx1-ubyte.gz")
    let test = try! ImageDataset.idx(images: dir + "/t10k-images-idx3-ubyte.gz", labels: dir + "/t10k-labels-idx1-ubyte.gz")
    if limit > 0 { train = train.prefix(limit) }
    let config = ViTConfig(imageSize: size, patchSize: 4, inChannels: 1, numClasses: 10, embedDim: 192, depth: 6,
                           numHeads: 3, mlpDim: 768)
    let model = try! ViTModel(config: config, seed: seed)
    let pre = Preprocess.fashionMNIST(size: size)
    let loader = BatchLoader(dataset: train, batchSize: batch, preprocess: pre, shuffle: true, seed: seed, dropLast: true)
    let total = epochs * loader.batchesPerEpoch
    let trainer = Trainer(model: model, batch: batch, optimizer: AdamWConfig(weightDecay: 0.05),
                          schedule: CosineSchedule(baseLR: lr, minLR: lr / 100, warmupSteps: warmup, totalSteps: total),
                          labelSmoothing: 0.1, clipNorm: 1)
    let evalLoader = BatchLoader(dataset: test, batchSize: batch, preprocess: pre, shuffle: false, dropLast: false)
    print("ViT d192 L6 h3 p4 @\(size)px, \(train.count) train images, batch \(batch), \(total) steps, lr \(lr), \(threads) threads")
    let t0 = now()
    for epoch in 0..<epochs {
        loader.startEpoch(epoch)
        var running: Float = 0
        for i in 0..<loader.batchesPerEpoch {
            loader.fill(batch: i)
            let r = trainer.step(images: loader.images.pointer, labels: loader.labels)
            running = i == 0 ? r.loss : 0.98 * running + 0.02 * r.loss
            if i % 100 == 0 {
                let line = String(format: "  epoch %d step %4d  loss %.4f  lr %.2e  |g| %.2f  %.0f s\n",
                                  epoch, i, running, r.lr, r.gradNorm, now() - t0)
                FileHandle.standardError.write(line.data(using: .utf8)!)
            }
        }
        let trainTime = now() - t0
        evalLoader.startEpoch(0)
        var correct = 0
        for i in 0..<evalLoader.batchesPerEpoch {
            let n = evalLoader.fill(batch: i)
            let pred = trainer.predict(images: evalLoader.images.pointer)
            for j in 0..<n where pred[j] == Int(evalLoader.labels[j]) { correct += 1 }
        }
        print(String(format: "epoch %d: test top-1 %.2f%% (%d/%d), train time %.0f s, total %.0f s",
                     epoch + 1, 100 * Double(correct) / Double(test.count), correct, test.count, trainTime, now() - t0))
    }
}
