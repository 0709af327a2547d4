import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats
import WaveMethod
import WaveTensor

struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Run the method end to end on real data: condense, expand with a fit, train, compare with scratch.",
        discussion: """
        1. condenses the ancestry into templates (least squares, then distillation on the first \
        --condense-images training images at --image-size pixels, depths drawn from 4, 6, 8, 12);
        2. expands to every --targets size (DEPTHxWIDTH) with a scaler fit on --train-images images;
        3. trains each for --epochs on those images, and the same architecture from trunc-normal \
        scratch; the first --direct-pt-targets also from scratch on the condensation images (Direct PT).
        Prints a report on stdout and writes it, with the bundle, to --out.

        This is what `scripts/main.sh` runs. Example:
          wave pipeline --out out --targets 2x384,4x384,6x384,2x768
        """)

    @Option(help: "The ancestry (default: the DINOv2 ONNX in $WAVE_CACHE, as scripts/setup.sh fetches it).")
    var ancestry: String?

    @Option(help: "An IDX dataset folder (default: Debian's Fashion-MNIST).")
    var data: String = IDXFolder.fashionMNIST

    @Option(help: "Output folder (bundle, report.json).")
    var out: String = "out"

    @Option(help: "Training images used for condensation (teacher forwards and distillation).")
    var condenseImages: Int = 20_000

    @Option(help: "Distillation passes over those images (0: the least-squares templates alone).")
    var condenseEpochs: Double = 1

    @Option(help: "Input size of teacher, auxiliary model and targets (a multiple of the patch size).")
    var imageSize: Int = 56

    @Option(help: "Target sizes, DEPTHxWIDTH, comma-separated.")
    var targets: String = "2x384,4x384,6x384,2x768"

    @Option(help: "Training images of the targets (and of their fit).")
    var trainImages: Int = 2000

    @Option(help: "Epochs of training after initialization.")
    var epochs: Int = 1

    @Option(help: "Scaler-fit steps per target.")
    var fitSteps: Int = 150

    @Option(help: "Learning rate of scratch and Direct PT training.")
    var lr: Float = 1e-3

    @Option(help: "Learning rate of training after WAVE (Adam moves every weight by about lr per step: larger rates erase the inherited function in a short run; measured at depth 2: 5e-4 → 18%, 1e-4 → 31%, 2e-5 → 45%, 5e-6 → 53% from 66% after the fit).")
    var waveLR: Float = 5e-6

    @Option(help: "Also train the first N targets from scratch on the condensation images (Direct PT; an epoch over them each).")
    var directPTTargets: Int = 1

    @Option(help: "Test images scored (each method and target is scored on the same first K).")
    var testImages: Int = 5000

    @OptionGroup var engine: EngineOptions

    @Flag(help: "No progress on stderr.")
    var quiet = false

    var targetList: [(depth: Int, width: Int)] { parseSizes(targets) ?? [] }

    func validate() throws {
        guard !targetList.isEmpty else {
            throw ValidationError("--targets must be DEPTHxWIDTH items, e.g. 2x384,4x384 (got \(targets))")
        }
        guard condenseEpochs >= 0 else { throw ValidationError("--condense-epochs must be 0 or more") }
        guard condenseImages >= 64, trainImages >= 1, epochs >= 1, fitSteps >= 1 else {
            throw ValidationError("--condense-images must be at least 64; --train-images, --epochs and --fit-steps at least 1")
        }
    }

    func run() throws {
        engine.configureEngine()
        let (cache, path, detected) = try openAncestry(ancestry)
        let folder = try IDXFolder(path: data)
        var s = PipelineSettings()
        s.condenseImages = min(condenseImages, folder.train.count); s.condenseEpochs = condenseEpochs
        s.imageSize = imageSize; s.targets = targetList; s.trainImages = trainImages; s.fitSteps = fitSteps
        s.recipe.epochs = epochs; s.recipe.lr = lr; s.waveLR = waveLR; s.directPTTargets = directPTTargets
        s.testImages = testImages; s.quiet = quiet
        let report = try Pipeline.run(ancestry: detected, ancestryPath: path, data: folder, outDir: out, settings: s,
                                      teacherCache: cache + "/teacher", log: { if !quiet { note($0) } })
        // Schemas/pipeline-report.schema.json.
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeFileAtomically(Array(try enc.encode(report)), to: out + "/report.json")

        print("WAVE on \(URL(fileURLWithPath: data).lastPathComponent) from \(URL(fileURLWithPath: path).lastPathComponent) (\(detected.family.family), \(Fmt.millions(detected.parameterCount)) parameters)")
        print(String(format: "bundle: %@ (%.1f%% of the ancestry's F32 bytes), condensed in %.0f s on %d images",
                     Fmt.bytes(report.bundleBytes), 100 * report.ratio, report.condenseSeconds, s.condenseImages))
        for line in report.distillation { print(line) }
        for p in report.probes { print(String(format: "probe: step %d, depth %d build, linear-probe top-1 %.1f%%", p.step, p.depth, 100 * p.top1)) }
        print("")
        print("targets trained \(epochs) epoch(s) on \(trainImages) images at \(imageSize) px; test top-1 on \(min(testImages, folder.test.count)) images")
        let rows = report.rows.map { r -> [String] in
            ["\(r.depth)×\(r.width)", Fmt.millions(r.parameters), Fmt.millions(r.transferred),
             String(format: "%.1f", 100 * r.fitTop1), String(format: "%.1f", 100 * r.waveTop1), String(format: "%.1f", 100 * r.scratchTop1),
             String(format: "%+.1f", 100 * (r.waveTop1 - r.scratchTop1)), r.directPTTop1.map { String(format: "%.1f", 100 * $0) } ?? "—"]
        }
        print(Fmt.table(["target", "params", "transferred", "after fit", "WAVE", "scratch", "Δ", "Direct PT"], rows))
        print(String(format: "\nreport: %@/report.json; total %.0f s", out, report.seconds))
    }
}
