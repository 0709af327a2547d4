// libFuzzer target for the safetensors parser.
//
// scripts/fuzz.sh builds it with `-sanitize=fuzzer,address -DFUZZING`. SwiftPM links every
// executable with `--defsym main=<Target>_main`, so libFuzzer's own `main` is never linked in;
// the top-level code below therefore hands control to libFuzzer through LLVMFuzzerRunDriver,
// which parses the usual libFuzzer flags. A plain `swift build` compiles a replay tool
// instead, which runs saved inputs (fuzz-artifacts/*/crash-*) through the same function
// (and, with --time, measures a read).
import Foundation
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

#if FUZZING
/// The libFuzzer entry point. Also what a direct `swiftc -sanitize=fuzzer -parse-as-library`
/// build would use with libFuzzer's own `main`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzzOne(data, size) }))
#else
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

let paths = Array(CommandLine.arguments.dropFirst())
if paths.first == "--time" {
    for path in paths.dropFirst() { try timeRead(path) }
    exit(0)
}
if paths.isEmpty {
    FileHandle.standardError.write(Data("usage: FuzzSafetensors FILE...  (replays inputs; scripts/fuzz.sh fuzzes)\n       FuzzSafetensors --time FILE...\n".utf8))
    exit(2)
}
for path in paths {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
        exit(1)
    }
    switch data.withUnsafeBytes({ fuzzInput($0) }) {
    case let .success(n): print("accepted \(path): \(n) tensors")
    case let .failure(e): print("rejected \(path): \(e)")
    }
}
#endif
