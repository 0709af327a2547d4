import Foundation
import Testing
import WaveTensor
import WaveFormats

/// A small DINOv2-shaped model in Hugging Face names, with seeded values.
func writeSyntheticHF(_ path: String, config: ViTConfig) throws -> TensorSet {
    var timm = TensorSet()
    var state: UInt64 = 7
    for (name, shape) in config.timmShapes {
        let values = (0..<shape.reduce(1, *)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int32(truncatingIfNeeded: state >> 33)) / Float(Int32.max)
        }
        timm.add(name, RawTensor(shape: shape, floats: values))
    }
    try Safetensors.write(try Architecture.export(timm, config: config, names: .hf), to: path)
    return timm
}

@Suite struct CommandLineTests {
    static let small = ViTConfig(imageSize: 28, patchSize: 14, numClasses: 0, embedDim: 128, depth: 2, numHeads: 2, layerScaleInit: 1e-5)

    @Test func helpAndVersion() throws {
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        for sub in ["inspect", "convert"] { #expect(help.stdout.contains(sub)) }
        let version = try CLI.run(["--version"])
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let sub = try CLI.run(["convert", "--help"])
        #expect(sub.stdout.contains("--names"))
    }

    @Test func inspectRecognizesAndReportsJSON() throws {
        let dir = try TempDir()
        _ = try writeSyntheticHF(dir.file("m.safetensors"), config: Self.small)
        let text = try CLI.run(["inspect", dir.file("m.safetensors")])
        #expect(text.status == 0)
        #expect(text.stdout.contains("hf-dinov2"))
        #expect(text.stdout.contains("depth 2, width 128, heads 2"))
        let json = try CLI.run(["inspect", "--json", dir.file("m.safetensors")])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(obj["schema"] as? String == "wave.inspect/1")
        let family = obj["family"] as! [String: Any]
        #expect(family["name"] as? String == "hf-dinov2")
        #expect((family["timm_kwargs"] as! [String: Any])["embed_dim"] as? Int == 128)
        #expect((obj["parameters"] as! [String: Any])["ancestry"] as? Int == Self.small.parameterCount)
    }

    @Test func convertWritesTimmTensorsAndConfigThatRoundTrip() throws {
        let dir = try TempDir()
        let timm = try writeSyntheticHF(dir.file("hf.safetensors"), config: Self.small)
        let r = try CLI.run(["convert", dir.file("hf.safetensors"), "-o", dir.file("timm.safetensors")])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try Safetensors.read(path: dir.file("timm.safetensors"))
        #expect(out.order == timm.order)
        for n in timm.order { #expect(out[n]!.floats() == timm[n]!.floats(), "\(n)") }
        let cfg = try ViTConfig.load(besideCheckpoint: dir.file("timm.safetensors"))
        #expect(cfg == Self.small)
        // Back to HF names, sharded, and detected again.
        let back = try CLI.run(["convert", dir.file("timm.safetensors"), "-o", dir.file("hf2.safetensors"), "--names", "hf", "--shard-size", "100KB"])
        #expect(back.status == 0, "\(back.stderr)")
        let again = try Architecture.detect(try Safetensors.read(path: dir.file("hf2.safetensors.index.json")))
        for n in timm.order { #expect(again.canonical[n]!.floats() == timm[n]!.floats(), "\(n)") }
    }

    static let badInputs: [(String, [UInt8])] = [
        ("empty.safetensors", []),
        ("short.safetensors", [1, 2, 3]),
        ("huge-header.safetensors", [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x7b]),
        ("garbage.onnx", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ]

    @Test(arguments: badInputs.map(\.0))
    func badInputFailsWithOneLineAndStatus1(name: String) throws {
        let dir = try TempDir()
        let bytes = Self.badInputs.first { $0.0 == name }!.1
        FileManager.default.createFile(atPath: dir.file(name), contents: Data(bytes))
        for cmd in [["inspect", dir.file(name)], ["convert", dir.file(name), "-o", dir.file("o.safetensors")]] {
            let r = try CLI.run(cmd)
            #expect(r.status == 1, "\(cmd) → \(r.status)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("Error: "), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("o.safetensors")))
        }
    }

    @Test func missingFileAndBadOptionsAreExplained() throws {
        let r = try CLI.run(["inspect", "/nonexistent/model.onnx"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no such file"))
        let o = try CLI.run(["convert", "/nonexistent/model.onnx", "-o", "out.bin"])
        #expect(o.status == 1)
        #expect(o.stderr.contains("-o out.bin: the output must end in .safetensors (e.g. -o out.safetensors)"))
    }
}
