import Testing
import WaveTensor
import WaveFormats
import WaveEngine
@testable import WaveMethod

/// The benchmark's data-free baselines do what METHOD.md says they do.
@Suite struct BaselinesTests {
    static let source = ViTConfig(imageSize: 16, patchSize: 4, inChannels: 3, numClasses: 0, embedDim: 32, depth: 4,
                                  numHeads: 2, mlpDim: 128, layerScaleInit: 0.1)
    static let ancestry = Synthetic.vit(source, seed: 11)

    static func target(depth: Int, width: Int) -> ViTConfig {
        ViTConfig(imageSize: 16, patchSize: 4, inChannels: 3, numClasses: 10, embedDim: width, depth: depth,
                  numHeads: width / 16, mlpDim: 4 * width, layerScaleInit: 0.1)
    }

    static func make(_ m: BenchMethod, depth: Int, width: Int, k: Int = 2, ancestry: TensorSet = ancestry) throws -> (ViTModel, Int) {
        try Baselines.initialize(m, ancestry: ancestry, source: source, target: target(depth: depth, width: width), seed: 3, learngeneLayers: k)
    }

    static func values(_ m: ViTModel, _ name: String) -> [Float] { Array(m.parameter(name)!) }
    static func src(_ name: String) -> [Float] { ancestry[name]!.floats() }

    @Test func heruAndAutoCopyTheirEndsAndLeaveTheRestRandom() throws {
        let (heru, heruCount) = try Self.make(.heruLG, depth: 3, width: 32)
        let (auto, _) = try Self.make(.autoLG, depth: 3, width: 32)
        let qkv = "attn.qkv.weight"
        // Heru-LG: target layers 1, 2 are ancestry layers 2, 3; layer 0 is fresh.
        #expect(Self.values(heru, "blocks.1.\(qkv)") == Self.src("blocks.2.\(qkv)"))
        #expect(Self.values(heru, "blocks.2.\(qkv)") == Self.src("blocks.3.\(qkv)"))
        #expect((0..<4).allSatisfy { Self.values(heru, "blocks.0.\(qkv)") != Self.src("blocks.\($0).\(qkv)") })
        // Auto-LG: layers 0, 1 are ancestry layers 0, 1; layer 2 is fresh.
        #expect(Self.values(auto, "blocks.0.mlp.fc1.weight") == Self.src("blocks.0.mlp.fc1.weight"))
        #expect(Self.values(auto, "blocks.1.norm2.bias") == Self.src("blocks.1.norm2.bias"))
        #expect((0..<4).allSatisfy { Self.values(auto, "blocks.2.\(qkv)") != Self.src("blocks.\($0).\(qkv)") })
        // Both take the stem; the head is new.
        #expect(Self.values(heru, "cls_token") == Self.src("cls_token"))
        #expect(Self.values(auto, "pos_embed") == Self.src("pos_embed"))
        // Transferred: two layers plus the stem and final norm.
        let layer = Self.source.timmShapes.filter { $0.name.hasPrefix("blocks.0.") }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let stem = ["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias", "norm.weight", "norm.bias"]
            .reduce(0) { $0 + Self.ancestry[$1]!.count }
        #expect(heruCount == 2 * layer + stem)
    }

    @Test func tlegIsExactForAnAncestryLinearInDepth() throws {
        // θ_l = A + (l/L)·B exactly: TLEG recovers A and B and builds A + (j/L')·B.
        var linear = Self.ancestry
        let L = Self.source.depth
        for (name, _) in Self.source.timmShapes where name.hasPrefix("blocks.0.") {
            let sfx = name.dropFirst("blocks.0.".count)
            let a = Self.src("blocks.0.\(sfx)"), b = Self.src("blocks.1.\(sfx)")
            for l in 0..<L {
                let x = Float(l + 1) / Float(L)
                linear.set("blocks.\(l).\(sfx)", RawTensor(shape: linear["blocks.\(l).\(sfx)"]!.shape, floats: zip(a, b).map { $0 + x * $1 }))
            }
        }
        let (same, _) = try Self.make(.tleg, depth: L, width: 32, ancestry: linear)
        let (two, count) = try Self.make(.tleg, depth: 2, width: 32, ancestry: linear)
        let sfx = "mlp.fc2.weight"
        for l in 0..<L { #expect(maxAbsDiff(Self.values(same, "blocks.\(l).\(sfx)"), linear["blocks.\(l).\(sfx)"]!.floats()) < 1e-5) }
        let a = Self.src("blocks.0.\(sfx)"), b = Self.src("blocks.1.\(sfx)")
        #expect(maxAbsDiff(Self.values(two, "blocks.0.\(sfx)"), zip(a, b).map { $0 + 0.5 * $1 }) < 1e-5)
        #expect(maxAbsDiff(Self.values(two, "blocks.1.\(sfx)"), zip(a, b).map { $0 + 1.0 * $1 }) < 1e-5)
        let (heru, heruCount) = try Self.make(.heruLG, depth: 2, width: 32)
        _ = heru
        #expect(count == heruCount, "TLEG transfers two layers (A and B), like a 2-layer learngene")
    }

    @Test func shareInitPutsTheMeanLayerEverywhere() throws {
        let (m, _) = try Self.make(.shareInit, depth: 3, width: 32)
        let sfx = "attn.proj.weight"
        let mean = (0..<Self.source.depth).map { Self.src("blocks.\($0).\(sfx)") }
            .reduce([Float](repeating: 0, count: 32 * 32)) { zip($0, $1).map { $0 + $1 } }.map { $0 / Float(Self.source.depth) }
        for l in 0..<3 { #expect(maxAbsDiff(Self.values(m, "blocks.\(l).\(sfx)"), mean) < 1e-6) }
    }

    @Test func weightSelectionPicksEvenlySpacedElementsAndRefusesToWiden() throws {
        let (m, _) = try Self.make(.weightSelection, depth: 2, width: 16)
        let w = Self.values(m, "blocks.1.attn.proj.weight"), s = Self.src("blocks.1.attn.proj.weight")
        for i in 0..<16 { for j in 0..<16 { #expect(w[i * 16 + j] == s[(2 * i) * 32 + 2 * j]) } }
        let q = Self.values(m, "blocks.0.attn.qkv.weight"), sq = Self.src("blocks.0.attn.qkv.weight")
        #expect(q[(16 + 3) * 16 + 5] == sq[(32 + 6) * 32 + 10], "the K block selects from the K block")
        #expect(throws: BaselineError.self) { try Self.make(.weightSelection, depth: 2, width: 64) }
        #expect(throws: BaselineError.self) { try Self.make(.weightSelection, depth: 5, width: 32) }
    }

    @Test func ligoInterlacesLayersAndItsWideningPreservesTheFunction() throws {
        let (deep, _) = try Self.make(.ligo, depth: 2, width: 32)
        #expect(Self.values(deep, "blocks.1.mlp.fc1.bias") == Self.src("blocks.2.mlp.fc1.bias"))
        // Width ×2 with every layer copied: the class token after the final norm is the source's, twice.
        let narrow = try ViTModel(config: Self.target(depth: 4, width: 32))
        try narrow.load(Self.make(.ligo, depth: 4, width: 32).0.export())
        let (wide, _) = try Self.make(.ligo, depth: 4, width: 64)
        var rng = TestRNG(5)
        let images = rng.floats(2 * 3 * 16 * 16)
        let a = narrow.makeActivations(batch: 2), b = wide.makeActivations(batch: 2)
        images.withUnsafeBufferPointer { narrow.forward(images: $0.baseAddress!, a); wide.forward(images: $0.baseAddress!, b) }
        var worst: Float = 0
        for n in 0..<2 { for i in 0..<64 { worst = max(worst, abs(b.classToken(n)[i] - a.classToken(n)[i % 32])) } }
        #expect(worst < 1e-4, "max |Δ| \(worst)")
    }

    @Test func mimeticAttentionProductsAreIdentityLike() throws {
        let cfg = ViTConfig(imageSize: 16, patchSize: 4, inChannels: 3, numClasses: 10, embedDim: 64, depth: 2, numHeads: 1, mlpDim: 256)
        let (m, transferred) = try Baselines.initialize(.mimetic, ancestry: Self.ancestry, source: Self.source, target: cfg, seed: 1, learngeneLayers: 2)
        #expect(transferred == 0)
        let d = 64
        let qkv = Array(m.parameter("blocks.1.attn.qkv.weight")!), proj = Array(m.parameter("blocks.1.attn.proj.weight")!)
        // One head of dimension d: W_qᵀ·W_k = 0.7·Z + 0.7·I exactly, W_vᵀ·W_oᵀ = 0.4·Z − 0.4·I.
        func product(_ f: (Int, Int) -> Float) -> (diag: Float, off: Float) {
            var diag: Float = 0, off: Float = 0
            for i in 0..<d { for j in 0..<d { let v = f(i, j); if i == j { diag += v } else { off += abs(v) } } }
            return (diag / Float(d), off / Float(d * (d - 1)))
        }
        let qk = product { i, j in (0..<d).reduce(0) { $0 + qkv[$1 * d + i] * qkv[(d + $1) * d + j] } }
        let vo = product { i, j in (0..<d).reduce(0) { $0 + qkv[(2 * d + $1) * d + i] * proj[j * d + $1] } }
        #expect(abs(qk.diag - 0.7) < 0.15 && abs(vo.diag + 0.4) < 0.1, "diagonals \(qk.diag), \(vo.diag)")
        // Off the diagonal: 0.7·|N(0, 1/d)| on average, 0.7·0.8/8 ≈ 0.07.
        #expect(qk.off < 0.1 && vo.off < 0.06, "off-diagonal means \(qk.off), \(vo.off)")
    }

    @Test func unitMapsCopyAndSelect() {
        let c = UnitMap.copy(from: 4, to: 6)
        #expect(c.source == [0, 1, 2, 3, 0, 1])
        #expect(c.inputScale == [0.5, 0.5, 1, 1, 0.5, 0.5])
        #expect(UnitMap.uniform(from: 6, to: 3).source == [0, 2, 4])
        #expect(UnitMap.copy(from: 2, to: 2).grouped(3, sourceWidth: 2).source == [0, 1, 2, 3, 4, 5])
    }
}
