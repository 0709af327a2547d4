import Foundation
import Testing
import WaveFormats
import WaveTensor

@Suite("Safetensors round trips")
struct SafetensorsRoundTripTests {
    /// Random sets of every dtype, scalar and zero-size shapes, awkward names and metadata
    /// come back bit-identical, in order. The seed names the case to replay.
    @Test(arguments: 0..<40)
    func singleFile(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let set = randomTensorSet(&rng)
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("m.safetensors")
        try Safetensors.write(set, to: path)
        let back = try Safetensors.read(path: path)
        #expect(sameTensorSet(set, back))
        #expect(dir.contents == ["m.safetensors"], "no temporary files left behind")
    }

    /// Every dtype as a scalar, an empty tensor and a matrix, whatever the seeds happen to draw.
    @Test(arguments: DType.allCases)
    func everyDType(_ dtype: DType) throws {
        var set = TensorSet()
        for (name, shape) in [("scalar", [Int]()), ("empty", [0, 7]), ("matrix", [2, 3])] {
            let bytes = (0..<checkedByteCount(shape: shape, elementSize: dtype.size)!).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            _ = bytes.withUnsafeBytes { set.add(name, RawTensor(dtype: dtype, shape: shape, copying: $0)) }
        }
        let dir = try TempDir()
        defer { dir.cleanup() }
        try Safetensors.write(set, to: dir.file("d.safetensors"))
        #expect(sameTensorSet(set, try Safetensors.read(path: dir.file("d.safetensors"))))
    }

    @Test(arguments: 0..<20)
    func sharded(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(1000 + seed))
        // An index names shards through tensors only, so a set needs one to carry metadata.
        let set = randomTensorSet(&rng, minTensors: 1, maxTensors: 12)
        let limit = Int.random(in: 1...256, using: &rng)
        let dir = try TempDir()
        defer { dir.cleanup() }
        try Safetensors.write(set, to: dir.file("model.safetensors"), maxShardBytes: limit)
        let back = try Safetensors.read(path: dir.file("model.safetensors.index.json"))
        #expect(sameTensorSet(set, back), "limit \(limit)")

        // Every shard respects the limit unless it holds one oversized tensor.
        let shards = dir.contents.filter { $0.hasPrefix("model-") }
        for s in shards {
            let part = try Safetensors.read(path: dir.file(s))
            #expect(part.totalBytes <= limit || part.count == 1, "\(s) holds \(part.totalBytes) bytes")
        }
    }

    /// The index is Hugging Face's layout, readable by a plain JSON parser.
    @Test func shardIndexLayout() throws {
        var set = TensorSet()
        for (i, n) in [6, 3, 5].enumerated() {
            set.add("layer.\(i).weight", RawTensor(shape: [n], floats: (0..<n).map(Float.init)))
        }
        set.metadata = ["format": "pt"]
        let dir = try TempDir()
        defer { dir.cleanup() }
        try Safetensors.write(set, to: dir.file("model.safetensors"), maxShardBytes: 32)
        #expect(dir.contents == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                                 "model.safetensors.index.json"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("model.safetensors.index.json"))))
        let top = try #require(json as? [String: Any])
        #expect(Set(top.keys) == ["metadata", "weight_map"])
        #expect((top["metadata"] as? [String: Any])?["total_size"] as? Int == 56)
        #expect(top["weight_map"] as? [String: String] == [
            "layer.0.weight": "model-00001-of-00002.safetensors",
            "layer.1.weight": "model-00002-of-00002.safetensors",
            "layer.2.weight": "model-00002-of-00002.safetensors",
        ])
        // Each shard carries the set's metadata, so any one of them is a complete file, and the
        // id of the write, which the index carries too (and reading through the index drops).
        var shardMeta = try Safetensors.read(path: dir.file("model-00002-of-00002.safetensors")).metadata
        let id = shardMeta.removeValue(forKey: Safetensors.shardSetKey)
        #expect(id != nil && (top["metadata"] as? [String: Any])?[Safetensors.shardSetKey] as? String == id)
        #expect(shardMeta == ["format": "pt"])
        #expect(try Safetensors.read(path: dir.file("model.safetensors.index.json")).metadata == ["format": "pt"])
    }

    /// The header is padded with spaces so tensor data starts 8-byte aligned, and
    /// `__metadata__` comes first.
    @Test func headerLayout() throws {
        var set = TensorSet()
        set.add("x", RawTensor(shape: [3], floats: [1, 2, 3]))
        set.metadata = ["b": "2", "a": "1"]
        let dir = try TempDir()
        defer { dir.cleanup() }
        try Safetensors.write(set, to: dir.file("x.safetensors"))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file("x.safetensors"))))
        let n = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        #expect(n % 8 == 0)
        #expect(bytes.count == 8 + n + 12)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        let json = "{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\"},\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}"
        #expect(header.hasPrefix(json))
        #expect(header.dropFirst(json.count).allSatisfy { $0 == " " })
    }

    /// Views point into the map: no copy on read.
    @Test func readIsZeroCopy() throws {
        var set = TensorSet()
        set.add("a", RawTensor(shape: [2], floats: [1, 2]))
        set.add("b", RawTensor(shape: [2], floats: [3, 4]))
        let dir = try TempDir()
        defer { dir.cleanup() }
        try Safetensors.write(set, to: dir.file("v.safetensors"))
        let back = try Safetensors.read(path: dir.file("v.safetensors"))
        let a = back["a"]!, b = back["b"]!
        // Identity checks outside #expect: the macro's expansion of `===` crashes Swift 6.3.1's SILGen.
        let sharedOwner = a.owner === b.owner
        let mapped = a.owner is MappedFile
        #expect(sharedOwner)
        #expect(mapped)
        #expect(a.bytes.baseAddress! + 8 == b.bytes.baseAddress!)
    }

    /// Known bit patterns through a file, converted by `floats()`.
    @Test func halfAndDoubleConversions() throws {
        let f16: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x8000, 0x3555]
        let f16Expected: [Float] = [1, -2, 65504, 5.9604645e-8, .infinity, -0.0, 0.33325195]
        let bf16: [UInt16] = [0x3F80, 0xC040, 0x4049, 0x0001, 0xFF80, 0x7F7F]
        let bf16Expected: [Float] = [1, -3, 3.140625, 9.18355e-41, -.infinity, 3.3895314e38]
        let f64: [Double] = [1.0 / 3.0, -2.5, 1e300, 1e-50, 65504]
        let f64Expected: [Float] = [0.33333334, -2.5, .infinity, 0, 65504]

        var set = TensorSet()
        _ = f16.withUnsafeBytes { set.add("h", RawTensor(dtype: .f16, shape: [f16.count], copying: $0)) }
        _ = bf16.withUnsafeBytes { set.add("b", RawTensor(dtype: .bf16, shape: [bf16.count], copying: $0)) }
        _ = f64.withUnsafeBytes { set.add("d", RawTensor(dtype: .f64, shape: [f64.count], copying: $0)) }
        let dir = try TempDir()
        defer { dir.cleanup() }
        try Safetensors.write(set, to: dir.file("c.safetensors"))
        let back = try Safetensors.read(path: dir.file("c.safetensors"))
        #expect(back["h"]!.floats().map(\.bitPattern) == f16Expected.map(\.bitPattern))
        #expect(back["b"]!.floats().map(\.bitPattern) == bf16Expected.map(\.bitPattern))
        #expect(back["d"]!.floats().map(\.bitPattern) == f64Expected.map(\.bitPattern))
    }

    /// A file written by the reference Python implementation (`safetensors.numpy.save`
    /// with metadata {"format": "np"}): its header order and spacing differ from ours.
    @Test func readsReferenceLayout() throws {
        let header = "{\"__metadata__\":{\"format\":\"np\"},\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[8,10]}}      "
        let set = try parseBytes(STBytes.file(header, payload: [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x3F]))
        #expect(set.order == ["a", "b"])
        #expect(set.metadata == ["format": "np"])
        #expect(set["a"]!.floats() == [1, -1])
        #expect(set["b"]!.floats() == [1])
    }
}
