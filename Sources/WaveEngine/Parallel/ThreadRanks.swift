import Foundation

/// N ranks as N threads of one process, with the collectives of `ProcessGroup` done through
/// shared memory: the stand-in for an MPI job wherever Open MPI is not installed, so that the
/// fixed-order reduction and every loop's sharding are tested by `scripts/test.sh` alone
/// (the MPI end-to-end tests run the same code over Open MPI). A rank that throws makes every
/// other rank's next collective throw `ParallelError.transport`, as a lost MPI rank does.
public final class ThreadRanks: @unchecked Sendable {
    public let size: Int
    private let cond = NSCondition()
    private var posted: [UnsafePointer<Float>?]
    private var arrived = 0, generation = 0
    private var failed: Int?

    private init(size: Int) {
        self.size = size
        posted = Array(repeating: nil, count: size)
    }

    /// Runs `body` on `ranks` threads at once, each with its own rank's group and the engine at
    /// one worker; returns the ranks' results in rank order, or throws the first rank's error.
    public static func run<T>(ranks: Int, _ body: @escaping @Sendable (ProcessGroup) throws -> T) throws -> [T] {
        let shared = ThreadRanks(size: ranks)
        let results = Outcomes<T>(count: ranks)
        let done = DispatchGroup()
        for r in 0..<ranks {
            done.enter()
            let thread = Thread {
                let outcome = Result { try Engine.withWorkers(1) { try body(Rank(shared: shared, rank: r)) } }
                if case .failure = outcome { shared.fail(rank: r) }
                shared.cond.lock(); results.values[r] = outcome; shared.cond.unlock()
                done.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        done.wait()
        return try results.values.map { try $0!.get() }
    }

    private func fail(rank: Int) {
        cond.lock()
        if failed == nil { failed = rank }
        cond.broadcast()
        cond.unlock()
    }

    /// Waits until every rank has arrived (or one has failed).
    private func barrier(_ rank: Int) throws {
        cond.lock()
        defer { cond.unlock() }
        let gen = generation
        arrived += 1
        if arrived == size { arrived = 0; generation += 1; cond.broadcast(); return }
        while gen == generation && failed == nil { cond.wait() }
        if gen == generation, let f = failed { throw ParallelError.transport("rank \(f) stopped; rank \(rank) was waiting for it") }
    }

    /// Posts `send`, lets every rank read every other's, then waits until all have read.
    fileprivate func exchange(_ rank: Int, _ send: UnsafePointer<Float>, read: ([UnsafePointer<Float>]) -> Void) throws {
        cond.lock(); posted[rank] = send; cond.unlock()
        try barrier(rank)
        cond.lock(); let all = posted.map { $0! }; cond.unlock()
        read(all)
        try barrier(rank)
    }

    private final class Outcomes<T>: @unchecked Sendable {
        var values: [Result<T, Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
    }

    private final class Rank: ProcessGroup, @unchecked Sendable {
        let shared: ThreadRanks
        let rank: Int
        init(shared: ThreadRanks, rank: Int) { self.shared = shared; self.rank = rank }
        var size: Int { shared.size }
        var summary: String { "\(size) ranks as threads" }
        /// Threads cannot end one rank alone; the trainer's tests never fail a collective.
        func stop(after error: Error) -> Never { fatalError("ThreadRanks rank \(rank): \(error)") }

        func allToAll(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int) throws {
            try shared.exchange(rank, send) { all in
                for (i, p) in all.enumerated() { (receive + i * count).update(from: p + rank * count, count: count) }
            }
        }

        func allGather(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int) throws {
            try shared.exchange(rank, send) { all in
                for (i, p) in all.enumerated() { (receive + i * count).update(from: p, count: count) }
            }
        }
    }
}
