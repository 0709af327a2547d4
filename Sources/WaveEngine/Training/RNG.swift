/// xoshiro256** seeded through SplitMix64: the engine's only randomness source (initialization,
/// shuffling, augmentation), so a seed fixes a run. Not for cryptography.
public struct SeededRNG: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller; the second value is discarded to keep the stream simple).
    public mutating func normal() -> Double {
        var u = uniform()
        while u == 0 { u = uniform() }
        return (-2 * libmLog(u)).squareRoot() * libmCos(2 * Double.pi * uniform())
    }

    /// Normal(0, std) restricted to [lo, hi] by rejection (timm `trunc_normal_` bounds are absolute values).
    public mutating func truncatedNormal(std: Double, lo: Double, hi: Double) -> Double {
        while true {
            let v = normal() * std
            if v >= lo && v <= hi { return v }
        }
    }

    /// Integer in 0..<n without modulo bias.
    public mutating func below(_ n: Int) -> Int { Int(next(upperBound: UInt64(n))) }
}
