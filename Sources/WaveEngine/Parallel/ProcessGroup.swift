/// The processes that share every global batch of a data-parallel run: one process alone
/// (`SingleProcess`), or the ranks of an MPI job (the WaveMPI module). The engine needs two
/// collectives of fixed-size float blocks, from which `DataParallel` builds an all-reduce whose
/// summation order is fixed (rank order and the shard tree), so the sum never depends on how the
/// transport chooses to add.
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's index, 0..<size; rank 0 writes outputs, prints and checkpoints.
    var rank: Int { get }
    var size: Int { get }
    /// Block j of `send` (`count` floats each, `size` blocks) goes to rank j; block i of `receive`
    /// is what rank i sent to this rank.
    func allToAll(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int) throws
    /// Every rank's `count` floats, in rank order, into `receive` [size·count] on every rank.
    func allGather(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int) throws
    /// What the transport is, for reports ("1 process", "MPI, 2 ranks").
    var summary: String { get }
    /// Ends this rank after a collective failed where the caller cannot throw (the training
    /// step, whose callers do not): MPI reports the error and aborts the job, as MPI's own
    /// default error handler would. Loops that can throw (distillation, the fit) throw instead.
    func stop(after error: Error) -> Never
}

extension ProcessGroup {
    /// The rank that writes outputs, prints progress and checkpoints.
    public var isLead: Bool { rank == 0 }

    /// Every rank's value, in rank order (small values: counts, flags, steps).
    public func gather(_ value: Float) throws -> [Float] {
        var out = [Float](repeating: 0, count: size)
        var v = value
        try out.withUnsafeMutableBufferPointer { o in try allGather(&v, o.baseAddress!, count: 1) }
        return out
    }

    /// True when `flag` holds on every rank (so that all ranks take the same branch).
    public func everyRank(_ flag: Bool) throws -> Bool {
        size == 1 ? flag : try gather(flag ? 1 : 0).allSatisfy { $0 == 1 }
    }
}

/// One process: the collectives are copies.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var summary: String { "1 process" }
    public func allToAll(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int) throws {
        receive.update(from: send, count: count)
    }
    public func allGather(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int) throws {
        receive.update(from: send, count: count)
    }
    public func stop(after error: Error) -> Never { fatalError("one process has no collective to fail: \(error)") }
}

/// A failure of the transport or of the ranks' agreement, with what to do.
public enum ParallelError: Error, CustomStringConvertible, Equatable {
    /// A collective failed: a rank died or the network broke.
    case transport(String)
    /// The run cannot be split as asked (shards, batch, ranks).
    case layout(String)
    /// The ranks disagree on something they must share (a resumed step, a cache).
    case disagreement(String)

    public var description: String {
        switch self {
        case let .transport(s): return "the MPI job lost a rank or its network: \(s)"
        case let .layout(s), let .disagreement(s): return s
        }
    }
}
