/// Which commands support each family: the table in `wave --help` and the README (a test checks
/// that both say what this says).
extension Family {
    /// Condensation and expansion build ViTs (the engine and the bundle format are ViT-only today).
    public var supportsTemplates: Bool { kind == "vit" }

    /// What `--names` writes a model of this family as.
    public var exports: String {
        kind == "vit" ? "timm, hf (ViT or Dinov2 classes)" : "hf (BertModel), timm (wave-bert names)"
    }

    /// One row per family: family, what it reads, inspect, convert, condense, expand, export.
    public static var supportRows: [[String]] {
        builtIn.map { f in
            [f.family, f.title, "yes", "yes", f.supportsTemplates ? "yes" : "no", f.supportsTemplates ? "yes" : "no", f.exports]
        }
    }

    public static let supportHeader = ["family", "reads", "inspect", "convert", "condense", "expand", "export (--names)"]

    /// The table as Markdown (README).
    public static var supportMarkdown: String {
        let rows = [supportHeader, supportHeader.map { _ in "---" }] + supportRows
        return rows.map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n")
    }

    /// The table as text lines (help), one family per line.
    public static var supportText: String {
        supportRows.map { r in
            "  \(r[0]): inspect, convert" + (r[4] == "yes" ? ", condense, expand" : "") + "; export \(r[6])"
        }.joined(separator: "\n")
    }
}
