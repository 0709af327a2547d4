#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Inference splits a batch across the engine's workers: each worker runs the whole forward for its
/// share of the images, single-threaded, with no synchronization until the end. Measured on the
/// DINOv2 forward (2 threads, batch 8): about 15% faster than every kernel splitting its own work
/// (OpenBLAS's threads inside each product, `parallelChunks` in the elementwise kernels), which
/// synchronizes a few hundred times per forward and runs the products at smaller per-thread sizes.
/// Training keeps the per-kernel split: its gradients would need a reduction across the shards.
///
/// Inside a shard, `parallelChunks` and `forEachHead` run inline and OpenBLAS stays at one thread;
/// the shard's index is thread-local, so other engine users in the process are not affected.
enum BatchSplit {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        precondition(pthread_key_create(&k, nil) == 0, "pthread_key_create")
        return k
    }()

    /// The running shard's index on this thread, nil outside a split.
    static var shard: Int? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Int(bitPattern: raw) - 1
    }

    /// How many shards a batch of `batch` images is split into: one per worker, at most one per image.
    static func shards(batch: Int) -> Int {
        Engine.splitInferenceBatches && shard == nil ? min(Engine.workers, batch) : 1
    }

    /// Runs body(shard, imageRange) for `shards` contiguous ranges of 0..<batch concurrently, each
    /// on its own thread with OpenBLAS single-threaded.
    static func run(batch: Int, shards: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
        BLASThreads.singleThreaded {
            DispatchQueue.concurrentPerform(iterations: shards) { i in
                pthread_setspecific(key, UnsafeRawPointer(bitPattern: i + 1))
                defer { pthread_setspecific(key, nil) }
                body(i, batch * i / shards ..< batch * (i + 1) / shards)
            }
        }
    }
}
