import Foundation
import Testing
import WaveFormats

/// `wave expand` of a large target, stopped while it writes: SIGINT and SIGTERM remove the unfinished
/// temporary file before the process exits (status 128 + signal); after SIGKILL the temporary stays,
/// and the next write to the same output removes it.
@Suite(.serialized) struct InterruptedWriteTests {
    /// The fixture bundle (width 8) expanded to 24×768: about 450 MB, several seconds to write, so the
    /// signal arrives mid-write. The test stops it within a second of the temporary appearing.
    static let bundle = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures/bundle/seed-0-F32.wave").standardized.path

    /// Starts the large expansion into `dir` and returns once its temporary file exists.
    static func startLargeWrite(_ dir: TempDir) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = CLI.productsDirectory.appendingPathComponent("wave")
        p.arguments = ["expand", bundle, "--depth", "24", "--width", "768", "-o", dir.file("big.safetensors"), "--quiet"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while temporaries(dir).isEmpty, p.isRunning, Date() < deadline { usleep(10_000) }
        return (p, err)
    }

    static func temporaries(_ dir: TempDir) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.contains(".tmp-") }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalRemovesTheUnfinishedOutput(signal: Int32) throws {
        let dir = try TempDir()
        let (p, err) = try Self.startLargeWrite(dir)
        #expect(p.isRunning && Self.temporaries(dir).count == 1, "the write should be under way")
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + signal, "\(p.terminationReason) \(p.terminationStatus)")
        #expect(stderr.contains("removed 1 unfinished output file"), "\(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [], "nothing left behind")
    }

    @Test func afterSIGKILLTheNextWriteRemovesTheLeftover() throws {
        let dir = try TempDir()
        let (p, _) = try Self.startLargeWrite(dir)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(Self.temporaries(dir).count == 1, "SIGKILL cannot be caught: the temporary stays")
        let r = try CLI.run(["expand", Self.bundle, "--depth", "2", "--width", "8", "-o", dir.file("big.safetensors"), "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["big.json", "big.safetensors"])
    }
}
