import Foundation
import WaveFormats

/// One kind of per-block tensor that shares templates across layers (METHOD.md "Weight templates").
public struct ComponentSpec: Sendable, Equatable {
    public enum Kind: String, Sendable { case matrix, vector }
    /// Which model dimension an axis has.
    public enum Dim: String, Sendable { case width, mlp }

    /// Short name used on the command line and in bundles ("qkv", "norm1.w", ...).
    public let name: String
    public let kind: Kind
    /// The tensor's timm name inside block l, after "blocks.l.".
    public let tensor: String
    public let outDim: Dim
    /// Row groups stacked along the output axis that widen separately ([Q; K; V] for qkv).
    public let groups: Int
    /// Column dimension for matrices; nil for vectors.
    public let inDim: Dim?
    /// Paper Table 8: qkv 6, proj 2, fc1 8, fc2 8; 4 per vector kind.
    public let defaultCount: Int

    public func size(_ d: Dim, width: Int, mlp: Int) -> Int { d == .width ? width : mlp }
    public func outSize(width: Int, mlp: Int) -> Int { groups * size(outDim, width: width, mlp: mlp) }
    public func inSize(width: Int, mlp: Int) -> Int { inDim.map { size($0, width: width, mlp: mlp) } ?? 1 }

    /// The block shape of this component in a model of the given width and MLP width.
    public func blockShape(n: Int, t: Int, width: Int, mlp: Int) -> BlockShape {
        let out = outSize(width: width, mlp: mlp)
        if kind == .vector { return BlockShape(n: n, r: out / t, c: 1, tr: t, tc: 1) }
        return BlockShape(n: n, r: out / t, c: inSize(width: width, mlp: mlp) / t, tr: t, tc: t)
    }

    public func tensorName(layer: Int) -> String { "blocks.\(layer).\(tensor)" }

    /// Every component WAVE knows, in block order.
    public static let all: [ComponentSpec] = [
        .init(name: "norm1.w", kind: .vector, tensor: "norm1.weight", outDim: .width, groups: 1, inDim: nil, defaultCount: 4),
        .init(name: "norm1.b", kind: .vector, tensor: "norm1.bias", outDim: .width, groups: 1, inDim: nil, defaultCount: 4),
        .init(name: "qkv", kind: .matrix, tensor: "attn.qkv.weight", outDim: .width, groups: 3, inDim: .width, defaultCount: 6),
        .init(name: "qkv.b", kind: .vector, tensor: "attn.qkv.bias", outDim: .width, groups: 3, inDim: nil, defaultCount: 4),
        .init(name: "proj", kind: .matrix, tensor: "attn.proj.weight", outDim: .width, groups: 1, inDim: .width, defaultCount: 2),
        .init(name: "proj.b", kind: .vector, tensor: "attn.proj.bias", outDim: .width, groups: 1, inDim: nil, defaultCount: 4),
        .init(name: "ls1", kind: .vector, tensor: "ls1.gamma", outDim: .width, groups: 1, inDim: nil, defaultCount: 4),
        .init(name: "norm2.w", kind: .vector, tensor: "norm2.weight", outDim: .width, groups: 1, inDim: nil, defaultCount: 4),
        .init(name: "norm2.b", kind: .vector, tensor: "norm2.bias", outDim: .width, groups: 1, inDim: nil, defaultCount: 4),
        .init(name: "fc1", kind: .matrix, tensor: "mlp.fc1.weight", outDim: .mlp, groups: 1, inDim: .width, defaultCount: 8),
        .init(name: "fc1.b", kind: .vector, tensor: "mlp.fc1.bias", outDim: .mlp, groups: 1, inDim: nil, defaultCount: 4),
        .init(name: "fc2", kind: .matrix, tensor: "mlp.fc2.weight", outDim: .width, groups: 1, inDim: .mlp, defaultCount: 8),
        .init(name: "fc2.b", kind: .vector, tensor: "mlp.fc2.bias", outDim: .width, groups: 1, inDim: nil, defaultCount: 4),
        .init(name: "ls2", kind: .vector, tensor: "ls2.gamma", outDim: .width, groups: 1, inDim: nil, defaultCount: 4),
    ]

    public static func named(_ name: String) -> ComponentSpec? { all.first { $0.name == name } }

    /// The components a model of `config` has (qkv bias and LayerScale only when present and templated).
    public static func present(in config: ViTConfig, layerScale: LayerScaleMode) -> [ComponentSpec] {
        all.filter { c in
            if c.name == "qkv.b" { return config.qkvBias }
            if c.name == "ls1" || c.name == "ls2" { return config.layerScaleInit != nil && layerScale == .template }
            return true
        }
    }
}

/// What condensation does with DINOv2-style LayerScale (Schemas/bundle.md, rule 3).
public enum LayerScaleMode: String, Sendable, CaseIterable {
    /// ls1/ls2 are two more templated vector kinds; the expanded model keeps LayerScale.
    case template
    /// γ is multiplied into the rows of proj/fc2 and their biases (exact); the model loses LayerScale.
    case fold
}

/// Template size and count per component: the paper's defaults, then overrides.
public struct TemplatePlan: Sendable, Equatable {
    /// t; nil means the ancestry's width.
    public var templateSize: Int?
    /// Overrides by component name; absent names take their default.
    public var counts: [String: Int] = [:]
    public var layerScale: LayerScaleMode = .template

    public init(templateSize: Int? = nil, counts: [String: Int] = [:], layerScale: LayerScaleMode = .template) {
        self.templateSize = templateSize
        self.counts = counts
        self.layerScale = layerScale
    }

    public func count(for c: ComponentSpec) -> Int { counts[c.name] ?? c.defaultCount }

    /// `qkv=6,proj=2,fc1=8`; `vectors=N` sets every vector kind; later entries win.
    public mutating func apply(overrides text: String) throws {
        for item in text.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let n = Int(kv[1]), n > 0 else {
                throw PlanError.badOverride(String(item), reason: "expected NAME=COUNT with COUNT ≥ 1")
            }
            if kv[0] == "vectors" {
                for c in ComponentSpec.all where c.kind == .vector { counts[c.name] = n }
            } else if ComponentSpec.named(kv[0]) != nil {
                counts[kv[0]] = n
            } else {
                throw PlanError.badOverride(String(item), reason: "unknown component \"\(kv[0])\"; known: vectors, "
                    + ComponentSpec.all.map(\.name).joined(separator: ", "))
            }
        }
    }

    /// A plan file: `{"template_size": 384, "templates": {"qkv": 6, ...}, "layer_scale": "template"}`.
    public static func load(path: String) throws -> TemplatePlan {
        guard let data = FileManager.default.contents(atPath: path) else { throw PlanError.badFile(path, reason: "cannot read it") }
        guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw PlanError.badFile(path, reason: "not a JSON object")
        }
        var plan = TemplatePlan()
        for key in obj.keys where !["template_size", "templates", "layer_scale"].contains(key) {
            throw PlanError.badFile(path, reason: "unknown key \"\(key)\" (template_size, templates, layer_scale)")
        }
        if let t = obj["template_size"] {
            guard let n = t as? Int, n > 0 else { throw PlanError.badFile(path, reason: "template_size must be a positive integer") }
            plan.templateSize = n
        }
        if let ls = obj["layer_scale"] {
            guard let s = ls as? String, let m = LayerScaleMode(rawValue: s) else {
                throw PlanError.badFile(path, reason: "layer_scale must be \"template\" or \"fold\"")
            }
            plan.layerScale = m
        }
        if let t = obj["templates"] {
            guard let d = t as? [String: Any] else { throw PlanError.badFile(path, reason: "templates must be an object") }
            let text = try d.keys.sorted().map { k -> String in
                guard let n = d[k] as? Int else { throw PlanError.badFile(path, reason: "templates.\(k) must be an integer") }
                return "\(k)=\(n)"
            }.joined(separator: ",")
            try plan.apply(overrides: text)
        }
        return plan
    }

    /// The template size for `config`, checked: t must divide the width and the MLP width.
    public func resolvedSize(for config: ViTConfig) throws -> Int {
        let t = templateSize ?? config.embedDim
        guard t > 0, config.embedDim % t == 0, config.mlpDim % t == 0 else {
            throw PlanError.badTemplateSize(t, width: config.embedDim, mlp: config.mlpDim)
        }
        return t
    }
}

public enum PlanError: Error, CustomStringConvertible, Equatable {
    case badOverride(String, reason: String)
    case badFile(String, reason: String)
    case badTemplateSize(Int, width: Int, mlp: Int)

    public var description: String {
        switch self {
        case let .badOverride(item, reason): return "template plan: \"\(item)\": \(reason)"
        case let .badFile(path, reason): return "plan file \(path): \(reason)"
        case let .badTemplateSize(t, d, m):
            return "template size \(t) must divide the width \(d) and the MLP width \(m) (try \(d), \(d / 2) or \(d / 4))"
        }
    }
}
