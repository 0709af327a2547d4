import ArgumentParser

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write canonical safetensors (and a timm JSON config) from any supported input.")
    @Argument(help: "The input model.") var input: String
    func run() throws { throw ValidationError("convert: not built yet") }
}
