import Foundation

/// A folder holding an IDX dataset the way MNIST-style datasets ship: `train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each gzipped
/// (`.gz`) or not. Any such folder works, not only Fashion-MNIST's.
public struct IDXFolder: Sendable {
    public let path: String
    public let train: ImageDataset
    public let test: ImageDataset

    /// Where Debian's `dataset-fashion-mnist` package puts Fashion-MNIST.
    public static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    public init(path: String) throws {
        self.path = path
        func find(_ stem: String) throws -> String {
            for name in [stem, stem + ".gz"] {
                let p = path + "/" + name
                if FileManager.default.fileExists(atPath: p) { return p }
            }
            throw IDXFolderError.missingFile(path: path, stem: stem)
        }
        let trainImages = try find("train-images-idx3-ubyte"), trainLabels = try find("train-labels-idx1-ubyte")
        let testImages = try find("t10k-images-idx3-ubyte"), testLabels = try find("t10k-labels-idx1-ubyte")
        var tr = try ImageDataset.idx(images: trainImages, labels: trainLabels)
        var te = try ImageDataset.idx(images: testImages, labels: testLabels)
        // Classes: as many as the largest label says, the same for both splits.
        let classes = Int(max(tr.labels.max() ?? 0, te.labels.max() ?? 0)) + 1
        tr = ImageDataset(count: tr.count, channels: tr.channels, height: tr.height, width: tr.width, pixels: tr.pixels, labels: tr.labels, classes: classes)
        te = ImageDataset(count: te.count, channels: te.channels, height: te.height, width: te.width, pixels: te.pixels, labels: te.labels, classes: classes)
        guard tr.height == te.height, tr.width == te.width else {
            throw IDXFolderError.sizesDiffer(train: [tr.height, tr.width], test: [te.height, te.width])
        }
        train = tr
        test = te
    }
}

public enum IDXFolderError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String, stem: String)
    case sizesDiffer(train: [Int], test: [Int])

    public var description: String {
        switch self {
        case let .missingFile(path, stem):
            return "\(path) has no \(stem)[.gz]: an IDX dataset folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (gzipped or not)"
        case let .sizesDiffer(train, test):
            return "IDX folder: train images are \(train[0])×\(train[1]) but test images are \(test[0])×\(test[1])"
        }
    }
}
