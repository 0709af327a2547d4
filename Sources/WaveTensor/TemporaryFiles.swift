import Foundation

/// The temporary files this process is writing: AtomicFileWriter's `.NAME.tmp-PID-RAND` siblings of
/// the outputs. The process keeps a list of them so that an interrupted command can remove them before
/// it exits (WaveCLI's signal handling calls `removeAllAndExit`). The writer's PID is part of the name
/// so that a later write can tell the leftovers of a killed process from a live writer's file.
public enum TemporaryFiles {
    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var live: Set<String> = []
    }
    private static let registry = Registry()

    /// The temporary name for `finalName` written by this process (a hidden sibling, so that globs
    /// over the folder do not pick it up).
    static func temporaryName(for finalName: String) -> String {
        ".\(finalName).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Creates `path` (which must not exist) for writing and records it. Creation and recording happen
    /// under the same lock as `removeAllAndExit`, so an interrupt never finds a file it does not know.
    /// Returns the descriptor, or -1 with `errno` set.
    static func create(_ path: String) -> Int32 {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd >= 0 { registry.live.insert(path) }
        return fd
    }

    /// The file was renamed into place or removed: nothing left to clean up.
    static func forget(_ path: String) {
        registry.lock.lock()
        registry.live.remove(path)
        registry.lock.unlock()
    }

    /// The temporary files this process has open now.
    public static var live: Set<String> {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        return registry.live
    }

    /// Removes every temporary file of this process and ends it with `status`. The lock is never given
    /// back, so no other thread can create a new one before the process is gone; `_exit` because the
    /// other threads may be anywhere (atexit handlers and stdio flushing could block on them).
    public static func removeAllAndExit(status: Int32) -> Never {
        registry.lock.lock()
        for path in registry.live { unlink(path) }
        _exit(status)
    }

    /// Removes the temporary files in `folder` whose final name satisfies `isTarget` and whose writer is
    /// gone (killed with SIGKILL, or crashed): the PID in the name no longer exists, or is this process
    /// but the file is not one of ours (an earlier process had the same PID). Returns the names removed.
    @discardableResult
    public static func removeStale(in folder: String, where isTarget: (String) -> Bool) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        let ours = live
        var removed: [String] = []
        for name in names {
            guard let (finalName, pid) = parse(name), isTarget(finalName) else { continue }
            let path = folder + "/" + name
            let gone = pid == getpid() ? !ours.contains(path) : (kill(pid, 0) == -1 && errno == ESRCH)
            if gone, unlink(path) == 0 { removed.append(name) }
        }
        return removed
    }

    /// `.NAME.tmp-PID-RAND` → (NAME, PID); nil for any other name.
    static func parse(_ name: String) -> (finalName: String, pid: pid_t)? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards),
              marker.lowerBound > name.startIndex else { return nil }
        let finalName = String(name[name.index(after: name.startIndex)..<marker.lowerBound])
        let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard !finalName.isEmpty, parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let pid = pid_t(parts[0]), pid > 0, UInt32(parts[1]) != nil else { return nil }
        return (finalName, pid)
    }
}
