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

    @Option(help: "Threads for BLAS and the engine (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard fitSteps > 0, fitBatch > 0, fitLR > 0 else { throw ValidationError("--fit-steps, --fit-batch and --fit-lr must be positive") }
        if let fitImages, fitImages <= 0 { throw ValidationError("--fit-images must be positive") }
    }

    /// Fits and writes the target; returns lines for the report.
    func fitAndWrite(_ templates: WaveTemplates, request: ExpansionRequest, output: String, names: NameStyle,
                     metadata: [String: String], quiet: Bool) throws -> [String] {
        guard let data else { return [] }
        Engine.configure(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
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
        let report = try ScalerFit.fit(model, train: train, test: folder.test, preprocess: .for(model.config), settings: s)
        var out = try Architecture.export(try model.materialize(depth: model.config.depth), config: model.config, names: names)
        out.metadata = metadata.merging(["wave.fit": "\(fitSteps) steps on \(train.count) images of \(data)"]) { $1 }
        try Safetensors.write(out, to: output)
        try writeFileAtomically(Array(model.config.timmJSON().utf8), to: ViTConfig.configPath(besideCheckpoint: output))
        var lines = [String(format: "fit: %d steps on %d images in %.1f s, loss %.4f → %.4f, train top-1 %.1f%%",
                            report.steps, report.images, report.seconds, report.firstLoss, report.lastLoss, 100 * report.trainTop1)]
        if let t = report.testTop1 { lines.append(String(format: "fit: test top-1 %.2f%% (first %d test images)", 100 * t, min(s.evalImages, folder.test.count))) }
        return lines
    }
}
