import WaveTensor

enum BLASThreads {
    static func set(_ n: Int) { BLAS.setThreads(n) }

    /// Runs `body` with OpenBLAS single-threaded, then gives it back the engine's worker count: for
    /// code that runs its own concurrent sgemm calls on the engine's workers (attention heads, a
    /// linear layer's two backward products, batch shards). Inside a batch shard OpenBLAS is
    /// single-threaded already and must stay so while the other shards run.
    @inline(__always)
    static func singleThreaded(_ body: () -> Void) {
        if BatchSplit.worker != nil { return body() }
        set(1)
        body()
        set(Engine.workers)
    }
}
