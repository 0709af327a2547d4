// libFuzzer target for the ONNX reader (wire scan, protobuf-c unpack, tensor decoding, graph naming).
//
// scripts/fuzz.sh FuzzONNX fuzzes it; a plain build is a replay tool (Sources/FuzzDriver).
import Foundation
import FuzzDriver
import WaveFormats
import WaveTensor

/// One input through the reader. Errors are the expected outcome; only a crash, a sanitizer report or a hang
/// is a finding. Parsed from memory (no folder), so external-data entries are refused rather than opening
/// files; on success every view is read end to end and the naming pass runs, since it walks the untrusted graph.
func fuzzInput(_ bytes: UnsafeRawBufferPointer) -> Result<String, any Error> {
    // A copy of exactly `size` bytes: ASan then flags any read past the end.
    let owned = OwnedBytes(copying: bytes)
    let model: ONNXModel
    do { model = try ONNXModel.parse(owned.bytes, folder: nil) } catch { return .failure(error) }
    var sum: UInt8 = 0
    for (_, t) in model.initializers.all {
        for b in t.bytes { sum &+= b }
        if t.count <= 4096 { _ = t.floats() }
    }
    if let named = try? model.namedTensors() {
        for (_, t) in named.all where t.count <= 4096 { _ = t.floats() }
    }
    _ = model.graphNameToInitializer
    withExtendedLifetime(sum) {}
    return .success("\(model.initializers.count) initializers")
}

FuzzDriver.run("FuzzONNX", fuzzInput)
