/// A target size of the benchmark.
public struct BenchSize: Sendable, Codable, Hashable {
    public var depth: Int
    public var width: Int
    public init(depth: Int, width: Int) { self.depth = depth; self.width = width }
    public var label: String { "\(depth)×\(width)" }
}

/// A data regime: how many training images the targets get and for how many epochs, at which sizes.
public struct BenchRegime: Sendable, Codable, Equatable {
    public var name: String
    /// Training images (the first K of the training split); nil: all of them.
    public var trainImages: Int?
    public var epochs: Int
    public var sizes: [BenchSize]
    /// Peak learning rate of methods that start from ancestry weights (the rest use the scratch rate).
    public var transferLR: Float
    public init(name: String, trainImages: Int?, epochs: Int, sizes: [BenchSize], transferLR: Float) {
        self.name = name; self.trainImages = trainImages; self.epochs = epochs; self.sizes = sizes; self.transferLR = transferLR
    }
}

/// One (regime, size, method) result. Every field a table or plot needs.
public struct BenchCell: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case ok
        /// The method is not defined for this size (e.g. Weight Selection wider than the ancestry).
        case notApplicable = "not-applicable"
        /// The method was not run (GHN-3); `note` says why.
        case notRun = "not-run"
    }

    public var regime: String
    public var method: BenchMethod
    public var depth: Int
    public var width: Int
    public var status: Status
    public var note: String?
    /// Parameters of the target.
    public var parameters: Int
    /// Values the target was built from that came from the ancestry (0 for scratch and Mimetic).
    public var transferred: Int
    /// Work before the common training: optimizer steps and images processed (WAVE's distillation
    /// and fit, Direct PT's pre-training); 0 for data-free methods.
    public var extraSteps: Int
    public var extraImages: Int
    /// Training images of the regime and the peak learning rate this method trained with.
    public var trainImages: Int
    public var lr: Float
    /// Test top-1 right after initialization (a new head is random, so near chance except for
    /// WAVE, whose fit trains its head), then after each epoch.
    public var initTop1: Double
    public var top1: [Double]
    /// Mean training loss of each epoch.
    public var trainLoss: [Float]
    public var seconds: Double

    public var size: BenchSize { BenchSize(depth: depth, width: width) }
    public var finalTop1: Double? { status == .ok ? top1.last : nil }

    public init(regime: String, method: BenchMethod, depth: Int, width: Int, status: Status = .ok, note: String? = nil,
                parameters: Int = 0, transferred: Int = 0, extraSteps: Int = 0, extraImages: Int = 0, trainImages: Int = 0,
                lr: Float = 0, initTop1: Double = 0, top1: [Double] = [], trainLoss: [Float] = [], seconds: Double = 0) {
        self.regime = regime; self.method = method; self.depth = depth; self.width = width; self.status = status; self.note = note
        self.parameters = parameters; self.transferred = transferred; self.extraSteps = extraSteps; self.extraImages = extraImages
        self.trainImages = trainImages; self.lr = lr; self.initTop1 = initTop1; self.top1 = top1; self.trainLoss = trainLoss
        self.seconds = seconds
    }
}

/// Everything a benchmark run produced: what was run, where, and every cell.
public struct BenchResults: Sendable, Codable {
    public var profile: String
    public var command: String
    public var date: String
    public var machine: String
    public var ancestry: String
    /// The ancestry's depth and width (d in the width table's headings).
    public var ancestryDepth: Int
    public var ancestryWidth: Int
    public var dataset: String
    public var imageSize: Int
    public var testImages: Int
    public var scratchLR: Float
    /// Layers Heru-LG and Auto-LG take from the ancestry.
    public var learngeneLayers: Int
    /// The WAVE bundle: size and how it was condensed.
    public var bundleBytes: Int
    public var condensation: String
    public var regimes: [BenchRegime]
    public var cells: [BenchCell]
    public var seconds: Double
    /// The learning-rate search (empty when the profile's fixed rates were used) and what it was run on.
    public var lrSearch: [LRTrial] = []
    public var lrSearchSetting: String = ""
}

/// One learning rate tried for one method, scored on held-out training images.
public struct LRTrial: Sendable, Codable, Equatable {
    public var method: BenchMethod
    public var lr: Float
    public var validationTop1: Double
    public var chosen: Bool
    public init(method: BenchMethod, lr: Float, validationTop1: Double, chosen: Bool) {
        self.method = method; self.lr = lr; self.validationTop1 = validationTop1; self.chosen = chosen
    }
}
