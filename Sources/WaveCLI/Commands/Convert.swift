import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats
import WaveMethod
import WaveTensor

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write canonical safetensors, with a JSON config beside them, from any supported input.",
        discussion: """
        Reads ONNX or safetensors weights, recognizes the family, checks every tensor strictly, \
        and writes only the recognized model (tensors outside it, such as a decoder, are left \
        out and listed). Beside OUT.safetensors goes OUT.json: the timm VisionTransformer keyword \
        arguments, or with --names hf the Hugging Face config.json (BERT: always). With -o DIR the \
        output is a model folder (DIR/model.safetensors or shards + index, DIR/config.json) that \
        `from_pretrained(DIR)` loads strictly with --names hf.

        Examples:
          wave convert ~/.cache/wave/vit_s_focus.onnx -o dinov2-s14.safetensors
          wave convert model.safetensors -o hf.safetensors --names hf --shard-size 50MB
          wave convert ~/.cache/wave/all-minilm-l6-v2 -o minilm --names hf   (a BertModel folder)
          wave convert ~/.cache/wave/vit_s_focus.onnx -o dinov2-fm.safetensors \\
              --probe-head /usr/share/datasets/fashion-mnist   (a classifier ancestry, for logit KD)
        """)

    @Argument(help: "The input model (.onnx, .safetensors or .safetensors.index.json).")
    var input: String

    @Option(name: .shortAndLong, help: "Output .safetensors path, or a folder (gets model.safetensors and config.json, as Hugging Face folders).")
    var output: String

    @Option(help: "Tensor names to write: timm (fused qkv; wave's canonical BERT names) or hf (Hugging Face ViT, Dinov2, BERT classes, loadable with from_pretrained).")
    var names: NameStyle = .timm

    @Option(help: "Attention heads (overrides config.json and the ONNX graph; without either: head dimension 64).")
    var heads: Int?

    @Option(help: "Split the output into shards of at most this size (e.g. 500MB, 2GB), with an index JSON.")
    var shardSize: ByteSize?

    @Option(help: ArgumentHelp("Give a ViT backbone a classifier head for this IDX dataset: the ridge-regression probe of its final class token (a classifier ancestry, for logit KD).", valueName: "dir"))
    var probeHead: String?

    @Option(help: "Training images the probe head is fitted on (the first K).")
    var probeImages = 2000

    @Option(help: "Input size the probe head is fitted at (the size condensation and the fit will run the ancestry at).")
    var probeImageSize = 56

    func validate() throws {
        guard probeImages > 1, probeImageSize > 0 else { throw ValidationError("--probe-images must be above 1 and --probe-image-size positive") }
        try checkSafetensorsOutput(output)
    }

    func run() throws {
        let model = try ModelFile.open(input)
        var hints = model.configHints
        hints.override(heads: heads)
        let detected = try Architecture.detect(model.tensors, hints: hints)
        var out: TensorSet
        let configJSON: String
        if var vit = detected.vit {
            var canonical = detected.canonical
            if let probeHead {
                let folder = try IDXFolder(path: probeHead)
                guard probeImageSize % vit.patchSize == 0 else {
                    throw ValidationError("--probe-image-size \(probeImageSize) is not a multiple of the patch size \(vit.patchSize)")
                }
                let images = folder.train.prefix(probeImages)
                let test = folder.test.prefix(2000)
                let head = try LinearProbe.backboneClassifier(canonical: canonical, config: vit, train: images, test: test,
                                                              imageSize: probeImageSize, quiet: false)
                let K = images.classes
                canonical.set("head.weight", RawTensor(shape: [K, vit.embedDim], floats: head.weight))
                canonical.set("head.bias", RawTensor(shape: [K], floats: head.bias))
                vit.numClasses = K
                print(String(format: "probe head: %d classes, fitted on %d training images at %d px; test top-1 %.1f%% (first %d test images)",
                             K, images.count, probeImageSize, 100 * head.testTop1, test.count))
            }
            out = names == .hf ? try Architecture.exportHF(canonical, config: vit) : canonical
            if names == .hf { Architecture.carryHFOnly(detected, source: model.tensors, into: &out, written: vit.hfFamily) }
            configJSON = vit.configJSON(names: names)
        } else if let bert = detected.bert {
            out = names == .timm ? detected.canonical : try Architecture.exportBertHF(detected.canonical, config: bert)
            configJSON = bert.hfJSON()
        } else {
            throw ValidationError("nothing to convert")
        }
        out.metadata = ["format": "pt", "wave.family": detected.family.family, "wave.names": names.rawValue,
                        "wave.source": URL(fileURLWithPath: input).lastPathComponent]
        for fact in detected.facts where fact.source.hasPrefix("assumed") {
            note("\(fact.name) \(fact.value) \(fact.source)")   // written into the config: say so
        }
        let weights = try checkpointWeightsPath(output)
        let written = try Checkpoint.write(out, config: configJSON, to: weights, maxShardBytes: shardSize?.bytes)
        let configPath = ViTConfig.configPath(besideCheckpoint: weights)
        // Sharded, the checkpoint is its index (what readers open) plus the shards it names.
        let shards = written.count > 1 ? " in \(written.count - 1) shards (\(URL(fileURLWithPath: written[0]).lastPathComponent), ...)" : ""
        print("wrote \(written.last!): \(out.count) tensors\(shards), \(Fmt.count(detected.parameterCount)) parameters (\(detected.family.family) → \(names.rawValue) names)")
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
