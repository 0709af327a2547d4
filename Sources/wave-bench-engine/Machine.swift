import CMachinePeak
import COpenBLAS
import Dispatch
import Foundation

/// The machine a benchmark run is on, measured at its start: the processor, the BLAS kernel
/// OpenBLAS runs (the platform forces the AVX2 one on some processors with OPENBLAS_CORETYPE,
/// INPUTS.md) and the FMA peak with AVX2 and with AVX-512 at the run's thread count. Figures are
/// reported as % of the best instruction set's peak: a constant measured on another processor
/// (the 230 GFLOP/s of an AMD Zen 4 used before) says nothing about this one.
struct Machine {
    let cpu: String
    let blasKernel: String
    let coretype: String?
    let threads: Int
    /// GFLOP/s of `threads` threads running FMA chains side by side (0: instruction set absent).
    let avx2: Double, avx512: Double

    var peak: Double { max(avx2, avx512, 1) }
    var peakName: String { avx512 > avx2 ? "AVX-512" : "AVX2" }

    static func measure(threads: Int, seconds: Double = 0.3) -> Machine {
        func concurrently(_ probe: @escaping @Sendable (Double) -> Double) -> Double {
            let results = Results(count: threads)
            DispatchQueue.concurrentPerform(iterations: threads) { t in results.set(t, probe(seconds)) }
            return results.sum
        }
        let avx2 = wave_cpu_has_avx2_fma() != 0 ? concurrently { wave_fma_gflops_avx2($0) } : 0
        let avx512 = wave_cpu_has_avx512f() != 0 ? concurrently { wave_fma_gflops_avx512($0) } : 0
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown processor"
        return Machine(cpu: cpu, blasKernel: openblas_get_corename().map { String(cString: $0) } ?? "unknown",
                       coretype: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], threads: threads,
                       avx2: avx2, avx512: avx512)
    }

    var summary: String {
        let forced = coretype.map { "OPENBLAS_CORETYPE=\($0)" } ?? "autodetected"
        let a512 = avx512 > 0 ? String(format: "%.0f", avx512) : "n/a"
        return "machine: \(cpu); OpenBLAS kernel \(blasKernel) (\(forced)); FMA peak at \(threads) threads: AVX2 "
            + String(format: "%.0f", avx2) + ", AVX-512 \(a512) GFLOP/s"
    }

    var json: [String: Any] {
        ["cpu": cpu, "blas_kernel": blasKernel, "openblas_coretype": coretype ?? NSNull(), "threads": threads,
         "peak_avx2_gflops": avx2, "peak_avx512_gflops": avx512, "peak_gflops": peak, "peak_isa": peakName]
    }
}

/// Per-thread results of the concurrent probes.
private final class Results: @unchecked Sendable {
    private var values: [Double]
    private let lock = NSLock()
    init(count: Int) { values = [Double](repeating: 0, count: count) }
    func set(_ i: Int, _ v: Double) { lock.lock(); values[i] = v; lock.unlock() }
    var sum: Double { values.reduce(0, +) }
}
