/// How one optimizer step's global batch is cut for its gradient: `shards` equal runs of
/// consecutive images, each shard's gradient computed alone (one forward and backward of
/// batch/shards images), and the shard gradients added along one fixed binary tree (a node over
/// shards lo..<hi is its left half lo..<lo+n/2 plus its right half). Each rank takes a contiguous
/// block of shards that is a node of that tree, sums its block inside the tree, and the ranks'
/// block sums are added by the same tree above them. So the sum is the same float sum at 1, 2, 4…
/// ranks: only the shard count, never the rank count, decides the gradient.
///
/// Why not one backward over the whole batch split afterwards: a weight gradient is one product
/// summed over every image's rows, and a product over half the rows plus one over the other half
/// rounds differently than the product over all of them; shards make the single process compute
/// exactly what the ranks compute.
public struct GradientShards: Sendable, Equatable {
    public let batch: Int
    public let shards: Int
    public let ranks: Int

    public init(batch: Int, shards: Int, ranks: Int) throws {
        guard shards >= 1, ranks >= 1 else { throw ParallelError.layout("the gradient needs at least one shard and one rank") }
        guard batch % shards == 0 else {
            throw ParallelError.layout("a batch of \(batch) images does not cut into \(shards) equal gradient shards: use a batch that is a multiple of \(shards)")
        }
        guard shards % ranks == 0, Self.validRanks(shards: shards).contains(ranks) else {
            let ok = Self.validRanks(shards: shards).map(String.init).joined(separator: ", ")
            throw ParallelError.layout("\(shards) gradient shards do not split over \(ranks) ranks along their fixed summation tree (rank counts that do: \(ok)); set --grad-shards to a multiple of the rank count, such as \(ranks)")
        }
        self.batch = batch; self.shards = shards; self.ranks = ranks
    }

    public var imagesPerShard: Int { batch / shards }

    /// The shards rank `r` computes.
    public func block(rank r: Int) -> Range<Int> {
        let per = shards / ranks
        return r * per ..< (r + 1) * per
    }

    /// Positions in the global batch of shard `s`'s images.
    public func images(ofShard s: Int) -> Range<Int> { s * imagesPerShard ..< (s + 1) * imagesPerShard }

    /// Positions in the global batch of the images rank `r` reads.
    public func images(ofRank r: Int) -> Range<Int> {
        let b = block(rank: r)
        return b.lowerBound * imagesPerShard ..< b.upperBound * imagesPerShard
    }

    /// The two halves of a tree node (of at least two shards).
    static func halves(_ node: Range<Int>) -> (Range<Int>, Range<Int>) {
        let mid = node.lowerBound + node.count / 2
        return (node.lowerBound ..< mid, mid ..< node.upperBound)
    }

    /// Whether `r` is a node of the tree over 0..<shards.
    static func isNode(_ r: Range<Int>, shards: Int) -> Bool {
        var node = 0 ..< shards
        while node != r {
            guard node.count > 1 else { return false }
            let (left, right) = halves(node)
            if left.contains(r.lowerBound) && r.upperBound <= left.upperBound { node = left }
            else if right.contains(r.lowerBound) && r.upperBound <= right.upperBound { node = right }
            else { return false }
        }
        return true
    }

    /// Rank counts whose equal blocks of shards are all nodes of the tree.
    public static func validRanks(shards: Int) -> [Int] {
        (1...max(shards, 1)).filter { n in
            shards % n == 0 && (0..<n).allSatisfy { isNode($0 * (shards / n) ..< ($0 + 1) * (shards / n), shards: shards) }
        }
    }

    /// The tree's sum over `node`: `value(r)` gives a node's value where one is known already (a
    /// shard's own gradient, a rank's block sum); other nodes are left half plus right half,
    /// elementwise, in that order.
    static func treeSum(_ node: Range<Int>, value: (Range<Int>) throws -> [Float]?) rethrows -> [Float] {
        if let v = try value(node) { return v }
        precondition(node.count > 1, "GradientShards.treeSum: no value for shard \(node.lowerBound)")
        let (l, r) = halves(node)
        var left = try treeSum(l, value: value)
        let right = try treeSum(r, value: value)
        precondition(left.count == right.count)
        left.withUnsafeMutableBufferPointer { a in
            right.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += b[i] }
            }
        }
        return left
    }
}
