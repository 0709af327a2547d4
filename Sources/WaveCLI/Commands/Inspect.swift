import ArgumentParser

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what a safetensors, ONNX or bundle file holds.")
    @Argument(help: "The file to inspect.") var file: String
    @Flag(help: "Print JSON (Schemas/inspect.schema.json) instead of a table.") var json = false
    func run() throws { throw ValidationError("inspect: not built yet") }
}
