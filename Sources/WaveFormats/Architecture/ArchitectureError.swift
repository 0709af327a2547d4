/// Why a set of tensors could not be read as a known architecture. Every case names the dotted
/// tensor name involved.
public enum ArchitectureError: Error, CustomStringConvertible, Equatable {
    case unknownFamily(sample: [String])
    case missingTensor(canonical: String, source: [String])
    case unusedTensors([String])
    case shapeMismatch(name: String, expected: [Int], got: [Int])
    case cannotAssemble(canonical: String, reason: String)
    case badConfig(String)
    /// A config file states a value the tensors (or the ONNX graph) contradict.
    case configDisagrees(file: String, key: String, says: String, tensors: String)

    public var description: String {
        switch self {
        case let .unknownFamily(sample):
            return "no known architecture matches these tensors (first names: \(sample.prefix(4).joined(separator: ", "))); "
                + "wave knows timm ViT/DeiT, Hugging Face ViT/DINOv2 and BERT names"
        case let .missingTensor(canonical, source):
            return "missing tensor \(source.joined(separator: " / ")) (needed for \(canonical)); is the checkpoint truncated or of another family?"
        case let .unusedTensors(names):
            let more = names.count > 3 ? " and \(names.count - 3) more" : ""
            return "unexpected tensor \(names.prefix(3).joined(separator: ", "))\(more): not part of the detected architecture"
        case let .shapeMismatch(name, expected, got):
            return "tensor \(name) has shape \(got), expected \(expected)"
        case let .cannotAssemble(canonical, reason):
            return "cannot assemble \(canonical): \(reason)"
        case let .configDisagrees(file, key, says, tensors):
            return "\(file) says \(key) = \(says), but the tensors say \(tensors): the config belongs to another model; "
                + "fix or remove it (--heads overrides the head count)"
        case let .badConfig(why):
            return "inconsistent model: \(why)"
        }
    }
}
