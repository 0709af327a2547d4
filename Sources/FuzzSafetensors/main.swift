// libFuzzer target for the safetensors parser.
//
// scripts/fuzz.sh FuzzSafetensors fuzzes it; a plain build is a replay tool (Sources/FuzzDriver)
// that also, with --time, measures a read.
import Foundation
import FuzzDriver
import WaveFormats
import WaveTensor

/// One input through the parser. Errors are the expected outcome for most inputs; only a
/// crash, a sanitizer report or a hang is a finding. When the parser accepts, every view is
/// read end to end, so a view that strays outside the input shows up under ASan.
/// Returns the tensor count or the error, for the replay tool to print.
@discardableResult
func fuzzInput(_ bytes: UnsafeRawBufferPointer) -> Result<Int, any Error> {
    // A copy of exactly `size` bytes: ASan then flags any read past the end.
    let owned = OwnedBytes(copying: bytes)
    let set: TensorSet
    do { set = try Safetensors.parse(owned.bytes, owner: owned) } catch { return .failure(error) }
    var sum: UInt8 = 0
    for (_, t) in set.all {
        for b in t.bytes { sum &+= b }
        if t.count <= 4096 { _ = t.floats() }
    }
    withExtendedLifetime(sum) {}
    return .success(set.count)
}

#if !FUZZING
/// `--time FILE`: how long `Safetensors.read` takes on a real file (map + validate + views),
/// and, for comparison, how long touching every byte takes. Release builds only mean anything.
func timeRead(_ path: String) throws {
    func ms(_ d: Duration) -> String { String(format: "%.3f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1e3) }
    let clock = ContinuousClock()
    var best = Duration.seconds(1000)
    var set = TensorSet()
    for _ in 0..<20 {
        let t = try clock.measure {
            set = try Safetensors.read(path: path)
            // Touch the header: every name, dtype and shape.
            var dims = 0
            for (name, tensor) in set.all { dims &+= name.utf8.count &+ tensor.shape.count &+ tensor.dtype.size }
            withExtendedLifetime(dims) {}
        }
        best = min(best, t)
    }
    var sum: UInt64 = 0
    let touch = clock.measure {
        for (_, t) in set.all { for i in stride(from: 0, to: t.bytes.count, by: 4096) { sum &+= UInt64(t.bytes[i]) } }
    }
    print("\(path): \(set.count) tensors, \(set.totalBytes) bytes; read + header: best of 20 \(ms(best)); first touch of every page: \(ms(touch)) (\(sum & 1))")
}

if CommandLine.arguments.dropFirst().first == "--time" {
    for path in CommandLine.arguments.dropFirst(2) { try timeRead(path) }
    exit(0)
}
#endif
FuzzDriver.run("FuzzSafetensors", usage: "FuzzSafetensors --time FILE...") { input in fuzzInput(input).map { "\($0) tensors" } }
