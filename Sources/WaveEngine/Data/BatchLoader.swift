/// Turns an `ImageDataset` into model-ready batches: bytes → [0, 1] → bilinear resize to the model
/// size → optional crop/flip → channel replication (1 → 3) → normalization, written straight into
/// one reused [B, C, S, S] buffer (and a [B] label buffer). Shuffling is a seeded permutation per
/// epoch, so (seed, epoch) fixes the order and the augmentations.
public final class BatchLoader: @unchecked Sendable {
    public let dataset: ImageDataset
    public let batchSize: Int
    public let preprocess: Preprocess
    public let augment: Augment
    public let shuffle: Bool
    public let seed: UInt64
    /// Drop the last partial batch (training); when false it is filled and `fill` returns its true size.
    public let dropLast: Bool

    public let images: FloatBuffer
    public let labels: UnsafeMutablePointer<Int32>
    /// Positions of every batch whose images `fill` writes (a data-parallel rank's part of the
    /// global batch, `DataParallel.localImages`); the others are left as they are and cost no
    /// resizing. nil: the whole batch. Labels are always filled.
    public var positions: Range<Int>?
    private let ys: BilinearAxis, xs: BilinearAxis
    private var plane: [Float]
    private var order: [Int] = []
    private var rng: SeededRNG

    public init(dataset: ImageDataset, batchSize: Int, preprocess: Preprocess, augment: Augment = .none,
                shuffle: Bool, seed: UInt64 = 0, dropLast: Bool) {
        precondition(dataset.channels == 1 || dataset.channels == preprocess.channels,
                     "cannot map \(dataset.channels) channels to \(preprocess.channels)")
        self.dataset = dataset; self.batchSize = batchSize; self.preprocess = preprocess
        self.augment = augment; self.shuffle = shuffle; self.seed = seed; self.dropLast = dropLast
        let s = preprocess.size
        images = FloatBuffer(count: batchSize * preprocess.channels * s * s)
        labels = .allocate(capacity: batchSize)
        labels.initialize(repeating: 0, count: batchSize)
        ys = BilinearAxis(inSize: dataset.height, outSize: s)
        xs = BilinearAxis(inSize: dataset.width, outSize: s)
        plane = [Float](repeating: 0, count: s * s)
        rng = SeededRNG(seed: seed)
    }

    deinit { labels.deallocate() }

    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// Starts an epoch: reshuffles (when shuffling) from (seed, epoch).
    public func startEpoch(_ epoch: Int) {
        order = Array(0..<dataset.count)
        rng = SeededRNG(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        if shuffle {
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        }
    }

    /// Dataset indices of batch `index` in the current epoch (to look up per-image caches, such as
    /// a teacher's outputs).
    public func indices(ofBatch index: Int) -> ArraySlice<Int> {
        if order.isEmpty { startEpoch(0) }
        let start = index * batchSize
        return order[start..<min(start + batchSize, dataset.count)]
    }

    /// Fills `images` and `labels` with batch `index` of the current epoch; returns how many
    /// examples it holds (the rest of the buffer is zero).
    @discardableResult
    public func fill(batch index: Int) -> Int {
        if order.isEmpty { startEpoch(0) }
        let start = index * batchSize, n = min(batchSize, dataset.count - start)
        precondition(n > 0, "batch \(index) is past the end")
        let per = preprocess.channels * preprocess.size * preprocess.size
        for j in 0..<n {
            let k = order[start + j]
            labels[j] = dataset.labels[k]
            if positions?.contains(j) == false { skipImage() } else { writeImage(k, into: images.pointer + j * per) }
        }
        if n < batchSize {
            (images.pointer + n * per).update(repeating: 0, count: (batchSize - n) * per)
            for j in n..<batchSize { labels[j] = 0 }
        }
        return n
    }

    /// Draws what `writeImage` draws, so that the augmentations of the images after a skipped one
    /// are those of a loader that fills everything.
    private func skipImage() {
        if augment.cropPadding > 0 { _ = rng.below(2 * augment.cropPadding + 1); _ = rng.below(2 * augment.cropPadding + 1) }
        if augment.horizontalFlip { _ = rng.below(2) }
    }

    private func writeImage(_ k: Int, into dst: UnsafeMutablePointer<Float>) {
        let d = dataset, S = preprocess.size, H = d.height, W = d.width
        let pad = augment.cropPadding
        let dy = pad > 0 ? rng.below(2 * pad + 1) - pad : 0
        let dx = pad > 0 ? rng.below(2 * pad + 1) - pad : 0
        let flip = augment.horizontalFlip && rng.below(2) == 1
        for c in 0..<preprocess.channels {
            let srcC = d.channels == 1 ? 0 : c
            // Replicated channels of a grey image share one resized plane.
            if c == 0 || d.channels > 1 {
                let base = ((k * d.channels) + srcC) * H * W
                d.pixels.withUnsafeBufferPointer { px in
                    for y in 0..<S {
                        let r0 = base + ys.i0[y] * W, r1 = base + ys.i1[y] * W, wy = ys.w1[y]
                        for x in 0..<S {
                            let a = Float(px[r0 + xs.i0[x]]) * (1 - xs.w1[x]) + Float(px[r0 + xs.i1[x]]) * xs.w1[x]
                            let b = Float(px[r1 + xs.i0[x]]) * (1 - xs.w1[x]) + Float(px[r1 + xs.i1[x]]) * xs.w1[x]
                            plane[y * S + x] = (a * (1 - wy) + b * wy) / 255
                        }
                    }
                }
            }
            let out = dst + c * S * S, m = preprocess.mean[c], inv = 1 / preprocess.std[c]
            for y in 0..<S {
                let sy = y + dy
                for x in 0..<S {
                    // Flip after cropping: output column x shows crop column S−1−x.
                    let sx = (flip ? S - 1 - x : x) + dx
                    // Padding is black (0 before normalization), as torchvision pads the raw image.
                    let v: Float = (sy >= 0 && sy < S && sx >= 0 && sx < S) ? plane[sy * S + sx] : 0
                    out[y * S + x] = (v - m) * inv
                }
            }
        }
    }
}
