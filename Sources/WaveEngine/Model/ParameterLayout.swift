import WaveFormats

/// Where every parameter lives in the model's one flat Float32 buffer: timm's names and order
/// (`ViTConfig.timmShapes`), offsets packed back to back. Gradients and AdamW moments use the same
/// layout, so the optimizer and gradient clipping run over single contiguous arrays.
public struct ParameterLayout: Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    public let count: Int
    private let byName: [String: Int]

    public init(config: ViTConfig) { self.init(shapes: config.timmShapes) }

    /// Any named tensors packed back to back (e.g. the templates and scalers WAVE trains).
    public init(shapes: [(name: String, shape: [Int])]) {
        var e: [Entry] = [], off = 0
        for (name, shape) in shapes {
            e.append(Entry(name: name, shape: shape, offset: off))
            off += shape.reduce(1, *)
        }
        entries = e
        count = off
        byName = Dictionary(uniqueKeysWithValues: e.enumerated().map { ($1.name, $0) })
    }

    public subscript(name: String) -> Entry? { byName[name].map { entries[$0] } }

    func offset(_ name: String) -> Int { self[name]!.offset }
    func optionalOffset(_ name: String) -> Int? { self[name]?.offset }
}

/// Offsets of one block's parameters (nil where the config has no such tensor).
struct BlockOffsets {
    let ln1w, ln1b, qkvw: Int, qkvb: Int?, projw, projb: Int, ls1: Int?
    let ln2w, ln2b, fc1w, fc1b, fc2w, fc2b: Int, ls2: Int?

    init(_ l: ParameterLayout, block i: Int) {
        let p = "blocks.\(i)."
        ln1w = l.offset(p + "norm1.weight"); ln1b = l.offset(p + "norm1.bias")
        qkvw = l.offset(p + "attn.qkv.weight"); qkvb = l.optionalOffset(p + "attn.qkv.bias")
        projw = l.offset(p + "attn.proj.weight"); projb = l.offset(p + "attn.proj.bias")
        ls1 = l.optionalOffset(p + "ls1.gamma")
        ln2w = l.offset(p + "norm2.weight"); ln2b = l.offset(p + "norm2.bias")
        fc1w = l.offset(p + "mlp.fc1.weight"); fc1b = l.offset(p + "mlp.fc1.bias")
        fc2w = l.offset(p + "mlp.fc2.weight"); fc2b = l.offset(p + "mlp.fc2.bias")
        ls2 = l.optionalOffset(p + "ls2.gamma")
    }
}

/// Offsets of the stem, final norm and head.
struct ModelOffsets {
    let cls, pos, pew, peb: Int
    let blocks: [BlockOffsets]
    let normw, normb: Int
    let headw, headb: Int?

    init(_ l: ParameterLayout, depth: Int) {
        cls = l.offset("cls_token"); pos = l.offset("pos_embed")
        pew = l.offset("patch_embed.proj.weight"); peb = l.offset("patch_embed.proj.bias")
        blocks = (0..<depth).map { BlockOffsets(l, block: $0) }
        normw = l.offset("norm.weight"); normb = l.offset("norm.bias")
        headw = l.optionalOffset("head.weight"); headb = l.optionalOffset("head.bias")
    }
}
