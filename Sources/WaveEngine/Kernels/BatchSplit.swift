#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Every forward (training and inference) splits a batch into shards of a few images, and the
/// engine's workers take the shards: each runs the whole forward for its images, single-threaded,
/// with no synchronization until the end. Measured on the DINOv2 forward (2 threads, batch 8):
/// about 15% faster than every kernel splitting its own work, which synchronizes a few hundred
/// times per forward. The backward splits each kernel's work instead (`runProducts`,
/// `parallelChunks`): its weight gradients would need a reduction across the shards.
///
/// A shard's size is fixed by the model and the batch size (`imagesPerShard`), never by the thread
/// count: OpenBLAS may compute a row differently by its place in a call (edge kernels), so fixed
/// shards make an image's outputs the same at any thread count, and a training forward's the same
/// as an inference forward's (`InferenceTests`, `GoldenTests`).
///
/// Inside a shard, `parallelChunks`, `forEachHead` and `runProducts` run inline; the shard's index
/// is thread-local, so other engine users in the process are not affected.
enum BatchSplit {
    /// Token rows per shard at most, rounded up to whole images: DINOv2 at 224 px (257 tokens)
    /// gets four images per shard, a 32-px ViT (65 tokens) sixteen. Measured on the DINOv2
    /// forward, batch 8, 2 threads: 14.8 img/s with four images per shard, 14.1 with two, 14.1
    /// with one (products of 257 rows pack the weights four times as often).
    static let rowsPerShard = 1024

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        precondition(pthread_key_create(&k, nil) == 0, "pthread_key_create")
        return k
    }()

    /// The running worker's index on this thread, nil outside a split.
    static var worker: Int? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Int(bitPattern: raw) - 1
    }

    /// Images per shard for a batch of `batch` images of `tokens` tokens: at most `rowsPerShard`
    /// rows, at least two shards (so that two workers share even a small batch), and shards of
    /// equal size but the last (64 images of 17 tokens: two shards of 32, not 61 and 3). A
    /// function of the batch and the model only, never of the thread count.
    static func imagesPerShard(tokens: Int, batch: Int) -> Int {
        let most = max(1, (rowsPerShard + tokens - 1) / tokens)
        let shards = max((batch + most - 1) / most, min(batch, 2))
        return max(1, (batch + shards - 1) / shards)
    }

    /// Runs body(imageRange) for consecutive shards of `imagesPerShard` images covering 0..<batch,
    /// spread over the engine's workers (contiguous runs of shards, one run per worker). Inside
    /// another split, the shards run one after another.
    static func run(batch: Int, imagesPerShard: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let shards = (batch + imagesPerShard - 1) / imagesPerShard
        @Sendable func range(_ s: Int) -> Range<Int> { s * imagesPerShard ..< min(batch, (s + 1) * imagesPerShard) }
        let workers = worker == nil ? min(Engine.workers, shards) : 1
        if workers <= 1 { for s in 0..<shards { body(range(s)) }; return }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            pthread_setspecific(key, UnsafeRawPointer(bitPattern: w + 1))
            defer { pthread_setspecific(key, nil) }
            for s in shards * w / workers ..< shards * (w + 1) / workers { body(range(s)) }
        }
    }
}
