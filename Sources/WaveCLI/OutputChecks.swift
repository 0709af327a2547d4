import ArgumentParser
import Foundation

/// `-o` of the commands that write a checkpoint: a `.safetensors` name (the config JSON goes beside
/// it under the same base name). The message suggests the name that would work.
func checkSafetensorsOutput(_ path: String) throws {
    try checkOutputName(path, ending: "safetensors", "the output")
}

/// `-o` must end in `.ending`; `what` names the output in the message.
func checkOutputName(_ path: String, ending: String, _ what: String) throws {
    guard !path.hasSuffix("." + ending) else { return }
    let url = URL(fileURLWithPath: path)
    let base = url.pathExtension.isEmpty ? path : String(path.dropLast(url.pathExtension.count + 1))
    throw ValidationError("-o \(path): \(what) must end in .\(ending) (e.g. -o \(base).\(ending))")
}

/// A count option that must be at least 1 (blocks, width, heads).
func checkPositive(_ value: Int?, _ option: String) throws {
    if let value, value < 1 { throw ValidationError("\(option) must be a positive number (got \(value))") }
}
