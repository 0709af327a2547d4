import Foundation
import Testing
import WaveFormats
@testable import WaveEngine

@Suite struct InferenceTests {
    /// An inference forward splits the batch across the workers (each runs the whole forward for
    /// its images) and reuses one set of block buffers; a training forward splits every kernel
    /// instead and keeps every block's activations. Both must give the same tokens and logits —
    /// here with 5 images over 3 workers (uneven shards), all tokens and class-token-only, with
    /// LayerScale and qkv bias. Per-row arithmetic is the same in both, so they agree to float
    /// rounding (OpenBLAS may block rows differently; 1e-6 of the output's scale allowed).
    @Test(arguments: [false, true]) func aBatchSplitForwardMatchesTheWholeBatchForward(classTokenOnly: Bool) throws {
        Engine.configure(threads: 3)
        defer { Engine.configure(threads: 2) }
        let config = ViTConfig(imageSize: 16, patchSize: 4, inChannels: 3, numClasses: 7, embedDim: 24, depth: 3,
                               numHeads: 3, mlpDim: 48, layerScaleInit: 0.5, qkvBias: true, normEps: 1e-6, geluTanh: false)
        let model = try ViTModel(config: config, seed: 3)
        let B = 5, images = randomFloats(B * 3 * 16 * 16, seed: 11)
        let whole = model.makeActivations(batch: B), split = model.makeActivations(batch: B, inference: true)
        #expect(BatchSplit.shards(batch: B) == 3)
        images.withUnsafeBufferPointer { x in
            model.forward(images: x.baseAddress!, whole, classTokenOnly: classTokenOnly)
            model.forward(images: x.baseAddress!, split, classTokenOnly: classTokenOnly)
        }
        let n = classTokenOnly ? B * config.embedDim : B * config.tokens * config.embedDim
        let tokensErr = scaledError(Array(split.tokens.array.prefix(n)), Array(whole.tokens.array.prefix(n)))
        let logitsErr = scaledError(split.logits.array, whole.logits.array)
        #expect(tokensErr < 1e-6, "tokens: \(tokensErr)")
        #expect(logitsErr < 1e-6, "logits: \(logitsErr)")
    }

    /// Inside a shard the kernels run inline: nested splitting would oversubscribe the cores.
    @Test func kernelsInsideAShardDoNotSplitAgain() {
        Engine.configure(threads: 2)
        let seen = ShardLog()
        BatchSplit.run(batch: 4, shards: 2) { shard, range in
            #expect(BatchSplit.shard == shard)
            #expect(BatchSplit.shards(batch: 8) == 1)
            parallelChunks(1000) { lo, hi in seen.record(shard: shard, lo: lo, hi: hi, range: range) }
        }
        #expect(BatchSplit.shard == nil)
        #expect(seen.calls.sorted { $0.0 < $1.0 }.map { "\($0)" } == ["(0, 0, 1000, Range(0..<2))", "(1, 0, 1000, Range(2..<4))"])
    }
}

/// Calls seen from the shards' threads.
final class ShardLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var calls: [(Int, Int, Int, Range<Int>)] = []
    func record(shard: Int, lo: Int, hi: Int, range: Range<Int>) { lock.lock(); calls.append((shard, lo, hi, range)); lock.unlock() }
}
