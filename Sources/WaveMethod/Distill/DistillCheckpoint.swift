import Foundation
import WaveTensor

/// A distillation run's whole state — step, parameters, AdamW moments, loss and probe history —
/// so that a run killed at any point resumes from its last checkpoint and ends with the same
/// bundle as an uninterrupted one (every random draw depends on (seed, step) only).
///
/// Layout (little-endian; the spec is Schemas/distill-checkpoint.md): "WAVECK1\0", u64 fingerprint
/// length F, F bytes of UTF-8 fingerprint, u64 step, u64 P (parameters), u64 H (loss history),
/// u64 J (probe JSON bytes), then P floats of parameters, P of m, P of v, H of losses, J bytes of JSON.
public enum DistillCheckpoint {
    static let magic = Array("WAVECK1\0".utf8)

    /// What must match for a checkpoint to be resumed by this run.
    static func fingerprint(_ d: Distiller) -> String {
        let s = d.settings
        return "steps=\(s.steps) batch=\(s.batch) lr=\(s.lr) template-lr-scale=\(d.templateLRScale) warmup=\(s.warmup) alpha=\(s.alpha) kd=\(s.kd.rawValue) tau=\(s.tau) "
            + "depths=\(s.depths) size=\(s.imageSize) seed=\(s.seed) images=\(d.datasetCount) params=\(d.aux.layout.count)"
            // The gradient's shard count changes its sums (not the rank count): named when not 1,
            // so checkpoints of one-shard runs from before sharding still resume.
            + (d.parallel.plan.shards == 1 ? "" : " grad-shards=\(d.parallel.plan.shards)")
    }

    public static func save(_ d: Distiller, to path: String) throws {
        let (step, m, v) = d.optimizer.state
        let fp = Array(fingerprint(d).utf8)
        let probes = try JSONEncoder().encode(d.probes)
        var out = magic
        func u64(_ x: Int) { withUnsafeBytes(of: UInt64(x).littleEndian) { out += $0 } }
        u64(fp.count); out += fp
        u64(step); u64(d.aux.layout.count); u64(d.lossHistory.count); u64(probes.count)
        out += UnsafeRawBufferPointer(start: d.aux.params.pointer, count: d.aux.layout.count * 4)
        m.withUnsafeBytes { out += $0 }
        v.withUnsafeBytes { out += $0 }
        d.lossHistory.withUnsafeBytes { out += $0 }
        out += probes
        try writeFileAtomically(out, to: path)
    }

    /// Restores `d` from `path`; false when there is no checkpoint there.
    @discardableResult
    public static func resume(_ d: Distiller, from path: String) throws -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let file = try MappedFile(path: path)
        var c = ByteCursor(file.bytes)
        func u64() throws -> Int {
            guard let x = c.readU64(), x < 1 << 40 else { throw CheckpointError.corrupt(path) }
            return Int(x)
        }
        guard let mg = c.readBytes(8), Array(mg) == magic else { throw CheckpointError.corrupt(path) }
        guard let fpBytes = c.readBytes(try u64()) else { throw CheckpointError.corrupt(path) }
        let fp = String(decoding: fpBytes, as: UTF8.self)
        guard fp == fingerprint(d) else { throw CheckpointError.mismatch(path: path, saved: fp, now: fingerprint(d)) }
        let step = try u64(), p = try u64(), h = try u64(), j = try u64()
        guard p == d.aux.layout.count, let params = c.readBytes(4 * p), let m = c.readBytes(4 * p), let v = c.readBytes(4 * p),
              let losses = c.readBytes(4 * h), let json = c.readBytes(j), c.remaining == 0 else { throw CheckpointError.corrupt(path) }
        func floats(_ b: UnsafeRawBufferPointer) -> [Float] {
            [Float](unsafeUninitializedCapacity: b.count / 4) { buf, n in
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: b)
                n = b.count / 4
            }
        }
        let probes = try JSONDecoder().decode([ProbePoint].self, from: Data(json))
        d.restore(step: step, params: floats(params), m: floats(m), v: floats(v), probes: probes, losses: floats(losses))
        return true
    }
}

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case corrupt(String)
    case mismatch(path: String, saved: String, now: String)

    public var description: String {
        switch self {
        case let .corrupt(p): return "checkpoint \(p) is corrupt or truncated; delete it to start over"
        case let .mismatch(p, saved, now):
            return "checkpoint \(p) belongs to another run (\(saved)); this run is (\(now)): delete it or use the same options"
        }
    }
}
