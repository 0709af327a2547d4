import Foundation
import Testing
import WaveTensor
import WaveFormats
@testable import WaveMethod

/// Expanded checkpoints against a plain-PyTorch timm-named ViT (Fixtures/expand/make_golden.py):
/// torch loaded them with strict=True; here the same expansion, made in-process, must have the same
/// tensor bytes, and wave's engine must give torch's logits and features within 1e-4.
@Suite struct GoldenExpandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// The CLI arguments of a golden case as an ExpansionRequest.
    static func request(_ args: [String]) -> ExpansionRequest {
        var values: [String: String] = [:]
        var i = 0
        while i + 1 < args.count { values[String(args[i].dropFirst(2))] = args[i + 1]; i += 2 }
        var r = ExpansionRequest(depth: Int(values["depth"]!)!, width: Int(values["width"]!)!)
        r.heads = values["heads"].flatMap { Int($0) }
        r.classes = values["classes"].flatMap { Int($0) }
        r.patch = values["patch"].flatMap { Int($0) }
        r.imageSize = values["image-size"].flatMap { Int($0) }
        r.depthInit = values["depth-init"].flatMap { DepthInit(rawValue: $0) } ?? .interp
        r.noise = values["noise"].flatMap { Float($0) } ?? 0
        r.seed = values["seed"].flatMap { UInt64($0) } ?? 0
        return r
    }

    @Test(arguments: ["ls-wide", "head-tiled"])
    func engineMatchesTorch(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/expand/golden-\(name).json"))
        let golden = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let bundle = try WaveBundle(path: "\(Self.fixtures)/bundle/\(golden["bundle"] as! String)")
        let plan = try Expander.plan(try bundle.templates(), Self.request(golden["args"] as! [String]))
        #expect(plan.target == (try ViTConfig(timmKwargs: golden["config"] as! [String: Any])))

        let set = plan.materialize()
        var sha = SHA256()
        for (_, t) in set.all { sha.update(t.bytes) }
        #expect(SHA256.hex(sha.finalize()) == golden["weights_sha256"] as? String, "the expansion is not the one torch loaded")

        let cfg = plan.target, batch = golden["batch"] as! Int
        let n = batch * cfg.inChannels * cfg.imageSize * cfg.imageSize
        let images = (0..<n).map { Float(sin(0.37 * Double($0) + 0.3)) }
        let out = try engineForward(set, cfg, images: images, batch: batch)
        let logits = (golden["logits"] as! [NSNumber]).map(\.floatValue)
        let features = (golden["features"] as! [NSNumber]).map(\.floatValue)
        print("golden \(name): max |Δ logits| = \(maxAbsDiff(out.logits, logits)), max |Δ features| = \(maxAbsDiff(out.features, features)), max |logit| = \(logits.map(abs).max()!)")
        #expect(maxAbsDiff(out.logits, logits) <= 1e-4)
        #expect(maxAbsDiff(out.features, features) <= 1e-4)
    }
}
