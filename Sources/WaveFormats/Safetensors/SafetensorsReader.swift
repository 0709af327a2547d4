import Foundation
import WaveTensor

/// Reading and writing the safetensors format (single files and Hugging Face sharded
/// checkpoints). Reads are zero-copy: tensors are views into a memory map.
public enum Safetensors {
    /// A `.safetensors` file (memory-mapped; tensors point into the map, which they keep
    /// alive) or a sharded checkpoint's `*.safetensors.index.json`, whose shards are read and
    /// cross-checked against its weight map. Errors inside a shard come as `.inShard`.
    public static func read(path: String) throws -> TensorSet {
        if path.hasSuffix(".index.json") { return try readSharded(indexPath: path) }
        let file = try MappedFile(path: path)
        return try parse(file.bytes, owner: file)
    }

    /// Parses a whole safetensors file already in memory. Tensors are views into `bytes`,
    /// kept alive by `owner`; nothing of `bytes` is trusted before it is validated.
    public static func parse(_ bytes: UnsafeRawBufferPointer, owner: AnyObject) throws -> TensorSet {
        let header = try SafetensorsHeader(validating: bytes)
        var set = TensorSet()
        set.metadata = header.metadata
        for e in header.entries {
            let start = header.dataStart + e.begin
            let view = UnsafeRawBufferPointer(rebasing: bytes[start..<(header.dataStart + e.end)])
            set.add(e.name, RawTensor(dtype: e.dtype, shape: e.shape, bytes: view, owner: owner))
        }
        return set
    }

    /// The Hugging Face index: `{"metadata": {...}, "weight_map": {tensor: shard file}}`.
    /// Tensors come shard by shard (shards in name order, which is numeric order for the
    /// `-00001-of-0000N` convention), each shard in file order.
    static func readSharded(indexPath: String) throws -> TensorSet {
        let (weightMap, setID) = try readIndex(path: indexPath)
        let dir = URL(fileURLWithPath: indexPath).deletingLastPathComponent().path
        var expected: [String: [String]] = [:]
        for (name, file) in weightMap { expected[file, default: []].append(name) }

        var set = TensorSet()
        var shardIDs: [String?] = []
        for file in expected.keys.sorted() {
            let mapped: MappedFile
            do { mapped = try MappedFile(path: dir + "/" + file) }
            catch let FileError.cannotOpen(_, reason) { throw SafetensorsError.shardMissing(file: file, reason: reason) }
            let shard: TensorSet
            do { shard = try parse(mapped.bytes, owner: mapped) }
            catch let e as SafetensorsError { throw SafetensorsError.inShard(file: file, error: e) }

            for name in expected[file]! where !shard.contains(name) {
                throw SafetensorsError.tensorMissingFromShard(name: name, file: file)
            }
            for (name, tensor) in shard.all {
                // The map is a dictionary, so a name it sends elsewhere is still "not in the
                // index" for this shard.
                guard weightMap[name] == file else { throw SafetensorsError.tensorNotInIndex(name: name, file: file) }
                set.add(name, tensor)
            }
            // wave's sharded writes give every shard and the index the id of the write, so a shard
            // of another write (one killed between its renames) is never mixed in silently: with
            // an id in the index every shard must carry it, without one the shards must agree.
            let id = shard.metadata[shardSetKey]
            if let setID, id != setID { throw SafetensorsError.shardOfAnotherWrite(file: file, index: indexPath) }
            if setID == nil, let first = shardIDs.first, first != id {
                throw SafetensorsError.shardOfAnotherWrite(file: file, index: indexPath)
            }
            shardIDs.append(id)
            for (k, v) in shard.metadata {
                if let old = set.metadata[k], old != v { throw SafetensorsError.shardMetadataConflict(key: k, file: file) }
                set.metadata[k] = v
            }
        }
        set.metadata[shardSetKey] = nil   // a fact of the files, not of the tensors
        return set
    }

    /// The weight map of an index file, validated: strict JSON, string values, shard names
    /// that stay inside the index's folder.
    /// Also the index's shard-set id (`shardSetKey`) when it has one.
    static func readIndex(path: String) throws -> (map: [String: String], shardSet: String?) {
        let file: MappedFile
        do { file = try MappedFile(path: path) }
        catch let FileError.cannotOpen(_, reason) { throw SafetensorsError.invalidIndex(path: path, reason: reason) }
        let invalid = { (reason: String) in SafetensorsError.invalidIndex(path: path, reason: reason) }
        if let bad = firstInvalidUTF8(file.bytes) { throw invalid("not UTF-8 at byte \(bad)") }
        let json: JSONValue
        do { json = try StrictJSON.parse(file.bytes) }
        catch let e as SafetensorsError { throw invalid("\(e)") }
        guard case let .object(top) = json else { throw invalid("not a JSON object") }
        guard let mapValue = top.first(where: { $0.key == "weight_map" })?.value else { throw invalid("no \"weight_map\"") }
        // Index metadata (`total_size`) is informational; tensors are checked against the shards.
        var shardSet: String?
        if let meta = top.first(where: { $0.key == "metadata" })?.value {
            guard case let .object(fields) = meta else { throw invalid("\"metadata\" is not an object") }
            if let id = fields.first(where: { $0.key == shardSetKey })?.value {
                guard case let .string(s) = id else { throw invalid("metadata \"\(shardSetKey)\" is not a string") }
                shardSet = s
            }
        }
        guard case let .object(pairs) = mapValue else { throw invalid("\"weight_map\" is not an object") }
        var map: [String: String] = [:]
        for m in pairs {
            let (name, v) = (m.key, m.value)
            guard case let .string(file) = v else { throw invalid("weight_map[\"\(name)\"] is not a file name") }
            guard !file.isEmpty, !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
                throw invalid("shard \"\(file)\" for \"\(name)\" points outside the index folder")
            }
            map[name] = file
        }
        return (map, shardSet)
    }
}
