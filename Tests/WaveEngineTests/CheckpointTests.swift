import Testing
import WaveTensor
import WaveFormats
@testable import WaveEngine

@Suite struct CheckpointTests {
    @Test func exportThenLoadRoundTrips() throws {
        let a = try ViTModel(config: tinyLSConfig, seed: 3)
        let set = a.export()
        #expect(set.order == tinyLSConfig.timmShapes.map(\.name))
        let b = try ViTModel(config: tinyLSConfig)
        try b.load(set)
        #expect(a.params.array == b.params.array)
    }

    @Test func loadingIsStrict() throws {
        let model = try ViTModel(config: tinyLSConfig)
        let good = try ViTModel(config: tinyLSConfig, seed: 1).export()

        var missing = good
        missing.remove("blocks.1.ls2.gamma")
        #expect(throws: ModelError.missingTensor("blocks.1.ls2.gamma")) { try model.load(missing) }

        var extra = good
        extra.add("blocks.2.norm1.weight", RawTensor(shape: [16], floats: [Float](repeating: 1, count: 16)))
        #expect(throws: ModelError.unusedTensor("blocks.2.norm1.weight")) { try model.load(extra) }

        var wrong = good
        wrong.set("blocks.0.mlp.fc1.weight", RawTensor(shape: [32, 15], floats: [Float](repeating: 0, count: 480)))
        #expect(throws: ModelError.shapeMismatch(name: "blocks.0.mlp.fc1.weight", expected: [32, 16], found: [32, 15])) {
            try model.load(wrong)
        }

        // A pos_embed for another grid is resampled, unless that is switched off.
        var otherGrid = good
        otherGrid.set("pos_embed", RawTensor(shape: [1, 10, 16], floats: randomFloats(160, seed: 2)))
        try model.load(otherGrid)
        #expect(throws: ModelError.shapeMismatch(name: "pos_embed", expected: [1, 5, 16], found: [1, 10, 16])) {
            try model.load(otherGrid, resamplePosEmbed: false)
        }
        // Not a square grid: refused.
        var ragged = good
        ragged.set("pos_embed", RawTensor(shape: [1, 7, 16], floats: randomFloats(112, seed: 2)))
        #expect(throws: ModelError.shapeMismatch(name: "pos_embed", expected: [1, 5, 16], found: [1, 7, 16])) {
            try model.load(ragged)
        }
    }

    /// A DINOv2-like 37×37 pos_embed run at 56 px / patch 14 (4×4 grid), and the identity resample.
    @Test func posEmbedResampleShapes() {
        let d = 4
        let pe = randomFloats((1 + 37 * 37) * d, seed: 5)
        let small = PosEmbed.resample(pe, dim: d, from: 37, to: 4)
        #expect(small.count == (1 + 16) * d)
        #expect(Array(small[0..<d]) == Array(pe[0..<d]))   // class token kept
        #expect(PosEmbed.resample(pe, dim: d, from: 37, to: 37) == pe)
        // A constant grid stays constant (the cubic weights sum to 1).
        let flat = [Float](repeating: 0.5, count: (1 + 9) * d)
        #expect(PosEmbed.resample(flat, dim: d, from: 3, to: 5).allSatisfy { abs($0 - 0.5) < 1e-6 })
    }

    @Test func initializationIsSeededAndTimmLike() throws {
        let a = try ViTModel(config: tinyLSConfig, seed: 9), b = try ViTModel(config: tinyLSConfig, seed: 9)
        #expect(a.params.array == b.params.array)
        #expect(a.parameter("blocks.0.norm1.weight")!.allSatisfy { $0 == 1 })
        #expect(a.parameter("blocks.0.ls1.gamma")!.allSatisfy { $0 == 0.5 })
        #expect(a.parameter("blocks.0.attn.qkv.bias")!.allSatisfy { $0 == 0 })
        let big = ViTConfig(imageSize: 8, patchSize: 4, numClasses: 2, embedDim: 64, depth: 1, numHeads: 2)
        // Keep the models alive: parameter() points into their buffers.
        let m1 = try ViTModel(config: big, seed: 1), m2 = try ViTModel(config: big, scheme: .he, seed: 1)
        let w = m1.parameter("blocks.0.mlp.fc1.weight")!
        let std = (w.reduce(0) { $0 + Double($1 * $1) } / Double(w.count)).squareRoot()
        #expect(abs(std - 0.02) < 0.002)
        let he = m2.parameter("blocks.0.mlp.fc1.weight")!
        let stdHe = (he.reduce(0) { $0 + Double($1 * $1) } / Double(he.count)).squareRoot()
        #expect(abs(stdHe - (2.0 / 64).squareRoot()) < 0.01)
    }
}
