import Foundation
import WaveTensor

extension Safetensors {
    /// Writes `set` atomically: tensors in set order, `__metadata__` from `set.metadata`, the
    /// header padded with spaces so the data section starts 8-byte aligned. Tensor bytes are
    /// streamed from their views, never gathered into one buffer.
    ///
    /// With `maxShardBytes`, `path` must be `base.safetensors`: tensors are split in order
    /// into `base-00001-of-0000N.safetensors` (a tensor larger than the limit gets a shard of
    /// its own) and `base.safetensors.index.json` is written in the Hugging Face layout.
    /// Every file is written under a temporary name first; shards are renamed into place
    /// before the index, so an index never names a shard that is not there. Shards of an
    /// earlier write to the same name with another shard count are removed afterwards (the new
    /// index no longer names them). Every shard and the index carry one id of this write
    /// (`shardSetKey`), so a write killed between its renames, which leaves some shards of the
    /// earlier write beside new ones, is an error on reading, never a silent mix (the reader
    /// checks the ids). Returns the paths written, the index last.
    @discardableResult
    public static func write(_ set: TensorSet, to path: String, maxShardBytes: Int? = nil) throws -> [String] {
        try write(set, to: path, maxShardBytes: maxShardBytes, first: [])
    }

    /// `first`: files committed with the tensors as one unit, renamed before them (a checkpoint's
    /// config). `afterRename` is AtomicFileWriter.commit's test hook.
    static func write(_ set: TensorSet, to path: String, maxShardBytes: Int?, first: [(path: String, bytes: [UInt8])],
                      afterRename: ((Int) throws -> Void)? = nil) throws -> [String] {
        if set.contains("__metadata__") { throw SafetensorsError.reservedTensorName(name: "__metadata__") }
        guard let maxShardBytes else {
            return try writeFiles(first: first, [(path, set.all)], metadata: set.metadata, index: nil, afterRename: afterRename)
        }
        guard maxShardBytes > 0 else { throw SafetensorsError.invalidShardLimit(bytes: maxShardBytes) }
        let base: String
        if path.hasSuffix(".safetensors.index.json") {
            base = String(path.dropLast(".safetensors.index.json".count))
        } else if path.hasSuffix(".safetensors") {
            base = String(path.dropLast(".safetensors".count))
        } else {
            throw SafetensorsError.shardedPathNotSafetensors(path: path)
        }

        var groups: [[(name: String, tensor: RawTensor)]] = []
        var current: [(name: String, tensor: RawTensor)] = []
        var currentBytes = 0
        for item in set.all {
            if !current.isEmpty && currentBytes + item.tensor.byteCount > maxShardBytes {
                groups.append(current)
                current = []
                currentBytes = 0
            }
            current.append(item)
            currentBytes += item.tensor.byteCount
        }
        if !current.isEmpty || groups.isEmpty { groups.append(current) }

        let n = groups.count
        let files = groups.enumerated().map { i, g in
            (path: base + shardSuffix(i + 1, of: n), tensors: g)
        }
        let folder = URL(fileURLWithPath: base).deletingLastPathComponent().path
        let baseName = URL(fileURLWithPath: base).lastPathComponent
        // A killed earlier write may have left temporaries of shards this write does not produce.
        TemporaryFiles.removeStale(in: folder) { shardNumber($0, baseName: baseName) != nil }
        let setID = UUID().uuidString
        var metadata = set.metadata
        metadata[shardSetKey] = setID
        var weightMap: [String] = []
        for f in files {
            let shardName = URL(fileURLWithPath: f.path).lastPathComponent
            for t in f.tensors { weightMap.append("\(jsonQuoted(t.name)):\(jsonQuoted(shardName))") }
        }
        let index = "{\"metadata\":{\"total_size\":\(set.totalBytes),\(jsonQuoted(shardSetKey)):\(jsonQuoted(setID))},\"weight_map\":{"
            + weightMap.joined(separator: ",") + "}}\n"
        let written = try writeFiles(first: first, files, metadata: metadata,
                                     index: (base + ".safetensors.index.json", Array(index.utf8)), afterRename: afterRename)
        removeStaleShards(in: folder, baseName: baseName, count: n)
        return written
    }

    /// The `__metadata__` key (and index metadata key) naming the write a shard belongs to.
    public static let shardSetKey = "wave.shard_set"

    static func shardSuffix(_ i: Int, of n: Int) -> String { String(format: "-%05d-of-%05d.safetensors", i, n) }

    /// `BASE-00002-of-00005.safetensors` → (2, 5) for `baseName` BASE; nil for other names.
    static func shardNumber(_ name: String, baseName: String) -> (index: Int, count: Int)? {
        let suffixLength = shardSuffix(1, of: 1).count
        guard name.count == baseName.count + suffixLength, name.hasPrefix(baseName), name.hasSuffix(".safetensors") else { return nil }
        let rest = name.dropFirst(baseName.count).dropLast(".safetensors".count)   // -00002-of-00005
        let parts = rest.split(separator: "-")
        guard rest.first == "-", parts.count == 3, parts[1] == "of", parts[0].count == 5, parts[2].count == 5,
              let i = Int(parts[0]), let n = Int(parts[2]), parts[0].allSatisfy(\.isNumber), parts[2].allSatisfy(\.isNumber) else { return nil }
        return (i, n)
    }

    /// Shards of BASE with another count than `count` belong to an earlier write (a later index
    /// would never name them): removed so that the folder holds one checkpoint, not two.
    static func removeStaleShards(in folder: String, baseName: String, count: Int) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names {
            if let s = shardNumber(name, baseName: baseName), s.count != count { unlink(folder + "/" + name) }
        }
    }

    /// Streams each file into its own temporary, then commits them all (`first`, then the tensor
    /// files, then the index), or none when any write fails.
    private static func writeFiles(first: [(path: String, bytes: [UInt8])],
                                   _ files: [(path: String, tensors: [(name: String, tensor: RawTensor)])],
                                   metadata: [String: String], index: (path: String, bytes: [UInt8])?,
                                   afterRename: ((Int) throws -> Void)?) throws -> [String] {
        var writers: [AtomicFileWriter] = []
        do {
            for f in first {
                let w = try AtomicFileWriter(path: f.path)
                writers.append(w)
                try w.write(f.bytes)
            }
            for f in files {
                let w = try AtomicFileWriter(path: f.path)
                writers.append(w)
                try w.write(header(for: f.tensors, metadata: metadata))
                for t in f.tensors { try w.write(t.tensor.bytes) }
            }
            if let index {
                let w = try AtomicFileWriter(path: index.path)
                writers.append(w)
                try w.write(index.bytes)
            }
        } catch {
            for w in writers { w.abandon() }
            throw error
        }
        try AtomicFileWriter.commit(writers, afterRename: afterRename)
        return writers.dropFirst(first.count).map(\.path)
    }

    /// The length prefix and the JSON header, padded with spaces to a multiple of 8.
    static func header(for tensors: [(name: String, tensor: RawTensor)], metadata: [String: String]) -> [UInt8] {
        var parts: [String] = []
        parts.reserveCapacity(tensors.count + 1)
        if !metadata.isEmpty {
            // Sorted keys make the output a function of the set, not of dictionary order.
            let pairs = metadata.keys.sorted().map { "\(jsonQuoted($0)):\(jsonQuoted(metadata[$0]!))" }
            parts.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, t) in tensors {
            let end = offset + t.byteCount
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonQuoted(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var json = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        return out
    }
}
