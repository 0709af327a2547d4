import Foundation
import Testing
import WaveFormats

/// The family table (which commands support which family) is one fact in three places: the family
/// files (Family.supportRows), `wave --help` and the README's "What it reads" section.
@Suite struct FamilyTableTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md").path

    static func squeezed(_ s: String) -> String { s.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ") }

    @Test func readmeHasTheTable() throws {
        let text = try String(contentsOfFile: Self.readme, encoding: .utf8)
        #expect(text.contains(Family.supportMarkdown), "README.md must hold this table:\n\(Family.supportMarkdown)")
    }

    @Test func helpSaysTheSame() throws {
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        let flat = Self.squeezed(help.stdout)
        for line in Family.supportText.split(separator: "\n") {
            #expect(flat.contains(Self.squeezed(String(line))), "wave --help lacks: \(line)")
        }
        #expect(Family.supportRows.map { $0[0] } == Family.builtIn.map(\.family))
    }
}
