import Foundation
import WaveTensor
import WaveFormats
import WaveEngine

/// What `wave bench` runs. Profiles fill it; every field can be overridden.
public struct BenchSettings: Sendable {
    public var profile = "quick"
    public var regimes: [BenchRegime] = []
    public var methods: [BenchMethod] = BenchMethod.allCases
    /// Condensation of the WAVE bundle (as `wave pipeline` condenses).
    public var condense = CondenseSettings()
    /// A bundle made elsewhere (e.g. condensed on another dataset: the transfer setting) instead of
    /// condensing on the benchmark's data. Its distillation work is read from BUNDLE.json beside it
    /// when a bench run wrote one.
    public var bundlePath: String?
    public var imageSize = 56
    public var fitSteps = 150
    public var fitLR: Float = 1e-4
    /// WAVE's fit also distils the ancestry's features (α = 0.5, through a ridge map; FitDistillation)
    /// on at most the first `condense.images` training images, whose teacher outputs condensation cached.
    public var fitKD = false
    /// Peak learning rate of methods that start from random weights (He-Init, Mimetic, Direct PT).
    public var scratchLR: Float = 1e-3
    public var batch = 64
    public var testImages = 5000
    /// Layers Heru-LG and Auto-LG take from the ancestry (at most the target's depth).
    public var learngeneLayers = 2
    /// Learning-rate search: every method (Direct PT takes He-Init's rate) is trained at each rate
    /// at `lrSearchSize` in the low-data regime and scored on the last `validationImages` training
    /// images (held out from that regime); the best rate is then used everywhere. Empty: the fixed
    /// `scratchLR` / regime `transferLR` rates.
    public var lrGrid: [Float] = []
    public var lrSearchSize = BenchSize(depth: 2, width: 384)
    /// The regime whose images and epochs the search uses (the profile's low-data regime; kept
    /// when `--regimes` runs only others).
    public var lrSearchRegime: BenchRegime?
    public var validationImages = 2000
    public var seed: UInt64 = 0
    public var quiet = false
    public init() {}

    /// The profiles, relative to the ancestry (depth L, width d) and a template size t.
    ///  - quick: depths 1, 2 at d; widths d, 2d and 1.5d at depth 1; two small regimes (up to 4,000
    ///    and up to 1,000 images), 1 epoch, tiny condensation and fit: it tests the path, not the method.
    ///  - full: depths 2, 4, 6, 8 at d; widths d/2, d, 1.5d, 2d at depth 2; the low-data regime
    ///    (2,000 images, 3 epochs) at every size, the full training set (1 epoch) at depth 2 (an
    ///    epoch of 60,000 images per method and size is what a 2-core session can afford).
    /// Images are 4 × 4 patches (56 px for DINOv2's patch 14) in both.
    public static func profile(_ name: String, ancestry: ViTConfig, trainCount: Int) -> BenchSettings? {
        var s = BenchSettings()
        let d = ancestry.embedDim
        s.profile = name
        s.imageSize = 4 * ancestry.patchSize
        s.condense.imageSize = s.imageSize
        switch name {
        case "quick":
            let sizes = [BenchSize(depth: 1, width: d), BenchSize(depth: 2, width: d), BenchSize(depth: 1, width: 2 * d),
                         BenchSize(depth: 1, width: d * 3 / 2)]
            s.regimes = [BenchRegime(name: "large", trainImages: min(trainCount, 4000), epochs: 1, sizes: sizes, transferLR: 1e-4),
                         BenchRegime(name: "low-data", trainImages: max(1, min(trainCount / 2, 1000)), epochs: 1, sizes: sizes, transferLR: 1e-4)]
            s.condense.images = min(trainCount, 256); s.condense.depths = [1, 2]; s.condense.batch = 16; s.condense.templateSize = d / 2
            s.fitSteps = 4; s.batch = 16; s.testImages = 500; s.learngeneLayers = 1
            s.lrGrid = [1e-3, 1e-4]; s.lrSearchSize = BenchSize(depth: 1, width: d); s.validationImages = min(500, trainCount / 4)
        case "full":
            let depths = [2, 4, 6, 8].map { BenchSize(depth: $0, width: d) }
            let widths = [d / 2, d * 3 / 2, 2 * d].map { BenchSize(depth: 2, width: $0) }
            s.regimes = [BenchRegime(name: "low-data", trainImages: 2000, epochs: 3, sizes: depths + widths, transferLR: 1e-5),
                         BenchRegime(name: "full-set", trainImages: nil, epochs: 1, sizes: [depths[0]], transferLR: 3e-5)]
            s.condense.templateSize = d / 2
            s.testImages = 2500
            s.lrGrid = [1e-3, 1e-4, 1e-5]; s.lrSearchSize = BenchSize(depth: 2, width: d); s.validationImages = 2000
        default:
            return nil
        }
        s.lrSearchRegime = s.regimes.first { $0.name == "low-data" }
        return s
    }
}

public enum BenchError: Error, CustomStringConvertible, Equatable {
    case invalidSetting(String)
    public var description: String {
        switch self { case let .invalidSetting(m): return "bench: \(m)" }
    }
}

/// Runs the benchmark cell by cell: every method initializes the same architecture, which is then
/// trained with one recipe (its learning rate set by whether the start is random or inherited).
/// Each finished cell is written to `outDir/cells/` at once, so an interrupted run resumes
/// (the files: Schemas/bench.md).
public final class BenchRunner {
    public let settings: BenchSettings
    let ancestry: DetectedModel
    let source: ViTConfig
    let data: IDXFolder
    let outDir: String
    let log: (String) -> Void

    public init(settings: BenchSettings, ancestry: DetectedModel, data: IDXFolder, outDir: String, log: @escaping (String) -> Void) throws {
        guard let c = ancestry.vit else { throw ExpandError.invalidTarget("the ancestry is not a ViT") }
        self.settings = settings; self.ancestry = ancestry; self.source = c; self.data = data; self.outDir = outDir; self.log = log
    }

    var cellsDir: String { outDir + "/cells" }
    /// Where teacher outputs are cached ($WAVE_CACHE/teacher).
    var teacherCache = ""
    /// The ancestry's file, which names its teacher outputs in that cache.
    var ancestryPath = ""

    static func cellFile(_ regime: String, _ m: BenchMethod, _ size: BenchSize) -> String {
        "\(regime)-\(m.rawValue)-\(size.depth)x\(size.width).json"
    }

    /// The target architecture of a size, the same for every method (WAVE's expansion builds this config).
    public func targetConfig(_ size: BenchSize) throws -> ViTConfig {
        let s = source
        guard size.width % s.headDim == 0 else { throw ExpandError.invalidTarget("width \(size.width) is not a multiple of the head dimension \(s.headDim)") }
        let cfg = ViTConfig(imageSize: settings.imageSize, patchSize: s.patchSize, inChannels: s.inChannels,
                            numClasses: data.train.classes, embedDim: size.width, depth: size.depth, numHeads: size.width / s.headDim,
                            mlpDim: size.width * s.mlpDim / s.embedDim, layerScaleInit: s.layerScaleInit,
                            qkvBias: s.qkvBias, normEps: s.normEps, geluTanh: s.geluTanh)
        if let p = cfg.problems.first { throw ExpandError.invalidTarget(p) }
        return cfg
    }

    /// Runs every cell not already in `outDir/cells` (when `resume`), then returns them all.
    public func run(ancestryPath: String, command: String, resume: Bool, teacherCache: String) throws -> BenchResults {
        self.teacherCache = teacherCache
        self.ancestryPath = ancestryPath
        let start = Date()
        let fm = FileManager.default
        if !resume, fm.fileExists(atPath: cellsDir) { try fm.removeItem(atPath: cellsDir) }
        try fm.createDirectory(atPath: cellsDir, withIntermediateDirectories: true)
        let s = settings
        let test = data.test.prefix(s.testImages)
        let pre: Preprocess = .imageNet(size: s.imageSize)

        // Cells in order, with a cost estimate (parameters × images) for the ETA.
        var todo: [(BenchRegime, BenchSize, BenchMethod)] = []
        // With --resume, cells of methods not asked for this time are still reported when on disk.
        for r in s.regimes { for size in r.sizes { for m in BenchMethod.allCases {
            if s.methods.contains(m) || (resume && fm.fileExists(atPath: cellsDir + "/" + Self.cellFile(r.name, m, size))) {
                todo.append((r, size, m))
            }
        } } }
        func cost(_ c: (BenchRegime, BenchSize, BenchMethod)) -> Double {
            let images = Double(min(c.0.trainImages ?? data.train.count, data.train.count) * c.0.epochs
                                + (c.2 == .directPT ? s.condense.images : 0) + test.count / 3)
            return Double(c.1.depth * c.1.width * c.1.width) * images * (c.2 == .ghn3 ? 0 : 1)
        }
        let totalCost = todo.map(cost).reduce(0, +)
        var doneCost = 0.0, ranCost = 0.0, spentSeconds = 0.0

        // The WAVE bundle: condensed once (reused when resuming), or given.
        // Given bundles are described even when WAVE's cells all come from disk.
        let (bundle, condensation) = s.methods.contains(.wave) || s.bundlePath != nil
            ? try prepareBundle(ancestryPath: ancestryPath, command: command, resume: resume, teacherCache: teacherCache)
            : (nil, "not condensed (WAVE not in the methods)")

        let (chosen, trials, searchSetting) = try searchLearningRates(bundle: bundle, preprocess: pre, resume: resume)

        var cells: [BenchCell] = []
        for (i, item) in todo.enumerated() {
            let (regime, size, method) = item
            let file = cellsDir + "/" + Self.cellFile(regime.name, method, size)
            if resume, let data = fm.contents(atPath: file), let cell = try? JSONDecoder().decode(BenchCell.self, from: data) {
                cells.append(cell)
                doneCost += cost(item)
                continue
            }
            let t0 = Date()
            let cell = try runCell(regime: regime, size: size, method: method, bundle: bundle, test: test, preprocess: pre,
                                   lr: chosen[method == .directPT ? .scratch : method])
            try writeFileAtomically(Array(try JSONEncoder().encode(cell)), to: file)
            cells.append(cell)
            let took = Date().timeIntervalSince(t0)
            spentSeconds += took; doneCost += cost(item); ranCost += cost(item)
            let eta = spentSeconds / max(ranCost, 1) * (totalCost - doneCost)
            let result = cell.status == .ok ? String(format: "init %.1f%% → %.1f%%", 100 * cell.initTop1, 100 * (cell.top1.last ?? 0))
                                            : cell.status.rawValue
            log(String(format: "bench [%d/%d] %@ %@ %@: %@ (%.0f s; ETA %@)", i + 1, todo.count, regime.name, size.label,
                       method.title, result, took, ProgressReporter.clock(eta)))
        }
        return BenchResults(profile: s.profile, command: command, date: ISO8601DateFormatter().string(from: Date()),
                            machine: Self.machine(), ancestry: URL(fileURLWithPath: ancestryPath).lastPathComponent,
                            ancestryDepth: source.depth, ancestryWidth: source.embedDim,
                            dataset: URL(fileURLWithPath: data.path).lastPathComponent, imageSize: s.imageSize, testImages: test.count,
                            scratchLR: s.scratchLR, learngeneLayers: s.learngeneLayers, bundleBytes: bundle?.bundleBytes ?? 0,
                            condensation: condensation, regimes: s.regimes, cells: cells, seconds: Date().timeIntervalSince(start),
                            lrSearch: trials, lrSearchSetting: searchSetting)
    }

    /// The bundle WAVE expands from: the one given (`bundlePath`), the one a previous run left
    /// (when resuming), or a new condensation on the benchmark's data; and a line describing it.
    func prepareBundle(ancestryPath: String, command: String, resume: Bool, teacherCache: String) throws -> (CondensedBundle, String) {
        let s = settings, fm = FileManager.default
        let bundlePath = outDir + "/bundle.wave"
        let bundle: CondensedBundle
        var condensation = ""
        if let given = s.bundlePath {
            let b = try WaveBundle(path: given)
            // The distillation work: from BUNDLE.json when a bench run wrote one, else from the report
            // `wave condense` records in the bundle itself.
            let info = (try? readInfo(Self.infoPath(given))) ?? Self.distillationInfo(b.manifest.metadata, bytes: b.fileSize)
            bundle = CondensedBundle(templates: try b.templates(), bundlePath: given, bundleBytes: b.fileSize, steps: info?.steps ?? 0,
                                     images: info?.images ?? 0, summary: info?.summary ?? [], probes: [])
            condensation = "given bundle \(URL(fileURLWithPath: given).lastPathComponent) (made by `\(b.manifest.provenance.command)`), template size "
                + "\(b.manifest.templateSize); " + (info.map { "\($0.steps) distillation steps (\($0.summary.joined(separator: "; ")))" }
                                                  ?? "its distillation steps are not known (no \(URL(fileURLWithPath: Self.infoPath(given)).lastPathComponent) beside it, no report in it)")
            log("bench: WAVE from \(given)")
        } else if resume, fm.fileExists(atPath: bundlePath), let info = try? readInfo(Self.infoPath(bundlePath)) {
            let templates = try WaveBundle(path: bundlePath).templates()
            bundle = CondensedBundle(templates: templates, bundlePath: bundlePath, bundleBytes: info.bytes, steps: info.steps,
                                     images: info.images, summary: info.summary, probes: [])
            log("bench: reusing \(bundlePath)")
        } else {
            log("bench: condensing \(ancestry.family.family) (\(source.depth)×\(source.embedDim)) for WAVE on \(s.condense.images) images")
            let b = try Pipeline.condense(ancestry: ancestry, ancestryPath: ancestryPath, data: data, settings: s.condense,
                                          bundlePath: bundlePath, teacherCache: teacherCache, command: command)
            try writeFileAtomically(Array(try JSONEncoder().encode(BundleInfo(bytes: b.bundleBytes, steps: b.steps, images: b.images, summary: b.summary))),
                                    to: Self.infoPath(bundlePath))
            bundle = b
        }
        if s.bundlePath == nil {
            condensation = String(format: "template size %d, distilled on %d images at %d px (depths %@): %@",
                                  bundle.templates.templateSize, s.condense.images, s.condense.imageSize,
                                  s.condense.depths.map(String.init).joined(separator: ","), bundle.summary.joined(separator: "; "))
        }
        return (bundle, condensation)
    }

    /// Steps and images of a bundle's distillation from the report `wave condense` stores in its
    /// metadata ("distilled: 625 steps of 64 images (…)"); nil when it holds none.
    static func distillationInfo(_ metadata: [String: String], bytes: Int) -> BundleInfo? {
        guard let report = metadata["distillation.report"], let first = report.split(separator: "\n").first else { return nil }
        let words = first.split(separator: " ")
        guard words.count >= 6, words[0] == "distilled:", let steps = Int(words[1]), words[2] == "steps", let batch = Int(words[4]) else { return nil }
        return BundleInfo(bytes: bytes, steps: steps, images: steps * batch, summary: [String(first)])
    }

    /// The learning-rate search (see `BenchSettings.lrGrid`): returns each method's rate.
    func searchLearningRates(bundle: CondensedBundle?, preprocess pre: Preprocess, resume: Bool) throws
        -> (chosen: [BenchMethod: Float], trials: [LRTrial], setting: String) {
        let s = settings
        guard !s.lrGrid.isEmpty, let ref = s.lrSearchRegime ?? s.regimes.first(where: { $0.name == "low-data" }) ?? s.regimes.first else {
            return ([:], [], "")
        }
        let count = data.train.count, v = s.validationImages
        let trainCount = min(ref.trainImages ?? count, count)
        guard v >= 1, trainCount + v <= count else {
            throw BenchError.invalidSetting("the learning-rate search needs \(trainCount) training + \(v) validation images; the training split has \(count)")
        }
        let validation = data.train.slice(from: count - v, count: v)
        let regime = BenchRegime(name: "lr-search", trainImages: trainCount, epochs: ref.epochs, sizes: [s.lrSearchSize], transferLR: 0)
        var chosen: [BenchMethod: Float] = [:], trials: [LRTrial] = []
        for m in BenchMethod.allCases where m != .ghn3 && m != .directPT {
            var scored: [(Float, Double)] = []
            for lr in s.lrGrid {
                let file = cellsDir + "/lr-search-\(m.rawValue)-\(lr).json"
                var cell: BenchCell
                if resume, let d = FileManager.default.contents(atPath: file), let c = try? JSONDecoder().decode(BenchCell.self, from: d) {
                    cell = c
                } else if !s.methods.contains(m) {
                    continue
                } else {
                    cell = try runCell(regime: regime, size: s.lrSearchSize, method: m, bundle: bundle, test: validation, preprocess: pre, lr: lr)
                    try writeFileAtomically(Array(try JSONEncoder().encode(cell)), to: file)
                    log(String(format: "bench: LR search %@ at %@, LR %g: validation top-1 %@", m.title, s.lrSearchSize.label, lr,
                               cell.status == .ok ? String(format: "%.1f%%", 100 * (cell.top1.last ?? 0)) : cell.status.rawValue))
                }
                if cell.status == .ok, let top1 = cell.top1.last { scored.append((lr, top1)) }
            }
            // Ties go to the earlier rate in the grid's order.
            guard var best = scored.first else { continue }
            for t in scored.dropFirst() where t.1 > best.1 { best = t }
            chosen[m] = best.0
            trials += scored.map { LRTrial(method: m, lr: $0.0, validationTop1: $0.1, chosen: $0.0 == best.0) }
        }
        let setting = "at \(s.lrSearchSize.label) on the first \(trainCount) training images for \(ref.epochs) epoch(s), "
            + "scored on the last \(v) (not used by the `\(ref.name)` regime)"
        return (chosen, trials, setting)
    }

    /// One cell; `lr` (else the scratch or the regime's transfer rate) is the peak rate of its training.
    func runCell(regime: BenchRegime, size: BenchSize, method: BenchMethod, bundle: CondensedBundle?,
                 test: ImageDataset, preprocess pre: Preprocess, lr: Float? = nil) throws -> BenchCell {
        let s = settings
        let train = regime.trainImages.map { data.train.prefix($0) } ?? data.train
        var cell = BenchCell(regime: regime.name, method: method, depth: size.depth, width: size.width, trainImages: train.count)
        let cfg = try targetConfig(size)
        cell.parameters = cfg.parameterCount
        let seed = s.seed &+ 1
        var model: ViTModel
        switch method {
        case .ghn3:
            cell.status = .notRun; cell.note = method.definition
            return cell
        case .wave where reusable(method, size: size, train: train.count, lr: lr) != nil,
             .directPT where reusable(method, size: size, train: train.count, lr: lr) != nil:
            // The same fitted (or pre-trained) start as the previous cell of this method: the
            // learning-rate search tries several rates from one start.
            let start = reusable(method, size: size, train: train.count, lr: lr)!
            model = try ViTModel(config: cfg)
            try model.load(start.parameters)
            cell.transferred = start.transferred; cell.extraSteps = start.extraSteps; cell.extraImages = start.extraImages
        case .wave:
            guard let b = bundle else { throw BaselineError.notABaseline(.wave) }
            var r = ExpansionRequest(depth: size.depth, width: size.width)
            r.classes = data.train.classes; r.imageSize = s.imageSize; r.seed = s.seed
            let templated: TemplatedViT
            do { templated = try ScalerFit.targetModel(b.templates, r) }
            catch let e as ExpandError {
                cell.status = .notApplicable; cell.note = e.description
                return cell
            }
            guard templated.config == cfg else { throw ExpandError.invalidTarget("WAVE's target config differs from the baselines' at \(size.label)") }
            var fs = FitSettings()
            fs.steps = s.fitSteps; fs.lr = s.fitLR; fs.batch = min(s.batch, train.count); fs.seed = s.seed; fs.evalImages = 0
            fs.quiet = true
            var fitSet = train
            if s.fitKD {
                fitSet = train.prefix(min(train.count, s.condense.images))
                let t = try Pipeline.teacherFeatures(ancestry: ancestry, ancestryPath: ancestryPath, images: fitSet, imageSize: s.imageSize,
                                                     cache: teacherCache, quiet: s.quiet)
                fs.distillation = FitDistillation(teacher: t, kind: .feature)
            }
            _ = try ScalerFit.fit(templated, train: fitSet, test: test, preprocess: pre, settings: fs)
            model = try templated.build(depth: size.depth)
            cell.transferred = templated.components.reduce(0) { $0 + $1.shape.templateCount + size.depth * $1.shape.scalerCount }
            cell.extraSteps = b.steps + s.fitSteps
            cell.extraImages = b.images + s.fitSteps * fs.batch
        case .directPT:
            model = try ViTModel(config: cfg, scheme: .truncNormal, seed: seed)
            let condenseSet = data.train.prefix(s.condense.images)
            var recipe = TrainRecipe()
            recipe.batch = s.batch; recipe.lr = lr ?? s.scratchLR; recipe.seed = s.seed &+ 7
            let pt = TrainEpochs.run(model, train: condenseSet, test: test.prefix(1), preprocess: pre, recipe: recipe,
                                     label: "   pre-train (Direct PT)", quiet: s.quiet)
            cell.extraSteps = pt.steps
            cell.extraImages = pt.steps * min(s.batch, condenseSet.count)
        default:
            do {
                let (m, transferred) = try Baselines.initialize(method, ancestry: ancestry.canonical, source: source, target: cfg,
                                                                seed: seed, learngeneLayers: s.learngeneLayers)
                model = m
                cell.transferred = transferred
            } catch let e as BaselineError {
                cell.status = .notApplicable; cell.note = e.description
                return cell
            }
        }
        if method == .wave || method == .directPT {
            lastStart[method] = Start(key: startKey(method, size: size, train: train.count, lr: lr), parameters: model.export(),
                                      transferred: cell.transferred, extraSteps: cell.extraSteps, extraImages: cell.extraImages)
        }
        let inherits = method.usesAncestry
        var recipe = TrainRecipe()
        recipe.epochs = regime.epochs; recipe.batch = s.batch; recipe.seed = s.seed
        recipe.lr = lr ?? (inherits ? regime.transferLR : s.scratchLR)
        cell.lr = recipe.lr
        let t0 = Date()
        cell.initTop1 = evaluateTop1(model: model, loader: BatchLoader(dataset: test, batchSize: min(100, test.count), preprocess: pre,
                                                                      shuffle: false, dropLast: false))
        let result = TrainEpochs.run(model, train: train, test: test, preprocess: pre, recipe: recipe,
                                     label: "   \(regime.name) \(size.label) \(method.title)", quiet: s.quiet)
        cell.top1 = result.top1; cell.trainLoss = result.trainLoss
        cell.seconds = Date().timeIntervalSince(t0)
        return cell
    }

    /// The last start WAVE (after its fit) and Direct PT (after its pre-training) trained from:
    /// both cost far more than a cell's training and do not depend on the rate it is trained at.
    struct Start { var key: String; var parameters: TensorSet; var transferred: Int; var extraSteps: Int; var extraImages: Int }
    var lastStart: [BenchMethod: Start] = [:]

    /// What a start depends on: the size, and WAVE's fit images or Direct PT's pre-training rate.
    func startKey(_ m: BenchMethod, size: BenchSize, train: Int, lr: Float?) -> String {
        m == .wave ? "\(size.label) fit on \(train)" : "\(size.label) pre-trained at \(lr ?? settings.scratchLR)"
    }

    func reusable(_ m: BenchMethod, size: BenchSize, train: Int, lr: Float?) -> Start? {
        guard let s = lastStart[m], s.key == startKey(m, size: size, train: train, lr: lr) else { return nil }
        return s
    }

    // The bundle's condensation facts, kept beside it for --resume (Schemas/bench.md, bundle.json).
    struct BundleInfo: Codable { var bytes: Int; var steps: Int; var images: Int; var summary: [String] }
    static func infoPath(_ bundle: String) -> String { (bundle.hasSuffix(".wave") ? String(bundle.dropLast(5)) : bundle) + ".json" }
    func readInfo(_ path: String) throws -> BundleInfo {
        try JSONDecoder().decode(BundleInfo.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// CPU model and core count, for the report.
    static func machine() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }
}
