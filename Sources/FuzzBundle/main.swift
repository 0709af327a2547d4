// libFuzzer target for the bundle reader (header, manifest, layout, payload decode, plan checks).
//
// scripts/fuzz.sh FuzzBundle fuzzes it; a plain build is a replay tool (Sources/FuzzDriver), and
// `FuzzBundle --write-seeds DIR` writes the small valid bundles the corpus starts from
// (Fixtures/bundle/, see its README).
import Foundation
import FuzzDriver
import WaveFormats
import WaveMethod
import WaveTensor

/// One input through the reader: open (header, manifest, layout), then verify every payload and
/// decode the templates. Errors are the expected outcome; only a crash, a sanitizer report or a
/// hang is a finding.
@discardableResult
func fuzzInput(_ bytes: UnsafeRawBufferPointer) -> Result<Int, any Error> {
    let owned = OwnedBytes(copying: bytes)   // exactly `size` bytes: ASan flags any read past the end
    do {
        let b = try WaveBundle(bytes: owned.bytes, owner: owned)
        try b.verify()
        let t = try b.templates()
        return .success(t.components.count)
    } catch {
        return .failure(error)
    }
}

/// The same input with its checksums made right: random mutations almost never keep a SHA-256
/// valid, so without this the manifest parser, the layout checks and the zstd decoder would only
/// ever see the seeds. The manifest digest is recomputed; when the manifest then parses, every
/// payload digest is recomputed too and the manifest re-packed.
func fuzzWithChecksumsFixed(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= BundleFormat.headerSize else { return }
    var b = Array(bytes)
    let m = Int(b[16..<24].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } & 0xffff_ffff)
    guard BundleFormat.headerSize + m <= b.count else { fuzzInput(bytes); return }
    let start = BundleFormat.headerSize
    b.replaceSubrange(24..<56, with: SHA256.hash(Array(b[start..<(start + m)])))
    guard var man = try? b[start..<(start + m)].withUnsafeBytes({ try BundleManifest(packed: $0) }) else {
        b.withUnsafeBytes { _ = fuzzInput($0) }
        return
    }
    let payloadStart = BundleFormat.align(start + m)
    for i in man.tensors.indices {
        let e = man.tensors[i]
        let lo = payloadStart + e.offset
        guard e.offset >= 0, e.length >= 0, lo <= b.count, e.length <= b.count - lo else { continue }
        man.tensors[i].sha256 = SHA256.hash(Array(b[lo..<(lo + e.length)]))
    }
    let packed = man.packed()
    var out = Array(b[0..<16])
    withUnsafeBytes(of: UInt64(packed.count).littleEndian) { out += $0 }
    out += SHA256.hash(packed) + packed
    out += [UInt8](repeating: 0, count: BundleFormat.align(out.count) - out.count)
    if payloadStart < b.count { out += b[payloadStart...] }
    out.withUnsafeBytes { _ = fuzzInput($0) }
}

/// Tiny bundles of every dtype, with and without LayerScale and a head.
func writeSeeds(_ dir: String) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var n = 0
    for (ls, classes) in [(Float(0.1), 0), (nil, 3)] as [(Float?, Int)] {
        let cfg = ViTConfig(imageSize: 8, patchSize: 4, inChannels: 1, numClasses: classes, embedDim: 8, depth: 2,
                            numHeads: 2, mlpDim: 16, layerScaleInit: ls)
        var set = TensorSet()
        var x: UInt32 = 1
        for (name, shape) in cfg.timmShapes {
            let values = (0..<shape.reduce(1, *)).map { _ -> Float in x = x &* 1664525 &+ 1013904223; return Float(x >> 8) / Float(1 << 24) - 0.5 }
            set.add(name, RawTensor(shape: shape, floats: values))
        }
        var plan = TemplatePlan(templateSize: 4)
        try plan.apply(overrides: "qkv=2,proj=1,fc1=2,fc2=2,vectors=1")
        let t = try Condenser.condense(canonical: set, config: cfg, family: "timm-vit", plan: plan)
        for dtype in [DType.f32, .f16, .bf16] {
            var o = BundleWriter.Options()
            o.dtype = dtype
            o.provenance.ancestryFile = "seed.safetensors"
            o.provenance.tool = "FuzzBundle"
            o.metadata = ["seed": "\(n)"]
            try BundleWriter.write(t, to: "\(dir)/seed-\(n)-\(dtype.rawValue).wave", options: o)
            n += 1
        }
    }
    print("wrote \(n) seed bundles to \(dir)")
}

#if !FUZZING
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--write-seeds", arguments.count == 2 {
    try writeSeeds(arguments[1])
    exit(0)
}
#endif
FuzzDriver.run("FuzzBundle", usage: "FuzzBundle --write-seeds DIR") { input in
    let result = fuzzInput(input).map { "\($0) components" }
    fuzzWithChecksumsFixed(input)
    return result
}
