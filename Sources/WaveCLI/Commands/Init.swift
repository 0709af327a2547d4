import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats
import WaveTensor

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a scratch ViT checkpoint (timm names) with its JSON config beside it.",
        discussion: """
        Example: wave init --depth 6 --width 192 --heads 3 --patch 4 --image-size 28 --channels 1 --classes 10 -o vit.safetensors
        """)

    @Option(help: "Blocks.") var depth: Int
    @Option(help: "Embedding width.") var width: Int
    @Option(help: "Attention heads.") var heads: Int
    @Option(help: "MLP width as a multiple of the width.") var mlpRatio: Double = 4
    @Option(help: "Patch size.") var patch: Int = 16
    @Option(help: "Input image size (a multiple of the patch size).") var imageSize: Int = 224
    @Option(help: "Input channels.") var channels: Int = 3
    @Option(help: "Classes of the head (0: no head).") var classes: Int = 1000
    @Option(help: "LayerScale initial value (default: no LayerScale).") var layerScale: Float?
    @Option(help: "trunc-normal (timm: N(0, 0.02²) truncated at ±2) or he.") var initScheme: InitChoice = .truncNormal
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(name: .shortAndLong, help: "Output .safetensors path.") var output: String

    enum InitChoice: String, ExpressibleByArgument, CaseIterable {
        case truncNormal = "trunc-normal", he
    }

    var config: ViTConfig {
        ViTConfig(imageSize: imageSize, patchSize: patch, inChannels: channels, numClasses: classes, embedDim: width, depth: depth,
                  numHeads: heads, mlpDim: Int((Double(width) * mlpRatio).rounded()), layerScaleInit: layerScale)
    }

    func validate() throws {
        if let problem = config.problems.first { throw ValidationError(problem) }
        try checkSafetensorsOutput(output)
    }

    func run() throws {
        let model = try ViTModel(config: config, scheme: initScheme == .he ? .he : .truncNormal, seed: seed)
        var set = model.export()
        set.metadata = ["format": "pt", "wave.init": initScheme.rawValue, "wave.seed": "\(seed)"]
        try Checkpoint.write(set, config: config.timmJSON(), to: try checkpointWeightsPath(output))
        print("wrote \(output): \(Fmt.count(config.parameterCount)) parameters (\(initScheme.rawValue), seed \(seed))")
    }
}
