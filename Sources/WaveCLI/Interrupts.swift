import Dispatch
import Foundation
import WaveTensor

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP end a command after removing the temporary files of the
/// outputs it was writing, with the shell's status for a signal (128 + its number: 130, 143, 129).
/// Dispatch sources run the cleanup on an ordinary thread, outside the signal handler, so it may take
/// locks and call into Foundation; libdispatch on Linux routes the signal to its own thread whichever
/// thread the kernel picked (the BLAS threads exist before main starts). An output that was already
/// renamed into place is complete and stays.
enum Interrupts {
    private final class Sources: @unchecked Sendable { var all: [DispatchSourceSignal] = [] }
    /// The sources must outlive `install`: a released source stops delivering.
    private static let sources = Sources()

    /// Why an MPI rank gets SIGTERM: mpirun ends every rank as soon as one fails or is killed.
    static let mpiNote = " (mpirun stops every rank when one of them fails: its message says which; outputs and checkpoints already renamed into place are whole, and condense --resume continues from the last checkpoint)"

    static func install() {
        for (signo, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")] {
            #if !os(Linux)
            // kqueue sees a signal whatever its disposition; ignoring it stops the default action.
            signal(signo, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                let n = TemporaryFiles.live.count
                let what = n == 0 ? "" : "; removed \(n) unfinished output file\(n == 1 ? "" : "s")"
                FileHandle.standardError.write(Data("wave: \(Launch.mpi.map { "rank \($0.rank) " } ?? "")stopped by \(name)\(what)\(Launch.mpi == nil ? "" : Self.mpiNote)\n".utf8))
                TemporaryFiles.removeAllAndExit(status: 128 + signo)
            }
            source.resume()
            sources.all.append(source)
        }
    }
}
