import ArgumentParser
import Foundation
import WaveEngine

/// `--threads`, one declaration for every command that runs the engine. The command sets the
/// engine's worker count from it once, before any engine work; results never depend on it
/// (WaveEngine README, "Determinism"), only the speed does.
struct EngineOptions: ParsableArguments {
    @Option(help: "Worker threads (default: all cores; under mpirun, the cores divided by the ranks on the node). Results are the same at any count; only the speed changes.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func configureEngine() {
        Engine.configure(threads: threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / Launch.localRanks))
    }
}
