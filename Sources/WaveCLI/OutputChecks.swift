import ArgumentParser
import Foundation

/// `-o` of the commands that write a checkpoint: a `.safetensors` name (the config JSON goes beside
/// it under the same base name). The message suggests the name that would work.
func checkSafetensorsOutput(_ path: String) throws {
    guard !path.hasSuffix(".safetensors") else { return }
    let url = URL(fileURLWithPath: path)
    let base = url.pathExtension.isEmpty ? path : String(path.dropLast(url.pathExtension.count + 1))
    throw ValidationError("-o \(path): the output must end in .safetensors (e.g. -o \(base).safetensors)")
}

/// A count option that must be at least 1 (blocks, width, heads).
func checkPositive(_ value: Int?, _ option: String) throws {
    if let value, value < 1 { throw ValidationError("\(option) must be a positive number (got \(value))") }
}
