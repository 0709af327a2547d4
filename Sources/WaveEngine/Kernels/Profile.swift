import Dispatch

/// Wall time per kernel kind, for the benchmark's breakdown. Off by default; when off, `measure`
/// costs one branch. Not thread-safe: enable only around single-threaded driver code (the kernels'
/// own worker threads are inside the measured spans). In a batch-split forward only worker 0
/// records: the workers run side by side, so its spans stand for the whole forward's.
public enum Profile {
    public enum Kind: Int, CaseIterable, Sendable {
        case linearForward, linearBackward, attentionGEMM, softmax, layerNorm, gelu, residual, stem, head, loss, optimizer
        public var label: String {
            switch self {
            case .linearForward: return "linear fwd (sgemm)"
            case .linearBackward: return "linear bwd (sgemm + bias sums)"
            case .attentionGEMM: return "attention sgemm+softmax"
            case .softmax: return "softmax (class-token path)"
            case .layerNorm: return "layernorm fwd+bwd"
            case .gelu: return "gelu fwd+bwd"
            case .residual: return "residual / layerscale"
            case .stem: return "patch embed + pos (fwd+bwd)"
            case .head: return "final norm + head"
            case .loss: return "loss"
            case .optimizer: return "clip + AdamW"
            }
        }
    }

    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) static var nanos = [UInt64](repeating: 0, count: Kind.allCases.count)

    @inline(__always)
    public static func measure<T>(_ kind: Kind, _ body: () throws -> T) rethrows -> T {
        guard enabled, (BatchSplit.worker ?? 0) == 0 else { return try body() }
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { nanos[kind.rawValue] &+= DispatchTime.now().uptimeNanoseconds - t0 }
        return try body()
    }

    public static func reset() { nanos = [UInt64](repeating: 0, count: Kind.allCases.count) }

    /// Seconds per kind since the last reset.
    public static var seconds: [(Kind, Double)] { Kind.allCases.map { ($0, Double(nanos[$0.rawValue]) * 1e-9) } }
}
