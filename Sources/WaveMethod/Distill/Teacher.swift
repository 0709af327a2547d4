import Foundation
import WaveTensor
import WaveFormats
import WaveEngine

/// The ancestry as a feature teacher (condensation step 2): per image, its final
/// normalized class token and mean patch token [2d], at a reduced input size with the position
/// embeddings resampled. Teacher outputs are deterministic per image, so they are computed once
/// and cached on disk (Schemas/teacher-cache.md).
public struct TeacherFeatures: Sendable {
    public let count: Int
    /// 2·d: class token then mean patch token.
    public let dim: Int
    public let values: [Float]
    /// Per-dimension mean and standard deviation over the images: distillation compares
    /// standardized features, since raw class tokens share one dominant direction.
    public let mean: [Float]
    public let std: [Float]

    public init(count: Int, dim: Int, values: [Float]) {
        precondition(values.count == count * dim)
        self.count = count; self.dim = dim; self.values = values
        var m = [Double](repeating: 0, count: dim), s = m
        for i in 0..<count { for k in 0..<dim { m[k] += Double(values[i * dim + k]) } }
        for k in 0..<dim { m[k] /= Double(max(count, 1)) }
        for i in 0..<count { for k in 0..<dim { let x = Double(values[i * dim + k]) - m[k]; s[k] += x * x } }
        mean = m.map { Float($0) }
        std = s.map { Float(max(($0 / Double(max(count, 1))).squareRoot(), 1e-6)) }
    }
}

public enum Teacher {
    /// Runs the ancestry (canonical timm tensors of `config`) at `imageSize` over every image.
    /// With `logits`, the outputs are the ancestry's logits [K] instead (logit KD). In a group of
    /// several ranks, each runs a contiguous run of the batches and all gather the result: every
    /// batch holds the images one process would give it, so the outputs are the same bits (an
    /// image's outputs may depend on its place in the batch's products, never on the rank).
    public static func compute(ancestry: TensorSet, config: ViTConfig, dataset: ImageDataset, imageSize: Int,
                               logits: Bool = false, batch: Int = 64, quiet: Bool = false,
                               group: ProcessGroup = SingleProcess()) throws -> TeacherFeatures {
        var cfg = config
        cfg.imageSize = imageSize
        let model = try ViTModel(config: cfg)
        try model.load(ancestry)
        let loader = BatchLoader(dataset: dataset, batchSize: batch, preprocess: .imageNet(size: imageSize),
                                 shuffle: false, dropLast: false)
        loader.startEpoch(0)
        let a = model.makeActivations(batch: batch, inference: true)
        let dim = logits ? cfg.numClasses : 2 * cfg.embedDim
        let batches = loader.batchesPerEpoch, ranks = group.size
        let mine = batches * group.rank / ranks ..< batches * (group.rank + 1) / ranks
        // Rows of this rank's batches, padded to the largest rank's so that the gather is uniform.
        let rowsPerRank = ((batches + ranks - 1) / ranks) * batch
        var out = [Float](repeating: 0, count: rowsPerRank * dim)
        let feats = FloatBuffer(count: batch * dim)
        let progress = ProgressReporter("teacher features (\(imageSize) px)", total: dataset.count, unit: "image",
                                        quiet: quiet || !group.isLead)
        var done = 0
        for b in mine {
            let n = loader.fill(batch: b)
            model.forward(images: loader.images.pointer, a)
            if logits { feats.pointer.update(from: a.logits.pointer, count: n * dim) }
            else { Features.classAndMeanPatch(a, into: feats.pointer) }
            out.withUnsafeMutableBufferPointer { o in
                (o.baseAddress! + done * dim).update(from: feats.pointer, count: n * dim)
            }
            done += n
            progress.update(done * ranks)
        }
        progress.finish()
        guard ranks > 1 else { return TeacherFeatures(count: dataset.count, dim: dim, values: Array(out[..<(done * dim)])) }
        var all = [Float](repeating: 0, count: ranks * rowsPerRank * dim)
        try out.withUnsafeBufferPointer { o in
            try all.withUnsafeMutableBufferPointer { r in try group.allGather(o.baseAddress!, r.baseAddress!, count: rowsPerRank * dim) }
        }
        var values: [Float] = []
        values.reserveCapacity(dataset.count * dim)
        for r in 0..<ranks {
            let theirs = batches * r / ranks ..< batches * (r + 1) / ranks
            let rows = theirs.isEmpty ? 0 : min(theirs.upperBound * batch, dataset.count) - theirs.lowerBound * batch
            values += all[r * rowsPerRank * dim ..< (r * rowsPerRank + rows) * dim]
        }
        return TeacherFeatures(count: dataset.count, dim: dim, values: values)
    }

    /// The one cache key of teacher outputs (condense, expand --teacher, pipeline, bench): it names
    /// what they depend on, the ancestry file (name, size and modification time), the input size,
    /// the kind of output and the images themselves (count and a hash of their pixels, so that two
    /// datasets of the same size never share an entry).
    public static func cacheKey(ancestry path: String, imageSize: Int, logits: Bool, data: ImageDataset) -> String {
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        let bytes = (attrs?[.size] as? NSNumber)?.intValue ?? 0
        let mtime = Int((attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for p in data.pixels { h = (h ^ UInt64(p)) &* 0x100_0000_01b3 }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return "\(name)-\(bytes)-\(mtime)-\(imageSize)px-\(logits ? "logits" : "features")-\(data.count)-\(String(h, radix: 16))"
    }

    /// Loads features cached under `key` in `folder`, or computes and caches them (atomically).
    /// The key must name everything the features depend on (ancestry, size, images). A cached file
    /// whose rows or row length are not the `count` × `dim` the caller needs (a hand-made or
    /// colliding file: its own sizes are consistent, Schemas/teacher-cache.md) is computed again,
    /// never read with the wrong row length.
    ///
    /// In a group of several ranks the cache is read only when every rank can read it (one node,
    /// or a cache folder they share); otherwise they compute the outputs together (`compute`
    /// with the group) and rank 0 alone writes the file.
    public static func cached(folder: String, key: String, count: Int, dim: Int, group: ProcessGroup = SingleProcess(),
                              compute: () throws -> TeacherFeatures) throws -> TeacherFeatures {
        let path = folder + "/teacher-\(key).f32"
        let found = (try? load(path)).flatMap { $0.count == count && $0.dim == dim ? $0 : nil }
        if try group.everyRank(found != nil), let found { return found }
        let f = try compute()
        guard group.isLead else { return f }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // The layout of Schemas/teacher-cache.md.
        var bytes = Array("WAVETF1\0".utf8)
        for v in [UInt64(f.count), UInt64(f.dim)] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        f.values.withUnsafeBytes { bytes += $0 }
        try writeFileAtomically(bytes, to: path)
        return f
    }

    static func load(_ path: String) throws -> TeacherFeatures? {
        let file = try MappedFile(path: path)
        var c = ByteCursor(file.bytes)
        guard let magic = c.readBytes(8), Array(magic) == Array("WAVETF1\0".utf8),
              let n = c.readU64(), let d = c.readU64(), n < 1 << 32, d < 1 << 20,
              let body = c.readBytes(Int(n * d) * 4), c.remaining == 0 else { return nil }
        let values = [Float](unsafeUninitializedCapacity: Int(n * d)) { buf, done in
            UnsafeMutableRawBufferPointer(buf).copyMemory(from: body)
            done = Int(n * d)
        }
        return TeacherFeatures(count: Int(n), dim: Int(d), values: values)
    }
}
