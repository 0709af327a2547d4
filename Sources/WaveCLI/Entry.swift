import ArgumentParser
import Foundation

/// The `wave` executable's entry point: interrupt cleanup, then the command, with every user error
/// reported as one line and exit status 1.
public enum WaveMain {
    public static func main() -> Never {
        Interrupts.install()
        let arguments = joiningNegativeValues(Array(CommandLine.arguments.dropFirst()))
        do {
            try Launch.start()
            var command = try WaveCommand.parseAsRoot(arguments)
            try command.run()
            Launch.exit(0)
        } catch {
            // ArgumentParser gives usage errors (bad options, ValidationError) status 64 and appends the
            // usage text, which names every option but the one that was wrong. wave's convention is one
            // line naming the file or option, and status 1 for every user error.
            let usage = WaveCommand.exitCode(for: error) == .validationFailure
            guard usage || Launch.mpi != nil else { WaveCommand.exit(withError: error) }
            let message = WaveCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let help = error is ValidationError || !usage ? "" : " (see 'wave \(subcommand(arguments).map { $0 + " " } ?? "")--help')"
            FileHandle.standardError.write(Data("\(Launch.errorPrefix)Error: \(message)\(help)\n".utf8))
            Launch.exit(usage ? 1 : WaveCommand.exitCode(for: error).rawValue)
        }
    }

    /// `--depth -3` becomes `--depth=-3`: ArgumentParser takes any word starting with `-` for an option,
    /// so a negative number after an option would read as a missing value ("Missing value for
    /// '--depth'") instead of reaching the option's own check ("--depth must be positive").
    static func joiningNegativeValues(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { return out + args[i...] }
            if a.hasPrefix("--"), !a.contains("="), i + 1 < args.count, isNegativeNumber(args[i + 1]) {
                out.append(a + "=" + args[i + 1])
                i += 2
            } else {
                out.append(a)
                i += 1
            }
        }
        return out
    }

    static func isNegativeNumber(_ s: String) -> Bool {
        s.count > 1 && s.hasPrefix("-") && Double(s) != nil
    }

    /// The subcommand named on the command line, for the help hint.
    static func subcommand(_ args: [String]) -> String? {
        let names = WaveCommand.configuration.subcommands.map { $0._commandName }
        return args.first { names.contains($0) }
    }
}
