import Foundation
import Testing
import WaveFormats
import WaveTensor

/// Sharded checkpoints and write-side refusals.
@Suite("Safetensors shards and write errors")
struct SafetensorsShardTests {
    /// Two shards: a (16 bytes) in the first, b and c (8 bytes each) in the second.
    private func twoShards() throws -> TempDir {
        var set = TensorSet()
        set.add("a", RawTensor(shape: [4], floats: [1, 2, 3, 4]))
        set.add("b", RawTensor(shape: [2], floats: [5, 6]))
        set.add("c", RawTensor(shape: [2], floats: [7, 8]))
        let dir = try TempDir()
        try Safetensors.write(set, to: dir.file("m.safetensors"), maxShardBytes: 16)
        return dir
    }

    private static let first = "m-00001-of-00002.safetensors"
    private static let second = "m-00002-of-00002.safetensors"

    private func writeIndex(_ dir: TempDir, _ map: [String: String]) throws {
        let entries = map.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        try Data("{\"metadata\":{\"total_size\":32},\"weight_map\":{\(entries)}}".utf8)
            .write(to: URL(fileURLWithPath: dir.file("m.safetensors.index.json")))
    }

    private func readIndex(_ dir: TempDir) throws -> TensorSet {
        try Safetensors.read(path: dir.file("m.safetensors.index.json"))
    }

    @Test func readsBack() throws {
        let dir = try twoShards()
        defer { dir.cleanup() }
        let set = try readIndex(dir)
        #expect(set.order == ["a", "b", "c"])
        #expect(set["c"]!.floats() == [7, 8])
    }

    @Test func missingShardFile() throws {
        let dir = try twoShards()
        defer { dir.cleanup() }
        try FileManager.default.removeItem(atPath: dir.file(Self.second))
        #expect(throws: SafetensorsError.shardMissing(file: Self.second, reason: "No such file or directory")) { try readIndex(dir) }
    }

    @Test func mapNamesATensorTheShardLacks() throws {
        let dir = try twoShards()
        defer { dir.cleanup() }
        try writeIndex(dir, ["a": Self.first, "b": Self.second, "c": Self.second, "ghost": Self.second])
        #expect(throws: SafetensorsError.tensorMissingFromShard(name: "ghost", file: Self.second)) { try readIndex(dir) }
    }

    @Test func shardHoldsATensorTheMapLacks() throws {
        let dir = try twoShards()
        defer { dir.cleanup() }
        try writeIndex(dir, ["a": Self.first, "b": Self.second])
        #expect(throws: SafetensorsError.tensorNotInIndex(name: "c", file: Self.second)) { try readIndex(dir) }
    }

    /// A tensor stored in two shards: the map picks one, the other shard's copy is refused.
    @Test func tensorInTwoShards() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var first = TensorSet(), second = TensorSet()
        first.add("a", RawTensor(shape: [1], floats: [1]))
        first.add("b", RawTensor(shape: [1], floats: [2]))
        second.add("a", RawTensor(shape: [1], floats: [3]))
        try Safetensors.write(first, to: dir.file(Self.first))
        try Safetensors.write(second, to: dir.file(Self.second))
        try writeIndex(dir, ["a": Self.second, "b": Self.first])
        #expect(throws: SafetensorsError.tensorNotInIndex(name: "a", file: Self.first)) { try readIndex(dir) }
    }

    @Test func corruptShardIsNamed() throws {
        let dir = try twoShards()
        defer { dir.cleanup() }
        try Data(STBytes.file("{}", payload: [1])).write(to: URL(fileURLWithPath: dir.file(Self.first)))
        #expect(throws: SafetensorsError.inShard(file: Self.first, error: .trailingBytes(count: 1, dataEnd: 0))) { try readIndex(dir) }
    }

    @Test func indexNotJSON() throws {
        let dir = try twoShards()
        defer { dir.cleanup() }
        let path = dir.file("m.safetensors.index.json")
        try Data("{\"weight_map\":{}".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.invalidIndex(
            path: path, reason: "header JSON is invalid at byte 16: unexpected end, expected ',' or '}'")) { try readIndex(dir) }
    }

    @Test func indexWithDuplicateName() throws {
        let dir = try twoShards()
        defer { dir.cleanup() }
        let path = dir.file("m.safetensors.index.json")
        try Data("{\"weight_map\":{\"a\":\"x\",\"a\":\"y\"}}".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.invalidIndex(
            path: path, reason: SafetensorsError.duplicateKey(key: "a", offset: 23).description)) { try readIndex(dir) }
    }

    @Test func shardOutsideTheFolder() throws {
        let dir = try twoShards()
        defer { dir.cleanup() }
        try writeIndex(dir, ["a": "../" + Self.first])
        #expect(throws: SafetensorsError.invalidIndex(
            path: dir.file("m.safetensors.index.json"),
            reason: "shard \"../\(Self.first)\" for \"a\" points outside the index folder")) { try readIndex(dir) }
    }

    @Test func conflictingShardMetadata() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var a = TensorSet(), b = TensorSet()
        a.add("a", RawTensor(shape: [1], floats: [1]))
        a.metadata = ["format": "pt"]
        b.add("b", RawTensor(shape: [1], floats: [2]))
        b.metadata = ["format": "np"]
        try Safetensors.write(a, to: dir.file(Self.first))
        try Safetensors.write(b, to: dir.file(Self.second))
        try writeIndex(dir, ["a": Self.first, "b": Self.second])
        #expect(throws: SafetensorsError.shardMetadataConflict(key: "format", file: Self.second)) { try readIndex(dir) }
    }

    @Test func writeRefusals() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var set = TensorSet()
        set.add("x", RawTensor(shape: [1], floats: [1]))
        #expect(throws: SafetensorsError.invalidShardLimit(bytes: 0)) {
            try Safetensors.write(set, to: dir.file("m.safetensors"), maxShardBytes: 0)
        }
        #expect(throws: SafetensorsError.shardedPathNotSafetensors(path: dir.file("m.bin"))) {
            try Safetensors.write(set, to: dir.file("m.bin"), maxShardBytes: 8)
        }
        set.add("__metadata__", RawTensor(shape: [1], floats: [1]))
        #expect(throws: SafetensorsError.reservedTensorName(name: "__metadata__")) {
            try Safetensors.write(set, to: dir.file("m.safetensors"))
        }
        #expect(dir.contents.isEmpty)
    }

    /// A failed write leaves the previous file intact and no temporaries.
    @Test func failedWriteKeepsOldFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var set = TensorSet()
        set.add("x", RawTensor(shape: [1], floats: [1]))
        try Safetensors.write(set, to: dir.file("m.safetensors"))
        set.add("__metadata__", RawTensor(shape: [1], floats: [2]))
        #expect(throws: SafetensorsError.self) { try Safetensors.write(set, to: dir.file("m.safetensors")) }
        #expect(try Safetensors.read(path: dir.file("m.safetensors"))["x"]!.floats() == [1])
        #expect(dir.contents == ["m.safetensors"])
        set.remove("__metadata__")
        #expect(throws: FileError.self) { try Safetensors.write(set, to: dir.file("no/such/m.safetensors")) }
    }
}
