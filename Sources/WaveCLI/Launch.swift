import Foundation
import WaveEngine
import WaveMPI

/// The processes this command runs in: one process, or — when Open MPI's mpirun started it — the
/// ranks of an MPI job, which `condense --data`, `train` and the fit of `expand --data` use data
/// parallel (every rank runs the command; rank 0 alone writes, prints and checkpoints). MPI is
/// started once, before the command, and is a fact about the process like its arguments, so it
/// lives here rather than in the commands' options.
enum Launch {
    nonisolated(unsafe) private(set) static var mpi: MPIGroup?

    /// Loads and starts MPI when mpirun launched this process; does nothing otherwise.
    static func start() throws {
        mpi = try MPIGroup.launched()
    }

    static var group: ProcessGroup { mpi ?? SingleProcess() }
    /// Rank 0 (or the only process): writes outputs and prints.
    static var isLead: Bool { mpi?.isLead ?? true }
    /// Ranks sharing this node's cores (their default thread count divides them).
    static var localRanks: Int { mpi == nil ? 1 : MPIGroup.localRanks }

    /// "rank 1: " on the ranks after the first of a job, so that their errors can be told apart.
    static var errorPrefix: String { mpi.map { $0.size > 1 ? "rank \($0.rank): " : "" } ?? "" }

    /// Ends the process: MPI_Finalize after success; after an error in a job of several ranks,
    /// MPI_Abort stops the others too (they may wait in a collective this rank never joins).
    static func exit(_ status: Int32) -> Never {
        if let mpi {
            if status == 0 { mpi.finish() } else if mpi.size > 1 { mpi.abort(status: status) }
        }
        Foundation.exit(status)
    }
}
