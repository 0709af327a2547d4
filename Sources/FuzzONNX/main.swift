// libFuzzer target for the ONNX reader (wire scan, protobuf-c unpack, tensor decoding, graph naming).
//
// Same shape as FuzzSafetensors: scripts/fuzz.sh (or scripts/fuzz-onnx.sh) builds it with
// `-sanitize=fuzzer,address -DFUZZING`, and because SwiftPM links executables with its own `main`, the
// top-level code hands control to libFuzzer through LLVMFuzzerRunDriver. A plain `swift build` compiles a
// replay tool that runs saved inputs (fuzz-artifacts/*/crash-*) through the same function.
import Foundation
import WaveFormats
import WaveTensor

/// One input through the reader. Errors are the expected outcome; only a crash, a sanitizer report or a hang
/// is a finding. Parsed from memory (no folder), so external-data entries are refused rather than opening
/// files; on success every view is read end to end and the naming pass runs, since it walks the untrusted graph.
func fuzzInput(_ bytes: UnsafeRawBufferPointer) {
    // A copy of exactly `size` bytes: ASan then flags any read past the end.
    let owned = OwnedBytes(copying: bytes)
    guard let model = try? ONNXModel.parse(owned.bytes, folder: nil) else { return }
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
}

#if FUZZING
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
let paths = CommandLine.arguments.dropFirst()
if paths.isEmpty {
    FileHandle.standardError.write(Data("usage: FuzzONNX FILE...  (replays inputs; scripts/fuzz.sh FuzzONNX SECONDS fuzzes)\n".utf8))
    exit(2)
}
for path in paths {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
        exit(1)
    }
    data.withUnsafeBytes { fuzzInput($0) }
    print("ok \(path) (\(data.count) bytes)")
}
#endif
