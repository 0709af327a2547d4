import Foundation
import Testing
import WaveTensor
import WaveFormats
import WaveEngine
@testable import WaveMethod

/// The real DINOv2 ViT-S/14 ancestry (INPUTS.md), condensed once per test run; nil when the cache
/// lacks it (these tests are then skipped).
enum RealAncestry {
    static var onnxPath: String? {
        let cache = ProcessInfo.processInfo.environment["WAVE_CACHE"] ?? (NSHomeDirectory() + "/.cache/wave")
        let p = cache + "/vit_s_focus.onnx"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    static let detected: DetectedModel? = {
        guard let p = onnxPath, let m = try? ModelFile.open(p) else { return nil }
        return try? Architecture.detect(m.tensors, hints: m.configHints)
    }()

    static func condense(t: Int?) throws -> WaveTemplates {
        let d = detected!
        return try Condenser.condense(canonical: d.canonical, config: d.vit!, family: d.family.family, plan: TemplatePlan(templateSize: t))
    }
    static let t384: WaveTemplates? = detected == nil ? nil : try? condense(t: nil)
    static let t192: WaveTemplates? = detected == nil ? nil : try? condense(t: 192)

    /// `count` Fashion-MNIST test images at `size` px (bilinear), grey repeated in 3 channels,
    /// normalized like DINOv2's input (INPUTS.md); nil when the dataset is not installed.
    static func images(count: Int, size: Int) -> [Float]? {
        let path = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
        guard let idx = try? IDX.loadImages(path: path) else { return nil }
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        var out: [Float] = []
        for i in 0..<count {
            for c in 0..<3 { for y in 0..<size { for x in 0..<size {
                let sy = max((Float(y) + 0.5) * Float(idx.rows) / Float(size) - 0.5, 0)
                let sx = max((Float(x) + 0.5) * Float(idx.cols) / Float(size) - 0.5, 0)
                let y0 = min(Int(sy), idx.rows - 1), x0 = min(Int(sx), idx.cols - 1)
                let y1 = min(y0 + 1, idx.rows - 1), x1 = min(x0 + 1, idx.cols - 1)
                let fy = sy - Float(y0), fx = sx - Float(x0)
                func px(_ yy: Int, _ xx: Int) -> Float { Float(idx.pixels[(i * idx.rows + yy) * idx.cols + xx]) / 255 }
                let v = (1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x1)) + fy * ((1 - fx) * px(y1, x0) + fx * px(y1, x1))
                out.append((v - mean[c]) / std[c])
            } } }
        }
        return out
    }
}

@Suite(.enabled(if: RealAncestry.onnxPath != nil, "needs ~/.cache/wave/vit_s_focus.onnx (scripts/setup.sh)"))
struct RealModelTests {
    /// The data-free fit reproduces METHOD.md's measured errors (qkv 0.82, proj 0.89, fc1 0.89, fc2 0.87).
    @Test func dataFreeErrorsMatchTheMethodNotes() throws {
        let t = try #require(RealAncestry.t384)
        let expected = ["qkv": 0.82, "proj": 0.89, "fc1": 0.89, "fc2": 0.87]
        for (name, e) in expected { #expect(abs(t.component(name)!.relError - e) < 0.01, "\(name): \(t.component(name)!.relError)") }
    }

    /// Width 384 → 768 with 6 → 12 heads and ε = 0: on real images, wave's engine gives the original's
    /// class-token features replicated (max abs difference ≤ 1e-4).
    @Test func doublingTheWidthPreservesFeaturesOnRealImages() throws {
        let t = try #require(RealAncestry.t384)
        let images = try #require(RealAncestry.images(count: 4, size: 56))
        var src = t.sourceConfig
        src.imageSize = 56
        var r = ExpansionRequest(depth: src.depth, width: 768)
        r.imageSize = 56
        let plan = try Expander.plan(t, r)
        #expect(plan.target.numHeads == 12)
        let a = try engineForward(t.reconstruction(), src, images: images, batch: 4)
        let b = try engineForward(plan.materialize(), plan.target, images: images, batch: 4)
        var replicated: [Float] = []
        for i in 0..<4 { let f = Array(a.features[(i * 384)..<((i + 1) * 384)]); replicated += f + f }
        let diff = maxAbsDiff(b.features, replicated)
        print("real DINOv2, width 384→768, heads 6→12, ε = 0, 4 Fashion-MNIST images at 56 px: max |Δ class-token feature| = \(diff)")
        #expect(diff <= 1e-4, "max abs difference \(diff)")
        #expect(a.features.map(abs).max()! > 0.1)   // not a trivially zero output
    }

    /// Depths 2-12 × widths 192 (t = 192), 384, 768 expand, load strictly and run.
    @Test(arguments: [2, 4, 6, 8, 12])
    func depthsAndWidthsRun(_ depth: Int) throws {
        let images = try #require(RealAncestry.images(count: 1, size: 56))
        for (bundle, width) in [(RealAncestry.t192, 192), (RealAncestry.t192, 384), (RealAncestry.t384, 384), (RealAncestry.t384, 768)] {
            let t = try #require(bundle)
            var r = ExpansionRequest(depth: depth, width: width)
            r.imageSize = 56
            let plan = try Expander.plan(t, r)
            let out = try engineForward(plan.materialize(), plan.target, images: images, batch: 1)
            #expect(out.features.count == width && out.features.allSatisfy(\.isFinite), "depth \(depth) width \(width)")
        }
    }

    /// Own depth and width: exactly the reconstructed weights (through a bundle file, F32).
    @Test func ownSizeThroughABundleIsTheReconstruction() throws {
        let t = try #require(RealAncestry.t384)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wave-real-\(UUID().uuidString).wave").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try BundleWriter.write(t, to: path)
        let back = try WaveBundle(path: path).templates()
        let out = try Expander.plan(back, ExpansionRequest(depth: 12, width: 384)).materialize()
        for (name, x) in t.reconstruction().all { #expect(out[name]!.floats() == x.floats(), "\(name)") }
    }
}
