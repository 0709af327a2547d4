// The part every libFuzzer target shares: the hand-off to libFuzzer in fuzzing builds, and the replay
// tool that plain builds make of each target.
//
// scripts/fuzz.sh builds the targets with `-sanitize=fuzzer,address -DFUZZING`. SwiftPM links every
// executable with `--defsym main=<Target>_main`, so libFuzzer's own `main` is never linked in; the
// target's top-level code therefore calls `FuzzDriver.run`, which hands control to libFuzzer through
// LLVMFuzzerRunDriver (it parses the usual libFuzzer flags). A plain `swift build` makes a replay tool
// instead: the files named on the command line (fuzz-artifacts/*/crash-* etc.) go through the same
// function, and each prints whether the reader accepted it.
import Foundation

public enum FuzzDriver {
    /// One input through a reader: what it found on success, the error otherwise. Errors are the
    /// expected outcome for most inputs; only a crash, a sanitizer report or a hang is a finding.
    public typealias Input = (UnsafeRawBufferPointer) -> Result<String, any Error>

    nonisolated(unsafe) static var input: Input?
    nonisolated(unsafe) static var afterEach: (() -> Void)?

    /// Fuzzes `input` (FUZZING builds) or replays the files on the command line through it, then
    /// exits. `afterEach` runs after every fuzzed input (FuzzIDX's leak probe).
    public static func run(_ name: String, usage: String = "", afterEach: (() -> Void)? = nil, _ input: @escaping Input) -> Never {
        self.input = input
        self.afterEach = afterEach
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzzOne(data, size) }))
        #else
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            let more = usage.isEmpty ? "" : "\n       " + usage
            FileHandle.standardError.write(Data("usage: \(name) FILE...  (replays inputs; scripts/fuzz.sh \(name) SECONDS fuzzes)\(more)\n".utf8))
            exit(2)
        }
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                exit(1)
            }
            switch data.withUnsafeBytes({ input($0) }) {
            case let .success(what): print("accepted \(path): \(what)")
            case let .failure(e): print("rejected \(path): \(e)")
            }
        }
        exit(0)
        #endif
    }
}

/// The libFuzzer entry point (also what a direct `swiftc -sanitize=fuzzer -parse-as-library` build
/// would call from libFuzzer's own `main`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = FuzzDriver.input?(UnsafeRawBufferPointer(start: data, count: size))
    FuzzDriver.afterEach?()
    return 0
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
