import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats
import WaveMethod
import WaveTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The learngene benchmark: WAVE against the paper's baselines across depths and widths, on real data.",
        discussion: """
        Every method initializes the same target architecture, which is then trained with one \
        recipe for the regime's epochs (peak learning rate --scratch-lr when the start is random, \
        the regime's transfer rate when it is inherited), and scored on the same test images:
          He-Init (trunc-normal scratch), Mimetic, GHN-3 (listed, not run), Weight Selection, \
        Share Init, LiGO, Heru-LG, Auto-LG, TLEG, WAVE and Direct PT (OUT/results.md defines each \
        under its tables).
        WAVE's bundle is condensed once (least squares, then distillation, as `wave pipeline`) and \
        every target gets the scaler fit on its regime's images before training.

        Profiles (sizes relative to the ancestry's depth L and width d):
          quick  depths 1, 2 and widths d, 1.5d, 2d; up to 4,000 and 1,000 images; minutes.
          full   depths 2, 4, 6, 8 and widths d/2, 1.5d, 2d (at depth 2); 2,000 images × 3 epochs at \
        every size, the whole training set × 1 epoch at depth 2. Hours on 2 cores: use --resume.
        Writes OUT/results.{md,csv,json}, OUT/plots/*.svg, and one file per finished cell in OUT/cells \
        (--resume skips those). The Markdown table goes to stdout.

        Examples:
          wave bench --profile quick --out bench-quick
          wave bench --profile full --out docs/benchmark --resume
          wave bench --profile full --methods he-init,tleg,wave --data ~/data/kmnist --out kmnist
          wave bench --profile quick --data digits-idx --bundle docs/benchmark/bundle.wave --out transfer
        """)

    @Option(help: "quick or full.")
    var profile: String = "quick"

    @Option(help: "The ancestry (default: the DINOv2 ONNX in $WAVE_CACHE, as scripts/setup.sh fetches it).")
    var ancestry: String?

    @Option(help: "An IDX dataset folder (default: Debian's Fashion-MNIST).")
    var data: String = IDXFolder.fashionMNIST

    @Option(help: "Output folder.")
    var out: String = "bench"

    @Option(help: "Use this bundle for WAVE instead of condensing on --data (e.g. one condensed on another dataset: the transfer setting).")
    var bundle: String?

    @Flag(help: "Keep the cells already in OUT/cells (and OUT/bundle.wave) and run only the rest.")
    var resume = false

    @Option(help: "Methods to run, comma-separated (default: all): \(BenchMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var methods: String?

    @Option(help: "Regimes to run, comma-separated (default: all of the profile's: full-set, low-data for full; large, low-data for quick).")
    var regimes: String?

    @Option(help: "Target sizes DEPTHxWIDTH, comma-separated, in every regime (default: the profile's); the first is where learning rates are searched.")
    var sizes: String?

    @Option(help: "Template size of the bundle condensed for WAVE (default: the profile's, d/2, so that 1.5×d widths expand).")
    var templateSize: Int?

    @Option(help: "Epochs of training after initialization, in every regime (default: the profile's).")
    var epochs: Int?

    @Option(help: "Images per training step (default: the profile's).")
    var batch: Int?

    @Option(help: "Steps of WAVE's scaler fit per target (default: the profile's).")
    var fitSteps: Int?

    @Flag(help: "WAVE's fit also distils the ancestry's features (α 0.5, as `wave expand --teacher`), on at most the condensation images.")
    var fitKD = false

    @Option(help: "Test images scored (the first K of the test split; default: the profile's).")
    var testImages: Int?

    @Option(help: "Peak learning rate of random starts (He-Init, Mimetic, Direct PT).")
    var scratchLR: Float = 1e-3

    @Option(help: "Peak learning rate of inherited starts in every regime, instead of the learning-rate search (random starts then use --scratch-lr).")
    var transferLR: Float?

    @Option(help: "Layers Heru-LG and Auto-LG take from the ancestry (default: the profile's).")
    var learngeneLayers: Int?

    @Option(help: "Seed of every method's initialization, WAVE's fit and the training order (the condensed bundle keeps its own): repeat a run with another seed to see its spread.")
    var seed: UInt64 = 0

    @OptionGroup var engine: EngineOptions

    @Flag(help: "No progress on stderr.")
    var quiet = false

    var sizeList: [BenchSize]? { sizes.flatMap(parseSizes).map { $0.map { BenchSize(depth: $0.depth, width: $0.width) } } }

    var methodList: [BenchMethod]? {
        methods.map { $0.split(separator: ",").compactMap { BenchMethod(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased()) } }
    }

    func validate() throws {
        guard ["quick", "full"].contains(profile) else { throw ValidationError("--profile must be quick or full (got \(profile))") }
        if let m = methods, methodList?.count != m.split(separator: ",").count || methodList?.isEmpty == true {
            throw ValidationError("--methods: unknown name in \(m); known: \(BenchMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let z = sizes, sizeList == nil {
            throw ValidationError("--sizes must be DEPTHxWIDTH items, e.g. 2x384,4x384 (got \(z))")
        }
        if let t = testImages, t < 1 { throw ValidationError("--test-images must be at least 1") }
        for (name, v) in [("--template-size", templateSize), ("--epochs", epochs), ("--batch", batch), ("--fit-steps", fitSteps)] {
            if let v, v < 1 { throw ValidationError("\(name) must be at least 1") }
        }
        if let k = learngeneLayers, k < 1 { throw ValidationError("--learngene-layers must be at least 1") }
        guard scratchLR > 0, (transferLR ?? 1) > 0 else { throw ValidationError("learning rates must be positive") }
    }

    func run() throws {
        engine.configureEngine()
        let (cache, path, detected) = try openAncestry(ancestry)
        guard let config = detected.vit else { throw ValidationError("\(path) is not a ViT (\(detected.family.family))") }
        let folder = try IDXFolder(path: data)
        guard var s = BenchSettings.profile(profile, ancestry: config, trainCount: folder.train.count) else {
            throw ValidationError("unknown profile \(profile)")
        }
        if let m = methodList { s.methods = m }
        s.bundlePath = bundle
        if let t = testImages { s.testImages = t }
        if let names = regimes?.split(separator: ",").map({ String($0) }) {
            let unknown = names.filter { n in !s.regimes.contains { $0.name == n } }
            guard unknown.isEmpty else {
                throw ValidationError("--regimes: unknown \(unknown.joined(separator: ", ")); the \(profile) profile has \(s.regimes.map(\.name).joined(separator: ", "))")
            }
            s.regimes = s.regimes.filter { names.contains($0.name) }
        }
        if let z = sizeList {
            for i in s.regimes.indices { s.regimes[i].sizes = z }
            s.lrSearchSize = z[0]
        }
        if let e = epochs { s.lrSearchRegime?.epochs = e }
        if let t = templateSize { s.condense.templateSize = t }
        if let e = epochs { for i in s.regimes.indices { s.regimes[i].epochs = e } }
        if let b = batch { s.batch = b }
        if let f = fitSteps { s.fitSteps = f }
        s.fitKD = fitKD
        if let k = learngeneLayers { s.learngeneLayers = k }
        if let lr = transferLR {
            // A fixed rate for inherited starts: no search.
            for i in s.regimes.indices { s.regimes[i].transferLR = lr }
            s.lrGrid = []
        }
        s.scratchLR = scratchLR; s.quiet = quiet; s.seed = seed
        let command = "wave " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let runner = try BenchRunner(settings: s, ancestry: detected, data: folder, outDir: out, log: { if !quiet { note($0) } })
        let results = try runner.run(ancestryPath: path, command: command, resume: resume, teacherCache: cache + "/teacher")

        try writeFileAtomically(try BenchReport.json(results), to: out + "/results.json")
        try writeFileAtomically(Array(BenchReport.csv(results).utf8), to: out + "/results.csv")
        let markdown = BenchReport.markdown(results)
        try writeFileAtomically(Array(markdown.utf8), to: out + "/results.md")
        try FileManager.default.createDirectory(atPath: out + "/plots", withIntermediateDirectories: true)
        for plot in BenchPlots.all(results) { try writeFileAtomically(Array(plot.svg.utf8), to: out + "/plots/" + plot.name) }
        print(markdown)
        if !quiet { note(String(format: "bench: %d cells in %.0f s; results in %@/results.{md,csv,json} and %@/plots", results.cells.count, results.seconds, out, out)) }
    }
}
