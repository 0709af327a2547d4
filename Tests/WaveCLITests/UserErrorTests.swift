import Foundation
import Testing
import WaveTensor
import WaveFormats

/// Every user error: exit status 1 and one line on stderr that names the file or option at fault and
/// says what to do. Each case runs the built binary on small inputs made here.
@Suite struct UserErrorTests {
    /// The inputs the cases point at: a ViT (HF names), a BERT encoder, a bundle, a bundle with a
    /// damaged magic and a symlink to the ViT.
    final class Inputs {
        let dir: TempDir
        init() throws {
            dir = try TempDir()
            _ = try writeSyntheticHF(dir.file("vit.safetensors"), config: CommandLineTests.small)
            try Self.writeBert(dir.file("bert.safetensors"))
            let c = try CLI.run(["condense", dir.file("vit.safetensors"), "-o", dir.file("b.wave"), "--quiet"])
            #expect(c.status == 0, "\(c.stderr)")
            var bundle = try Data(contentsOf: URL(fileURLWithPath: dir.file("b.wave")))
            bundle[0] = UInt8(ascii: "X")
            try bundle.write(to: URL(fileURLWithPath: dir.file("damaged.wave")))
        }

        /// A one-layer BERT encoder of width 64 (one head of 64).
        static func writeBert(_ path: String) throws {
            var set = TensorSet()
            func add(_ n: String, _ s: [Int]) { set.add(n, RawTensor(shape: s, floats: .init(repeating: 0.5, count: s.reduce(1, *)))) }
            let d = 64, m = 128
            add("embeddings.word_embeddings.weight", [10, d]); add("embeddings.position_embeddings.weight", [8, d])
            add("embeddings.token_type_embeddings.weight", [2, d]); add("embeddings.LayerNorm.weight", [d]); add("embeddings.LayerNorm.bias", [d])
            let p = "encoder.layer.0."
            for q in ["query", "key", "value"] { add(p + "attention.self.\(q).weight", [d, d]); add(p + "attention.self.\(q).bias", [d]) }
            add(p + "attention.output.dense.weight", [d, d]); add(p + "attention.output.dense.bias", [d])
            add(p + "attention.output.LayerNorm.weight", [d]); add(p + "attention.output.LayerNorm.bias", [d])
            add(p + "intermediate.dense.weight", [m, d]); add(p + "intermediate.dense.bias", [m])
            add(p + "output.dense.weight", [d, m]); add(p + "output.dense.bias", [d])
            add(p + "output.LayerNorm.weight", [d]); add(p + "output.LayerNorm.bias", [d])
            try Safetensors.write(set, to: path)
        }
    }

    /// (label, arguments with FILE for the inputs' folder, what the one line must contain).
    static let cases: [(String, [String], [String])] = [
        ("condense of a BERT model", ["condense", "FILE/bert.safetensors", "-o", "FILE/x.wave"], ["FILE/bert.safetensors", "needs a ViT"]),
        ("output not .safetensors", ["convert", "FILE/vit.safetensors", "-o", "FILE/out.bin"], ["-o FILE/out.bin", "-o FILE/out.safetensors"]),
        ("negative depth", ["expand", "FILE/b.wave", "--depth", "-3", "--width", "128", "-o", "FILE/x.safetensors"], ["--depth", "positive", "-3"]),
        ("negative width, joined", ["expand", "FILE/b.wave", "--depth", "2", "--width=-8", "--dry-run"], ["--width", "positive"]),
        ("heads that do not fit", ["inspect", "FILE/vit.safetensors", "--heads", "7"], ["--heads 7", "FILE/vit.safetensors", "divides the width"]),
        ("heads for a bundle", ["inspect", "FILE/b.wave", "--heads", "2"], ["--heads", "FILE/b.wave"]),
        ("a bundle to convert", ["convert", "FILE/b.wave", "-o", "FILE/x.safetensors"], ["FILE/b.wave is a wave bundle", "wave expand"]),
        ("a bundle to condense", ["condense", "FILE/b.wave", "-o", "FILE/x.wave"], ["FILE/b.wave is a wave bundle"]),
        ("a damaged bundle to inspect", ["inspect", "FILE/damaged.wave"], ["FILE/damaged.wave", "damaged", "WAVEBNDL"]),
        ("a damaged bundle to expand", ["expand", "FILE/damaged.wave", "--depth", "2", "--width", "128", "--dry-run"], ["FILE/damaged.wave", "WAVEBNDL"]),
        ("a model to expand", ["expand", "FILE/vit.safetensors", "--depth", "2", "--width", "128", "--dry-run"], ["FILE/vit.safetensors", "not a wave bundle", "wave condense"]),
        ("a folder to inspect", ["inspect", "FILE"], ["FILE", "folder"]),
        ("unknown option", ["expand", "FILE/b.wave", "--depth", "2", "--width", "128", "--dry-run", "--deep", "3"], ["--deep", "wave expand --help"]),
        ("missing option", ["expand", "FILE/b.wave", "--width", "128"], ["--depth", "wave expand --help"]),
        ("export of a BERT model", ["export", "FILE/bert.safetensors", "-o", "FILE/x.onnx"], ["FILE/bert.safetensors", "ViTs only"]),
        ("export output not .onnx", ["export", "FILE/vit.safetensors", "-o", "FILE/x.safetensors"], ["-o FILE/x.safetensors", "-o FILE/x.onnx"]),
        ("export to an odd image size", ["export", "FILE/vit.safetensors", "--image-size", "30", "-o", "FILE/x.onnx"], ["--image-size 30", "patch size"]),
        ("ONNX output with HF names", ["expand", "FILE/b.wave", "--depth", "2", "--width", "128", "--format", "onnx", "--names", "hf", "-o", "FILE/x.onnx"],
         ["--names", "timm names"]),
    ]

    @Test func everyUserErrorIsOneLineAndStatus1() throws {
        let inputs = try Inputs()
        for (label, args, needles) in Self.cases {
            let r = try CLI.run(args.map { $0.replacingOccurrences(of: "FILE", with: inputs.dir.path) })
            let lines = r.stderr.split(separator: "\n")
            #expect(r.status == 1, "\(label): status \(r.status)")
            #expect(lines.count == 1 && lines[0].hasPrefix("Error: "), "\(label): \(r.stderr)")
            for n in needles {
                #expect(r.stderr.contains(n.replacingOccurrences(of: "FILE", with: inputs.dir.path)), "\(label): \(n) not in \(r.stderr)")
            }
            #expect(!r.stderr.contains("Usage:"), "\(label)")
        }
        #expect(!FileManager.default.fileExists(atPath: inputs.dir.file("x.safetensors")))
        #expect(!FileManager.default.fileExists(atPath: inputs.dir.file("x.onnx")))
    }

    @Test func helpAndVersionStillExit0() throws {
        #expect(try CLI.run(["expand", "--help"]).status == 0)
        #expect(try CLI.run(["--version"]).status == 0)
    }

    /// Small messages that used to be wrong: the tensor count of an HF-named expansion, the file a
    /// sharded convert wrote, the size `inspect` shows for a symlink.
    @Test func messagesSayWhatWasWritten() throws {
        let inputs = try Inputs()
        let dir = inputs.dir
        let hf = try CLI.run(["expand", dir.file("b.wave"), "--depth", "2", "--width", "128", "--names", "hf", "-o", dir.file("hf.safetensors"), "--quiet"])
        #expect(hf.status == 0, "\(hf.stderr)")
        let held = try Safetensors.read(path: dir.file("hf.safetensors")).count
        #expect(hf.stdout.contains("\(held) tensors"), "\(hf.stdout) (the file holds \(held))")

        let sharded = try CLI.run(["convert", dir.file("vit.safetensors"), "-o", dir.file("s.safetensors"), "--shard-size", "100KB"])
        #expect(sharded.status == 0, "\(sharded.stderr)")
        let first = sharded.stdout.split(separator: "\n")[0]
        #expect(first.hasPrefix("wrote \(dir.file("s.safetensors.index.json")):") && first.contains("shards"), "\(first)")
        #expect(FileManager.default.fileExists(atPath: dir.file("s.safetensors.index.json")))

        try FileManager.default.createSymbolicLink(atPath: dir.file("link.safetensors"), withDestinationPath: dir.file("vit.safetensors"))
        let size = (try FileManager.default.attributesOfItem(atPath: dir.file("vit.safetensors"))[.size] as! NSNumber).intValue
        let json = try CLI.run(["inspect", "--json", dir.file("link.safetensors")])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(obj["file_bytes"] as? Int == size)
    }
}
