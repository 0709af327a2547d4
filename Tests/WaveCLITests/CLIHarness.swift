import Foundation
import Testing

/// Runs the built `wave` binary (next to the test bundle) and captures what it says.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLI {
    static var productsDirectory: URL {
        // The test runner lives in the products folder, beside the `wave` executable.
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("wave").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return runner.deletingLastPathComponent()
    }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try run(executable: productsDirectory.appendingPathComponent("wave"), args, environment: environment)
    }

    /// Any program (a peer's python), captured the same way.
    static func run(executable: URL, _ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read before waiting so a large output cannot fill the pipe and stall the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

/// A fresh temporary folder removed at the end of the test.
final class TempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("wave-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The real inputs' cache (INPUTS.md), as scripts/setup.sh fills it.
enum RealInputs {
    static var cache: String {
        ProcessInfo.processInfo.environment["WAVE_CACHE"] ?? (NSHomeDirectory() + "/.cache/wave")
    }
    static var dinov2ONNX: String? {
        let p = cache + "/vit_s_focus.onnx"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }
}
