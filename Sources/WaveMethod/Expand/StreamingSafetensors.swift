import Foundation
import WaveTensor
import WaveFormats

/// A safetensors file written tensor by tensor: the header (every name, dtype, shape, offset) is
/// known from the plan and written first, then each tensor is produced, written and dropped, so
/// peak memory is one tensor, not the model. Atomic: the file appears under its name only when
/// complete.
final class StreamingSafetensors {
    private let writer: AtomicFileWriter
    private let expected: [(name: String, shape: [Int])]
    private var next = 0

    init(path: String, tensors: [(name: String, shape: [Int])], metadata: [String: String]) throws {
        expected = tensors
        writer = try AtomicFileWriter(path: path)
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append("\"__metadata__\":{" + metadata.keys.sorted().map { "\(Self.quoted($0)):\(Self.quoted(metadata[$0]!))" }.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, shape) in tensors {
            let end = offset + 4 * shape.reduce(1, *)
            parts.append("\(Self.quoted(name)):{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var json = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var header: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { header += $0 }
        try writer.write(header + json)
    }

    /// The next tensor, in header order.
    func append(_ name: String, _ values: [Float]) throws {
        precondition(next < expected.count && expected[next].name == name && expected[next].shape.reduce(1, *) == values.count,
                     "streaming safetensors: \(name) out of order or of the wrong size")
        try values.withUnsafeBytes { try writer.write($0) }
        next += 1
    }

    /// Renames `first` (already written) into place, then this file (AtomicFileWriter.commit).
    func commit(after first: [AtomicFileWriter] = []) throws {
        precondition(next == expected.count, "streaming safetensors: \(expected.count - next) tensors not written")
        try AtomicFileWriter.commit(first + [writer])
    }

    func abandon() { writer.abandon() }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

extension ExpansionPlan {
    /// Output tensors under `names`: each canonical tensor maps to one or more (HF splits qkv).
    /// Found by exporting a zero tensor of each shape, one at a time.
    public func outputLayout(names: NameStyle) throws -> [(canonical: String, outputs: [(name: String, shape: [Int])])] {
        try entries.map { e in
            if names == .timm { return (e.name, [(e.name, e.shape)]) }
            var one = TensorSet()
            one.add(e.name, RawTensor(shape: e.shape, floats: [Float](repeating: 0, count: e.shape.reduce(1, *))))
            let out = try Architecture.export(one, config: target, names: names)
            return (e.name, out.all.map { ($0.name, $0.tensor.shape) })
        }
    }

    /// Executes the plan into a safetensors file (F32) with its config JSON beside it (timm keyword
    /// arguments, or HF config.json with `names: .hf`, plus the HF-only zero tensors), one unit
    /// as Checkpoint writes them: the weights carry the config (`wave.config`), which is renamed into
    /// place first. Returns the bytes written.
    @discardableResult
    public func write(to path: String, names: NameStyle = .timm, metadata: [String: String] = [:],
                      progress: ((String) -> Void)? = nil) throws -> Int {
        let layout = try outputLayout(names: names)
        let config = target.configJSON(names: names)
        // HF classes hold tensors the canonical model lacks (Dinov2's mask token, ViTModel's pooler): zeros, after the rest.
        let hfOnly = names == .hf ? Architecture.hfOnlyTensors(target) : []
        let stream = try StreamingSafetensors(path: path, tensors: layout.flatMap(\.outputs) + hfOnly,
                                              metadata: metadata.merging([Checkpoint.configKey: config]) { $1 })
        do {
            for (i, e) in entries.enumerated() {
                let values = e.make()
                if names == .timm {
                    try stream.append(e.name, values)
                } else {
                    var one = TensorSet()
                    one.add(e.name, RawTensor(shape: e.shape, floats: values))
                    for (n, t) in try Architecture.export(one, config: target, names: names).all { try stream.append(n, t.floats()) }
                }
                if (i + 1) % 50 == 0 { progress?("  \(i + 1)/\(entries.count) tensors") }
            }
            for (name, shape) in hfOnly { try stream.append(name, [Float](repeating: 0, count: shape.reduce(1, *))) }
            let configFile = try AtomicFileWriter(path: ViTConfig.configPath(besideCheckpoint: path))
            try configFile.write(Array(config.utf8))
            try stream.commit(after: [configFile])
        } catch {
            stream.abandon()
            throw error
        }
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        return (attrs?[.size] as? NSNumber)?.intValue ?? 0
    }
}
