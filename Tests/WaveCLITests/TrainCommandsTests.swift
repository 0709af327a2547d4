import Foundation
import Testing
import WaveFormats

/// A tiny IDX dataset folder (uncompressed) whose 3 classes differ in brightness.
func writeIDXFolder(_ dir: String, train: Int = 96, test: Int = 30) throws {
    func be(_ x: UInt32) -> [UInt8] { [UInt8(x >> 24), UInt8((x >> 16) & 255), UInt8((x >> 8) & 255), UInt8(x & 255)] }
    var state: UInt64 = 9
    for (prefix, n) in [("train", train), ("t10k", test)] {
        let labels = (0..<n).map { UInt8($0 % 3) }
        var images = be(0x803) + be(UInt32(n)) + be(8) + be(8)
        for l in labels {
            for _ in 0..<64 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                images.append(UInt8(Int(l) * 80 + Int(state >> 58)))
            }
        }
        FileManager.default.createFile(atPath: "\(dir)/\(prefix)-images-idx3-ubyte", contents: Data(images))
        FileManager.default.createFile(atPath: "\(dir)/\(prefix)-labels-idx1-ubyte", contents: Data(be(0x801) + be(UInt32(n)) + labels))
    }
}

@Suite struct TrainCommandsTests {
    @Test func initTrainEvalWithMetrics() throws {
        let dir = try TempDir()
        try writeIDXFolder(dir.path)
        let ckpt = dir.file("vit.safetensors")
        let i = try CLI.run(["init", "--depth", "2", "--width", "16", "--heads", "2", "--patch", "4", "--image-size", "8",
                             "--channels", "1", "--classes", "3", "-o", ckpt])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(try ViTConfig.load(besideCheckpoint: ckpt).depth == 2)
        let t = try CLI.run(["train", ckpt, "--data", dir.path, "--epochs", "3", "--batch", "16", "--lr", "3e-3",
                             "-o", dir.file("trained.safetensors"), "--metrics", dir.file("m.json"), "--quiet"])
        #expect(t.status == 0, "\(t.stderr)")
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("m.json")))) as! [String: Any]
        let top1 = m["test_top1"] as! Double
        #expect(top1 > 0.6, "brightness classes should be learned: \(top1)")
        #expect((m["history"] as! [[String: Any]]).count == 3)
        #expect((m["images_per_s"] as! Double) > 0)
        let e = try CLI.run(["eval", dir.file("trained.safetensors"), "--data", dir.path, "--metrics", dir.file("e.json")])
        #expect(e.status == 0, "\(e.stderr)")
        let em = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("e.json")))) as! [String: Any]
        #expect(em["test_top1"] as? Double == top1)
    }

    @Test func badDataAndConfigsAreExplained() throws {
        let dir = try TempDir()
        let r = try CLI.run(["init", "--depth", "2", "--width", "16", "--heads", "3", "-o", dir.file("x.safetensors")])
        #expect(r.status == 1 && r.stderr.contains("multiple of the head count"))
        _ = try CLI.run(["init", "--depth", "1", "--width", "16", "--heads", "2", "--patch", "4", "--image-size", "8",
                         "--channels", "1", "--classes", "3", "-o", dir.file("m.safetensors")])
        let e = try CLI.run(["eval", dir.file("m.safetensors"), "--data", dir.path])
        #expect(e.status == 1 && e.stderr.contains("train-images-idx3-ubyte"))
    }
}
