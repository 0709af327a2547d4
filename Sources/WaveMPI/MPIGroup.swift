import Foundation
import WaveEngine

/// The ranks of an MPI job (MPI_COMM_WORLD) as the engine's `ProcessGroup`. Collectives return
/// errors instead of aborting (MPI_ERRORS_RETURN), so a rank lost mid-collective becomes a
/// `ParallelError.transport` with MPI's reason, reported as one line by the command.
public final class MPIGroup: ProcessGroup, @unchecked Sendable {
    let mpi: MPILibrary
    public let rank: Int
    public let size: Int
    /// The node this rank runs on (MPI_Get_processor_name).
    public let node: String
    public private(set) var finished = false

    private init(library: MPILibrary) throws {
        mpi = library
        guard mpi.initialize(nil, nil) == 0 else { throw MPIError.launch("MPI_Init failed: is this process started by Open MPI's mpirun?") }
        _ = mpi.setErrhandler(mpi.world, mpi.errorsReturn)
        var r: Int32 = 0, n: Int32 = 0
        _ = mpi.commRank(mpi.world, &r)
        _ = mpi.commSize(mpi.world, &n)
        rank = Int(r); size = Int(n)
        var buf = [CChar](repeating: 0, count: 512), len: Int32 = 0  // MPI_MAX_PROCESSOR_NAME is 256
        node = mpi.processorName(&buf, &len) == 0 ? String(decoding: buf.prefix(Int(len)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    }

    /// The job this process belongs to when mpirun started it (Open MPI sets OMPI_COMM_WORLD_SIZE
    /// in every rank's environment), nil otherwise: then nothing of MPI is loaded.
    public static func launched(environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> MPIGroup? {
        guard env["OMPI_COMM_WORLD_SIZE"] != nil else {
            if env["PMI_RANK"] != nil || env["PMI_SIZE"] != nil {
                throw MPIError.launch("started by a launcher that is not Open MPI's (PMI_RANK is set, OMPI_COMM_WORLD_SIZE is not): wave's MPI support is Open MPI's (libmpi.so.40); use its mpirun")
            }
            return nil
        }
        return try MPIGroup(library: MPILibrary(path: env["WAVE_MPI_LIBRARY"] ?? MPILibrary.soname))
    }

    /// Ranks on this node (to share its cores), from Open MPI's environment.
    public static var localRanks: Int {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init).map { max($0, 1) } ?? 1
    }

    public var summary: String { "MPI, \(size) rank\(size == 1 ? "" : "s")" }

    public func allToAll(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int) throws {
        try check("MPI_Alltoall", mpi.allToAll(send, Int32(count), mpi.float, receive, Int32(count), mpi.float, mpi.world))
    }

    public func allGather(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int) throws {
        try check("MPI_Allgather", mpi.allGather(send, Int32(count), mpi.float, receive, Int32(count), mpi.float, mpi.world))
    }

    private func check(_ call: String, _ code: Int32) throws {
        guard code != 0 else { return }
        throw ParallelError.transport("\(call) failed on rank \(rank): \(mpi.message(code))")
    }

    /// Ends MPI after a successful command (every rank reaches this).
    public func finish() {
        guard !finished else { return }
        finished = true
        _ = mpi.finalize()
    }

    public func stop(after error: Error) -> Never {
        FileHandle.standardError.write(Data("\(size > 1 ? "rank \(rank): " : "")Error: \(error)\n".utf8))
        abort(status: 1)
    }

    /// Stops every rank of the job after an error on this one: the others may be waiting in a
    /// collective that this rank will never join, so MPI_Finalize would hang.
    public func abort(status: Int32) -> Never {
        _ = mpi.abort(mpi.world, status)
        exit(status)
    }
}
