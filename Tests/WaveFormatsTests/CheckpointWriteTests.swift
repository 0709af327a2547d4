import Foundation
import Testing
@testable import WaveFormats
import WaveTensor

/// Weights and their config as one unit, and sharded writes over earlier ones.
@Suite struct CheckpointWriteTests {
    static let small = ViTConfig(imageSize: 8, patchSize: 4, inChannels: 1, numClasses: 3, embedDim: 8, depth: 1, numHeads: 2)
    static let wider = ViTConfig(imageSize: 8, patchSize: 4, inChannels: 1, numClasses: 3, embedDim: 8, depth: 1, numHeads: 4)

    static func weights(_ c: ViTConfig, value: Float) -> TensorSet {
        var set = TensorSet()
        for (name, shape) in c.timmShapes { set.add(name, RawTensor(shape: shape, floats: .init(repeating: value, count: shape.reduce(1, *)))) }
        return set
    }

    @Test func aCheckpointReadsBackWithTheConfigItWasWrittenWith() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("m.safetensors")
        try Checkpoint.write(Self.weights(Self.small, value: 1), config: Self.small.timmJSON(), to: path)
        let back = try Safetensors.read(path: path)
        #expect(back.metadata[Checkpoint.configKey] == Self.small.timmJSON())
        #expect(try Checkpoint.vitConfig(of: path, metadata: back.metadata) == Self.small)
        // Without the JSON beside them, the weights' own copy is the config.
        try FileManager.default.removeItem(atPath: dir.file("m.json"))
        #expect(try Checkpoint.vitConfig(of: path, metadata: back.metadata) == Self.small)
    }

    /// A write stopped between its two renames (as `kill -9` would stop it): the config is renamed
    /// first, so the folder holds the old weights and the new config, and loading says so instead of
    /// pairing them. The write that follows repairs the pair.
    @Test func aWriteKilledBetweenItsRenamesIsDetectedNotPaired() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("m.safetensors")
        try Checkpoint.write(Self.weights(Self.small, value: 1), config: Self.small.timmJSON(), to: path)
        struct Killed: Error {}
        #expect(throws: Killed.self) {
            try Checkpoint.write(Self.weights(Self.wider, value: 2), config: Self.wider.timmJSON(), to: path, maxShardBytes: nil) {
                if $0 == 0 { throw Killed() }
            }
        }
        let left = try Safetensors.read(path: path)
        #expect(left["head.bias"]!.floats() == [1, 1, 1], "the old weights stay")
        #expect(try ViTConfig.load(besideCheckpoint: path) == Self.wider, "the new config is in place")
        #expect(throws: CheckpointConfigError.configMismatch(config: dir.file("m.json"), weights: path)) {
            try Checkpoint.vitConfig(of: path, metadata: left.metadata)
        }
        // What the loader reads for hints is the weights' own config, not the stale JSON.
        #expect(try ModelFile.open(path).configHints.config?.heads?.value == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["m.json", "m.safetensors"])
        try Checkpoint.write(Self.weights(Self.wider, value: 2), config: Self.wider.timmJSON(), to: path)
        #expect(try Checkpoint.vitConfig(of: path, metadata: try Safetensors.read(path: path).metadata) == Self.wider)
    }

    @Test func aShardedWriteRemovesTheShardsOfAnEarlierLargerOne() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var set = TensorSet()
        for i in 0..<5 { set.add("t\(i)", RawTensor(shape: [4], floats: [Float(i), 0, 0, 0])) }
        let five = try Safetensors.write(set, to: dir.file("m.safetensors"), maxShardBytes: 16)
        #expect(five.count == 6 && five.last == dir.file("m.safetensors.index.json"))
        // A killed write's temporary of a shard the next write does not produce goes too.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        _ = FileManager.default.createFile(atPath: dir.file(".m-00004-of-00005.safetensors.tmp-\(dead.processIdentifier)-1"), contents: Data([0]))
        _ = FileManager.default.createFile(atPath: dir.file("m-00001-of-00002.safetensors.bak"), contents: Data([0]))   // not a shard name: kept
        let two = try Safetensors.write(set, to: dir.file("m.safetensors"), maxShardBytes: 48)
        #expect(two.map { URL(fileURLWithPath: $0).lastPathComponent }
                == ["m-00001-of-00002.safetensors", "m-00002-of-00002.safetensors", "m.safetensors.index.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
                == ["m-00001-of-00002.safetensors", "m-00001-of-00002.safetensors.bak", "m-00002-of-00002.safetensors", "m.safetensors.index.json"])
        #expect(try Safetensors.read(path: dir.file("m.safetensors.index.json")).order == set.order)
    }

    /// A sharded write stopped between shard renames, with the same shard count and layout as the
    /// write before it: the folder then holds the new first shard beside old ones under the old index.
    /// Every shard and the index carry the write's id, so reading says so instead of mixing old and
    /// new values; the next complete write reads back, and the id stays out of the tensors' metadata.
    @Test func aShardedWriteKilledBetweenShardRenamesIsDetectedNotMixed() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        func set(_ v: Float) -> TensorSet {
            var s = TensorSet()
            for i in 0..<3 { s.add("t\(i)", RawTensor(shape: [4], floats: [v, v, v, Float(i)])) }
            s.metadata = ["note": "kept"]
            return s
        }
        let path = dir.file("m.safetensors"), index = dir.file("m.safetensors.index.json")
        try Safetensors.write(set(1), to: path, maxShardBytes: 16)
        struct Killed: Error {}
        #expect(throws: Killed.self) {
            try Safetensors.write(set(2), to: path, maxShardBytes: 16, first: []) { if $0 == 0 { throw Killed() } }
        }
        #expect(throws: SafetensorsError.shardOfAnotherWrite(file: "m-00001-of-00003.safetensors", index: index)) {
            try Safetensors.read(path: index)
        }
        try Safetensors.write(set(2), to: path, maxShardBytes: 16)
        let back = try Safetensors.read(path: index)
        #expect(back["t1"]!.floats() == [2, 2, 2, 1] && back.metadata == ["note": "kept"])
    }

    @Test func shardNamesParseOnlyForTheirBase() {
        #expect(Safetensors.shardNumber("m-00002-of-00005.safetensors", baseName: "m")! == (2, 5))
        for other in ["m-00002-of-00005.safetensors.tmp", "mm-00002-of-00005.safetensors", "m-0002-of-00005.safetensors",
                      "m-00002-to-00005.safetensors", "m.safetensors", "m-0000a-of-00005.safetensors"] {
            #expect(Safetensors.shardNumber(other, baseName: "m") == nil, "\(other)")
        }
    }
}
