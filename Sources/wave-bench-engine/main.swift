// wave-bench-engine: images/s of one AdamW training step of a ViT-Ti on the CPU engine, with a
// per-kernel breakdown, and (mode `fmnist`) the 1-epoch Fashion-MNIST check of the library.
//   wave-bench-engine bench [--shape 32|224|all] [--threads 2] [--steps 5] [--json]
//   wave-bench-engine fmnist [--dir DIR] [--threads 2] [--epochs 1] [--batch 64] [--lr 1e-3] [--size 28]
//   wave-bench-engine dinov2 [--onnx PATH] [--batch 8] [--threads 2] [--steps 5] [--dump FILE]   (forward only)
import Foundation
import WaveEngine
import WaveFormats

var args = Array(CommandLine.arguments.dropFirst())
let mode = args.isEmpty ? "bench" : args.removeFirst()
@MainActor func option(_ name: String, _ fallback: String) -> String {
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return fallback
}
let threads = Int(option("--threads", "2"))!
Engine.configure(threads: threads)

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// GFLOP/s below are model FLOPs: 3 × the full forward's matrix products per image (what PyTorch
/// computes), although the engine skips the last block's non-class rows — so it is an
/// effective rate, as % of this machine's measured FMA peak (Machine.swift).
let machine = Machine.measure(threads: threads)
print(machine.summary)

@MainActor func bench(imageSize: Int, patch: Int, batch: Int, steps: Int, json: Bool) {
    let config = ViTConfig(imageSize: imageSize, patchSize: patch, inChannels: 3, numClasses: 10, embedDim: 192,
                           depth: 12, numHeads: 3, mlpDim: 768)
    let model = try! ViTModel(config: config, seed: 1)
    let trainer = Trainer(model: model, batch: batch, schedule: CosineSchedule(baseLR: 1e-3, warmupSteps: 10, totalSteps: 1000))
    var rng = SeededRNG(seed: 2)
    let images = (0..<(batch * 3 * imageSize * imageSize)).map { _ in Float(rng.normal()) }
    let labels = (0..<batch).map { Int32($0 % 10) }
    trainer.step(images: images, labels: labels)  // warm-up: first-touch page faults, OpenBLAS buffers
    Profile.reset()
    Profile.enabled = true
    let t0 = now()
    for _ in 0..<steps { trainer.step(images: images, labels: labels) }
    let dt = (now() - t0) / Double(steps)
    Profile.enabled = false
    let ips = Double(batch) / dt
    let gflops = 3 * model.forwardFLOPsPerImage * Double(batch) / dt / 1e9
    let peak = machine.peak
    let parts = Profile.seconds.map { ($0.0.label, $0.1 / Double(steps)) }
    let other = dt - parts.reduce(0) { $0 + $1.1 }
    if json {
        var obj: [String: Any] = ["image": imageSize, "patch": patch, "batch": batch, "threads": threads,
                                  "step_s": dt, "images_per_s": ips, "gflops": gflops, "peak_gflops": peak, "machine": machine.json]
        obj["breakdown_s"] = Dictionary(uniqueKeysWithValues: parts + [("other", other)])
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        return
    }
    print(String(format: "ViT-Ti %d px / patch %d / batch %d, %d threads: %.3f s/step, %.1f images/s, %.0f GFLOP/s (%.0f%% of the %.0f ",
                 imageSize, patch, batch, threads, dt, ips, gflops, 100 * gflops / peak, peak) + machine.peakName + " peak)")
    for (label, s) in parts + [("other (dispatch, zeroing)", other)] where s > 0 {
        print(String(format: "  %-32@ %7.1f ms  %5.1f%%", label as NSString, s * 1e3, 100 * s / dt))
    }
}

switch mode {
case "bench":
    let shape = option("--shape", "all"), steps = Int(option("--steps", "5"))!
    let json = args.contains("--json")
    if shape == "32" || shape == "all" { bench(imageSize: 32, patch: 4, batch: 64, steps: steps, json: json) }
    if shape == "224" || shape == "all" { bench(imageSize: 224, patch: 16, batch: 32, steps: max(1, steps / 2), json: json) }
case "fmnist":
    trainFashionMNIST()
case "dinov2":
    benchDINOv2()
default:
    FileHandle.standardError.write("usage: wave-bench-engine bench|fmnist|dinov2 [options]\n".data(using: .utf8)!)
    exit(2)
}
