import WaveTensor
import WaveFormats

extension ViTModel {
    /// Copies every parameter from `set` (timm names), strictly: a missing or unused tensor or a
    /// shape mismatch is an error naming it. The one tolerated mismatch, when `resamplePosEmbed`,
    /// is a pos_embed for another square grid (1 + g² rows): it is resampled to this config's grid.
    public func load(_ set: TensorSet, resamplePosEmbed: Bool = true) throws {
        for name in set.order where layout[name] == nil { throw ModelError.unusedTensor(name) }
        for e in layout.entries {
            guard let t = set[e.name] else { throw ModelError.missingTensor(e.name) }
            var values: [Float]
            if t.shape == e.shape {
                values = t.floats()
            } else if e.name == "pos_embed", resamplePosEmbed, let g = squareGrid(t.shape) {
                values = PosEmbed.resample(t.floats(), dim: config.embedDim, from: g, to: config.gridSize)
            } else {
                throw ModelError.shapeMismatch(name: e.name, expected: e.shape, found: t.shape)
            }
            values.withUnsafeBufferPointer { (params.pointer + e.offset).update(from: $0.baseAddress!, count: e.count) }
        }
    }

    /// Every parameter as an F32 tensor under its timm name, in timm's order.
    public func export() -> TensorSet {
        var set = TensorSet()
        for e in layout.entries {
            let values = Array(UnsafeBufferPointer(start: params.pointer + e.offset, count: e.count))
            set.add(e.name, RawTensor(shape: e.shape, floats: values))
        }
        return set
    }

    /// Gradients in the same form (for tests and debugging).
    public func exportGradients() -> TensorSet {
        var set = TensorSet()
        for e in layout.entries {
            let values = Array(UnsafeBufferPointer(start: grads.pointer + e.offset, count: e.count))
            set.add(e.name, RawTensor(shape: e.shape, floats: values))
        }
        return set
    }

    /// g when `shape` is [1, 1 + g², D] for this model's D.
    private func squareGrid(_ shape: [Int]) -> Int? {
        guard shape.count == 3, shape[0] == 1, shape[2] == config.embedDim, shape[1] > 1 else { return nil }
        let n = shape[1] - 1
        let g = Int(Double(n).squareRoot().rounded())
        return g * g == n ? g : nil
    }
}
