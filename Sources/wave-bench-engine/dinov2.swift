import Foundation
import WaveEngine
import WaveFormats

/// Forward-only images/s of the real DINOv2 ViT-S/14 backbone (INPUTS.md) at 224 px on real
/// Fashion-MNIST test images, the inference a teacher does; scripts/bench-engine.sh times
/// onnxruntime on the same ONNX cut at the same LayerNorm. `--dump FILE` writes the first batch's
/// final-LayerNorm tokens as raw little-endian float32 [B, 257, 384], to compare every element.
@MainActor func benchDINOv2() {
    let cache = ProcessInfo.processInfo.environment["WAVE_CACHE"] ?? (NSHomeDirectory() + "/.cache/wave")
    let path = option("--onnx", cache + "/vit_s_focus.onnx")
    let dir = option("--dir", "/usr/share/datasets/fashion-mnist")
    let batch = Int(option("--batch", "8"))!, steps = Int(option("--steps", "5"))!
    let size = Int(option("--size", "224"))!
    let file = try! ModelFile.open(path)
    let detected = try! Architecture.detect(file.tensors, hints: file.configHints)
    var config = detected.vit!
    config.imageSize = size
    let model = try! ViTModel(config: config)
    try! model.load(detected.canonical)
    let test = try! ImageDataset.idx(images: dir + "/t10k-images-idx3-ubyte.gz", labels: dir + "/t10k-labels-idx1-ubyte.gz")
    let loader = BatchLoader(dataset: test.prefix(batch), batchSize: batch, preprocess: .imageNet(size: size),
                             shuffle: false, dropLast: false)
    loader.fill(batch: 0)
    let acts = model.makeActivations(batch: batch, inference: true)
    model.forward(images: loader.images.pointer, acts)  // warm-up: page faults, OpenBLAS buffers
    let dump = option("--dump", "")
    if !dump.isEmpty {
        let data = acts.tokens.array.withUnsafeBufferPointer { Data(buffer: $0) }
        try! data.write(to: URL(fileURLWithPath: dump))
    }
    Profile.reset()
    Profile.enabled = true
    let t0 = now()
    for _ in 0..<steps { model.forward(images: loader.images.pointer, acts) }
    let dt = (now() - t0) / Double(steps)
    Profile.enabled = false
    let gflops = model.forwardFLOPsPerImage * Double(batch) / dt / 1e9, peak = machine.peak
    print(String(format: "DINOv2 ViT-S/14 forward %d px / batch %d, %d threads: %.3f s/batch, %.1f images/s, %.0f GFLOP/s (%.0f%% of the %.0f ",
                 size, batch, threads, dt, Double(batch) / dt, gflops, 100 * gflops / peak, peak) + machine.peakName + " peak)")
    let parts = Profile.seconds.map { ($0.0.label, $0.1 / Double(steps)) }
    let other = dt - parts.reduce(0) { $0 + $1.1 }
    for (label, s) in parts + [("other (dispatch, copies)", other)] where s > 0 {
        print(String(format: "  %-32@ %7.1f ms  %5.1f%%", label as NSString, s * 1e3, 100 * s / dt))
    }
}
