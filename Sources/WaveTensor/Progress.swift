import Foundation

/// Progress of long work on standard error: step, rate, ETA and whatever the caller adds (loss,
/// images/s). On a terminal one line is redrawn; otherwise a line is printed every
/// `interval` seconds so logs stay readable. Results never go here: they belong on stdout.
public final class ProgressReporter: @unchecked Sendable {
    public let label: String
    public let total: Int
    public let unit: String
    public let quiet: Bool
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let interval: TimeInterval
    private let tty = isatty(STDERR_FILENO) != 0

    public init(_ label: String, total: Int, unit: String = "step", quiet: Bool = false) {
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
        self.quiet = quiet
        interval = tty ? 0.2 : 10
    }

    public var elapsed: TimeInterval { Date().timeIntervalSince(start) }

    /// Reports `done` of `total` units; `extra` is appended (e.g. "loss 0.412, 310 img/s").
    public func update(_ done: Int, extra: String = "") {
        guard !quiet else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastPrint) >= interval else { return }
        lastPrint = now
        let t = elapsed
        let rate = t > 0 ? Double(done) / t : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        var line = "\(label): \(done)/\(total) \(unit)s, \(Self.rate(rate)) \(unit)/s, ETA \(Self.clock(eta))"
        if !extra.isEmpty { line += ", " + extra }
        let text = tty ? "\r\u{1B}[K" + line + (done >= total ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Ends the line (terminal) and reports the elapsed time.
    public func finish(_ summary: String = "") {
        guard !quiet else { return }
        let text = "\(label): done in \(Self.clock(elapsed))" + (summary.isEmpty ? "" : ", " + summary) + "\n"
        FileHandle.standardError.write(Data(((tty ? "\r\u{1B}[K" : "") + text).utf8))
    }

    static func rate(_ r: Double) -> String { r >= 100 ? String(format: "%.0f", r) : String(format: "%.2f", r) }

    public static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}
