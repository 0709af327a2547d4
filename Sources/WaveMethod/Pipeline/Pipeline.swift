import Foundation
import WaveTensor
import WaveFormats
import WaveEngine

/// The whole method on real inputs: condense an ancestry (least squares, then distillation),
/// expand to several targets with a scaler fit, train each, and compare with the same
/// architectures from scratch and with Direct PT (scratch trained on the condensation images).
public struct PipelineSettings: Sendable {
    public var condenseImages = 20_000
    public var condenseEpochs = 1.0
    public var imageSize = 56
    public var distillDepths = [4, 6, 8, 12]
    public var targets: [(depth: Int, width: Int)] = [(2, 384), (4, 384), (6, 384), (2, 768)]
    /// Training images of the targets (the low-data regime the method is for), and of the fit.
    public var trainImages = 2000
    public var fitSteps = 150
    public var fitLR: Float = 1e-4
    public var recipe = TrainRecipe()
    /// Learning rate of training after WAVE (an inherited model wants a gentler step than scratch).
    public var waveLR: Float = 5e-6
    /// Direct PT (scratch on the condensation images) for the first this many targets: it costs
    /// an epoch over all condensation images per target.
    public var directPTTargets = 1
    public var testImages = 10_000
    public var seed: UInt64 = 0
    public var quiet = false
    public init() {}
}

public struct PipelineRow: Sendable, Codable {
    public var depth: Int
    public var width: Int
    public var parameters: Int
    /// Template and scaler parameters the target's blocks are built from (what WAVE transfers).
    public var transferred: Int
    public var fitTop1: Double
    public var waveTop1: Double
    public var scratchTop1: Double
    public var directPTTop1: Double?
    public var seconds: Double
}

/// `wave pipeline`'s OUT/report.json (Schemas/pipeline-report.schema.json).
public struct PipelineReport: Sendable, Codable {
    public var bundleBytes: Int
    public var ancestryBytes: Int
    public var ratio: Double
    public var condenseSeconds: Double
    public var distillation: [String]
    public var probes: [ProbePoint]
    public var rows: [PipelineRow]
    public var seconds: Double
}

public enum Pipeline {
    /// Runs everything; `log` receives progress lines (stderr in the CLI).
    public static func run(ancestry: DetectedModel, ancestryPath: String, data: IDXFolder, outDir: String,
                           settings s: PipelineSettings, teacherCache: String, log: (String) -> Void) throws -> PipelineReport {
        let start = Date()
        guard let config = ancestry.vit else { throw ExpandError.invalidTarget("the ancestry is not a ViT") }
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)

        // 1. Condense: least squares, then distillation on the first `condenseImages` images.
        log("1/3 condensing \(ancestry.family.family) (\(config.depth)×\(config.embedDim)) on \(s.condenseImages) images at \(s.imageSize) px")
        var cs = CondenseSettings()
        cs.images = s.condenseImages; cs.epochs = s.condenseEpochs; cs.imageSize = s.imageSize; cs.depths = s.distillDepths
        cs.seed = s.seed; cs.quiet = s.quiet
        let condensed = try condense(ancestry: ancestry, ancestryPath: ancestryPath, data: data, settings: cs,
                                     bundlePath: outDir + "/ancestry.wave", teacherCache: teacherCache, command: "wave pipeline")
        let templates = condensed.templates, bundleBytes = condensed.bundleBytes, bundlePath = condensed.bundlePath
        let condenseSet = data.train.prefix(s.condenseImages)
        let condenseSeconds = Date().timeIntervalSince(start)
        log(String(format: "   bundle %@: %d bytes, %.1f%% of the ancestry's F32 bytes, in %.0f s", bundlePath, bundleBytes,
                   100 * Double(bundleBytes) / Double(4 * ancestry.parameterCount), condenseSeconds))

        // 2-3. Each target: expand + fit, train; scratch and Direct PT on the same architecture.
        let train = data.train.prefix(s.trainImages), test = data.test.prefix(s.testImages)
        var rows: [PipelineRow] = []
        for (i, target) in s.targets.enumerated() {
            let t0 = Date()
            log("2/3 target \(i + 1)/\(s.targets.count): depth \(target.depth), width \(target.width)")
            var r = ExpansionRequest(depth: target.depth, width: target.width)
            r.classes = data.train.classes
            r.seed = s.seed
            let model = try ScalerFit.targetModel(templates, r)
            let cfg = model.config
            let pre: Preprocess = .imageNet(size: cfg.imageSize)
            var fs = FitSettings()
            fs.steps = s.fitSteps; fs.lr = s.fitLR; fs.quiet = s.quiet; fs.seed = s.seed; fs.evalImages = s.testImages
            let fit = try ScalerFit.fit(model, train: train, test: test, preprocess: pre, settings: fs)
            let inherited = try model.build(depth: cfg.depth)
            var waveRecipe = s.recipe
            waveRecipe.lr = s.waveLR
            let wave = TrainEpochs.run(inherited, train: train, test: test, preprocess: pre, recipe: waveRecipe,
                                       label: "   train (WAVE)", quiet: s.quiet)
            let scratchModel = try ViTModel(config: cfg, scheme: .truncNormal, seed: s.seed &+ 1)
            let scratch = TrainEpochs.run(scratchModel, train: train, test: test, preprocess: pre, recipe: s.recipe,
                                          label: "   train (scratch)", quiet: s.quiet)
            var direct: Double?
            if i < s.directPTTargets {
                let m = try ViTModel(config: cfg, scheme: .truncNormal, seed: s.seed &+ 2)
                direct = TrainEpochs.run(m, train: condenseSet, test: test, preprocess: pre, recipe: s.recipe,
                                         label: "   train (Direct PT)", quiet: s.quiet).top1.last
            }
            let transferred = model.components.reduce(0) { $0 + $1.shape.templateCount + cfg.depth * $1.shape.scalerCount }
            let row = PipelineRow(depth: cfg.depth, width: cfg.embedDim, parameters: cfg.parameterCount, transferred: transferred,
                                  fitTop1: fit.testTop1 ?? 0, waveTop1: wave.top1.last ?? 0, scratchTop1: scratch.top1.last ?? 0,
                                  directPTTop1: direct, seconds: Date().timeIntervalSince(t0))
            log(String(format: "   fit %.1f%%, WAVE %.1f%%, scratch %.1f%%", 100 * row.fitTop1, 100 * row.waveTop1, 100 * row.scratchTop1)
                + (direct.map { String(format: ", Direct PT %.1f%%", 100 * $0) } ?? ""))
            rows.append(row)
        }
        return PipelineReport(bundleBytes: bundleBytes, ancestryBytes: 4 * ancestry.parameterCount,
                              ratio: Double(bundleBytes) / Double(4 * ancestry.parameterCount), condenseSeconds: condenseSeconds,
                              distillation: condensed.summary, probes: condensed.probes, rows: rows, seconds: Date().timeIntervalSince(start))
    }

    /// The ancestry's pooled features on a set of images (the condensation set, or a fit set of
    /// `wave bench`), cached under `Teacher.cacheKey` like every command's.
    public static func teacherFeatures(ancestry: DetectedModel, ancestryPath: String, images: ImageDataset, imageSize: Int,
                                       cache: String, quiet: Bool) throws -> TeacherFeatures {
        guard let config = ancestry.vit else { throw ExpandError.invalidTarget("the ancestry is not a ViT") }
        let key = Teacher.cacheKey(ancestry: ancestryPath, imageSize: imageSize, logits: false, data: images)
        return try Teacher.cached(folder: cache, key: key, count: images.count, dim: 2 * config.embedDim) {
            try Teacher.compute(ancestry: ancestry.canonical, config: config, dataset: images, imageSize: imageSize, quiet: quiet)
        }
    }

    /// Least squares, then distillation on the first `settings.images` training images (teacher
    /// outputs cached in `teacherCache`); writes the bundle (F16) and reads it back, so that what
    /// follows uses what the bundle holds.
    public static func condense(ancestry: DetectedModel, ancestryPath: String, data: IDXFolder, settings c: CondenseSettings,
                                bundlePath: String, teacherCache: String, command: String) throws -> CondensedBundle {
        guard let config = ancestry.vit else { throw ExpandError.invalidTarget("the ancestry is not a ViT") }
        let leastSquares = try Condenser.condense(canonical: ancestry.canonical, config: config, family: ancestry.family.family,
                                                  plan: TemplatePlan(templateSize: c.templateSize))
        let condenseSet = data.train.prefix(c.images)
        var ds = DistillSettings()
        ds.batch = c.batch; ds.imageSize = c.imageSize; ds.depths = c.depths.filter { $0 <= max(config.depth, 1) }; ds.seed = c.seed; ds.quiet = c.quiet
        if ds.depths.isEmpty { ds.depths = [config.depth] }
        // epochs 0: the least-squares templates alone (no distillation steps).
        ds.steps = Int((c.epochs * Double(condenseSet.count) / Double(ds.batch)).rounded())
        ds.warmup = max(1, ds.steps / 20)
        ds.probeDepths = [min(4, config.depth), config.depth]
        ds.probeImages = min(2000, c.images)
        let teacher = try teacherFeatures(ancestry: ancestry, ancestryPath: ancestryPath, images: condenseSet, imageSize: c.imageSize, cache: teacherCache, quiet: c.quiet)
        let distiller = try Distiller(templates: leastSquares, teacher: teacher, dataset: condenseSet, settings: ds)
        distiller.probeSet = data.test
        try distiller.probe()
        if ds.steps > 0 {
            try distiller.run()
            try distiller.probe()
        }
        var options = BundleWriter.Options()
        options.dtype = .f16
        options.provenance.ancestryFile = URL(fileURLWithPath: ancestryPath).lastPathComponent
        options.provenance.command = command
        try BundleWriter.write(distiller.result(), to: bundlePath, options: options)
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: bundlePath))?[.size] as? NSNumber)?.intValue ?? 0
        var lines: [String] = []
        if let l = distiller.lossHistory.first, let e = distiller.lossHistory.last {
            lines.append(String(format: "%d distillation steps, loss %.3f → %.3f", distiller.step, l, e))
        }
        return CondensedBundle(templates: try WaveBundle(path: bundlePath).templates(), bundlePath: bundlePath, bundleBytes: bytes,
                               steps: distiller.step, images: distiller.step * ds.batch, summary: lines, probes: distiller.probes)
    }
}

/// How `Pipeline.condense` condenses.
public struct CondenseSettings: Sendable {
    public var images = 20_000
    public var epochs = 1.0
    public var imageSize = 56
    public var depths = [4, 6, 8, 12]
    public var batch = 64
    /// Template size (nil: the ancestry's width, the paper's default).
    public var templateSize: Int?
    public var seed: UInt64 = 0
    public var quiet = false
    public init() {}
}

/// A bundle `Pipeline.condense` wrote, read back.
public struct CondensedBundle: Sendable {
    public let templates: WaveTemplates
    public let bundlePath: String
    public let bundleBytes: Int
    /// Distillation steps and the images they processed.
    public let steps: Int
    public let images: Int
    public let summary: [String]
    public let probes: [ProbePoint]
}
