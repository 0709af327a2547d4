import Foundation
import WaveFormats

/// Human-readable figures for command output.
enum Fmt {
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    static func count(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0, i % 3 == 0, c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func millions(_ n: Int) -> String { String(format: "%.2fM", Double(n) / 1e6) }

    static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

    /// Left-aligned columns, the last one right-aligned when numeric.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { i, c in
                i == r.count - 1 ? String(repeating: " ", count: widths[i] - c.count) + c
                                 : c + String(repeating: " ", count: widths[i] - c.count)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func json(_ obj: Any) -> String {
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Writes to standard error (progress, notes); results go to standard output.
func note(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// DEPTHxWIDTH items, comma-separated ("2x384,4x384"); nil when any item is malformed.
func parseSizes(_ text: String) -> [(depth: Int, width: Int)]? {
    let items = text.split(separator: ",").map { item -> (depth: Int, width: Int)? in
        let p = item.lowercased().split(separator: "x")
        guard p.count == 2, let d = Int(p[0]), let w = Int(p[1]), d > 0, w > 0 else { return nil }
        return (d, w)
    }
    guard !items.isEmpty, items.allSatisfy({ $0 != nil }) else { return nil }
    return items.map { $0! }
}

/// The cache folder ($WAVE_CACHE, default ~/.cache/wave) and the ancestry a real-data command
/// runs on: the given file, else the DINOv2 ONNX scripts/setup.sh fetches into the cache.
func openAncestry(_ path: String?) throws -> (cache: String, path: String, model: DetectedModel) {
    let cache = ProcessInfo.processInfo.environment["WAVE_CACHE"] ?? (NSHomeDirectory() + "/.cache/wave")
    let p = path ?? cache + "/vit_s_focus.onnx"
    let file = try ModelFile.open(p)
    return (cache, p, try Architecture.detect(file.tensors, hints: file.configHints))
}
