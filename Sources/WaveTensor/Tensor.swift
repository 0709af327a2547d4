/// A dense Float32 tensor in row-major order: what the engine and the WAVE algebra compute on.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "Tensor: \(data.count) values do not fill \(shape)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }

    /// The transpose of a 2-D tensor.
    public func transposed() -> Tensor {
        precondition(shape.count == 2, "transposed() needs a matrix, got \(shape)")
        let (r, c) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: r * c)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<r { for j in 0..<c { dst[j * r + i] = src[i * c + j] } }
            }
        }
        return Tensor(shape: [c, r], data: out)
    }
}
