import ArgumentParser
import WaveFormats

/// The root `wave` command: subcommands only.
public struct WaveCommand: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "wave",
        abstract: "Weight templates that make pretrained transformer weights reusable at any model size.",
        discussion: """
        wave reads pretrained transformer weights (ONNX, safetensors, Hugging Face and \
        sentence-transformers folders), condenses ViTs into shared weight templates, and expands \
        them into checkpoints of any depth and width, all on CPUs.

        Start with `wave inspect MODEL` to see what a file or folder holds and `wave convert` to get \
        timm-named safetensors or (--names hf -o DIR) a Hugging Face folder.

        Families (Sources/WaveFormats/Architecture/families/*.json):
        \(Family.supportText)
        """,
        version: version,
        subcommands: [
            Inspect.self, Convert.self, Export.self, Init.self, Train.self, Eval.self, Condense.self, Expand.self, PipelineCommand.self, Bench.self,
        ]
    )

    public init() {}
}
