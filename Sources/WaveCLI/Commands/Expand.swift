import ArgumentParser
import Foundation
import WaveFormats
import WaveMethod
import WaveTensor

struct Expand: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a checkpoint of any depth and width from a wave bundle.",
        discussion: """
        Scalers for the target's layers come from the bundle's by linear interpolation (or TLEG's \
        linear fit); wider targets pad them block-diagonally (exactly function-preserving for integer \
        width factors with the heads scaled alike and --noise 0), narrower ones keep the leading \
        sub-grid. The stem is resampled for a new grid, patch size or channel count; the head is \
        inherited when the classes match, else new. Then W' = Σ S' ⊗ T is written tensor by tensor \
        as safetensors with its timm config JSON beside it.

        Examples:
          wave expand dinov2-s.wave --depth 6 --width 384 -o s6.safetensors
          wave expand dinov2-s.wave --depth 12 --width 768 --image-size 224 --classes 10 -o b.safetensors
          wave expand dinov2-s-t192.wave --depth 4 --width 192 --dry-run   (a bundle condensed with --template-size 192)
          wave expand dinov2-s.wave --depth 6 --width 768 --dry-run --plot pictures/
          wave expand dinov2-fm.wave --depth 4 --width 768 -o s4.safetensors --data /usr/share/datasets/fashion-mnist \\
              --fit-images 2000 --fit-steps 150 --teacher ~/.cache/wave/vit_s_focus.onnx   (fit with CE + feature KD)
        """)

    @Argument(help: "A bundle made by `wave condense`.")
    var bundle: String

    @Option(help: "Target depth L'.")
    var depth: Int

    @Option(help: "Target width D' (a multiple of the template size).")
    var width: Int

    @Option(help: "Target heads (default: scaled with the width, head dimension kept).")
    var heads: Int?

    @Option(help: "Patch size (default: the ancestry's).")
    var patch: Int?

    @Option(help: "Image size (default: the ancestry's, or its grid times a new patch size).")
    var imageSize: Int?

    @Option(help: "Input channels (default: the ancestry's).")
    var channels: Int?

    @Option(help: "Classes of the head (0: none; default: the ancestry's).")
    var classes: Int?

    @Option(help: "Scalers for the target's layers: interp or linear-fit (TLEG).")
    var depthInit: DepthInit = .interp

    @Option(help: "ε: N(0, ε²) noise in the off-diagonal scaler blocks of wider targets.")
    var noise: Float = 0

    @Option(help: "Seed for the noise and a new head.")
    var seed: UInt64 = 0

    @Option(help: "Tensor names: timm, or hf (a Hugging Face ViT/Dinov2 class's names and config.json).")
    var names: NameStyle = .timm

    @Option(name: .shortAndLong, help: "Output .safetensors path (the config goes beside it as .json), a folder (model.safetensors + config.json), or .onnx with --format onnx.")
    var output: String?

    @Option(help: "Output: safetensors (a checkpoint) or onnx (its inference graph, as `wave export` writes it).")
    var format: OutputFormat = .safetensors

    @Flag(help: "Print the plan (every output tensor and where it comes from) and write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Write a picture of what each target layer draws from (source layers, each template's share) into DIR as expand-L'xD'.svg.",
                               valueName: "dir"))
    var plot: String?

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @OptionGroup(title: "Fit on data (templates frozen; scalers, head and norms trained)")
    var fit: FitOptions

    func validate() throws {
        if !dryRun {
            guard let output else { throw ValidationError("give -o OUT.\(format == .onnx ? "onnx" : "safetensors") (or --dry-run)") }
            try format == .onnx ? checkONNXOutput(output) : checkSafetensorsOutput(output)
        }
        if format == .onnx && names != .timm { throw ValidationError("--names is for safetensors outputs; an ONNX graph keeps timm names") }
        for (value, option) in [(depth, "--depth"), (width, "--width"), (heads, "--heads"), (patch, "--patch"), (imageSize, "--image-size"), (channels, "--channels")] {
            try checkPositive(value, option)
        }
        if let classes, classes < 0 { throw ValidationError("--classes must be 0 (no head) or more (got \(classes))") }
        guard noise >= 0, noise.isFinite else { throw ValidationError("--noise must be ≥ 0") }
    }

    func run() throws {
        let start = Date()
        let log: (String) -> Void = { if !quiet && Launch.isLead { note($0) } }
        let b = try openBundle(bundle)
        let templates: WaveTemplates
        do { templates = try b.templates() } catch { throw BundleFileError(path: bundle, reason: "\(error)") }
        var r = ExpansionRequest(depth: depth, width: width)
        r.heads = heads; r.patch = patch; r.imageSize = imageSize; r.channels = channels; r.classes = classes
        r.depthInit = depthInit; r.noise = noise; r.seed = seed
        let plan = try Expander.plan(templates, r)
        if let plot {
            let written = try writePictures([("expand-\(depth)x\(width).svg", try ExpansionPicture.svg(templates, r))], into: plot)
            log("wrote \(written[0])")
        }
        let s = plan.source, t = plan.target
        let summary = "\(s.depth)×\(s.embedDim) (\(s.numHeads) heads) → \(t.depth)×\(t.embedDim) (\(t.numHeads) heads, MLP \(t.mlpDim)), "
            + "image \(t.imageSize), patch \(t.patchSize), channels \(t.inChannels), classes \(t.numClasses), "
            + "\(Fmt.count(t.parameterCount)) parameters"
        if dryRun {
            print("plan: \(summary)")
            for n in plan.notes { print("note: \(n)") }
            let layout = try plan.outputLayout(names: names)
            var rows: [[String]] = [], origins: [String] = []
            for (e, out) in zip(plan.entries, layout) {
                for (i, o) in out.outputs.enumerated() {
                    rows.append([o.name, Fmt.shape(o.shape)])
                    origins.append(i == 0 ? e.origin : "part \(i + 1) of \(e.name)")
                }
            }
            let lines = Fmt.table(["tensor", "shape"], rows).split(separator: "\n", omittingEmptySubsequences: false)
            print(lines[0] + "  from")
            for (line, origin) in zip(lines.dropFirst(), origins) { print(line + "  ← " + origin) }
            return
        }
        log("expanding \(summary)")
        for n in plan.notes { log("  \(n)") }
        let meta = ["format": "pt", "wave.bundle": URL(fileURLWithPath: bundle).lastPathComponent,
                    "wave.depth_init": depthInit.rawValue, "wave.noise": "\(noise)", "wave.names": names.rawValue]
        if fit.data != nil {
            let weights = format == .onnx ? output! : try checkpointWeightsPath(output!)
            let lines = try fit.fitAndWrite(templates, request: r, output: weights, names: names, format: format, metadata: meta, quiet: quiet)
            guard Launch.isLead else { return }
            print("wrote \(output!): \(Fmt.count(t.parameterCount)) parameters after the fit, in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
            for line in lines { print(line) }
            return
        }
        // Materializing: the products are thin (N ≤ a few dozen) and single-threaded (OpenBLAS always
        // is in wave); the work is memory traffic and the write.
        MemoryPolicy.reuseLargeBlocks()
        if format == .onnx {
            for line in try ONNXOutput.write(plan.materialize(), config: t, to: output!, metadata: meta) { print(line) }
            return
        }
        let weights = try checkpointWeightsPath(output!)
        let bytes = try plan.write(to: weights, names: names, metadata: meta, progress: log)
        let seconds = Date().timeIntervalSince(start)
        // HF names split fused tensors (qkv into query, key, value) and add HF-only ones: count what the file holds.
        let tensors = try plan.outputLayout(names: names).reduce(0) { $0 + $1.outputs.count } + (names == .hf ? Architecture.hfOnlyTensors(t).count : 0)
        print("wrote \(weights): \(tensors) tensors, \(Fmt.count(t.parameterCount)) parameters, \(Fmt.bytes(bytes)) in \(String(format: "%.2f", seconds)) s")
        print("wrote \(ViTConfig.configPath(besideCheckpoint: weights))")
    }
}

extension DepthInit: ExpressibleByArgument {}
