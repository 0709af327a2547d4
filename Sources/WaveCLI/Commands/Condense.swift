import ArgumentParser
import Foundation
import WaveFormats
import WaveMethod
import WaveTensor

struct Condense: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Condense a pretrained ViT into weight templates (a wave bundle): least squares, then distillation on data.",
        discussion: """
        For every templated component (qkv, proj, fc1, fc2 and each vector kind) the t×t blocks of \
        all layers are stacked and their best rank-N approximation (truncated SVD) gives the \
        templates and each layer's scalers: the least-squares optimal templates for the ancestry's \
        own weights. Stem, final norm and head are kept as ordinary tensors. Prints the relative \
        reconstruction error per component and the bundle's size against the ancestry's F32 size.

        With --data, the templates are then condensed further by knowledge distillation: an \
        auxiliary model whose blocks are built from the templates and scalers, at depths drawn \
        from --depths, learns the ancestry's standardized features (or logits) and the labels of \
        an IDX dataset's training images. The teacher's outputs are cached in $WAVE_CACHE/teacher; \
        a checkpoint (OUTPUT.ckpt) lets a killed run continue with --resume. The loss per step and \
        the probes are drawn in OUTPUT.curves.svg beside the bundle.

        Examples:
          wave condense ~/.cache/wave/vit_s_focus.onnx -o dinov2-s.wave
          wave condense model.safetensors -o small.wave --template-size 192 --templates qkv=12,vectors=2
          wave condense ~/.cache/wave/vit_s_focus.onnx -o dinov2-fm.wave \\
              --data /usr/share/datasets/fashion-mnist --images 10000 --epochs 2
        """)

    @Argument(help: "The ancestry (.onnx, .safetensors or .safetensors.index.json).")
    var ancestry: String

    @Option(name: .shortAndLong, help: "Output bundle path.")
    var output: String

    @Option(help: "Template size t (must divide the width and the MLP width; default: the ancestry's width).")
    var templateSize: Int?

    @Option(help: "Template counts, e.g. qkv=6,proj=2,fc1=8,fc2=8,vectors=4 (defaults: the paper's).")
    var templates: String?

    @Option(help: "A plan file: {\"template_size\": T, \"templates\": {\"qkv\": 6, ...}, \"layer_scale\": \"template\"}. Options given here win.")
    var plan: String?

    @Option(help: "LayerScale: template (two more templated vectors) or fold (multiplied into proj/fc2).")
    var layerScale: LayerScaleMode?

    @Option(help: "Stored dtype of templates and ordinary tensors: F32, F16 or BF16 (scalers stay F32). F16 rounding (~5e-4 relative) is far below the fit error and halves the bundle.")
    var dtype: String = "F16"

    @Option(help: "zstd level (1-22).")
    var zstdLevel: Int32 = 12

    @Option(help: "Attention heads, when the weights alone cannot tell (default: head dimension 64).")
    var heads: Int?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @OptionGroup(title: "Distillation")
    var distill: DistillOptions

    func validate() throws {
        guard DType(rawValue: dtype.uppercased()).map({ [.f32, .f16, .bf16].contains($0) }) == true else {
            throw ValidationError("--dtype must be F32, F16 or BF16 (got \(dtype))")
        }
        guard (1...22).contains(zstdLevel) else { throw ValidationError("--zstd-level must be 1...22") }
        if let t = templateSize, t <= 0 { throw ValidationError("--template-size must be positive") }
    }

    func run() throws {
        let start = Date()
        let log: (String) -> Void = { if !quiet && Launch.isLead { note($0) } }
        let model = try ModelFile.open(ancestry)
        var hints = model.configHints
        hints.override(heads: heads)
        let detected = try Architecture.detect(model.tensors, hints: hints)
        guard let config = detected.vit else {
            throw ValidationError("\(ancestry) is a \(detected.family.family) model: condense needs a ViT ancestry (timm ViT/DeiT, Hugging Face ViT/ViTMSN/DINOv2); BERT condensation is not implemented yet (see `wave --help`, Families)")
        }
        var p = try plan.map { try TemplatePlan.load(path: $0) } ?? TemplatePlan()
        if let templateSize { p.templateSize = templateSize }
        if let templates { try p.apply(overrides: templates) }
        if let layerScale { p.layerScale = layerScale }
        log("condensing \(detected.family.family) depth \(config.depth), width \(config.embedDim), \(Fmt.millions(detected.parameterCount)) parameters")
        let leastSquares = try Condenser.condense(canonical: detected.canonical, config: config, family: detected.family.family, plan: p, progress: log)
        let (fit, distillReport, curves) = try distill.distill(leastSquares, canonical: detected.canonical, config: config,
                                                               ancestryPath: ancestry, output: output, quiet: quiet)
        // Under mpirun every rank holds the same templates now; rank 0 alone writes and reports.
        guard Launch.isLead else { return }

        var options = BundleWriter.Options()
        options.dtype = DType(rawValue: dtype.uppercased())!
        options.zstdLevel = zstdLevel
        options.provenance = try Self.provenance(of: model.path)   // the weights file, also when a folder was given
        if let data = distill.data {
            options.metadata["distillation.data"] = data
            options.metadata["distillation.report"] = distillReport.joined(separator: "\n")
        }
        let manifest = try BundleWriter.write(fit, to: output, options: options)
        let bundleBytes = ((try? FileManager.default.attributesOfItem(atPath: output))?[.size] as? NSNumber)?.intValue ?? 0
        let seconds = Date().timeIntervalSince(start)
        log(String(format: "done in %.1f s", seconds))

        // The bundle is written: a distillation checkpoint has nothing left to resume.
        if distill.data != nil { try? FileManager.default.removeItem(atPath: output + ".ckpt") }
        let curvesPath = try curves.map { try Self.writeCurves($0, output: output, ancestry: ancestry, log: log) }
        let ancestryBytes = manifest.ancestryF32Bytes
        let ratio = Double(bundleBytes) / Double(ancestryBytes)
        if json {
            let obj: [String: Any] = [
                "bundle": output, "bundle_bytes": bundleBytes, "ancestry_f32_bytes": ancestryBytes, "ratio": ratio,
                "template_size": fit.templateSize, "dtype": options.dtype.rawValue, "seconds": seconds,
                "bundle_parameters": fit.parameterCount, "ancestry_parameters": fit.ancestryParameters,
                "distillation": distillReport, "curves": curvesPath ?? NSNull(),
                "components": fit.components.map { ["name": $0.spec.name, "templates": $0.shape.n, "requested": $0.requested,
                                                     "rel_error": $0.relError] as [String: Any] },
            ]
            print(Fmt.json(obj))
            return
        }
        let rows = fit.components.map { c -> [String] in
            [c.spec.name, c.spec.kind.rawValue, "\(c.shape.n)" + (c.shape.n < c.requested ? " (of \(c.requested))" : ""),
             "\(c.shape.tr)" + (c.spec.kind == .matrix ? "×\(c.shape.tc)" : ""), String(format: "%.4f", c.relError)]
        }
        print(Fmt.table(["component", "kind", "templates", "size", "rel. error"], rows))
        print("")
        print("bundle:   \(output), \(Fmt.count(bundleBytes)) bytes (\(options.dtype.rawValue), zstd \(zstdLevel)), \(Fmt.count(fit.parameterCount)) parameters")
        print("ancestry: \(Fmt.count(ancestryBytes)) bytes as F32, \(Fmt.count(fit.ancestryParameters)) parameters")
        print(String(format: "ratio:    %.4f (%.2f%% of the ancestry's F32 bytes)", ratio, 100 * ratio))
        for line in distillReport { print(line) }
    }

    /// OUTPUT.curves.svg: the distillation's loss per step and its probes (`DistillationCurves`).
    static func writeCurves(_ c: (losses: [Float], probes: [ProbePoint]), output: String, ancestry: String,
                            log: (String) -> Void) throws -> String {
        let path = output + ".curves.svg"
        let title = "Distillation of \(URL(fileURLWithPath: ancestry).lastPathComponent) into \(URL(fileURLWithPath: output).lastPathComponent): "
            + "\(c.losses.count) steps"
        try writeFileAtomically(Array(DistillationCurves.svg(losses: c.losses, probes: c.probes, title: title).utf8), to: path)
        log("wrote \(path)")
        return path
    }

    static func provenance(of path: String) throws -> BundleProvenance {
        var p = BundleProvenance()
        p.ancestryFile = URL(fileURLWithPath: path).lastPathComponent
        let file = try MappedFile(path: path)
        p.ancestrySHA256 = SHA256.hash(file.bytes)
        p.ancestryBytes = file.bytes.count
        p.tool = "wave \(WaveCommand.version)"
        p.command = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        p.created = f.string(from: Date())
        return p
    }
}

extension LayerScaleMode: ExpressibleByArgument {}
