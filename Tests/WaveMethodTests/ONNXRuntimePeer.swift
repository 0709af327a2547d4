import Foundation
import WaveEngine
import WaveFormats
import WaveTensor

/// onnxruntime in the peers' virtualenv ($WAVE_VENV, else $WAVE_CACHE/venv: scripts/setup-peers.sh),
/// driven through Fixtures/onnx/ort_forward.py. Never a dependency of wave: tests that need it are
/// skipped when the venv lacks onnxruntime.
enum ONNXRuntimePeer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/onnx/ort_forward.py").path

    /// The venv's python, when it imports onnxruntime and onnx.
    static let python: String? = {
        let env = ProcessInfo.processInfo.environment
        let venv = env["WAVE_VENV"] ?? ((env["WAVE_CACHE"] ?? NSHomeDirectory() + "/.cache/wave") + "/venv")
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python),
              (try? run(python, ["-c", "import onnxruntime, onnx, numpy"]))?.status == 0 else { return nil }
        return python
    }()

    static func run(_ exe: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// onnxruntime's outputs of `model` on `input` (shape `dims`), by output name; `check` runs
    /// onnx.checker's full check on the model first.
    static func forward(model: String, input: [Float], dims: [Int], inputName: String = ONNXViTExport.inputName,
                        check: Bool = false) throws -> [String: (shape: [Int], values: [Float])] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-ort-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try input.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: dir + "/input.f32")) }
        let r = try run(python!, [script, model, inputName, dir + "/input.f32", dims.map(String.init).joined(separator: ","), dir] + (check ? ["--check"] : []))
        guard r.status == 0 else { throw PeerError(message: "ort_forward.py failed (\(r.status)): \(r.output)") }
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for line in r.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            let name = String(parts[0])
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name + ".f32"))
            let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            out[name] = (parts[1].split(separator: ",").map { Int($0)! }, values)
        }
        return out
    }

    struct PeerError: Error, CustomStringConvertible { let message: String; var description: String { message } }
}

/// The engine's own inference forward: every token after the final norm, and the logits.
func engineInference(_ set: TensorSet, _ cfg: ViTConfig, images: [Float], batch: Int) throws -> (tokens: [Float], logits: [Float]) {
    let model = try ViTModel(config: cfg)
    try model.load(set)
    let a = model.makeActivations(batch: batch, inference: true)
    images.withUnsafeBufferPointer { model.forward(images: $0.baseAddress!, a) }
    return (Array(a.tokens.array.prefix(batch * cfg.tokens * cfg.embedDim)), Array(a.logits.array.prefix(batch * cfg.numClasses)))
}

/// Exports `canonical` as `ONNXOutput` does in the CLI (the preprocessing wave feeds the config).
@discardableResult
func exportONNX(_ canonical: TensorSet, _ cfg: ViTConfig, to path: String, externalAbove: Int = ONNXWriter.defaultExternalAbove) throws -> ONNXWriter.Written {
    let p = Preprocess.for(cfg)
    let graph = try ONNXViTExport.graph(canonical, config: cfg,
                                        preprocessing: ImagePreprocessing(imageSize: p.size, channels: p.channels, mean: p.mean, std: p.std),
                                        producerVersion: "tests")
    return try ONNXWriter.write(graph, to: path, externalAbove: externalAbove)
}

/// A fresh temporary folder; the test removes it (`defer { dir.remove() }`: a class's deinit could run
/// right after the last use of `path`, before the files in it are read).
struct ExportFolder {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("wave-export-\(UUID().uuidString)").path
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
