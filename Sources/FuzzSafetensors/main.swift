// libFuzzer target for the safetensors parser.
//
// scripts/fuzz.sh builds it with `-sanitize=fuzzer,address -DFUZZING`. SwiftPM links every
// executable with `--defsym main=<Target>_main`, so libFuzzer's own `main` is never linked in;
// the top-level code below therefore hands control to libFuzzer through LLVMFuzzerRunDriver,
// which parses the usual libFuzzer flags. A plain `swift build` compiles a replay tool
// instead, which runs saved inputs (fuzz-artifacts/*/crash-*) through the same function.
import Foundation
import WaveFormats
import WaveTensor

/// One input through the parser. Errors are the expected outcome for most inputs; only a
/// crash, a sanitizer report or a hang is a finding. When the parser accepts, every view is
/// read end to end, so a view that strays outside the input shows up under ASan.
func fuzzInput(_ bytes: UnsafeRawBufferPointer) {
    // A copy of exactly `size` bytes: ASan then flags any read past the end.
    let owned = OwnedBytes(copying: bytes)
    guard let set = try? Safetensors.parse(owned.bytes, owner: owned) else { return }
    var sum: UInt8 = 0
    for (_, t) in set.all {
        for b in t.bytes { sum &+= b }
        if t.count <= 4096 { _ = t.floats() }
    }
    withExtendedLifetime(sum) {}
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
let paths = CommandLine.arguments.dropFirst()
if paths.isEmpty {
    FileHandle.standardError.write(Data("usage: FuzzSafetensors FILE...  (replays inputs; scripts/fuzz.sh fuzzes)\n".utf8))
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
