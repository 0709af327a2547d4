import Foundation

/// The data-parallel step's one hook: the loops (distillation, training, the scaler fit) hand it
/// a closure that computes one shard's gradient, and get back the gradient of the whole global
/// batch, the same on every rank, before their one optimizer step.
///
/// The all-reduce is fixed-order by construction: each rank sums its own shards along the shard
/// tree (`GradientShards`), then an all-to-all gives rank j the j-th chunk of every rank's block
/// sum, which it adds along the same tree, and an all-gather returns the summed chunks to every
/// rank. That is a reduce-scatter plus an all-gather, the bytes of a ring all-reduce
/// (2·(N−1)/N of the vector per rank), with the additions in an order that MPI_Allreduce leaves to
/// the implementation (Open MPI picks its algorithm by message size and rank count).
public final class DataParallel: @unchecked Sendable {
    public let group: ProcessGroup
    public let plan: GradientShards
    /// Wall time spent in the collectives and the cross-rank sums, over every `sum` so far.
    public private(set) var reduceSeconds = 0.0
    /// Payload bytes this rank sent over every `sum` so far (all-to-all plus all-gather).
    public private(set) var bytesSent = 0
    public private(set) var reductions = 0

    /// `shards` nil: one shard per rank (one process: one shard, the engine's ordinary step).
    public init(group: ProcessGroup, batch: Int, shards: Int? = nil) throws {
        self.group = group
        plan = try GradientShards(batch: batch, shards: shards ?? group.size, ranks: group.size)
    }

    /// One process computing the whole batch in one shard.
    public static func single(batch: Int) -> DataParallel {
        try! DataParallel(group: SingleProcess(), batch: batch, shards: 1)
    }

    public var isLead: Bool { group.isLead }
    /// Images per shard: the batch the loop's forward and backward run at.
    public var shardBatch: Int { plan.imagesPerShard }
    /// Positions in the global batch of this rank's images (the part its loader fills).
    public var localImages: Range<Int> { plan.images(ofRank: group.rank) }

    /// A line for reports: how the gradient was cut and summed.
    public var summary: String {
        plan.shards == 1 && group.size == 1 ? "one shard"
            : "\(plan.shards) gradient shards of \(plan.imagesPerShard) images over \(group.summary)"
    }

    /// Calls `shard(s, extras)` for each of this rank's shards s, in order: it must leave shard s's
    /// gradient in `gradients` (overwriting it) and `extras` floats (loss terms, counts) at
    /// `extras`. Returns with `gradients` holding the sum over every shard of the global batch and
    /// the extras' sums, identical on every rank.
    public func sum(gradients: FloatBuffer, extras: Int,
                    shard: (Int, UnsafeMutablePointer<Float>) throws -> Void) throws -> [Float] {
        let p = gradients.count, n = p + extras
        func leaf(_ s: Int) throws -> [Float] {
            var v = [Float](repeating: 0, count: n)
            try v.withUnsafeMutableBufferPointer { b in
                try shard(s, b.baseAddress! + p)
                b.baseAddress!.update(from: gradients.pointer, count: p)
            }
            return v
        }
        var total = try GradientShards.treeSum(plan.block(rank: group.rank)) { r in r.count == 1 ? try leaf(r.lowerBound) : nil }
        if group.size > 1 { total = try acrossRanks(total) }
        total.withUnsafeBufferPointer { gradients.pointer.update(from: $0.baseAddress!, count: p) }
        reductions += 1
        return Array(total[p...])
    }

    /// The tree's sum of every rank's block sum `local`, chunk by chunk (see the type's comment).
    private func acrossRanks(_ local: [Float]) throws -> [Float] {
        let start = Date()
        defer { reduceSeconds += Date().timeIntervalSince(start) }
        let ranks = group.size, n = local.count, chunk = (n + ranks - 1) / ranks
        var padded = local
        padded.append(contentsOf: repeatElement(0, count: chunk * ranks - n))
        var received = [Float](repeating: 0, count: chunk * ranks)
        try padded.withUnsafeBufferPointer { s in
            try received.withUnsafeMutableBufferPointer { r in try group.allToAll(s.baseAddress!, r.baseAddress!, count: chunk) }
        }
        let blocks = (0..<ranks).map { plan.block(rank: $0) }
        let mine = GradientShards.treeSum(0 ..< plan.shards) { node in
            blocks.firstIndex(of: node).map { j in Array(received[j * chunk ..< (j + 1) * chunk]) }
        }
        var all = [Float](repeating: 0, count: chunk * ranks)
        try mine.withUnsafeBufferPointer { s in
            try all.withUnsafeMutableBufferPointer { r in try group.allGather(s.baseAddress!, r.baseAddress!, count: chunk) }
        }
        bytesSent += 2 * (ranks - 1) * chunk * MemoryLayout<Float>.size
        return Array(all[..<n])
    }
}
