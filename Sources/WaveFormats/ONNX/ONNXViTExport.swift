import Foundation
import WaveTensor

/// How images become the graph's input, written into the model's metadata (`wave.preprocessing`) so
/// that a consumer feeds the exported model what wave fed it: RGB (or grey replicated over the
/// channels) scaled to [0, 1], resized bilinearly to `imageSize`, then (x − mean) / std per channel.
public struct ImagePreprocessing: Sendable, Equatable {
    public var imageSize: Int
    public var channels: Int
    public var mean: [Float]
    public var std: [Float]

    public init(imageSize: Int, channels: Int, mean: [Float], std: [Float]) {
        self.imageSize = imageSize; self.channels = channels; self.mean = mean; self.std = std
    }

    public var json: String {
        let obj: [String: Any] = [
            "input": ONNXViTExport.inputName, "layout": "NCHW", "image_size": imageSize, "channels": channels,
            "scale": 1.0 / 255, "resize": "bilinear", "grey": "replicated to every channel",
            "mean": mean.map { ViTConfig.decimal($0) }, "std": std.map { ViTConfig.decimal($0) },
        ]
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// The inference graph of a timm-style ViT, built from wave's canonical tensors and its ViTConfig,
/// so every checkpoint wave reads exports the same way. It computes what the engine's forward
/// computes (Sources/WaveEngine/Model/Forward.swift), in standard opset-17 operators:
///
///     pixel_values [batch, C, S, S]
///     Conv (patch p, stride p) → [batch, D, G, G] → Reshape/Transpose → [batch, G², D]
///     Concat(cls_token expanded to the batch, patches) + pos_embed → [batch, T, D] → Reshape [batch·T, D]
///     per block: x += γ1 ⊙ proj(attn(LayerNormalization(x)));  x += γ2 ⊙ fc2(GELU(fc1(LayerNormalization(x))))
///     LayerNormalization(x) → Reshape → features [batch, T, D]  (class token first)
///     head: Gather(token 0) → Gemm → logits [batch, classes]   (only when the model has a head)
///
/// The residual stream stays 2-D, so every linear layer is a Gemm with transB = 1 reading the weight
/// as stored ([out, in], PyTorch's layout), and the initializers keep their canonical timm names:
/// the reader takes such names as they are (ONNXNaming rule 1), so `wave inspect` recognizes the file
/// as timm-vit, and the config the weights cannot tell (heads, eps, GELU form, LayerScale) comes back
/// from `wave.config` in the metadata. Attention: Q scaled by 1/√(D/H), Q·Kᵀ, Softmax, ·V per head.
/// GELU is the model's own: exact x·½(1 + erf(x/√2)) (the pattern runtimes fuse), or the tanh form.
/// Only the batch axis is free: T, and so the image size, are fixed by pos_embed.
public enum ONNXViTExport {
    public static let opset = 17
    /// IR version 8 is the one that goes with opset 17.
    public static let irVersion = 8
    public static let inputName = "pixel_values"
    public static let featuresName = "features"
    public static let logitsName = "logits"
    public static let preprocessingKey = "wave.preprocessing"

    /// The graph of `config` over `canonical` (timm names, any float dtype: stored as F32).
    /// `metadata` is added after the config and the preprocessing.
    public static func graph(_ canonical: TensorSet, config c: ViTConfig, preprocessing: ImagePreprocessing,
                             producerVersion: String, metadata: [(String, String)] = []) throws -> ONNXGraph {
        try Architecture.checkShapes(canonical, against: c.timmShapes)
        func weight(_ name: String) -> RawTensor {
            let t = canonical[name]!
            return t.dtype == .f32 ? t : RawTensor(shape: t.shape, floats: t.floats())
        }
        var g = ONNXGraph(name: "wave-vit", opset: opset, irVersion: irVersion, producerVersion: producerVersion)
        let (D, T, H) = (c.embedDim, c.tokens, c.numHeads)
        g.doc = "ViT depth \(c.depth), width \(D), \(H) heads, MLP \(c.mlpDim), patch \(c.patchSize), image \(c.imageSize): "
            + "\(inputName) preprocessed as \(preprocessingKey) says; \(featuresName) are the final norm's tokens (class token first)"
            + (c.numClasses > 0 ? ", \(logitsName) the head's output" : "")
        g.inputs = [.init(name: inputName, shape: [.symbolic("batch"), .fixed(c.inChannels), .fixed(c.imageSize), .fixed(c.imageSize)])]
        g.metadata = [(Checkpoint.configKey, c.timmJSON()), (preprocessingKey, preprocessing.json)] + metadata.map { (key: $0.0, value: $0.1) }
        var b = ONNXGraphBuilder(g)
        func w(_ name: String) -> String { b.initializer(name, weight(name)) }
        func linear(_ x: String, _ scope: String, _ prefix: String, bias: Bool = true) -> String {
            b.op("Gemm", scope, [x, w(prefix + ".weight")] + (bias ? [w(prefix + ".bias")] : []), [("transB", .int(1))])
        }
        func layerNorm(_ x: String, _ scope: String, _ prefix: String) -> String {
            b.op("LayerNormalization", scope, [x, w(prefix + ".weight"), w(prefix + ".bias")],
                 [("axis", .int(-1)), ("epsilon", .float(c.normEps))])
        }

        // Stem.
        let conv = b.op("Conv", "/patch_embed/proj", [inputName, w("patch_embed.proj.weight"), w("patch_embed.proj.bias")],
                        [("kernel_shape", .ints([c.patchSize, c.patchSize])), ("strides", .ints([c.patchSize, c.patchSize]))])
        let flat = b.op("Reshape", "/patch_embed", [conv, b.int64s([0, D, -1])])
        let patches = b.op("Transpose", "/patch_embed", [flat], [("perm", .ints([0, 2, 1]))])
        let batch = b.op("Shape", "", [inputName], [("start", .int(0)), ("end", .int(1))])
        let clsShape = b.op("Concat", "", [batch, b.int64s([1, D])], [("axis", .int(0))])
        let cls = b.op("Expand", "", [w("cls_token"), clsShape])
        let tokens = b.op("Concat", "", [cls, patches], [("axis", .int(1))])
        let embedded = b.op("Add", "", [tokens, w("pos_embed")])
        var x = b.op("Reshape", "", [embedded, b.int64s([-1, D])])

        for l in 0..<c.depth {
            let s = "/blocks.\(l)", p = "blocks.\(l)"
            let h1 = layerNorm(x, s + "/norm1", p + ".norm1")
            let qkv = linear(h1, s + "/attn/qkv", p + ".attn.qkv", bias: c.qkvBias)
            let heads = b.op("Reshape", s + "/attn", [qkv, b.int64s([-1, T, 3, H, c.headDim])])
            let split = b.op("Transpose", s + "/attn", [heads], [("perm", .ints([2, 0, 3, 1, 4]))])   // [3, batch, H, T, hd]
            let q = b.op("Gather", s + "/attn", [split, b.int64s([0], scalar: true)], [("axis", .int(0))])
            let k = b.op("Gather", s + "/attn", [split, b.int64s([1], scalar: true)], [("axis", .int(0))])
            let v = b.op("Gather", s + "/attn", [split, b.int64s([2], scalar: true)], [("axis", .int(0))])
            let qs = b.op("Mul", s + "/attn", [q, b.scalar(1 / Float(c.headDim).squareRoot())])
            let kt = b.op("Transpose", s + "/attn", [k], [("perm", .ints([0, 1, 3, 2]))])
            let scores = b.op("MatMul", s + "/attn", [qs, kt])
            let probs = b.op("Softmax", s + "/attn", [scores], [("axis", .int(-1))])
            let y = b.op("MatMul", s + "/attn", [probs, v])
            let yt = b.op("Transpose", s + "/attn", [y], [("perm", .ints([0, 2, 1, 3]))])
            let merged = b.op("Reshape", s + "/attn", [yt, b.int64s([-1, D])])
            var a = linear(merged, s + "/attn/proj", p + ".attn.proj")
            if c.layerScaleInit != nil { a = b.op("Mul", s + "/ls1", [a, w(p + ".ls1.gamma")]) }
            x = b.op("Add", s, [x, a])

            let h2 = layerNorm(x, s + "/norm2", p + ".norm2")
            let fc1 = linear(h2, s + "/mlp/fc1", p + ".mlp.fc1")
            let act = gelu(&b, fc1, s + "/mlp/act", tanh: c.geluTanh)
            var m = linear(act, s + "/mlp/fc2", p + ".mlp.fc2")
            if c.layerScaleInit != nil { m = b.op("Mul", s + "/ls2", [m, w(p + ".ls2.gamma")]) }
            x = b.op("Add", s, [x, m])
        }

        let normed = layerNorm(x, "/norm", "norm")
        let features = b.op("Reshape", "", [normed, b.int64s([-1, T, D])])
        var outputs: [ONNXGraph.Value] = [.init(name: featuresName, shape: [.symbolic("batch"), .fixed(T), .fixed(D)],
                                               doc: "final LayerNorm of every token, class token first")]
        var result = [(features, featuresName)]
        if c.numClasses > 0 {
            let classToken = b.op("Gather", "/head", [features, b.int64s([0], scalar: true)], [("axis", .int(1))])
            result.append((linear(classToken, "/head", "head"), logitsName))
            outputs.append(.init(name: logitsName, shape: [.symbolic("batch"), .fixed(c.numClasses)], doc: "the head on the class token"))
        }
        // Graph outputs carry their public names: the producing nodes write them directly.
        var graph = b.graph
        for (internalName, publicName) in result { graph.rename(output: internalName, to: publicName) }
        // Weights in the checkpoint's order (as `inspect` lists a safetensors file), not the graph's.
        let rank = Dictionary(uniqueKeysWithValues: canonical.order.enumerated().map { ($1, $0) })
        graph.initializers.sort { rank[$0.name]! < rank[$1.name]! }
        graph.outputs = outputs
        return graph
    }

    /// ½x(1 + erf(x/√2)), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as the engine's GELU.
    static func gelu(_ b: inout ONNXGraphBuilder, _ x: String, _ scope: String, tanh: Bool) -> String {
        let inner: String
        if tanh {
            let cube = b.op("Mul", scope, [b.op("Mul", scope, [x, x]), x])
            let sum = b.op("Add", scope, [x, b.op("Mul", scope, [cube, b.scalar(0.044715)])])
            inner = b.op("Tanh", scope, [b.op("Mul", scope, [sum, b.scalar(Float((2 / Double.pi).squareRoot()))])])
        } else {
            inner = b.op("Erf", scope, [b.op("Div", scope, [x, b.scalar(Float(2.0.squareRoot()))])])
        }
        let onePlus = b.op("Add", scope, [inner, b.scalar(1)])
        return b.op("Mul", scope, [b.op("Mul", scope, [x, onePlus]), b.scalar(0.5)])
    }
}

extension ONNXGraph {
    /// Renames a node output (and every use of it).
    mutating func rename(output old: String, to new: String) {
        for i in nodes.indices {
            nodes[i].outputs = nodes[i].outputs.map { $0 == old ? new : $0 }
            nodes[i].inputs = nodes[i].inputs.map { $0 == old ? new : $0 }
        }
    }
}
