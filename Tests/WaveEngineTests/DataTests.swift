import Testing
@testable import WaveEngine

/// IDX bytes built in code: header (magic, big-endian dims) then data.
func idxBytes(magic: UInt32, dims: [UInt32], data: [UInt8]) -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    return be(magic) + dims.flatMap(be) + data
}

@Suite struct DataTests {
    @Test func parsesImagesAndLabels() throws {
        let px = (0..<(2 * 3 * 4)).map { UInt8($0) }
        let im = try idxBytes(magic: 0x803, dims: [2, 3, 4], data: px).withUnsafeBytes { try IDX.parseImages($0) }
        #expect(im.count == 2 && im.rows == 3 && im.cols == 4 && im.pixels == px)
        let lb = try idxBytes(magic: 0x801, dims: [3], data: [7, 8, 9]).withUnsafeBytes { try IDX.parseLabels($0) }
        #expect(lb == [7, 8, 9])
    }

    /// One corrupt input per validation step.
    @Test(arguments: [
        ("empty", [UInt8](), IDXError.tooShort(0)),
        ("header cut", Array(idxBytes(magic: 0x803, dims: [1, 2, 2], data: []).prefix(10)), IDXError.tooShort(10)),
        ("labels as images", idxBytes(magic: 0x801, dims: [1, 1, 1], data: [0]), IDXError.badMagic(found: 0x801, expected: 0x803)),
        ("gzip magic", [0x1f, 0x8b, 8, 0] + [UInt8](repeating: 0, count: 12), IDXError.badMagic(found: 0x1f8b_0800, expected: 0x803)),
        ("zero dim", idxBytes(magic: 0x803, dims: [1, 0, 2], data: []), IDXError.badDimension(index: 1, value: 0)),
        ("truncated", idxBytes(magic: 0x803, dims: [2, 2, 2], data: [1, 2, 3]), IDXError.sizeMismatch(expected: 24, found: 19)),
        ("trailing", idxBytes(magic: 0x803, dims: [1, 1, 1], data: [1, 2]), IDXError.sizeMismatch(expected: 17, found: 18)),
        ("huge dims", idxBytes(magic: 0x803, dims: [0xffff_ffff, 0xffff_ffff, 0xffff_ffff], data: []), IDXError.tooLarge(0xffff_ffff)),
    ])
    func rejectsCorruptImages(_ name: String, _ bytes: [UInt8], _ expected: IDXError) {
        #expect(throws: expected, "\(name)") { try bytes.withUnsafeBytes { try IDX.parseImages($0) } }
    }

    @Test func bilinearMatchesTorchSemantics() {
        // torch F.interpolate(bilinear, align_corners=False) 2→4: sources −0.25→0 (clamped), 0.25, 0.75, 1.25→clamped tap.
        let ax = BilinearAxis(inSize: 2, outSize: 4)
        #expect(ax.i0 == [0, 0, 0, 1] && ax.i1 == [1, 1, 1, 1])
        #expect(ax.w1 == [0, 0.25, 0.75, 0.25])   // the last two taps coincide
    }

    func tinyDataset() -> ImageDataset {
        // 5 images 2×2: image k is constant k·50; label k.
        let px = (0..<5).flatMap { k in [UInt8](repeating: UInt8(k * 50), count: 4) }
        return ImageDataset(count: 5, channels: 1, height: 2, width: 2, pixels: px, labels: (0..<5).map { Int32($0) }, classes: 5)
    }

    @Test func batchesResizeReplicateAndNormalize() {
        let pre = Preprocess(size: 4, channels: 3, mean: [0, 0.5, 0], std: [1, 1, 2])
        let loader = BatchLoader(dataset: tinyDataset(), batchSize: 2, preprocess: pre, shuffle: false, dropLast: false)
        #expect(loader.batchesPerEpoch == 3)
        loader.startEpoch(0)
        loader.fill(batch: 1)
        let img = loader.images.pointer, per = 3 * 16
        #expect(loader.labels[0] == 2 && loader.labels[1] == 3)
        // image 2 = 100/255 everywhere, per channel (x − mean)/std.
        #expect(abs(img[0] - 100 / 255) < 1e-6 && abs(img[16] - (100 / 255 - 0.5)) < 1e-6 && abs(img[32] - 100 / 255 / 2) < 1e-6)
        #expect(abs(img[per + 5] - 150 / 255) < 1e-6)
        // The last batch holds one image, the rest is zero.
        #expect(loader.fill(batch: 2) == 1)
        #expect(img[per] == 0 && loader.labels[1] == 0)
    }

    @Test func shufflingIsSeededPerEpoch() {
        let pre = Preprocess(size: 2, channels: 1, mean: [0], std: [1])
        func order(seed: UInt64, epoch: Int) -> [Int32] {
            let l = BatchLoader(dataset: tinyDataset(), batchSize: 5, preprocess: pre, shuffle: true, seed: seed, dropLast: true)
            l.startEpoch(epoch)
            l.fill(batch: 0)
            return (0..<5).map { l.labels[$0] }
        }
        #expect(order(seed: 1, epoch: 0) == order(seed: 1, epoch: 0))
        #expect(order(seed: 1, epoch: 0).sorted() == [0, 1, 2, 3, 4])
        #expect(order(seed: 1, epoch: 0) != order(seed: 1, epoch: 1) || order(seed: 1, epoch: 1) != order(seed: 1, epoch: 2))
    }

    @Test func cropAndFlipMoveContent() {
        // One 4×4 image with a single bright pixel at (0, 0); flip-only moves it to column 3.
        var px = [UInt8](repeating: 0, count: 16)
        px[0] = 255
        let ds = ImageDataset(count: 1, channels: 1, height: 4, width: 4, pixels: px, labels: [0], classes: 1)
        let pre = Preprocess(size: 4, channels: 1, mean: [0], std: [1])
        var sawFlip = false, sawPlain = false
        for seed in 0..<20 {
            let l = BatchLoader(dataset: ds, batchSize: 1, preprocess: pre, augment: Augment(horizontalFlip: true),
                                shuffle: false, seed: UInt64(seed), dropLast: true)
            l.startEpoch(0)
            l.fill(batch: 0)
            if l.images[3] == 1 { sawFlip = true }
            if l.images[0] == 1 { sawPlain = true }
        }
        #expect(sawFlip && sawPlain)
        let l = BatchLoader(dataset: ds, batchSize: 1, preprocess: pre, augment: Augment(cropPadding: 1),
                            shuffle: false, seed: 3, dropLast: true)
        l.startEpoch(0)
        l.fill(batch: 0)
        let total = (0..<16).reduce(Float(0)) { $0 + l.images[$1] }
        #expect(total == 1 || total == 0)   // the pixel moved by at most one, or left the frame
    }

    @Test func fashionMNISTLoadsWhenInstalled() throws {
        let dir = "/usr/share/datasets/fashion-mnist"
        let labels = dir + "/t10k-labels-idx1-ubyte.gz"
        guard (try? IDX.readFile(labels)) != nil else { return }
        let test = try ImageDataset.idx(images: dir + "/t10k-images-idx3-ubyte.gz", labels: labels)
        #expect(test.count == 10000 && test.height == 28 && test.width == 28)
        #expect(Set(test.labels) == Set((0..<10).map { Int32($0) }))
    }
}

@Suite struct ResizeGoldenTests {
    /// BatchLoader's resize against PyTorch (Fixtures/torch/resize_bilinear.safetensors): up and down.
    @Test(arguments: [8, 3])
    func bilinearResizeMatchesTorch(size: Int) throws {
        let fx = try loadFixture("resize_bilinear")
        let px = fx["image"]!.floats().map { UInt8($0) }
        let ds = ImageDataset(count: 1, channels: 1, height: 5, width: 7, pixels: px, labels: [0], classes: 1)
        let loader = BatchLoader(dataset: ds, batchSize: 1, preprocess: Preprocess(size: size, channels: 1, mean: [0], std: [1]),
                                 shuffle: false, dropLast: true)
        loader.fill(batch: 0)
        #expect(scaledError(loader.images.array, fx["resized_\(size)"]!.floats()) < 1e-6)
    }
}
