extension ViTConfig {
    /// Every tensor of this model in timm's names and order, with its shape. Loading is checked
    /// against this list: nothing missing, nothing extra, every shape equal.
    public var timmShapes: [(name: String, shape: [Int])] {
        let d = embedDim, m = mlpDim
        var out: [(String, [Int])] = [
            ("cls_token", [1, 1, d]), ("pos_embed", [1, tokens, d]),
            ("patch_embed.proj.weight", [d, inChannels, patchSize, patchSize]), ("patch_embed.proj.bias", [d]),
        ]
        for l in 0..<depth {
            let b = "blocks.\(l)."
            out += [(b + "norm1.weight", [d]), (b + "norm1.bias", [d]), (b + "attn.qkv.weight", [3 * d, d])]
            if qkvBias { out.append((b + "attn.qkv.bias", [3 * d])) }
            out += [(b + "attn.proj.weight", [d, d]), (b + "attn.proj.bias", [d])]
            if layerScaleInit != nil { out.append((b + "ls1.gamma", [d])) }
            out += [(b + "norm2.weight", [d]), (b + "norm2.bias", [d]),
                    (b + "mlp.fc1.weight", [m, d]), (b + "mlp.fc1.bias", [m]),
                    (b + "mlp.fc2.weight", [d, m]), (b + "mlp.fc2.bias", [d])]
            if layerScaleInit != nil { out.append((b + "ls2.gamma", [d])) }
        }
        out += [("norm.weight", [d]), ("norm.bias", [d])]
        if numClasses > 0 { out += [("head.weight", [numClasses, d]), ("head.bias", [numClasses])] }
        return out
    }
}
