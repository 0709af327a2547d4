import WaveFormats
/// Labelled 8-bit images in memory, [count, channels, height, width] bytes, as IDX or other small
/// datasets load. The loader turns them into normalized Float32 batches for a model.
public struct ImageDataset: Sendable {
    public let count: Int, channels: Int, height: Int, width: Int
    public let pixels: [UInt8]
    public let labels: [Int32]
    public let classes: Int

    public init(count: Int, channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int32], classes: Int) {
        precondition(pixels.count == count * channels * height * width && labels.count == count)
        self.count = count; self.channels = channels; self.height = height; self.width = width
        self.pixels = pixels; self.labels = labels; self.classes = classes
    }

    /// An IDX image/label pair (gzipped or not), e.g. Fashion-MNIST's train-images-idx3-ubyte.gz.
    public static func idx(images: String, labels: String, classes: Int = 10) throws -> ImageDataset {
        let im = try IDX.loadImages(path: images), lb = try IDX.loadLabels(path: labels)
        guard im.count == lb.count else { throw IDXError.countMismatch(images: im.count, labels: lb.count) }
        return ImageDataset(count: im.count, channels: 1, height: im.rows, width: im.cols, pixels: im.pixels,
                            labels: lb.map { Int32($0) }, classes: classes)
    }

    /// Images start..<start+n (clamped to the set).
    public func slice(from start: Int, count n: Int) -> ImageDataset {
        let lo = min(max(start, 0), count), hi = min(lo + max(n, 0), count)
        let per = channels * height * width
        return ImageDataset(count: hi - lo, channels: channels, height: height, width: width,
                            pixels: Array(pixels[(lo * per)..<(hi * per)]), labels: Array(labels[lo..<hi]), classes: classes)
    }

    /// The first n examples (for quick experiments).
    public func prefix(_ n: Int) -> ImageDataset {
        let k = min(n, count), per = channels * height * width
        return ImageDataset(count: k, channels: channels, height: height, width: width,
                            pixels: Array(pixels[0..<(k * per)]), labels: Array(labels[0..<k]), classes: classes)
    }
}

/// What a model expects: side length, channel count and per-channel normalization.
public struct Preprocess: Sendable {
    public var size: Int
    public var channels: Int
    /// Per output channel, applied to values in [0, 1]: (x − mean)/std.
    public var mean: [Float]
    public var std: [Float]

    public init(size: Int, channels: Int, mean: [Float], std: [Float]) {
        precondition(mean.count == channels && std.count == channels)
        self.size = size; self.channels = channels; self.mean = mean; self.std = std
    }

    /// ImageNet statistics (timm / DINOv2 defaults).
    public static func imageNet(size: Int) -> Preprocess {
        Preprocess(size: size, channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    }

    /// What wave feeds a model of `config`: three channels use ImageNet statistics (grey images
    /// replicated, as a pretrained ancestry saw them); other channel counts use Fashion-MNIST's.
    public static func `for`(_ config: ViTConfig) -> Preprocess {
        config.inChannels == 3 ? .imageNet(size: config.imageSize) : .fashionMNIST(size: config.imageSize, channels: config.inChannels)
    }

    /// Fashion-MNIST's own statistics (mean 0.2860, std 0.3530), repeated over `channels`.
    public static func fashionMNIST(size: Int, channels: Int = 1) -> Preprocess {
        Preprocess(size: size, channels: channels, mean: Array(repeating: 0.2860, count: channels),
                   std: Array(repeating: 0.3530, count: channels))
    }
}

/// Random augmentation at the model's resolution: zero-padded random crop and horizontal flip
/// (torchvision RandomCrop(padding:) + RandomHorizontalFlip semantics).
public struct Augment: Sendable {
    public var cropPadding: Int
    public var horizontalFlip: Bool
    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        self.cropPadding = cropPadding; self.horizontalFlip = horizontalFlip
    }
    public static let none = Augment()
}

/// Bilinear resampling weights along one axis, as PyTorch `F.interpolate(mode="bilinear",
/// align_corners=False, antialias=False)`: source (dst + ½)·in/out − ½, clamped at 0.
struct BilinearAxis {
    let i0: [Int], i1: [Int], w1: [Float]

    init(inSize: Int, outSize: Int) {
        var a: [Int] = [], b: [Int] = [], w: [Float] = []
        let scale = Double(inSize) / Double(outSize)
        for d in 0..<outSize {
            let src = max(0, (Double(d) + 0.5) * scale - 0.5)
            let lo = min(Int(src), inSize - 1)
            a.append(lo); b.append(min(lo + 1, inSize - 1)); w.append(Float(src - Double(lo)))
        }
        i0 = a; i1 = b; w1 = w
    }
}
