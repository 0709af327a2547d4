#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import WaveTensor

/// A heap Float32 array with a stable, 64-byte-aligned address, owned by the engine. Activations,
/// parameters, gradients and optimizer state live in these so kernels can take raw pointers
/// without Swift array copy-on-write or exclusivity checks getting in the way.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public func zero() { pointer.update(repeating: 0, count: count) }
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}

/// Raw pointers cross into `concurrentPerform` closures through this box: the kernels guarantee
/// that concurrent tasks write disjoint ranges.
struct SendablePointer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
    init(_ p: UnsafePointer<T>) { self.p = UnsafeMutablePointer(mutating: p) }
}

/// How many workers the engine's kernels and batch shards spread over. Results never depend on it
/// (reductions and products are cut by their shapes, `reductionParts`, `Product.tiles`, batches by
/// the model, `BatchSplit`); it only sets the speed. Set once at the root of a process
/// (`configure`: the CLI's entry, a benchmark's main); code that wants another count for one call,
/// such as a test comparing thread counts, scopes it to its own thread (`withWorkers`) instead of
/// changing what every other caller in the process sees.
public enum Engine {
    nonisolated(unsafe) private static var processWorkers = 1

    /// The worker count for engine calls made from this thread.
    public static var workers: Int {
        guard let raw = pthread_getspecific(scopedKey) else { return processWorkers }
        return Int(bitPattern: raw)
    }

    /// Sets the process's worker count, once at the root (OpenBLAS itself stays single-threaded:
    /// WaveTensor `BLAS`).
    public static func configure(threads: Int) {
        precondition(threads >= 1)
        BLAS.ensureSingleThreaded()
        processWorkers = threads
    }

    /// Runs `body` with `threads` workers for the engine calls it makes on this thread; other
    /// threads, and this one afterwards, keep their count.
    public static func withWorkers<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        precondition(threads >= 1)
        BLAS.ensureSingleThreaded()
        let saved = pthread_getspecific(scopedKey)
        pthread_setspecific(scopedKey, UnsafeRawPointer(bitPattern: threads))
        defer { pthread_setspecific(scopedKey, saved) }
        return try body()
    }

    private static let scopedKey: pthread_key_t = {
        var k = pthread_key_t()
        precondition(pthread_key_create(&k, nil) == 0, "pthread_key_create")
        return k
    }()
}

/// How many parts a reduction over `rows` rows is split into: fixed by the row count alone, never by
/// the worker count, so that partial sums are added in the same order whatever the threads and
/// training is bit-identical at any `--threads` (and when tests reconfigure the engine concurrently).
/// The parts are then spread over the workers by `parallelChunks`.
func reductionParts(rows: Int, minRows: Int) -> Int { min(16, max(1, rows / minRows)) }

/// Runs `body(chunkStart, chunkEnd)` over `0..<n` split into at most `Engine.workers` contiguous
/// chunks; inline when the work is too small to be worth a thread hop, or inside a batch shard
/// (`BatchSplit`: the shards already occupy every worker).
@inline(__always)
func parallelChunks(_ n: Int, minPerChunk: Int = 1, _ body: @Sendable (Int, Int) -> Void) {
    let chunks = BatchSplit.worker != nil ? 1 : min(Engine.workers, max(1, n / max(minPerChunk, 1)))
    if chunks <= 1 { body(0, n); return }
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = n * c / chunks, hi = n * (c + 1) / chunks
        if lo < hi { body(lo, hi) }
    }
}
