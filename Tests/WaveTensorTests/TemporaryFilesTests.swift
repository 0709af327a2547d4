import Foundation
import Testing
@testable import WaveTensor

/// A fresh folder, removed at the end of the test.
private func scratchFolder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-tmpfiles-\(UUID())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The PID of a process that has exited (and been reaped), so `kill(pid, 0)` fails with ESRCH.
private func deadPID() throws -> pid_t {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/true")
    try p.run()
    p.waitUntilExit()
    return p.processIdentifier
}

@Suite struct TemporaryFilesTests {
    @Test func namesParseBackToTheirFinalNameAndWriter() {
        let name = TemporaryFiles.temporaryName(for: "m.safetensors")
        #expect(name.hasPrefix(".m.safetensors.tmp-\(getpid())-"))
        #expect(TemporaryFiles.parse(name)?.finalName == "m.safetensors")
        #expect(TemporaryFiles.parse(name)?.pid == getpid())
        #expect(TemporaryFiles.parse(".a.tmp-b.tmp-12-34")?.finalName == "a.tmp-b")
        for other in ["m.safetensors", ".m.safetensors", ".m.tmp-12", ".m.tmp-12-", ".m.tmp-x-1", ".tmp-1-2", ".m.tmp-1-2-3"] {
            #expect(TemporaryFiles.parse(other) == nil, "\(other)")
        }
    }

    @Test func aWriteIsRecordedUntilItIsCommittedOrAbandoned() throws {
        let dir = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try AtomicFileWriter(path: dir + "/a.bin")
        #expect(TemporaryFiles.live.contains(w.temporaryPath))
        try w.write([1])
        try w.commit()
        #expect(!TemporaryFiles.live.contains(w.temporaryPath))
        let v = try AtomicFileWriter(path: dir + "/b.bin")
        v.abandon()
        #expect(!TemporaryFiles.live.contains(v.temporaryPath))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.bin"])
    }

    @Test func theNextWriteRemovesADeadWritersTemporariesOnly() throws {
        let dir = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dead = try deadPID()
        let leftovers = [
            ".out.bin.tmp-\(dead)-1",          // killed writer of the same output: removed
            ".out.bin.tmp-\(getpid())-2",      // this PID, but not a file of this process: removed
            ".out.bin.tmp-1-3",                // PID 1 is alive: a live writer's, kept
            ".other.bin.tmp-\(dead)-4",        // another output's: kept (its own next write removes it)
            "out.bin.tmp-\(dead)-5",           // not a temporary name: kept
        ]
        for n in leftovers { _ = FileManager.default.createFile(atPath: dir + "/" + n, contents: Data([0])) }
        try writeFileAtomically([7], to: dir + "/out.bin")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(left == ["\(leftovers[2])", "\(leftovers[3])", "\(leftovers[4])", "out.bin"].sorted())
    }

    @Test func aGroupIsFlushedBeforeTheFirstRenameAndRenamedInOrder() throws {
        let dir = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeFileAtomically([1], to: dir + "/first")
        try writeFileAtomically([1], to: dir + "/second")
        let a = try AtomicFileWriter(path: dir + "/first"), b = try AtomicFileWriter(path: dir + "/second")
        try a.write([2]); try b.write([2])
        struct Stop: Error {}
        // Stopped after the first rename, as a kill would: the first file is new, the second old.
        #expect(throws: Stop.self) { try AtomicFileWriter.commit([a, b]) { if $0 == 0 { throw Stop() } } }
        #expect(FileManager.default.contents(atPath: dir + "/first") == Data([2]))
        #expect(FileManager.default.contents(atPath: dir + "/second") == Data([1]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["first", "second"])
        let c = try AtomicFileWriter(path: dir + "/first"), d = try AtomicFileWriter(path: dir + "/second")
        try c.write([3]); try d.write([3])
        try AtomicFileWriter.commit([c, d])
        #expect(FileManager.default.contents(atPath: dir + "/second") == Data([3]))
    }
}
