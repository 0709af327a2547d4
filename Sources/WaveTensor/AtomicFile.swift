import Foundation

/// Writes a file by streaming into a temporary sibling and renaming it into place, so a
/// crash or an error never leaves a half-written output under the final name.
public final class AtomicFileWriter {
    public let path: String
    public let temporaryPath: String
    private let handle: FileHandle
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
        temporaryPath = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
              let h = FileHandle(forWritingAtPath: temporaryPath) else {
            throw FileError.cannotWrite(path: path, reason: "cannot create a temporary file in \(dir)")
        }
        handle = h
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

    /// Flushes, closes and renames into place.
    public func commit() throws {
        do {
            try handle.synchronize()
            try handle.close()
        } catch { abandon(); throw FileError.cannotWrite(path: path, reason: "\(error)") }
        finished = true
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
        try? handle.close()
        unlink(temporaryPath)
    }

    deinit { abandon() }
}

/// Writes `data` to `path` atomically.
public func writeFileAtomically(_ data: [UInt8], to path: String) throws {
    let w = try AtomicFileWriter(path: path)
    try w.write(data)
    try w.commit()
}
