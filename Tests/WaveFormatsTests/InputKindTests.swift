import Foundation
import Testing
import WaveFormats
import WaveTensor

/// The input kind comes from the first bytes, before any parser runs, and never from the name.
@Suite struct InputKindTests {
    static let magic = Array("WAVEBNDL".utf8)
    static let cases: [(label: String, head: [UInt8], name: String, kind: InputKind)] = [
        ("bundle", magic + [1, 0, 0, 0], "a.wave", .waveBundle),
        ("bundle named .onnx", magic + [1, 0, 0, 0], "a.onnx", .waveBundle),
        ("bundle, first byte damaged", Array("XAVEBNDL".utf8) + [1, 0, 0, 0], "a.bin", .damagedWaveBundle),
        ("bundle, an ONNX tag byte over its first", [0x08] + Array("AVEBNDL".utf8), "a.bin", .damagedWaveBundle),
        ("bundle, three bytes damaged", Array("WAxxxNDL".utf8), "a.bin", .damagedWaveBundle),
        ("a .wave name over garbage", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "a.wave", .damagedWaveBundle),
        ("safetensors", [16, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "{")], "a.bin", .safetensors),
        ("safetensors named .onnx", [16, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "{")], "a.onnx", .safetensors),
        ("sharded index", Array("  {\"weight_map\"".utf8), "a.safetensors.index.json", .safetensorsIndex),
        ("ONNX (ir_version first)", [0x08, 0x07, 0x12, 0x0a], "a.safetensors", .onnx),
        ("ONNX (graph first)", [0x3a, 0x10], "a", .onnx),
        ("empty", [], "a.onnx", .empty),
        ("garbage", [0xff, 0xff, 0xff, 0xff, 0xff], "a.onnx", .unknown),
        ("text", Array("hello".utf8), "a.onnx", .unknown),
        ("safetensors cut short", [16, 0, 0], "a.safetensors", .unknown),
    ]

    @Test(arguments: cases.map(\.label))
    func firstBytesDecide(label: String) {
        let c = Self.cases.first { $0.label == label }!
        #expect(InputKind.of(head: c.head, name: c.name) == c.kind)
    }

    @Test func theMagicIsTheBundleFormats() {
        #expect(InputKind.waveBundleMagic == Self.magic)
    }

    @Test func realONNXSeedsAreONNX() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fixtures/onnx/seeds").standardized.path
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds).filter { $0.hasSuffix(".onnx") }
        #expect(!names.isEmpty)
        for n in names { #expect(try InputKind.of(path: seeds + "/" + n) == .onnx, "\(n)") }
    }

    /// What ModelFile says for each kind that is not model weights: one sentence naming the file.
    @Test func nonModelsAreNamedWithTheFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        for (name, bytes, expected) in [("b.onnx", Self.magic + [1, 0, 0, 0, 0, 0, 0, 0], "is a wave bundle, not model weights"),
                                        ("d.onnx", Array("XAVEBNDL".utf8) + [1, 0, 0, 0], "looks like a wave bundle whose first bytes are damaged"),
                                        ("e.onnx", [], "is empty"),
                                        ("g.onnx", [0xff, 0xfe], "is not a safetensors, ONNX or wave bundle file (it starts with ff fe)")] {
            _ = FileManager.default.createFile(atPath: dir.file(name), contents: Data(bytes))
            do {
                _ = try ModelFile.open(dir.file(name))
                Issue.record("\(name) opened")
            } catch {
                #expect("\(error)".hasPrefix(dir.file(name) + " ") && "\(error)".contains(expected), "\(error)")
            }
        }
        // A parser's error is prefixed with the file's name.
        _ = FileManager.default.createFile(atPath: dir.file("t.onnx"), contents: Data([0x08, 0x07, 0x12, 0xff, 0xff]))
        #expect(throws: ModelFileError.self) { try ModelFile.open(dir.file("t.onnx")) }
    }
}
