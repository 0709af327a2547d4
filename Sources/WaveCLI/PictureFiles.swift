import Foundation
import WaveTensor

/// A `--plot DIR` that cannot take the pictures, with the folder's name and what to do.
struct PictureFolderError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "--plot \(path): \(reason)" }
}

/// Writes SVG pictures into `dir` (made when missing), each atomically like every output; returns
/// their paths in the order given.
func writePictures(_ pictures: [(name: String, svg: String)], into dir: String) throws -> [String] {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), !isDir.boolValue {
        throw PictureFolderError(path: dir, reason: "is a file; give a folder (it is made when missing)")
    }
    do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    catch { throw PictureFolderError(path: dir, reason: "cannot make the folder (\(error.localizedDescription))") }
    return try pictures.map { p in
        let path = (dir as NSString).appendingPathComponent(p.name)
        try writeFileAtomically(Array(p.svg.utf8), to: path)
        return path
    }
}
