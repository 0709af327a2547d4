import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats
import WaveMethod
import WaveTensor

/// `wave expand --data DIR --fit-steps N ...`: the inheritance fit before materializing.
struct FitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("An IDX dataset folder: fit the target's scalers and head on its training images before writing.",
                               valueName: "dir"))
    var data: String?

    @Option(help: "Optimizer steps of the fit.")
    var fitSteps: Int = 200

    @Option(help: "Peak learning rate of the fit (AdamW, warmup then cosine).")
    var fitLR: Float = 1e-4

    @Option(help: "Images per fit step.")
    var fitBatch: Int = 64

    @Option(help: "Fit on the first K training images only.")
    var fitImages: Int?

    @Flag(help: "Also train the stem (patch embedding, class token, position embedding).")
    var fitStem = false

    @Flag(help: "Keep the final norm as expanded (by default it is fitted with the scalers and head).")
    var freezeNorms = false

    @Flag(help: "Start the new head from N(0, 0.02²) instead of a linear probe of the inherited features.")
    var randomHead = false

    @Option(help: ArgumentHelp("An ancestry (.onnx or .safetensors) to distil from during the fit: loss α·KD + (1−α)·CE.",
                               valueName: "model"))
    var teacher: String?

    @Option(help: "KD of the fit: feature (the ancestry's standardized class and mean patch tokens, reached through a ridge map fitted before the first step, so widths may differ) or logit (KL with temperature; the ancestry needs a head for the data's classes). Default: logit when the teacher has such a head, else feature.")
    var fitKD: KDKind?

    @Option(help: "Weight α of the fit's KD term.")
    var fitAlpha: Float = 0.5

    @Option(help: "Temperature τ of the fit's logit KD.")
    var fitTau: Float = 2

    @OptionGroup var engine: EngineOptions

    @OptionGroup var parallel: DataParallelOptions

    func validate() throws {
        guard fitSteps > 0, fitBatch > 0, fitLR > 0 else { throw ValidationError("--fit-steps, --fit-batch and --fit-lr must be positive") }
        if let fitImages, fitImages <= 0 { throw ValidationError("--fit-images must be positive") }
        guard (0...1).contains(fitAlpha), fitTau > 0 else { throw ValidationError("--fit-alpha must be in [0, 1] and --fit-tau positive") }
        if teacher != nil, data == nil { throw ValidationError("--teacher needs --data (the fit's images)") }
        if teacher == nil, fitKD != nil { throw ValidationError("--fit-kd needs --teacher") }
    }

    /// Fits and writes the target; returns lines for the report.
    func fitAndWrite(_ templates: WaveTemplates, request: ExpansionRequest, output: String, names: NameStyle,
                     format: OutputFormat = .safetensors, metadata: [String: String], quiet: Bool) throws -> [String] {
        guard let data else { return [] }
        engine.configureEngine()
        let folder = try IDXFolder(path: data)
        var train = folder.train
        if let fitImages { train = train.prefix(fitImages) }
        var r = request
        if r.classes == nil { r.classes = folder.train.classes }
        let model = try ScalerFit.targetModel(templates, r)
        guard model.config.numClasses == folder.train.classes else {
            throw ValidationError("the target has \(model.config.numClasses) classes but \(data) has \(folder.train.classes): pass --classes \(folder.train.classes)")
        }
        var s = FitSettings()
        s.steps = fitSteps; s.lr = fitLR; s.batch = fitBatch; s.trainStem = fitStem; s.trainNorms = !freezeNorms; s.probeHead = !randomHead; s.quiet = quiet
        s.gradShards = parallel.gradShards
        if let teacher { s.distillation = try distillation(from: teacher, images: train, imageSize: model.config.imageSize, quiet: quiet) }
        // Under mpirun every rank fits its shards of each batch; all end with the same model, rank 0 writes it.
        let report = try ScalerFit.fit(model, train: train, test: folder.test, preprocess: .for(model.config), settings: s, group: Launch.group)
        guard Launch.isLead else { return [] }
        let fitted = try model.materialize(depth: model.config.depth)
        let meta = metadata.merging(["wave.fit": "\(fitSteps) steps on \(train.count) images of \(data)"]) { $1 }
        var lines: [String] = []
        if format == .onnx {
            lines += try ONNXOutput.write(fitted, config: model.config, to: output, metadata: meta)
        } else {
            var out = names == .hf ? try Architecture.exportHF(fitted, config: model.config) : fitted
            out.metadata = meta
            try Checkpoint.write(out, config: model.config.configJSON(names: names), to: output)
        }
        lines += [String(format: "fit: %d steps on %d images in %.1f s, loss %.4f → %.4f, train top-1 %.1f%%",
                            report.steps, report.images, report.seconds, report.firstLoss, report.lastLoss, 100 * report.trainTop1)]
        if let kd = report.lastKD, let d = s.distillation {
            lines.append(String(format: "fit: %@ KD from %@ (α %.2f), KD loss %.4f over the last steps", d.kind.rawValue, teacher ?? "", d.alpha, kd))
        }
        let shards = parallel.gradShards ?? Launch.group.size
        if shards > 1 || Launch.group.size > 1 { lines.append("fit: data parallel, \(shards) gradient shards over \(Launch.group.summary)") }
        if let t = report.testTop1 { lines.append(String(format: "fit: test top-1 %.2f%% (first %d test images)", 100 * t, min(s.evalImages, folder.test.count))) }
        return lines
    }

    /// The teacher's outputs on the fit images (cached in $WAVE_CACHE/teacher, like condensation's).
    func distillation(from path: String, images: ImageDataset, imageSize: Int, quiet: Bool) throws -> FitDistillation {
        let (cache, _, detected) = try openAncestry(path)
        guard let config = detected.vit else { throw ValidationError("--teacher \(path) is not a ViT (\(detected.family.family))") }
        let kind = fitKD ?? (config.numClasses == images.classes ? .logit : .feature)
        if kind == .logit && config.numClasses != images.classes {
            throw ValidationError("--fit-kd logit needs a teacher with a head for \(images.classes) classes (\(path) has \(config.numClasses)); use --fit-kd feature")
        }
        guard imageSize % config.patchSize == 0 else {
            throw ValidationError("the target's image size \(imageSize) is not a multiple of the teacher's patch size \(config.patchSize)")
        }
        let key = Teacher.cacheKey(ancestry: path, imageSize: imageSize, logits: kind == .logit, data: images)
        let outputs = try Teacher.cached(folder: cache + "/teacher", key: key, count: images.count,
                                         dim: kind == .logit ? config.numClasses : 2 * config.embedDim, group: Launch.group) {
            try Teacher.compute(ancestry: detected.canonical, config: config, dataset: images, imageSize: imageSize,
                                logits: kind == .logit, quiet: quiet, group: Launch.group)
        }
        return FitDistillation(teacher: outputs, kind: kind, alpha: fitAlpha, tau: fitTau)
    }
}
