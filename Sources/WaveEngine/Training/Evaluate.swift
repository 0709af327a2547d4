/// Top-1 accuracy of `model` over every example `loader` yields (its last partial batch counted
/// for its real size). The loader's batch size fixes the activations' batch.
public func evaluateTop1(model: ViTModel, loader: BatchLoader, activations: ViTActivations? = nil) -> Double {
    precondition(model.config.numClasses > 0, "top-1 needs a classifier head")
    let acts = activations ?? model.makeActivations(batch: loader.batchSize, inference: true)
    precondition(acts.batch == loader.batchSize, "activations for batch \(acts.batch), loader batch \(loader.batchSize)")
    loader.startEpoch(0)
    var correct = 0, total = 0
    for i in 0..<loader.batchesPerEpoch {
        let n = loader.fill(batch: i)
        model.forward(images: loader.images.pointer, acts, classTokenOnly: true)
        let pred = Loss.argmax(logits: acts.logits.pointer, batch: acts.batch, classes: model.config.numClasses)
        for j in 0..<n where pred[j] == Int(loader.labels[j]) { correct += 1 }
        total += n
    }
    return total == 0 ? 0 : Double(correct) / Double(total)
}
