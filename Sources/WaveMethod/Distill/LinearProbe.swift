import WaveTensor
import WaveFormats
import WaveEngine
import COpenBLAS
import CWaveBundle

/// A linear probe: ridge regression from standardized pooled features to one-hot labels, solved
/// in closed form (Cholesky in Float64), scored by top-1 on held-out images. It judges how
/// discriminative a built model's features are, which is what condensation should improve
/// (judge condensation by a probe, not by similarity to the teacher).
public enum LinearProbe {
    /// `train`/`test` features [n, dim]; returns test top-1 in [0, 1].
    public static func accuracy(train: [Float], trainLabels: [Int32], test: [Float], testLabels: [Int32],
                                dim: Int, classes K: Int, ridge: Double = 1e-2) -> Double {
        let n = trainLabels.count, m = testLabels.count
        // Standardize with training statistics; a constant column carries the bias.
        var mean = [Double](repeating: 0, count: dim), sd = mean
        for i in 0..<n { for k in 0..<dim { mean[k] += Double(train[i * dim + k]) } }
        for k in 0..<dim { mean[k] /= Double(n) }
        for i in 0..<n { for k in 0..<dim { let x = Double(train[i * dim + k]) - mean[k]; sd[k] += x * x } }
        for k in 0..<dim { sd[k] = max((sd[k] / Double(n)).squareRoot(), 1e-6) }
        let p = dim + 1
        func row(_ f: [Float], _ i: Int) -> [Double] {
            var r = [Double](repeating: 1, count: p)
            for k in 0..<dim { r[k] = (Double(f[i * dim + k]) - mean[k]) / sd[k] }
            return r
        }
        var gram = [Double](repeating: 0, count: p * p), rhs = [Double](repeating: 0, count: p * K)
        for i in 0..<n {
            let x = row(train, i), y = Int(trainLabels[i])
            for a in 0..<p {
                let xa = x[a]
                if xa == 0 { continue }
                for b in a..<p { gram[a * p + b] += xa * x[b] }
                rhs[a * K + y] += xa
            }
        }
        for a in 0..<p { for b in 0..<a { gram[a * p + b] = gram[b * p + a] } }
        for a in 0..<dim { gram[a * p + a] += ridge * Double(n) }
        guard let w = solveSPD(gram, rhs, n: p, columns: K) else { return 0 }
        var correct = 0
        for i in 0..<m {
            let x = row(test, i)
            var best = 0, bestScore = -Double.infinity
            for c in 0..<K {
                var s = 0.0
                for a in 0..<p { s += x[a] * w[a * K + c] }
                if s > bestScore { bestScore = s; best = c }
            }
            if best == Int(testLabels[i]) { correct += 1 }
        }
        return Double(correct) / Double(max(m, 1))
    }

    /// A linear classifier on raw features, by ridge regression to one-hot labels on standardized
    /// features, folded back: weight [K, dim] and bias [K] act on the features as they are. Used to
    /// start a new head where a linear probe would end (linear probe, then fine-tune).
    public static func head(features f: [Float], labels: [Int32], dim: Int, classes K: Int,
                            ridge: Double = 1e-2) -> (weight: [Float], bias: [Float])? {
        ridgeMap(features: f, count: labels.count, dim: dim, outputs: K, ridge: ridge) { i, row in row[Int(labels[i])] = 1 }
    }

    /// A linear map from raw features [n, dim] to targets [n, outputs] by ridge regression on
    /// standardized features, folded back: weight [outputs, dim] and bias [outputs] act on the
    /// features as they are. `target(i, row)` writes row i of the targets into a zeroed row.
    public static func ridgeMap(features f: [Float], count n: Int, dim: Int, outputs K: Int, ridge: Double = 1e-2,
                                target: (Int, inout [Double]) -> Void) -> (weight: [Float], bias: [Float])? {
        guard n > 0, f.count == n * dim else { return nil }
        var mean = [Double](repeating: 0, count: dim), sd = mean
        for i in 0..<n { for k in 0..<dim { mean[k] += Double(f[i * dim + k]) } }
        for k in 0..<dim { mean[k] /= Double(n) }
        for i in 0..<n { for k in 0..<dim { let x = Double(f[i * dim + k]) - mean[k]; sd[k] += x * x } }
        // A feature that hardly varies over these images would get a weight of 1/σ after folding
        // back: σ is floored at a tenth of the features' RMS spread, so the map stays small and
        // fine-tuning, which moves every feature a little, does not swing its outputs (measured on
        // UCI digits through a Fashion-MNIST bundle: head weights up to 7,890 and training losses
        // in the thousands without the floor).
        for k in 0..<dim { sd[k] = (sd[k] / Double(n)).squareRoot() }
        let floor = max(0.1 * (sd.reduce(0) { $0 + $1 * $1 } / Double(max(dim, 1))).squareRoot(), 1e-6)
        for k in 0..<dim { sd[k] = max(sd[k], floor) }
        // X [n, p]: standardized features and a constant 1; Y [n, K]: the targets. Gram and
        // right-hand side by dgemm, then a Cholesky solve (dposv): dims reach 2·768 + 1 here.
        let p = dim + 1
        var X = [Double](repeating: 1, count: n * p), Y = [Double](repeating: 0, count: n * K)
        var y = [Double](repeating: 0, count: K)
        for i in 0..<n {
            for k in 0..<dim { X[i * p + k] = (Double(f[i * dim + k]) - mean[k]) / sd[k] }
            for c in 0..<K { y[c] = 0 }
            target(i, &y)
            for c in 0..<K { Y[i * K + c] = y[c] }
        }
        var gram = [Double](repeating: 0, count: p * p), rhsT = [Double](repeating: 0, count: K * p)
        BLAS.ensureSingleThreaded()
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(p), blasint(p), blasint(n), 1, X, blasint(p), X, blasint(p), 0, &gram, blasint(p))
        // Yᵀ X [K, p] row-major is the column-major [p, K] right-hand side LAPACK takes.
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(K), blasint(p), blasint(n), 1, Y, blasint(K), X, blasint(p), 0, &rhsT, blasint(p))
        for a in 0..<dim { gram[a * p + a] += ridge * Double(n) }
        var uplo = CChar(UInt8(ascii: "U")), np = Int32(p), nk = Int32(K), info: Int32 = 0
        dposv_(&uplo, &np, &nk, &gram, &np, &rhsT, &np, &info)
        guard info == 0 else { return nil }
        // rhsT[c·p + a] now holds the solution w[a, c]. Folded back to raw features:
        // out_c = Σ_k w[k,c]·(f_k − μ_k)/σ_k + w[dim,c]  =  Σ_k (w[k,c]/σ_k)·f_k + (w[dim,c] − Σ_k w[k,c]·μ_k/σ_k)
        var weight = [Float](repeating: 0, count: K * dim), bias = [Float](repeating: 0, count: K)
        for c in 0..<K {
            let w = rhsT[(c * p)...]
            var b = w[c * p + dim]
            for k in 0..<dim {
                weight[c * dim + k] = Float(w[c * p + k] / sd[k])
                b -= w[c * p + k] * mean[k] / sd[k]
            }
            bias[c] = Float(b)
        }
        return (weight, bias)
    }

    /// A classifier head for a backbone (`wave convert --probe-head`): the ridge head on its final
    /// class token at `imageSize` over `train`, and the top-1 of backbone + head on `test`, with one
    /// model built. Returns head.weight [K, d] and head.bias [K] (K = `train.classes`).
    public static func backboneClassifier(canonical: TensorSet, config: ViTConfig, train: ImageDataset, test: ImageDataset,
                                          imageSize: Int, quiet: Bool = true) throws -> (weight: [Float], bias: [Float], testTop1: Double) {
        var cfg = config
        cfg.imageSize = imageSize; cfg.numClasses = train.classes
        let net = try ViTModel(config: cfg)
        var backbone = TensorSet()
        for name in canonical.order where !name.hasPrefix("head.") { backbone.add(name, canonical[name]!) }
        backbone.add("head.weight", RawTensor(shape: [cfg.numClasses, cfg.embedDim], floats: [Float](repeating: 0, count: cfg.numClasses * cfg.embedDim)))
        backbone.add("head.bias", RawTensor(shape: [cfg.numClasses], floats: [Float](repeating: 0, count: cfg.numClasses)))
        try net.load(backbone)
        let pre = Preprocess.imageNet(size: imageSize)
        let feats = classTokens(net, images: train, preprocess: pre, progress: quiet ? nil : "probe head (\(imageSize) px)")
        guard let head = head(features: feats, labels: train.labels, dim: cfg.embedDim, classes: cfg.numClasses) else {
            throw ExpandError.invalidTarget("the probe head could not be fitted (singular features)")
        }
        _ = net.parameter("head.weight")!.update(fromContentsOf: head.weight)
        _ = net.parameter("head.bias")!.update(fromContentsOf: head.bias)
        return (head.weight, head.bias, ScalerFit.accuracy(net, on: test, preprocess: pre))
    }

    /// A model's final class tokens [n, d] over every image (the features a new head is fitted on).
    public static func classTokens(_ net: ViTModel, images: ImageDataset, preprocess: Preprocess, progress label: String? = nil) -> [Float] {
        let D = net.config.embedDim, B = min(100, images.count)
        let loader = BatchLoader(dataset: images, batchSize: B, preprocess: preprocess, shuffle: false, dropLast: false)
        loader.startEpoch(0)
        let a = net.makeActivations(batch: B, inference: true)
        var feats: [Float] = []
        feats.reserveCapacity(images.count * D)
        let progress = ProgressReporter(label ?? "", total: images.count, unit: "image", quiet: label == nil)
        for b in 0..<loader.batchesPerEpoch {
            let n = loader.fill(batch: b)
            net.forward(images: loader.images.pointer, a, classTokenOnly: true)
            for i in 0..<n { feats += UnsafeBufferPointer(start: a.classToken(i), count: D) }
            progress.update(feats.count / D)
        }
        progress.finish()
        return feats
    }

    /// Solves A X = B for symmetric positive definite A [n, n] by Cholesky; nil when A is not SPD.
    static func solveSPD(_ a: [Double], _ b: [Double], n: Int, columns k: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for q in 0..<j { s -= l[i * n + q] * l[j * n + q] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        var x = b
        for c in 0..<k {
            for i in 0..<n {   // L y = b
                var s = x[i * k + c]
                for q in 0..<i { s -= l[i * n + q] * x[q * k + c] }
                x[i * k + c] = s / l[i * n + i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) {   // Lᵀ x = y
                var s = x[i * k + c]
                for q in (i + 1)..<n { s -= l[q * n + i] * x[q * k + c] }
                x[i * k + c] = s / l[i * n + i]
            }
        }
        return x
    }

    /// Pooled features [n, 2d] of a built model over the first `count` images of a loader's data.
    public static func features(model: ViTModel, loader: BatchLoader, count: Int) -> [Float] {
        let B = loader.batchSize, dim = 2 * model.config.embedDim
        let a = model.makeActivations(batch: B, inference: true)
        let feats = FloatBuffer(count: B * dim)
        var out: [Float] = []
        out.reserveCapacity(count * dim)
        loader.startEpoch(0)
        var b = 0
        while out.count < count * dim, b < loader.batchesPerEpoch {
            let n = loader.fill(batch: b)
            model.forward(images: loader.images.pointer, a)
            Features.classAndMeanPatch(a, into: feats.pointer)
            out += UnsafeBufferPointer(start: feats.pointer, count: min(n, count - out.count / dim) * dim)
            b += 1
        }
        return out
    }
}
