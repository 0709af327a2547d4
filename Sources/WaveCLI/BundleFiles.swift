import Foundation
import WaveFormats
import WaveMethod

/// A bundle that cannot be used, with the file's name in front of the reader's reason.
struct BundleFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}

/// Opens a wave bundle, after checking from its first bytes that it is one: a model given where a
/// bundle belongs is named as such, with the command that makes a bundle from it.
func openBundle(_ path: String) throws -> WaveBundle {
    let kind = try InputKind.of(path: path)
    if kind.isModel {
        throw BundleFileError(path: path, reason: "\(kind), not a wave bundle (no WAVEBNDL magic): make a bundle with `wave condense \(path) -o BUNDLE.wave`")
    }
    do { return try WaveBundle(path: path) } catch { throw BundleFileError(path: path, reason: "\(error)") }
}
