import ArgumentParser
import Foundation
import WaveFormats
import WaveTensor

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write canonical safetensors, with a JSON config beside them, from any supported input.",
        discussion: """
        Reads ONNX or safetensors weights, recognizes the family, checks every tensor strictly, \
        and writes only the recognized model (tensors outside it, such as a decoder, are left \
        out and listed). Beside OUT.safetensors goes OUT.json: the timm VisionTransformer keyword \
        arguments (or the BERT config for BERT encoders).

        Examples:
          wave convert ~/.cache/wave/vit_s_focus.onnx -o dinov2-s14.safetensors
          wave convert model.safetensors -o hf.safetensors --names hf --shard-size 50MB
        """)

    @Argument(help: "The input model (.onnx, .safetensors or .safetensors.index.json).")
    var input: String

    @Option(name: .shortAndLong, help: "Output .safetensors path.")
    var output: String

    @Option(help: "Tensor names to write: timm (fused qkv) or hf (Hugging Face ViT/DINOv2).")
    var names: NameStyle = .timm

    @Option(help: "Attention heads, when the weights alone cannot tell (default: head dimension 64).")
    var heads: Int?

    @Option(help: "Split the output into shards of at most this size (e.g. 500MB, 2GB), with an index JSON.")
    var shardSize: ByteSize?

    func validate() throws {
        guard output.hasSuffix(".safetensors") else {
            throw ValidationError("the output must end in .safetensors (got \(output))")
        }
    }

    func run() throws {
        let model = try ModelFile.open(input)
        var hints = model.configHints
        if let heads { hints.heads = heads }
        let detected = try Architecture.detect(model.tensors, hints: hints)
        var out: TensorSet
        let configJSON: String
        if let vit = detected.vit {
            out = try Architecture.export(detected.canonical, config: vit, names: names)
            configJSON = vit.timmJSON()
        } else if let bert = detected.bert {
            out = names == .timm ? detected.canonical : try Architecture.exportBert(detected.canonical, layers: bert.layers)
            configJSON = bert.hfJSON()
        } else {
            throw ValidationError("nothing to convert")
        }
        out.metadata = ["format": "pt", "wave.family": detected.family.family, "wave.names": names.rawValue,
                        "wave.source": URL(fileURLWithPath: input).lastPathComponent]
        try Safetensors.write(out, to: output, maxShardBytes: shardSize?.bytes)
        let configPath = ViTConfig.configPath(besideCheckpoint: output)
        try writeFileAtomically(Array(configJSON.utf8), to: configPath)
        print("wrote \(output): \(out.count) tensors, \(Fmt.count(detected.parameterCount)) parameters (\(detected.family.family) → \(names.rawValue) names)")
        print("wrote \(configPath)")
        if !detected.extras.isEmpty {
            print("left out \(detected.extras.count) tensors that are not part of the ancestry (e.g. \(detected.extras[0]))")
        }
    }
}

extension NameStyle: ExpressibleByArgument {}

/// A size such as `500MB`, `2GB` or a plain byte count.
struct ByteSize: ExpressibleByArgument {
    let bytes: Int
    init?(argument: String) {
        let s = argument.uppercased().replacingOccurrences(of: "IB", with: "B")
        let units: [(String, Int)] = [("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)]
        for (u, m) in units where s.hasSuffix(u) {
            guard let v = Double(s.dropLast(u.count)), v > 0 else { return nil }
            bytes = Int(v * Double(m))
            return
        }
        guard let v = Int(s), v > 0 else { return nil }
        bytes = v
    }
}
