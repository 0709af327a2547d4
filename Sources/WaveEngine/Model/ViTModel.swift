import WaveFormats

/// A timm `VisionTransformer` on the CPU: parameters and their gradients in flat Float32 buffers
/// laid out by `ParameterLayout`. `forward` fills a `ViTActivations`; `backward` accumulates
/// gradients into `grads` (call `zeroGrad()` between steps).
public final class ViTModel: @unchecked Sendable {
    public let config: ViTConfig
    public let layout: ParameterLayout
    public let params: FloatBuffer
    public let grads: FloatBuffer
    let off: ModelOffsets

    /// A model with every parameter zero (load or initialize next).
    public init(config: ViTConfig) throws {
        if let problem = config.problems.first { throw ModelError.invalidConfig(problem) }
        self.config = config
        layout = ParameterLayout(config: config)
        params = FloatBuffer(count: layout.count)
        grads = FloatBuffer(count: layout.count)
        off = ModelOffsets(layout, depth: config.depth)
    }

    public func zeroGrad() { grads.zero() }

    /// Pointer to parameter `name` (nil when the config has none).
    public func parameter(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        layout[name].map { UnsafeMutableBufferPointer(start: params.pointer + $0.offset, count: $0.count) }
    }

    public func gradient(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        layout[name].map { UnsafeMutableBufferPointer(start: grads.pointer + $0.offset, count: $0.count) }
    }

    public func makeActivations(batch: Int, inference: Bool = false) -> ViTActivations {
        ViTActivations(config: config, batch: batch, inference: inference)
    }

    /// Multiply–adds ×2 of one forward pass per image (matrix products only), for GFLOP/s figures.
    public var forwardFLOPsPerImage: Double {
        let c = config, T = Double(c.tokens), d = Double(c.embedDim), m = Double(c.mlpDim)
        let F = Double(c.inChannels * c.patchSize * c.patchSize)
        let perBlock = T * (3 * d * d + d * d + 2 * d * m) + 2 * T * T * d
        return 2 * ((T - 1) * F * d + Double(c.depth) * perBlock + d * Double(c.numClasses))
    }
}

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case missingTensor(String)
    case unusedTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case batchMismatch(expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .invalidConfig(why): return "model config: \(why)"
        case let .missingTensor(n): return "checkpoint lacks \(n) (is the config's depth, head or LayerScale setting right?)"
        case let .unusedTensor(n): return "checkpoint has \(n), which this model does not use (a config mismatch?)"
        case let .shapeMismatch(n, e, f): return "\(n): expected shape \(e), found \(f)"
        case let .batchMismatch(e, f): return "activations were made for batch \(e), got \(f)"
        }
    }
}
