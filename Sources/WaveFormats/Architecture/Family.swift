import Foundation

/// A model family's tensor-name map, loaded from `families/*.json` (format in
/// Schemas/architectures.md). Keys are canonical names (timm's for ViTs); each says which source
/// tensor(s) it comes from, with `${layer}` standing for the block index.
public struct Family: Sendable, Decodable {
    public let family: String
    public let title: String
    /// "vit" or "bert".
    public let kind: String
    /// Detection order: families are tried by ascending `order` (most specific first).
    public let order: Int
    /// The Hugging Face classes wave writes this family as (`--names hf`); nil for families HF has no class for.
    public let hf: HFClasses?
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

    public struct HFClasses: Sendable, Decodable {
        /// The base model (`architectures` of config.json), e.g. "Dinov2Model".
        public let model: String
        /// The class with a classifier head, and the prefix its base model's tensors take in it
        /// (`vit.`, `dinov2.`); the head's tensors stay outside the prefix.
        public let withHead: String?
        public let headPrefix: String?
    }

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
        /// The first of `parts` equal pieces along `axis`, the others zero (written as zeros): a
        /// Dinov2ForImageClassification head over [CLS; mean of patches] that reads the class token only.
        case leading(Source, axis: Int, parts: Int)

        private enum Keys: String, CodingKey { case concat, axis, anyOf, leading, parts }

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
            } else if let inner = try c.decodeIfPresent(Source.self, forKey: .leading) {
                self = .leading(inner, axis: try c.decode(Int.self, forKey: .axis), parts: try c.decode(Int.self, forKey: .parts))
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "a source is a name, {\"concat\": [...], \"axis\": n}, {\"anyOf\": [...]} or {\"leading\": SOURCE, \"axis\": n, \"parts\": k}"))
            }
        }

        /// Every source name this spec may read, with `${layer}` filled in.
        func names(layer: Int?) -> [String] {
            switch self {
            case let .tensor(t): return [Family.fill(t, layer: layer)]
            case let .concat(parts, _), let .anyOf(parts): return parts.flatMap { $0.names(layer: layer) }
            case let .leading(inner, _, _): return inner.names(layer: layer)
            }
        }
    }

    static func fill(_ template: String, layer: Int?) -> String {
        guard let layer else { return template }
        return template.replacingOccurrences(of: "${layer}", with: String(layer))
    }

    /// The families shipped with wave: every JSON file in the `families` resource folder, in
    /// detection order. Adding a family is adding a file (Schemas/architectures.md).
    public static let builtIn: [Family] = {
        guard let folder = Bundle.module.resourceURL?.appendingPathComponent("families"),
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path), !names.isEmpty else {
            fatalError("wave is missing its resource folder families/; reinstall or rebuild")
        }
        let families = names.filter { $0.hasSuffix(".json") }.sorted().map { name -> Family in
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                fatalError("wave cannot read its resource families/\(name); reinstall or rebuild")
            }
            do { return try JSONDecoder().decode(Family.self, from: data) } catch {
                fatalError("families/\(name) is malformed: \(error)")
            }
        }
        return families.sorted { ($0.order, $0.family) < ($1.order, $1.family) }
    }()

    public static func named(_ name: String) -> Family? { builtIn.first { $0.family == name } }
}
