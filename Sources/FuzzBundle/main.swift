// libFuzzer target for the bundle reader (header, manifest, layout, payload decode, plan checks).
//
// Built like Sources/FuzzSafetensors: scripts/fuzz.sh compiles it with -sanitize=fuzzer,address
// -DFUZZING and the top-level code hands control to LLVMFuzzerRunDriver. A plain `swift build`
// compiles a replay tool that runs saved inputs through the same function, and
// `FuzzBundle --write-seeds DIR` writes the small valid bundles the corpus starts from
// (Fixtures/bundle/, see its README).
import Foundation
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

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzzOne(data, size) }))
#else
let args = Array(CommandLine.arguments.dropFirst())
if args.first == "--write-seeds", args.count == 2 {
    try writeSeeds(args[1])
    exit(0)
}
if args.isEmpty {
    FileHandle.standardError.write(Data("usage: FuzzBundle FILE...  (replays inputs; scripts/fuzz.sh fuzzes)\n       FuzzBundle --write-seeds DIR\n".utf8))
    exit(2)
}
for path in args {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
        exit(1)
    }
    switch data.withUnsafeBytes({ fuzzInput($0) }) {
    case let .success(n): print("accepted \(path): \(n) components")
    case let .failure(e): print("rejected \(path): \(e)")
    }
}
#endif
