import ArgumentParser
import WaveEngine

/// `--grad-shards`, one declaration for the commands that train data parallel under mpirun
/// (condense --data, train, the fit of expand --data). The shard count, not the rank count,
/// decides each step's gradient (`GradientShards`): a run on N ranks gives the bits one process
/// gives with the same --grad-shards.
struct DataParallelOptions: ParsableArguments {
    @Option(help: "Shards each step's gradient is summed from, in a fixed order (default: one per MPI rank, so 1 in a single process). N ranks give exactly what one process gives with the same count; under mpirun it must split over the ranks.")
    var gradShards: Int?

    func validate() throws {
        if let gradShards, gradShards < 1 { throw ValidationError("--grad-shards must be at least 1") }
    }
}
