#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Open MPI's C library, loaded when the process finds itself launched by mpirun, so that wave
/// builds and runs without MPI anywhere else (no header, no link-time dependency). Only the few
/// functions data parallelism needs are looked up.
///
/// The ABI is Open MPI's (libmpi.so.40: Open MPI 3.0 to 4.1, Debian's `libopenmpi3`): its handles
/// are pointers to exported objects — MPI_COMM_WORLD is `&ompi_mpi_comm_world`, MPI_FLOAT
/// `&ompi_mpi_float`, MPI_ERRORS_RETURN `&ompi_mpi_errors_return` — so `dlsym` of those names
/// gives the handles themselves. MPICH's integer handles are a different ABI and are refused at
/// launch (`MPIGroup.launched`).
struct MPILibrary {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitFn = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32
    typealias CommIntFn = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias CollectiveFn = @convention(c) (UnsafeRawPointer, Int32, Handle, UnsafeMutableRawPointer, Int32, Handle, Handle) -> Int32
    typealias SetErrhandlerFn = @convention(c) (Handle, Handle) -> Int32
    typealias ErrorStringFn = @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32
    typealias NameFn = @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32
    typealias AbortFn = @convention(c) (Handle, Int32) -> Int32
    typealias VoidFn = @convention(c) () -> Int32

    /// The soname tried first; WAVE_MPI_LIBRARY names another file of the same ABI.
    static let soname = "libmpi.so.40"

    let initialize: InitFn
    let finalize: VoidFn
    let commRank: CommIntFn
    let commSize: CommIntFn
    let allToAll: CollectiveFn
    let allGather: CollectiveFn
    let setErrhandler: SetErrhandlerFn
    let errorString: ErrorStringFn
    let processorName: NameFn
    let abort: AbortFn
    let world: Handle
    let float: Handle
    let errorsReturn: Handle

    /// Loads `path`; a missing library or symbol is an error naming it.
    init(path: String) throws {
        // RTLD_GLOBAL: Open MPI's plugins (mca_*.so) resolve libmpi's symbols from the global scope.
        guard let lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "not found"
            throw MPIError.library("cannot load \(path) (\(why)): install Open MPI (apt-get install -y openmpi-bin libopenmpi-dev) or set WAVE_MPI_LIBRARY")
        }
        func symbol(_ name: String) throws -> Handle {
            guard let p = dlsym(lib, name) else { throw MPIError.library("\(path) has no \(name): wave needs Open MPI 3.0-4.1's ABI (libmpi.so.40)") }
            return p
        }
        func fn<T>(_ name: String, _: T.Type) throws -> T { unsafeBitCast(try symbol(name), to: T.self) }
        initialize = try fn("MPI_Init", InitFn.self)
        finalize = try fn("MPI_Finalize", VoidFn.self)
        commRank = try fn("MPI_Comm_rank", CommIntFn.self)
        commSize = try fn("MPI_Comm_size", CommIntFn.self)
        allToAll = try fn("MPI_Alltoall", CollectiveFn.self)
        allGather = try fn("MPI_Allgather", CollectiveFn.self)
        setErrhandler = try fn("MPI_Comm_set_errhandler", SetErrhandlerFn.self)
        errorString = try fn("MPI_Error_string", ErrorStringFn.self)
        processorName = try fn("MPI_Get_processor_name", NameFn.self)
        abort = try fn("MPI_Abort", AbortFn.self)
        world = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        errorsReturn = try symbol("ompi_mpi_errors_return")
    }

    /// MPI's own words for an error code.
    func message(_ code: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 512)  // MPI_MAX_ERROR_STRING is 256 in Open MPI
        var len: Int32 = 0
        guard errorString(code, &buf, &len) == 0 else { return "MPI error \(code)" }
        return String(decoding: buf.prefix(Int(len)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

public enum MPIError: Error, CustomStringConvertible {
    case library(String)
    case launch(String)

    public var description: String {
        switch self {
        case let .library(s), let .launch(s): return s
        }
    }
}
