extension BertConfig {
    /// Every tensor of this encoder in wave's canonical BERT names and order, with its shape.
    public func canonicalShapes(pooler: Bool) -> [(name: String, shape: [Int])] {
        let d = hiddenSize, m = intermediateSize
        var out: [(String, [Int])] = [("embed.word", [vocabSize, d]), ("embed.position", [maxPositions, d])]
        if typeVocabSize > 0 { out.append(("embed.token_type", [typeVocabSize, d])) }
        out += [("embed.norm.weight", [d]), ("embed.norm.bias", [d])]
        for l in 0..<layers {
            let b = "blocks.\(l)."
            out += [(b + "attn.qkv.weight", [3 * d, d]), (b + "attn.qkv.bias", [3 * d]),
                    (b + "attn.proj.weight", [d, d]), (b + "attn.proj.bias", [d]),
                    (b + "norm1.weight", [d]), (b + "norm1.bias", [d]),
                    (b + "mlp.fc1.weight", [m, d]), (b + "mlp.fc1.bias", [m]),
                    (b + "mlp.fc2.weight", [d, m]), (b + "mlp.fc2.bias", [d]),
                    (b + "norm2.weight", [d]), (b + "norm2.bias", [d])]
        }
        if pooler { out += [("pooler.weight", [d, d]), ("pooler.bias", [d])] }
        return out
    }

    public var parameterCount: Int { canonicalShapes(pooler: false).reduce(0) { $0 + $1.shape.reduce(1, *) } }
}
