import Foundation

/// A model family's tensor-name map, loaded from `families/*.json` (format in
/// Schemas/architectures.md). Keys are canonical names (timm's for ViTs); each says which source
/// tensor(s) it comes from, with `${layer}` standing for the block index.
public struct Family: Sendable, Decodable {
    public let family: String
    public let title: String
    /// "vit" or "bert".
    public let kind: String
    /// Source names that must all exist (after a common prefix) for the family to match.
    public let detect: [String]
    /// A per-layer source name; layers are counted by probing it for 0, 1, 2, ...
    public let layerProbe: String
    /// Source names that are known but carry no weights wave uses (e.g. HF's mask token).
    public let ignore: [String]
    /// `model_type` values of a Hugging Face config.json that describe this family (empty: none does).
    public let modelTypes: [String]?
    /// Values the family's own library uses when no config says otherwise.
    public let defaults: Defaults?
    public let stem: [Entry]
    public let layer: [Entry]
    public let head: [Entry]

    public struct Defaults: Sendable, Decodable {
        /// LayerNorm epsilon (timm and Dinov2: 1e-6; HF ViT and BERT: 1e-12).
        public let normEps: Float?
    }

    public struct Entry: Sendable, Decodable {
        public let name: String
        public let from: Source
        public let optional: Bool?
    }

    /// Where a canonical tensor comes from.
    public indirect enum Source: Sendable, Decodable {
        case tensor(String)
        case concat([Source], axis: Int)
        /// The first alternative whose tensors all exist.
        case anyOf([Source])

        private enum Keys: String, CodingKey { case concat, axis, anyOf }

        public init(from decoder: Decoder) throws {
            if let s = try? decoder.singleValueContainer().decode(String.self) {
                self = .tensor(s)
                return
            }
            let c = try decoder.container(keyedBy: Keys.self)
            if let parts = try c.decodeIfPresent([Source].self, forKey: .concat) {
                self = .concat(parts, axis: try c.decodeIfPresent(Int.self, forKey: .axis) ?? 0)
            } else if let alts = try c.decodeIfPresent([Source].self, forKey: .anyOf) {
                self = .anyOf(alts)
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "a source is a name, {\"concat\": [...], \"axis\": n} or {\"anyOf\": [...]}"))
            }
        }

        /// Every source name this spec may read, with `${layer}` filled in.
        func names(layer: Int?) -> [String] {
            switch self {
            case let .tensor(t): return [Family.fill(t, layer: layer)]
            case let .concat(parts, _), let .anyOf(parts): return parts.flatMap { $0.names(layer: layer) }
            }
        }
    }

    static func fill(_ template: String, layer: Int?) -> String {
        guard let layer else { return template }
        return template.replacingOccurrences(of: "${layer}", with: String(layer))
    }

    /// The families shipped with wave, in detection order (most specific first).
    public static let builtIn: [Family] = {
        ["hf-dinov2", "hf-vit", "timm-vit", "bert"].map { name in
            guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "families"),
                  let data = try? Data(contentsOf: url) else {
                fatalError("wave is missing its resource families/\(name).json; reinstall or rebuild")
            }
            do { return try JSONDecoder().decode(Family.self, from: data) } catch {
                fatalError("families/\(name).json is malformed: \(error)")
            }
        }
    }()

    public static func named(_ name: String) -> Family? { builtIn.first { $0.family == name } }
}
