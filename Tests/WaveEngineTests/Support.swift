import Foundation
import Testing
import WaveTensor
import WaveFormats
@testable import WaveEngine

/// Fixtures/torch/, found from this file's path.
let fixtureDir: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Fixtures/torch").path
}()

func loadFixture(_ name: String) throws -> TensorSet {
    try Safetensors.read(path: fixtureDir + "/" + name + ".safetensors")
}

/// The TensorSet entries whose names start with `prefix`, with the prefix removed.
func subset(_ set: TensorSet, prefix: String) -> TensorSet {
    var out = TensorSet()
    for (name, t) in set.all where name.hasPrefix(prefix) { out.add(String(name.dropFirst(prefix.count)), t) }
    return out
}

/// max |a − b| / (max |b| over the tensor + floor): an error relative to the tensor's scale, so
/// entries near zero do not dominate.
func scaledError(_ a: [Float], _ b: [Float], floor: Float = 1e-6) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    var worst: Float = 0, scale: Float = floor
    for v in b { scale = max(scale, abs(v)) }
    for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
    return worst / scale
}

func randomFloats(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = SeededRNG(seed: seed)
    return (0..<n).map { _ in Float(rng.normal()) * scale }
}

/// The fixtures' configs (see make_goldens.py).
let tinyLSConfig = ViTConfig(imageSize: 8, patchSize: 4, inChannels: 3, numClasses: 3, embedDim: 16, depth: 2,
                             numHeads: 2, mlpDim: 32, layerScaleInit: 0.5, qkvBias: true, normEps: 1e-6, geluTanh: false)
let tinyTanhConfig = ViTConfig(imageSize: 12, patchSize: 4, inChannels: 3, numClasses: 5, embedDim: 16, depth: 2,
                               numHeads: 4, mlpDim: 32, layerScaleInit: nil, qkvBias: false, normEps: 1e-5, geluTanh: true)
