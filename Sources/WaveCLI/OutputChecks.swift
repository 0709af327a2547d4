import ArgumentParser
import Foundation
import WaveFormats

/// `-o` of the commands that write a checkpoint: a `.safetensors` name (the config JSON goes beside
/// it under the same base name), or a folder (a name without extension, or an existing folder) that
/// gets `model.safetensors` and `config.json` as a Hugging Face folder. The message suggests the name that would work.
func checkSafetensorsOutput(_ path: String) throws {
    guard !isOutputFolder(path) else { return }
    try checkOutputName(path, ending: "safetensors", "the output", orFolder: true)
}

/// `-o` must end in `.ending`; `what` names the output in the message.
func checkOutputName(_ path: String, ending: String, _ what: String, orFolder: Bool = false) throws {
    guard !path.hasSuffix("." + ending) else { return }
    let url = URL(fileURLWithPath: path)
    let base = url.pathExtension.isEmpty ? path : String(path.dropLast(url.pathExtension.count + 1))
    throw ValidationError("-o \(path): \(what) must end in .\(ending) (e.g. -o \(base).\(ending))" + (orFolder ? ", or name a folder" : ""))
}

private func isOutputFolder(_ path: String) -> Bool {
    !path.hasSuffix(".safetensors") && (ModelFolder.isFolder(path) || (URL(fileURLWithPath: path).pathExtension.isEmpty && !path.isEmpty))
}

/// The weights file for `-o`: the path itself, or a folder's `model.safetensors` (the folder made).
func checkpointWeightsPath(_ output: String) throws -> String {
    guard isOutputFolder(output) else { return output }
    do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
    catch { throw ValidationError("-o \(output): cannot make the folder (\(error.localizedDescription))") }
    return (output.hasSuffix("/") ? output : output + "/") + "model.safetensors"
}

/// A count option that must be at least 1 (blocks, width, heads).
func checkPositive(_ value: Int?, _ option: String) throws {
    if let value, value < 1 { throw ValidationError("\(option) must be a positive number (got \(value))") }
}
