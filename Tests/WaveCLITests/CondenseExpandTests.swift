import Foundation
import Testing
import WaveTensor
import WaveFormats

/// condense → inspect → expand, end to end through the built binary.
@Suite struct CondenseExpandTests {
    /// DINOv2-shaped (LayerScale, no head), HF names, width 32 so t = 16 and 8 are possible.
    static let ancestry = ViTConfig(imageSize: 28, patchSize: 14, numClasses: 0, embedDim: 32, depth: 3, numHeads: 2,
                                    layerScaleInit: 1e-5)

    static func condensed(_ dir: TempDir, extra: [String] = []) throws -> String {
        _ = try writeSyntheticHF(dir.file("a.safetensors"), config: ancestry)
        let r = try CLI.run(["condense", dir.file("a.safetensors"), "-o", dir.file("a.wave"), "--quiet"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    @Test func condensePrintsErrorsAndSizes() throws {
        let dir = try TempDir()
        let out = try Self.condensed(dir, extra: ["--template-size", "16", "--templates", "qkv=3,vectors=2"])
        for s in ["qkv", "fc2", "ls1", "rel. error", "ratio:"] { #expect(out.contains(s), "\(s)") }
        #expect(FileManager.default.fileExists(atPath: dir.file("a.wave")))
        let json = try CLI.run(["condense", dir.file("a.safetensors"), "-o", dir.file("b.wave"), "--json", "--quiet", "--dtype", "bf16"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(obj["dtype"] as? String == "BF16")
        #expect((obj["components"] as? [[String: Any]])?.count == 14)
    }

    @Test func inspectShowsAndVerifiesBundles() throws {
        let dir = try TempDir()
        _ = try Self.condensed(dir)
        let text = try CLI.run(["inspect", dir.file("a.wave"), "--verify"])
        #expect(text.status == 0, "\(text.stderr)")
        for s in ["wave bundle v1", "hf-dinov2", "verified:", "templates.qkv", "scalers.fc1", "a.safetensors"] {
            #expect(text.stdout.contains(s), "\(s)")
        }
        let json = try CLI.run(["inspect", dir.file("a.wave"), "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(obj["schema"] as? String == "wave.bundle-inspect/1")
        // A flipped payload byte is caught by --verify: one line, exit status 1.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("a.wave")))
        bytes[bytes.count - 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: dir.file("bad.wave")))
        let bad = try CLI.run(["inspect", dir.file("bad.wave"), "--verify"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("SHA-256"))
    }

    @Test func expandWritesACheckpointAndConfig() throws {
        let dir = try TempDir()
        _ = try Self.condensed(dir, extra: ["--template-size", "16"])
        let r = try CLI.run(["expand", dir.file("a.wave"), "--depth", "5", "--width", "48", "--heads", "3", "--classes", "4",
                             "--image-size", "42", "-o", dir.file("m.safetensors"), "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let set = try Safetensors.read(path: dir.file("m.safetensors"))
        let cfg = try ViTConfig.load(besideCheckpoint: dir.file("m.safetensors"))
        #expect(cfg.depth == 5 && cfg.embedDim == 48 && cfg.numHeads == 3 && cfg.numClasses == 4 && cfg.gridSize == 3)
        try Architecture.checkShapes(set, against: cfg.timmShapes)
        let hf = try CLI.run(["expand", dir.file("a.wave"), "--depth", "2", "--width", "32", "--names", "hf",
                              "-o", dir.file("hf.safetensors"), "--quiet"])
        #expect(hf.status == 0, "\(hf.stderr)")
        #expect(try Safetensors.read(path: dir.file("hf.safetensors")).contains("encoder.layer.1.attention.attention.key.weight"))
    }

    @Test func dryRunPrintsThePlanAndWritesNothing() throws {
        let dir = try TempDir()
        _ = try Self.condensed(dir)
        let r = try CLI.run(["expand", dir.file("a.wave"), "--depth", "4", "--width", "64", "--dry-run"])
        #expect(r.status == 0, "\(r.stderr)")
        for s in ["plan: 3×32", "blocks.3.mlp.fc1.weight", "templates.fc1", "I_2 ⊗ S", "x=", "function"] {
            #expect(r.stdout.contains(s), "\(s)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.safetensors", "a.wave"])
    }

    @Test func badRequestsFailWithOneLine() throws {
        let dir = try TempDir()
        _ = try Self.condensed(dir)
        let width = try CLI.run(["expand", dir.file("a.wave"), "--depth", "2", "--width", "40", "-o", dir.file("x.safetensors")])
        #expect(width.status == 1)
        #expect(width.stderr.contains("multiple of the template size 32"))
        let plan = try CLI.run(["condense", dir.file("a.safetensors"), "-o", dir.file("c.wave"), "--templates", "attn=3"])
        #expect(plan.status == 1 && plan.stderr.contains("unknown component"))
        let noOut = try CLI.run(["expand", dir.file("a.wave"), "--depth", "2", "--width", "32"])
        #expect(noOut.status != 0 && noOut.stderr.contains("-o"))
        let notBundle = try CLI.run(["expand", dir.file("a.safetensors"), "--depth", "2", "--width", "32", "--dry-run"])
        #expect(notBundle.status == 1 && notBundle.stderr.contains("WAVEBNDL"))
    }

    @Test func helpHasExamples() throws {
        for sub in ["condense", "expand"] {
            let r = try CLI.run([sub, "--help"])
            #expect(r.status == 0 && r.stdout.contains("Examples:"))
        }
    }
}
