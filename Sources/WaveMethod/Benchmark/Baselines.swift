import WaveTensor
import WaveFormats
import WaveEngine

public enum BaselineError: Error, CustomStringConvertible, Equatable {
    case notApplicable(BenchMethod, reason: String)
    case notABaseline(BenchMethod)

    public var description: String {
        switch self {
        case let .notApplicable(m, reason): return "\(m.title) does not apply: \(reason)"
        case let .notABaseline(m): return "\(m.title) is not initialized from the ancestry's weights alone"
        }
    }
}

/// The data-free baselines of the benchmark (`BenchMethod.definition`): each builds a target of
/// `target`'s shape from a trunc-normal scratch model, overwriting what it takes from the
/// ancestry. Ancestry-reading methods all get the ancestry's stem and final norm (resampled to the
/// target's grid, patch and channels as WAVE's expansion does) and a new head, so that only the
/// treatment of the blocks differs.
public enum Baselines {
    /// Where a target layer's weights come from.
    enum LayerSource: Equatable {
        case layer(Int)
        case mean
        /// TLEG's A + x·B.
        case linear(Double)
        case random
    }

    /// Block tensors of one layer, as timm names them after "blocks.N.".
    static func blockSuffixes(_ c: ViTConfig) -> [String] {
        c.timmShapes.compactMap { $0.name.hasPrefix("blocks.0.") ? String($0.name.dropFirst("blocks.0.".count)) : nil }
    }

    /// The initialized target and how many ancestry values it was built from (each source
    /// tensor's elements counted once, at most the target tensor's size; a fitted layer (Share
    /// Init's mean, TLEG's A and B) counts as one layer).
    public static func initialize(_ method: BenchMethod, ancestry: TensorSet, source s: ViTConfig, target t: ViTConfig,
                                  seed: UInt64, learngeneLayers k: Int) throws -> (model: ViTModel, transferred: Int) {
        let model = try ViTModel(config: t, scheme: .truncNormal, seed: seed)
        switch method {
        case .scratch: return (model, 0)
        case .mimetic:
            Mimetic.apply(to: model, seed: seed)
            return (model, 0)
        case .wave, .directPT, .ghn3: throw BaselineError.notABaseline(method)
        default: break
        }
        let L = s.depth, Lp = t.depth, d = s.embedDim, dp = t.embedDim
        if method == .weightSelection {
            guard Lp <= L, dp <= d else {
                throw BaselineError.notApplicable(method, reason: "it selects from a larger ancestry; the target (\(Lp)×\(dp)) is deeper or wider than the ancestry (\(L)×\(d))")
            }
        }
        let width = method == .weightSelection ? UnitMap.uniform(from: d, to: dp) : UnitMap.adapt(from: d, to: dp)
        let mlp = method == .weightSelection ? UnitMap.uniform(from: s.mlpDim, to: t.mlpDim) : UnitMap.adapt(from: s.mlpDim, to: t.mlpDim)
        let learngene = min(k, Lp, L)
        func source(_ j: Int) -> LayerSource {
            switch method {
            case .weightSelection: return .layer(j)
            case .ligo: return .layer(j * L / Lp)
            case .shareInit: return .mean
            case .tleg: return .linear(Double(j + 1) / Double(Lp))
            case .heruLG: return j >= Lp - learngene ? .layer(L - (Lp - j)) : .random
            case .autoLG: return j < learngene ? .layer(j) : .random
            default: return .random
            }
        }
        var used: [String: Int] = [:]
        func take(_ key: String, _ n: Int) { used[key] = max(used[key] ?? 0, n) }
        func write(_ name: String, _ v: [Float]) {
            let dst = model.parameter(name)!
            precondition(dst.count == v.count, "\(name): \(v.count) values for \(dst.count)")
            for i in 0..<v.count { dst[i] = v[i] }
        }
        let suffixes = blockSuffixes(t).filter { ancestry.contains("blocks.0." + $0) }
        // Layer statistics, only when a method needs them.
        var fitted: [String: (a: [Float], b: [Float], mean: [Float])] = [:]
        if method == .shareInit || method == .tleg {
            for sfx in suffixes { fitted[sfx] = linearFit((0..<L).map { ancestry["blocks.\($0).\(sfx)"]!.floats() }) }
        }
        for j in 0..<Lp {
            let src = source(j)
            guard src != .random else { continue }
            for sfx in suffixes {
                let values: [Float], key: String
                switch src {
                case let .layer(l):
                    values = ancestry["blocks.\(l).\(sfx)"]!.floats(); key = "blocks.\(l).\(sfx)"
                case .mean:
                    values = fitted[sfx]!.mean; key = "mean." + sfx
                case let .linear(x):
                    let f = fitted[sfx]!
                    values = zip(f.a, f.b).map { $0 + Float(x) * $1 }; key = "A+B." + sfx
                case .random: continue
                }
                let out = remapBlockTensor(sfx, values, width: width, mlp: mlp, d: d, m: s.mlpDim)
                write("blocks.\(j).\(sfx)", out)
                take(key, min(values.count, out.count) * (method == .tleg ? 2 : 1))
            }
        }
        // Stem and final norm.
        for (name, values) in stem(ancestry, source: s, target: t, width: width) {
            write(name, values)
            take(name, min(ancestry[name]!.count, values.count))
        }
        return (model, used.values.reduce(0, +))
    }

    /// One block tensor through the width maps (rows are outputs, columns inputs).
    static func remapBlockTensor(_ sfx: String, _ v: [Float], width w: UnitMap, mlp m: UnitMap, d: Int, m mlpDim: Int) -> [Float] {
        switch sfx {
        case "attn.qkv.weight": return UnitMap.matrix(v, cols: d, rows: w.grouped(3, sourceWidth: d), cols: w)
        case "attn.qkv.bias": return w.grouped(3, sourceWidth: d).rows(v)
        case "attn.proj.weight": return UnitMap.matrix(v, cols: d, rows: w, cols: w)
        case "mlp.fc1.weight": return UnitMap.matrix(v, cols: d, rows: m, cols: w)
        case "mlp.fc1.bias": return m.rows(v)
        case "mlp.fc2.weight": return UnitMap.matrix(v, cols: mlpDim, rows: w, cols: m)
        default: return w.rows(v)  // every other block tensor is a width vector
        }
    }

    /// The ancestry's stem and final norm for the target: pos_embed resampled to the target grid
    /// (bicubic), patch kernels to its channels and patch size, then every width axis remapped.
    static func stem(_ a: TensorSet, source s: ViTConfig, target t: ViTConfig, width w: UnitMap) -> [(String, [Float])] {
        let d = s.embedDim
        var pos = a["pos_embed"]!.floats()
        if s.gridSize != t.gridSize { pos = PosEmbed.resample(pos, dim: d, from: s.gridSize, to: t.gridSize) }
        let kernels = StemTransforms.patchKernels(a["patch_embed.proj.weight"]!.floats(), d: d, channels: s.inChannels, patch: s.patchSize,
                                                  toChannels: t.inChannels, toPatch: t.patchSize)
        return [("cls_token", w.lastAxis(a["cls_token"]!.floats(), width: d)),
                ("pos_embed", w.lastAxis(pos, width: d)),
                ("patch_embed.proj.weight", w.rows(kernels, inner: t.inChannels * t.patchSize * t.patchSize)),
                ("patch_embed.proj.bias", w.rows(a["patch_embed.proj.bias"]!.floats())),
                ("norm.weight", w.rows(a["norm.weight"]!.floats())),
                ("norm.bias", w.rows(a["norm.bias"]!.floats()))]
    }

    /// Least squares of θ_l ≈ A + x_l·B with x_l = l/L (l = 1…L), element by element; also the mean.
    static func linearFit(_ layers: [[Float]]) -> (a: [Float], b: [Float], mean: [Float]) {
        let L = layers.count, n = layers[0].count
        let xs = (1...L).map { Double($0) / Double(L) }
        let xMean = xs.reduce(0, +) / Double(L)
        let sxx = xs.reduce(0) { $0 + ($1 - xMean) * ($1 - xMean) }
        var a = [Float](repeating: 0, count: n), b = a, mean = a
        for i in 0..<n {
            var m = 0.0, sxy = 0.0
            for l in 0..<L { m += Double(layers[l][i]) }
            m /= Double(L)
            for l in 0..<L { sxy += (xs[l] - xMean) * (Double(layers[l][i]) - m) }
            let slope = sxx > 0 ? sxy / sxx : 0
            mean[i] = Float(m); b[i] = Float(slope); a[i] = Float(m - slope * xMean)
        }
        return (a, b, mean)
    }
}
