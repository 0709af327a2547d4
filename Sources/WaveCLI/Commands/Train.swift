import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats
import WaveTensor

/// Options shared by the commands that read an IDX dataset and run the engine.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("An IDX dataset folder (train-/t10k- images and labels, gzipped or not).", valueName: "dir"))
    var data: String = IDXFolder.fashionMNIST

    @Option(help: "Use the first K training images only.")
    var images: Int?

    @Option(help: "Score the first K test images only (default: all).")
    var testImages: Int?

    @OptionGroup var engine: EngineOptions

    func load() throws -> (train: ImageDataset, test: ImageDataset) {
        engine.configureEngine()
        let folder = try IDXFolder(path: data)
        return (images.map { folder.train.prefix($0) } ?? folder.train, testImages.map { folder.test.prefix($0) } ?? folder.test)
    }
}

/// Loads a checkpoint and the config beside it (checked against the weights' copy) into an engine model.
func loadModel(_ path: String) throws -> ViTModel {
    let weights = try Safetensors.read(path: path)
    let model = try ViTModel(config: try Checkpoint.vitConfig(of: path, metadata: weights.metadata))
    try model.load(weights)
    return model
}

func writeMetrics(_ obj: [String: Any], to path: String?) throws {
    guard let path else { return }
    let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
    try writeFileAtomically(Array(data) + [10], to: path)
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a checkpoint on an IDX dataset (AdamW, warmup then cosine, label smoothing).",
        discussion: """
        The checkpoint's JSON config (beside it) says the architecture. Images are resized \
        bilinearly to the model's input size; three-channel models get grey images replicated with \
        ImageNet statistics, others Fashion-MNIST's. Progress (step, loss, images/s, ETA) goes to \
        stderr; the result to stdout and, with --metrics, to a JSON file.

        Example:
          wave init --depth 6 --width 192 --heads 3 --patch 4 --image-size 28 --channels 1 --classes 10 -o vit.safetensors
          wave train vit.safetensors --epochs 1 -o trained.safetensors --metrics m.json
        """)

    @Argument(help: "The checkpoint (.safetensors with its .json config beside it).")
    var checkpoint: String

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Passes over the training images.")
    var epochs: Int = 1

    @Option(help: "Images per step.")
    var batch: Int = 64

    @Option(help: "Peak learning rate.")
    var lr: Float = 1e-3

    @Option(help: "Warmup steps (default: 10% of all steps).")
    var warmup: Int?

    @Option(help: "Decoupled weight decay.")
    var weightDecay: Float = 0.05

    @Option(help: "Seed for shuffling.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: "Where to write the trained checkpoint (its config goes beside it).")
    var output: String

    @Option(help: "Write metrics JSON here (test_top1, train_loss, images_per_s, history).")
    var metrics: String?

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @OptionGroup var parallel: DataParallelOptions

    func validate() throws {
        guard epochs > 0, batch > 0, lr > 0 else { throw ValidationError("--epochs, --batch and --lr must be positive") }
        try checkSafetensorsOutput(output)
    }

    func run() throws {
        let model = try loadModel(checkpoint)
        let (train, test) = try dataOptions.load()
        guard model.config.numClasses == train.classes else {
            throw ValidationError("the model has \(model.config.numClasses) classes, the data \(train.classes)")
        }
        var recipe = TrainRecipe()
        recipe.epochs = epochs; recipe.batch = batch; recipe.lr = lr; recipe.weightDecay = weightDecay; recipe.seed = seed
        if let warmup {
            let total = max(1, train.count / min(batch, train.count) * epochs)
            recipe.warmupFraction = Double(warmup) / Double(total)
        }
        // Under mpirun each rank trains on its shards of every batch; rank 0 alone writes and prints.
        let dp = try DataParallel(group: Launch.group, batch: min(batch, train.count), shards: parallel.gradShards)
        let r = TrainEpochs.run(model, train: train, test: test, preprocess: .for(model.config), recipe: recipe,
                                quiet: quiet || !dp.isLead, parallel: dp)
        guard dp.isLead else { return }
        var out = model.export()
        out.metadata = ["format": "pt", "wave.trained": "\(epochs) epoch(s) on \(train.count) images of \(dataOptions.data)"]
        try Checkpoint.write(out, config: model.config.timmJSON(), to: try checkpointWeightsPath(output))
        let history = (0..<epochs).map { ["epoch": $0 + 1, "test_top1": r.top1[$0], "train_loss": Double(r.trainLoss[$0])] as [String: Any] }
        try writeMetrics(["test_top1": r.top1.last ?? 0, "train_loss": Double(r.trainLoss.last ?? .nan), "images_per_s": r.imagesPerSecond,
                          "steps": r.steps, "seconds": r.seconds, "train_images": train.count, "test_images": test.count,
                          "history": history], to: metrics)
        print(String(format: "trained %d epoch(s), %d steps, %.1f images/s; train loss %.4f, test top-1 %.2f%% (%d images)",
                     epochs, r.steps, r.imagesPerSecond, r.trainLoss.last ?? .nan, 100 * (r.top1.last ?? 0), test.count))
        if dp.plan.shards > 1 || dp.group.size > 1 { print("data parallel: \(dp.summary)") }
        print("wrote \(output)")
    }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score a checkpoint on an IDX dataset's test images.")

    @Argument(help: "The checkpoint (.safetensors with its .json config beside it).")
    var checkpoint: String

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Write metrics JSON here (test_top1, images).")
    var metrics: String?

    func run() throws {
        let model = try loadModel(checkpoint)
        let (_, test) = try dataOptions.load()
        guard model.config.numClasses == test.classes else {
            throw ValidationError("the model has \(model.config.numClasses) classes, the data \(test.classes)")
        }
        let start = Date()
        let loader = BatchLoader(dataset: test, batchSize: min(100, test.count), preprocess: .for(model.config), shuffle: false, dropLast: false)
        let top1 = evaluateTop1(model: model, loader: loader)
        let seconds = Date().timeIntervalSince(start)
        try writeMetrics(["test_top1": top1, "test_images": test.count, "images_per_s": Double(test.count) / max(seconds, 1e-9)], to: metrics)
        print(String(format: "test top-1 %.2f%% on %d images", 100 * top1, test.count))
    }
}
