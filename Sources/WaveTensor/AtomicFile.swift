import Foundation

/// Writes a file by streaming into a temporary sibling and renaming it into place, so a
/// crash or an error never leaves a half-written output under the final name. The temporary
/// is recorded in `TemporaryFiles` (an interrupt removes it), and temporaries of the same
/// final name that a killed process left behind are removed when the next write starts.
public final class AtomicFileWriter {
    public let path: String
    public let temporaryPath: String
    private let handle: FileHandle
    private var flushed = false
    private var finished = false
    public private(set) var bytesWritten: Int = 0

    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw FileError.cannotWrite(path: path, reason: "folder \(dir) does not exist")
        }
        let name = url.lastPathComponent
        TemporaryFiles.removeStale(in: dir) { $0 == name }
        temporaryPath = dir + "/" + TemporaryFiles.temporaryName(for: name)
        let fd = TemporaryFiles.create(temporaryPath)
        guard fd >= 0 else {
            throw FileError.cannotWrite(path: path, reason: "cannot create a temporary file in \(dir): \(String(cString: strerror(errno)))")
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        do { try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count, deallocator: .none)) }
        catch { throw FileError.cannotWrite(path: path, reason: "\(error)") }
        bytesWritten += bytes.count
    }

    public func write(_ data: [UInt8]) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Flushes to disk and closes the temporary; the final name is untouched until `commit`.
    public func flush() throws {
        guard !flushed else { return }
        flushed = true
        do {
            try handle.synchronize()
            try handle.close()
        } catch { abandon(); throw FileError.cannotWrite(path: path, reason: "\(error)") }
    }

    /// Flushes, closes and renames into place.
    public func commit() throws {
        try flush()
        finished = true
        defer { TemporaryFiles.forget(temporaryPath) }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw FileError.cannotWrite(path: path, reason: reason)
        }
    }

    /// Removes the temporary file; the destination is untouched.
    public func abandon() {
        guard !finished else { return }
        finished = true
        if !flushed { try? handle.close() }
        unlink(temporaryPath)
        TemporaryFiles.forget(temporaryPath)
    }

    /// Commits `writers` as one unit as far as a file system allows: every file is flushed before the
    /// first rename (a failed write changes no final name), then they are renamed in the given order.
    /// Callers put first what must never be older than what follows (a checkpoint's config before its
    /// weights, shards before their index). `afterRename(i)` runs after the i-th rename: tests use it
    /// to stop between two renames as a kill would.
    public static func commit(_ writers: [AtomicFileWriter], afterRename: ((Int) throws -> Void)? = nil) throws {
        do {
            for w in writers { try w.flush() }
            for (i, w) in writers.enumerated() {
                try w.commit()
                try afterRename?(i)
            }
        } catch {
            for w in writers { w.abandon() }
            throw error
        }
    }

    deinit { abandon() }
}

/// Writes `data` to `path` atomically.
public func writeFileAtomically(_ data: [UInt8], to path: String) throws {
    let w = try AtomicFileWriter(path: path)
    try w.write(data)
    try w.commit()
}
