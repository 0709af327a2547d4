import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats
import WaveTensor

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a ViT checkpoint as an ONNX inference graph.",
        discussion: """
        Reads any model wave reads (safetensors with its config, sharded safetensors, ONNX), \
        recognizes the family, and writes the model's forward as standard ONNX operators (opset 17) \
        with a free batch axis: input pixel_values [batch, C, S, S], outputs features (the final \
        norm's tokens, class token first) and, when the model has a head, logits. Weights are stored \
        in raw_data under their timm names; a model above 2 GiB keeps them in an external data file \
        beside the .onnx. The config and the preprocessing (resize, mean, std) go into the metadata, \
        so `wave inspect` reads the file back as the same model. Tensors beside the recognized model \
        (a decoder) are left out.

        Examples:
          wave export s4.safetensors -o s4.onnx
          wave export ~/.cache/wave/vit_s_focus.onnx --image-size 224 -o dinov2-s14-224.onnx
        """)

    @Argument(help: "The model (.safetensors with its config beside it, .safetensors.index.json, or .onnx).")
    var input: String

    @Option(name: .shortAndLong, help: "Output .onnx path.")
    var output: String

    @Option(help: "Attention heads, when the weights alone cannot tell (default: the config's, else head dimension 64).")
    var heads: Int?

    @Option(help: "Image size the graph takes (default: the model's; another size resamples the position embeddings bicubically, as the engine does).")
    var imageSize: Int?

    func validate() throws {
        try checkONNXOutput(output)
        try checkPositive(heads, "--heads")
        try checkPositive(imageSize, "--image-size")
    }

    func run() throws {
        let model = try ModelFile.open(input)
        var hints = model.configHints
        if let heads { hints.heads = heads }
        let detected = try Architecture.detect(model.tensors, hints: hints)
        guard var config = detected.vit else {
            throw ValidationError("\(input) is a \(detected.family.family) model: ONNX export covers ViTs only (wave has no BERT forward to export yet)")
        }
        var canonical = detected.canonical
        if let imageSize, imageSize != config.imageSize {
            guard imageSize % config.patchSize == 0 else {
                throw ValidationError("--image-size \(imageSize) is not a multiple of the patch size \(config.patchSize)")
            }
            let grid = config.gridSize
            config.imageSize = imageSize
            let pos = PosEmbed.resample(canonical["pos_embed"]!.floats(), dim: config.embedDim, from: grid, to: config.gridSize)
            canonical.set("pos_embed", RawTensor(shape: [1, config.tokens, config.embedDim], floats: pos))
        }
        let meta = ["wave.family": detected.family.family, "wave.source": URL(fileURLWithPath: input).lastPathComponent]
        for line in try ONNXOutput.write(canonical, config: config, to: output, metadata: meta) { print(line) }
        if !detected.extras.isEmpty {
            print("left out \(detected.extras.count) tensors that are not part of the model (e.g. \(detected.extras[0]))")
        }
    }
}
