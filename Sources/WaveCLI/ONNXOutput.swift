import ArgumentParser
import Foundation
import WaveEngine
import WaveFormats

/// What a command that writes a model writes: a checkpoint (safetensors + config JSON) or an ONNX
/// inference graph (ONNXViTExport).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case safetensors, onnx
}

/// `-o` of a command writing ONNX: a `.onnx` name (external data, when the model needs it, goes beside it).
func checkONNXOutput(_ path: String) throws {
    try checkOutputName(path, ending: "onnx", "an ONNX output")
}

/// The one place `wave export` and `wave expand --format onnx` write ONNX: the graph of a ViT in
/// canonical tensors, with the preprocessing wave feeds a model of its config (Preprocess.for) in
/// the metadata.
enum ONNXOutput {
    /// Writes `path`; returns the lines to print.
    static func write(_ canonical: TensorSet, config: ViTConfig, to path: String, metadata: [String: String],
                      externalAbove: Int = ONNXWriter.defaultExternalAbove) throws -> [String] {
        let p = Preprocess.for(config)
        let preprocessing = ImagePreprocessing(imageSize: p.size, channels: p.channels, mean: p.mean, std: p.std)
        let graph = try ONNXViTExport.graph(canonical, config: config, preprocessing: preprocessing,
                                            producerVersion: WaveCommand.version,
                                            metadata: metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let written = try ONNXWriter.write(graph, to: path, externalAbove: externalAbove)
        let outputs = graph.outputs.map { v in
            v.name + " [" + v.shape.map { d in
                switch d { case let .fixed(n): return "\(n)"; case let .symbolic(s): return s }
            }.joined(separator: ", ") + "]"
        }
        var lines = ["wrote \(path): ONNX opset \(graph.opset), \(graph.nodes.count) nodes, \(graph.initializers.count) initializers, "
            + "\(Fmt.count(config.parameterCount)) parameters, \(Fmt.bytes(written.bytes)); outputs \(outputs.joined(separator: ", "))"]
        if written.files.count > 1 { lines.append("wrote \(written.files[1]) (external data: the weights exceed protobuf's 2 GiB)") }
        return lines
    }
}
