import Foundation
import WaveFormats
import WaveTensor

/// Builds safetensors bytes by hand, so corrupt inputs say exactly what is wrong with them.
enum STBytes {
    /// Length prefix (the header's true length unless `declaredLength` lies), header, payload.
    static func file(header: [UInt8], payload: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        var out: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.count)).littleEndian) { out.append(contentsOf: $0) }
        return out + header + payload
    }

    static func file(_ header: String, payload: [UInt8] = []) -> [UInt8] {
        file(header: Array(header.utf8), payload: payload)
    }

    /// One tensor entry in header syntax.
    static func entry(_ name: String, _ dtype: String = "F32", _ shape: String = "[2]", offsets: String) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    static func zeros(_ n: Int) -> [UInt8] { [UInt8](repeating: 0, count: n) }
}

/// Parses bytes the way the fuzzer does: from memory, with a copy as the owner.
func parseBytes(_ bytes: [UInt8]) throws -> TensorSet {
    let owned = bytes.withUnsafeBytes { OwnedBytes(copying: $0) }
    return try Safetensors.parse(owned.bytes, owner: owned)
}

/// A fresh folder under the system temporary directory, removed by `cleanup()`.
struct TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "wave-st-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// SplitMix64: a seeded generator, so a failing property case can be replayed by its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random tensor set: every dtype, ranks 0-4 with zero-size dimensions now and then,
/// names and metadata with characters JSON must escape.
func randomTensorSet<G: RandomNumberGenerator>(_ rng: inout G, minTensors: Int = 0, maxTensors: Int = 8) -> TensorSet {
    let awkward = ["\"", "\\", "\n", "\u{01}", "ü", "漢", "🙂", "/", " ", ".", "__metadata"]
    func name(_ i: Int) -> String {
        var s = "t\(i)."
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            s += Bool.random(using: &rng) ? awkward.randomElement(using: &rng)! : String(Int.random(in: 0...99, using: &rng))
        }
        return s
    }
    var set = TensorSet()
    let n = Int.random(in: minTensors...maxTensors, using: &rng)
    for i in 0..<n {
        let dtype = DType.allCases.randomElement(using: &rng)!
        let rank = Int.random(in: 0...4, using: &rng)
        let shape = (0..<rank).map { _ in Int.random(in: 0...10, using: &rng) == 0 ? 0 : Int.random(in: 1...5, using: &rng) }
        let count = checkedByteCount(shape: shape, elementSize: dtype.size)!
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let t = bytes.withUnsafeBytes { RawTensor(dtype: dtype, shape: shape, copying: $0) }
        set.add(name(i), t)
    }
    for _ in 0..<Int.random(in: 0...3, using: &rng) {
        set.metadata["k" + (awkward.randomElement(using: &rng)!)] = awkward.shuffled(using: &rng).prefix(3).joined()
    }
    return set
}

/// Same names in the same order, same dtypes, shapes, bytes and metadata.
func sameTensorSet(_ a: TensorSet, _ b: TensorSet) -> Bool {
    guard a.order == b.order, a.metadata == b.metadata else { return false }
    for name in a.order {
        let x = a[name]!, y = b[name]!
        guard x.dtype == y.dtype, x.shape == y.shape, Array(x.bytes) == Array(y.bytes) else { return false }
    }
    return true
}
