import Foundation
import Testing
import WaveFormats
@testable import WaveEngine

@Suite struct InferenceTests {
    /// Shards of four images, given to `forward` (the model's own, `imagesPerShard(tokens: 17,
    /// batch: 9)`, would be two shards of 5), so 9 images make shards of 4, 4 and 1.
    let config = ViTConfig(imageSize: 16, patchSize: 4, inChannels: 3, numClasses: 7, embedDim: 24, depth: 3,
                           numHeads: 3, mlpDim: 48, layerScaleInit: 0.5, qkvBias: true, normEps: 1e-6, geluTanh: false)
    let batch = 9

    func outputs(_ model: ViTModel, threads: Int, inference: Bool, classTokenOnly: Bool) -> (tokens: [Float], logits: [Float]) {
        let a = model.makeActivations(batch: batch, inference: inference)
        Engine.withWorkers(threads) {
            randomFloats(batch * 3 * 16 * 16, seed: 11).withUnsafeBufferPointer { x in
                model.forward(images: x.baseAddress!, a, classTokenOnly: classTokenOnly, imagesPerShard: 4)
            }
        }
        let n = classTokenOnly ? batch * config.embedDim : batch * config.tokens * config.embedDim
        return (Array(a.tokens.array.prefix(n)), a.logits.array)
    }

    /// Both forwards split the batch into the same shards (each worker runs the whole forward for
    /// its images); an inference forward reuses one set of block buffers and keeps no GELU
    /// derivative. Both must give the very same tokens and logits, all tokens and
    /// class-token-only, with LayerScale and qkv bias: the same sgemm calls on the same rows.
    @Test(arguments: [false, true]) func anInferenceForwardMatchesATrainingForward(classTokenOnly: Bool) throws {
        let model = try ViTModel(config: config, seed: 3)
        let training = outputs(model, threads: 3, inference: false, classTokenOnly: classTokenOnly)
        let inference = outputs(model, threads: 3, inference: true, classTokenOnly: classTokenOnly)
        #expect(inference.tokens == training.tokens)
        #expect(inference.logits == training.logits)
    }

    /// With the shards fixed (they depend on the model and the batch size only, never on the
    /// thread count), which worker runs which shard changes nothing: inference gives bit-identical
    /// outputs at any thread count (teacher outputs, probes and evaluations do not move with
    /// `--threads`).
    @Test(arguments: [false, true]) func inferenceIsBitIdenticalAtAnyThreadCount(classTokenOnly: Bool) throws {
        let model = try ViTModel(config: config, seed: 4)
        let one = outputs(model, threads: 1, inference: true, classTokenOnly: classTokenOnly)
        for threads in [2, 3] {
            let other = outputs(model, threads: threads, inference: true, classTokenOnly: classTokenOnly)
            #expect(other.tokens == one.tokens, "\(threads) threads")
            #expect(other.logits == one.logits, "\(threads) threads")
        }
    }

    /// Workers take contiguous runs of shards; inside one, kernels run inline (nested splitting
    /// would oversubscribe the cores) and a nested split runs its shards in turn.
    /// Shards run concurrently and unsynchronized, and a class-token-only last block writes one row
    /// per image, at offsets that are other shards' token rows in a buffer of full size. So in
    /// inference, where blocks share buffers, what the last block writes must be its own: a shard
    /// still in an earlier block would otherwise have its rows overwritten (seen: test top-1 varying
    /// by 0.1 point between identical runs on a busy machine). A race does not show on demand; this
    /// checks the buffers that make it impossible.
    @Test(arguments: [1, 2, 3, 5]) func theLastBlockWritesBuffersNoOtherBlockUses(depth: Int) {
        var c = config
        c.depth = depth
        let a = ViTActivations(config: c, batch: 4, inference: true)
        func all(_ l: ViTActivations.Layer) -> [FloatBuffer] {
            [l.ln1, l.ln1Mean, l.ln1Rstd, l.qkv, l.probs, l.attnY, l.proj, l.mid, l.ln2, l.ln2Mean, l.ln2Rstd, l.fc1, l.gelu, l.fc2]
        }
        let last = Set(all(a.layer(depth - 1)).map(ObjectIdentifier.init) + [ObjectIdentifier(a.blockInput(depth))])
        for l in 0..<(depth - 1) {
            let used = all(a.layer(l)).map(ObjectIdentifier.init) + [ObjectIdentifier(a.blockInput(l)), ObjectIdentifier(a.blockInput(l + 1))]
            #expect(last.isDisjoint(with: used), "block \(l) of \(depth) shares a buffer with the last block")
        }
        // Still no more than two block-buffer sets and three residual buffers, at any depth.
        #expect(a.layers.count == min(depth, 2) && a.residual.count == 3)
    }

    @Test func workersTakeContiguousShardsAndDoNotSplitAgain() {
        #expect(BatchSplit.imagesPerShard(tokens: 257, batch: 8) == 4)
        #expect(BatchSplit.imagesPerShard(tokens: 257, batch: 9) == 3)
        #expect(BatchSplit.imagesPerShard(tokens: 65, batch: 256) == 16)
        #expect(BatchSplit.imagesPerShard(tokens: 17, batch: 64) == 32)
        #expect(BatchSplit.imagesPerShard(tokens: 17, batch: 1) == 1)
        let seen = ShardLog()
        Engine.withWorkers(2) {
            BatchSplit.run(batch: 10, imagesPerShard: 3) { range in
                let worker = BatchSplit.worker ?? -1
                parallelChunks(1000) { lo, hi in seen.record("w\(worker) \(range) chunk \(lo)..<\(hi)") }
                BatchSplit.run(batch: 2, imagesPerShard: 1) { inner in seen.record("w\(worker) \(range) inner \(inner) w\(BatchSplit.worker ?? -1)") }
            }
        }
        #expect(BatchSplit.worker == nil)
        #expect(seen.lines.sorted() == [
            "w0 0..<3 chunk 0..<1000", "w0 0..<3 inner 0..<1 w0", "w0 0..<3 inner 1..<2 w0",
            "w0 3..<6 chunk 0..<1000", "w0 3..<6 inner 0..<1 w0", "w0 3..<6 inner 1..<2 w0",
            "w1 6..<9 chunk 0..<1000", "w1 6..<9 inner 0..<1 w1", "w1 6..<9 inner 1..<2 w1",
            "w1 9..<10 chunk 0..<1000", "w1 9..<10 inner 0..<1 w1", "w1 9..<10 inner 1..<2 w1",
        ])
    }
}

/// Lines recorded from the workers' threads.
final class ShardLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var lines: [String] = []
    func record(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
}
