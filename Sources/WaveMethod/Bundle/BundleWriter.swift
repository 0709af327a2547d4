import Foundation
import WaveTensor
import WaveFormats

/// Writes condensed templates as a bundle (format v1), atomically.
public enum BundleWriter {
    public struct Options: Sendable {
        /// Dtype of templates and ordinary tensors; scalers are always F32 (a few thousand values whose
        /// relative precision matters when depth interpolation mixes them).
        public var dtype: DType = .f32
        public var zstdLevel: Int32 = 12
        public var provenance = BundleProvenance()
        public var metadata: [String: String] = [:]
        public init() {}
    }

    /// Each component's spectrum as metadata `spectrum.C` (Schemas/bundle.md, "Metadata").
    public static func spectrumMetadata(_ t: WaveTemplates) -> [String: String] {
        var out: [String: String] = [:]
        for c in t.components where !c.spectrum.isEmpty {
            out[spectrumKey + c.spec.name] = c.spectrum.map { String(format: "%.7g", $0) }.joined(separator: " ")
        }
        return out
    }

    public static let spectrumKey = "spectrum."

    /// Encodes every payload (in parallel: they are independent), lays them out and writes the file.
    @discardableResult
    public static func write(_ t: WaveTemplates, to path: String, options: Options = Options()) throws -> BundleManifest {
        guard [.f32, .f16, .bf16].contains(options.dtype) else {
            throw BundleError.badDType(name: "(--dtype)", dtype: options.dtype.rawValue)
        }
        var items: [(name: String, role: BundleTensorEntry.Role, shape: [Int], values: [Float], dtype: DType)] = []
        for c in t.components {
            let s = c.shape
            let tshape = c.spec.kind == .matrix ? [s.n, s.tr, s.tc] : [s.n, s.tr]
            let sshape = c.spec.kind == .matrix ? [c.layers, s.n, s.r, s.c] : [c.layers, s.n, s.r]
            items.append(("templates." + c.spec.name, .template, tshape, c.templates, options.dtype))
            items.append(("scalers." + c.spec.name, .scaler, sshape, c.scalers, .f32))
        }
        for (name, x) in t.others.all {
            let role: BundleTensorEntry.Role = name.hasPrefix("head.") ? .head : name.hasPrefix("norm.") ? .norm : .stem
            items.append((name, role, x.shape, x.floats(), options.dtype))
        }

        let work = items
        let packed = ConcurrentSlots<(PayloadCodec.Encoding, [UInt8], [UInt8])>(count: work.count)
        DispatchQueue.concurrentPerform(iterations: work.count) { i in
            let it = work[i]
            let raw = PayloadCodec.encode(it.values, as: it.dtype)
            let (enc, stored) = PayloadCodec.pack(raw, elementSize: it.dtype.size, level: options.zstdLevel)
            packed.set(i, (enc, stored, SHA256.hash(stored)))
        }

        var entries: [BundleTensorEntry] = []
        var offset = 0
        for (i, it) in items.enumerated() {
            let (enc, stored, digest) = packed.get(i)
            offset = BundleFormat.align(offset)
            entries.append(BundleTensorEntry(name: it.name, role: it.role, dtype: it.dtype, shape: it.shape, offset: offset,
                                             length: stored.count, rawLength: it.values.count * it.dtype.size,
                                             encoding: enc, sha256: digest))
            offset += stored.count
        }
        let manifest = BundleManifest(
            family: t.family, ancestry: t.ancestry, ancestryParameters: t.ancestryParameters, templateSize: t.templateSize,
            layerScale: t.layerScale.rawValue, method: "data-free least squares (truncated SVD of stacked blocks)",
            components: t.components.map {
                ComponentRecord(name: $0.spec.name, kind: $0.spec.kind, tensor: $0.spec.tensor, count: $0.shape.n,
                                requested: $0.requested, outDim: $0.shape.rows, inDim: $0.spec.kind == .matrix ? $0.shape.cols : 0,
                                groups: $0.spec.groups, relError: $0.relError)
            },
            tensors: entries, provenance: options.provenance, metadata: options.metadata.merging(spectrumMetadata(t)) { $1 })
        let man = manifest.packed()

        var header: [UInt8] = BundleFormat.magic
        withUnsafeBytes(of: BundleFormat.version.littleEndian) { header += $0 }
        withUnsafeBytes(of: UInt32(0).littleEndian) { header += $0 }
        withUnsafeBytes(of: UInt64(man.count).littleEndian) { header += $0 }
        header += SHA256.hash(man)
        header += man
        header += [UInt8](repeating: 0, count: BundleFormat.align(header.count) - header.count)

        let w = try AtomicFileWriter(path: path)
        do {
            try w.write(header)
            var at = 0
            for (i, e) in entries.enumerated() {
                if e.offset > at { try w.write([UInt8](repeating: 0, count: e.offset - at)) }
                try w.write(packed.get(i).1)
                at = e.offset + e.length
            }
            try w.commit()
        } catch {
            w.abandon()
            throw error
        }
        return manifest
    }
}

/// Result slots filled from concurrentPerform workers; each index is written once, read after.
final class ConcurrentSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); slots[i] = v; lock.unlock() }
    func get(_ i: Int) -> T { lock.lock(); defer { lock.unlock() }; return slots[i]! }
}
