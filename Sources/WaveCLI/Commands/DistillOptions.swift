import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats
import WaveMethod
import WaveTensor

/// `wave condense --data DIR ...`: knowledge condensation after the data-free fit.
struct DistillOptions: ParsableArguments {
    @Option(help: ArgumentHelp("An IDX dataset folder (e.g. /usr/share/datasets/fashion-mnist): distil the templates on its training images.",
                               valueName: "dir"))
    var data: String?

    @Option(help: "Passes over the distillation images (fractions allowed).")
    var epochs: Double = 1

    @Option(help: "Distil on the first K training images only.")
    var images: Int?

    @Option(help: "Weight α of the KD term; the loss is α·KD + (1−α)·CE on the labels.")
    var alpha: Float = 0.5

    @Option(help: "feature (standardized class and mean patch tokens; for backbones such as DINOv2) or logit (KL with temperature; the ancestry needs a head for the data's classes).")
    var kd: KDKind = .feature

    @Option(help: "Temperature τ of logit KD.")
    var tau: Float = 2

    @Option(help: "Input size of the teacher and the auxiliary model (a multiple of the patch size): small keeps a CPU epoch to minutes.")
    var imageSize: Int = 56

    @Option(help: "Depths the auxiliary model is built at, one drawn per step.")
    var depths: String = "4,6,8,12"

    @Option(help: "Images per step.")
    var batch: Int = 64

    @Option(help: "Peak learning rate (AdamW, warmup then cosine).")
    var lr: Float = 5e-4

    @Option(help: "Multiplies the templates' learning rate (0: distil only scalers, stem, norm and head). Default: 1 with at most the paper's template counts, 0.1 with more (Adam moves every element by about the rate, and the templates are small: at 1, larger bundles are wrecked).")
    var templateLRScale: Float?

    @Option(help: "Seed for shuffling and depth draws.")
    var seed: UInt64 = 0

    @Option(help: "Measure a linear probe of depth-4 and depth-12 builds before the first step and every N steps (0: only at the end).")
    var probeEvery: Int = 0

    @Flag(help: "Continue from OUTPUT.ckpt, the checkpoint a killed run left (written every 25 steps).")
    var resume = false

    @OptionGroup var engine: EngineOptions

    @OptionGroup var parallel: DataParallelOptions

    var depthList: [Int] { depths.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard data != nil || !resume else { throw ValidationError("--resume needs --data") }
        guard epochs > 0 else { throw ValidationError("--epochs must be positive") }
        if let scale = templateLRScale, !(scale >= 0 && scale.isFinite) { throw ValidationError("--template-lr-scale must be 0 or more") }
        guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be in [0, 1]") }
        let list = depthList
        guard !list.isEmpty, list.allSatisfy({ $0 > 0 }), list.count == depths.split(separator: ",").count else {
            throw ValidationError("--depths must be a comma-separated list of positive depths (got \(depths))")
        }
        if let images, images <= 0 { throw ValidationError("--images must be positive") }
    }

    /// Distils `fit` on the data; returns the new templates, lines for the report, and the loss and
    /// probe curves (what the distiller kept of its run) for the picture beside the bundle.
    func distill(_ fit: WaveTemplates, canonical: TensorSet, config: ViTConfig, ancestryPath: String, output: String,
                 quiet: Bool) throws -> (WaveTemplates, [String], curves: (losses: [Float], probes: [ProbePoint])?) {
        guard let data else { return (fit, [], nil) }
        engine.configureEngine()
        let folder = try IDXFolder(path: data)
        var train = folder.train
        if let images { train = train.prefix(images) }
        var s = DistillSettings()
        s.batch = batch
        s.steps = max(1, Int((epochs * Double(train.count) / Double(batch)).rounded()))
        s.warmup = max(1, s.steps / 20)
        s.lr = lr; s.templateLRScale = templateLRScale; s.alpha = alpha; s.kd = kd; s.tau = tau; s.imageSize = imageSize; s.depths = depthList
        s.seed = seed; s.probeEvery = probeEvery; s.quiet = quiet; s.gradShards = parallel.gradShards
        s.probeDepths = [min(4, config.depth), config.depth]
        if kd == .logit && config.numClasses != train.classes {
            throw ValidationError("--kd logit needs an ancestry with a head for \(train.classes) classes (it has \(config.numClasses)); use --kd feature")
        }
        let key = Teacher.cacheKey(ancestry: ancestryPath, imageSize: imageSize, logits: kd == .logit, data: train)
        let cache = ProcessInfo.processInfo.environment["WAVE_CACHE"] ?? (NSHomeDirectory() + "/.cache/wave")
        let group = Launch.group
        let teacher = try Teacher.cached(folder: cache + "/teacher", key: key, count: train.count,
                                         dim: kd == .logit ? config.numClasses : 2 * config.embedDim, group: group) {
            try Teacher.compute(ancestry: canonical, config: config, dataset: train, imageSize: imageSize,
                                logits: kd == .logit, quiet: quiet, group: group)
        }
        let distiller = try Distiller(templates: fit, teacher: teacher, dataset: train, settings: s, group: group)
        distiller.probeSet = folder.test
        let checkpoint = output + ".ckpt"
        if resume {
            let resumed = try DistillCheckpoint.resume(distiller, from: checkpoint)
            // Every rank reads the checkpoint: they must all stand at the same step.
            let steps = try group.gather(Float(distiller.step))
            guard steps.allSatisfy({ $0 == steps[0] }) else {
                throw ParallelError.disagreement("the ranks resumed \(checkpoint) at different steps (\(steps.map { Int($0) })): every rank must read the same checkpoint (a folder they share)")
            }
            if resumed, !quiet, group.isLead {
                FileHandle.standardError.write(Data("resuming from \(checkpoint) at step \(distiller.step) of \(s.steps)\n".utf8))
            }
        }
        let start = Date()
        do {
            try distiller.run(checkpointEvery: 25) { try DistillCheckpoint.save($0, to: checkpoint) }
        } catch ParallelError.transport(let why) {
            // What survives a lost rank: the lead's last checkpoint, written atomically.
            let last = distiller.step / 25 * 25
            throw ParallelError.transport("\(why) (at step \(distiller.step + 1); \(last > 0 ? "\(checkpoint) holds step \(last)" : "no checkpoint yet"): rerun with --resume)")
        }
        if group.isLead, distiller.probes.last?.step != s.steps { try distiller.probe() }
        var lines = [String(format: "distilled: %d steps of %d images (%d training images, %.2f epochs) at %d px, depths %@, templates at %g× the rate, in %.0f s",
                            s.steps, s.batch, train.count, epochs, imageSize, depths, distiller.templateLRScale, Date().timeIntervalSince(start))]
        if distiller.parallel.plan.shards > 1 || group.size > 1 { lines.append("data parallel: \(distiller.parallel.summary)") }
        lines.append(Self.speed(distiller))
        let losses = distiller.lossHistory
        if losses.count >= 10 {
            let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
            lines.append(String(format: "loss: %.4f (first 10 steps) → %.4f (last 10)", first, last))
        }
        for p in distiller.probes { lines.append(String(format: "probe: step %d, depth %d, linear-probe top-1 %.1f%%", p.step, p.depth, 100 * p.top1)) }
        return (distiller.result(), lines, (distiller.lossHistory, distiller.probes))
    }

    /// The steps' speed and, across ranks, the all-reduce's share (including waits for the
    /// slowest rank) and the payload each rank sent per step (scripts/bench-mpi.sh reads it).
    static func speed(_ d: Distiller) -> String {
        let n = max(d.stepsRun, 1), t = max(d.stepSeconds, 1e-9), p = d.parallel
        var line = String(format: "speed: %.3f steps/s, %.1f images/s over %d steps", Double(n) / t, Double(n * d.settings.batch) / t, d.stepsRun)
        if p.group.size > 1 {
            line += String(format: "; all-reduce %.1f%% of the step time, %d bytes sent per step by each rank",
                           100 * p.reduceSeconds / t, p.bytesSent / max(p.reductions, 1))
        }
        return line
    }
}

extension KDKind: ExpressibleByArgument {}
