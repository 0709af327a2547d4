import Foundation
import Testing
import WaveFormats

/// condense --data and expand --data end to end through the built binary, on a synthetic
/// ancestry and a generated IDX folder (the real-data runs are recorded in docs/results).
@Suite struct DistillFitCommandsTests {
    static let ancestry = ViTConfig(imageSize: 16, patchSize: 4, numClasses: 0, embedDim: 64, depth: 2, numHeads: 1, layerScaleInit: 1e-5)

    @Test func condenseWithDataThenExpandWithAFit() throws {
        let dir = try TempDir()
        try writeIDXFolder(dir.path, train: 64, test: 30)
        _ = try writeSyntheticHF(dir.file("a.safetensors"), config: Self.ancestry)
        let env = ["WAVE_CACHE": dir.file("cache")]
        let c = try CLI.run(["condense", dir.file("a.safetensors"), "-o", dir.file("a.wave"), "--data", dir.path,
                             "--epochs", "2", "--batch", "16", "--image-size", "16", "--depths", "1,2", "--probe-every", "4",
                             "--quiet", "--json"], environment: env)
        #expect(c.status == 0, "\(c.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as! [String: Any]
        let report = obj["distillation"] as! [String]
        #expect(report.contains { $0.hasPrefix("distilled: 8 steps") }, "\(report)")
        #expect(report.contains { $0.contains("probe: step 8, depth 2") }, "\(report)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("a.wave.ckpt")))
        // The loss and probe curves beside the bundle: a loss panel and a probe panel.
        #expect(obj["curves"] as? String == dir.file("a.wave.curves.svg"))
        #expect(try PictureCommandsTests.panels(dir.file("a.wave.curves.svg")) == 2)
        #expect(FileManager.default.fileExists(atPath: dir.file("cache/teacher")))

        let e = try CLI.run(["expand", dir.file("a.wave"), "--depth", "3", "--width", "64", "-o", dir.file("t.safetensors"),
                             "--data", dir.path, "--fit-steps", "10", "--fit-batch", "16", "--quiet"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stdout.contains("fit: 10 steps on 64 images"))
        let cfg = try ViTConfig.load(besideCheckpoint: dir.file("t.safetensors"))
        #expect(cfg.depth == 3 && cfg.numClasses == 3 && cfg.imageSize == 16)
        let t = try CLI.run(["eval", dir.file("t.safetensors"), "--data", dir.path])
        #expect(t.status == 0 && t.stdout.contains("test top-1"), "\(t.stderr)")

        // --teacher: the fit also distils the ancestry's features, into a target twice its width.
        let k = try CLI.run(["expand", dir.file("a.wave"), "--depth", "2", "--width", "128", "-o", dir.file("k.safetensors"),
                             "--data", dir.path, "--fit-steps", "6", "--fit-batch", "16", "--teacher", dir.file("a.safetensors"),
                             "--quiet"], environment: env)
        #expect(k.status == 0, "\(k.stderr)")
        #expect(k.stdout.contains("fit: feature KD from"), "\(k.stdout)")
        // Logit KD needs a head for the data's classes; the ancestry has none: refused, nothing written.
        let l = try CLI.run(["expand", dir.file("a.wave"), "--depth", "2", "--width", "64", "-o", dir.file("l.safetensors"),
                             "--data", dir.path, "--fit-steps", "6", "--teacher", dir.file("a.safetensors"), "--fit-kd", "logit",
                             "--quiet"], environment: env)
        #expect(l.status != 0 && l.stderr.contains("needs a teacher with a head for 3 classes"), "\(l.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("l.safetensors")))
        // A classifier ancestry: the backbone with a probe head for the data's 3 classes (convert
        // --probe-head); logit KD is then the default of --teacher, and condensation can use it too.
        let c3 = try CLI.run(["convert", dir.file("a.safetensors"), "-o", dir.file("c3.safetensors"), "--probe-head", dir.path,
                              "--probe-image-size", "16"], environment: env)
        #expect(c3.status == 0 && c3.stdout.contains("probe head: 3 classes, fitted on 64 training images at 16 px"), "\(c3.stderr)")
        let c3cfg = try ViTConfig.load(besideCheckpoint: dir.file("c3.safetensors"))
        #expect(c3cfg.numClasses == 3)
        let lk = try CLI.run(["expand", dir.file("a.wave"), "--depth", "2", "--width", "64", "-o", dir.file("lk.safetensors"),
                              "--data", dir.path, "--fit-steps", "6", "--fit-batch", "16", "--teacher", dir.file("c3.safetensors"),
                              "--quiet"], environment: env)
        #expect(lk.status == 0 && lk.stdout.contains("fit: logit KD from"), "\(lk.stderr)\(lk.stdout)")
        let cl = try CLI.run(["condense", dir.file("c3.safetensors"), "-o", dir.file("c3.wave"), "--data", dir.path, "--kd", "logit",
                              "--epochs", "1", "--batch", "16", "--image-size", "16", "--depths", "1,2", "--quiet"], environment: env)
        #expect(cl.status == 0 && cl.stdout.contains("distilled: 4 steps"), "\(cl.stderr)\(cl.stdout)")
        let n = try CLI.run(["expand", dir.file("a.wave"), "--depth", "2", "--width", "64", "-o", dir.file("n.safetensors"),
                             "--teacher", dir.file("a.safetensors")])
        #expect(n.status != 0 && n.stderr.contains("--teacher needs --data"), "\(n.stderr)")
    }
}
