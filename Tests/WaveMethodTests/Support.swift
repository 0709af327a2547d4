import WaveTensor
import WaveFormats
@testable import WaveMethod

/// SplitMix64: a tiny seeded generator so every test input is reproducible.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(Double(next() >> 11) / Double(1 << 53)) * 2 - 1 }
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in uniform() * scale } }
}

enum Synthetic {
    /// A complete timm-named ViT of `config` with random weights (norm weights near 1, LayerScale
    /// near 0.1, so LayerNorm and LayerScale look like trained ones).
    static func vit(_ config: ViTConfig, seed: UInt64) -> TensorSet {
        var rng = TestRNG(seed)
        var set = TensorSet()
        for (name, shape) in config.timmShapes {
            let n = shape.reduce(1, *)
            var v = rng.floats(n, scale: 0.1)
            if name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name == "norm.weight" {
                v = v.map { 1 + $0 }
            }
            if name.hasSuffix(".gamma") { v = v.map { 0.1 + $0 * 0.5 } }
            set.add(name, RawTensor(shape: shape, floats: v))
        }
        return set
    }

    static let tiny = ViTConfig(imageSize: 16, patchSize: 4, inChannels: 3, numClasses: 5, embedDim: 16, depth: 3,
                                numHeads: 2, mlpDim: 64, layerScaleInit: 0.1)
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
    return m
}
