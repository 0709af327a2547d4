import WaveTensor

/// Byte-level reshaping of raw tensors, dtype-preserving, for assembling canonical tensors from
/// a family's source tensors (HF's separate q/k/v → fused qkv) and back.
enum TensorOps {
    /// Concatenates along `axis`; nil when dtypes or the other dimensions disagree.
    static func concat(_ parts: [RawTensor], axis: Int) -> RawTensor? {
        guard let first = parts.first, axis >= 0, axis < first.shape.count else { return nil }
        for p in parts {
            guard p.dtype == first.dtype, p.shape.count == first.shape.count else { return nil }
            for (i, (a, b)) in zip(p.shape, first.shape).enumerated() where i != axis && a != b { return nil }
        }
        if parts.count == 1 { return first }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *) * first.dtype.size
        guard let total = checkedByteCount(shape: shape, elementSize: first.dtype.size) else { return nil }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 64)
        defer { out.deallocate() }
        var dst = 0
        for o in 0..<outer {
            for p in parts {
                let chunk = p.shape[axis] * inner
                if chunk > 0 {
                    (out.baseAddress! + dst).copyMemory(from: p.bytes.baseAddress! + o * chunk, byteCount: chunk)
                }
                dst += chunk
            }
        }
        return RawTensor(dtype: first.dtype, shape: shape, copying: UnsafeRawBufferPointer(rebasing: out[0..<total]))
    }

    /// Splits into `count` equal parts along `axis`; nil when the axis does not divide.
    static func split(_ t: RawTensor, count: Int, axis: Int) -> [RawTensor]? {
        guard axis >= 0, axis < t.shape.count, count > 0, t.shape[axis] % count == 0 else { return nil }
        if count == 1 { return [t] }
        var shape = t.shape
        shape[axis] /= count
        let outer = t.shape[..<axis].reduce(1, *)
        let inner = t.shape[(axis + 1)...].reduce(1, *) * t.dtype.size
        let chunk = shape[axis] * inner
        if outer == 1 {
            // Leading axis: parts are contiguous views, no copy.
            return (0..<count).map { k in
                RawTensor(dtype: t.dtype, shape: shape, bytes: UnsafeRawBufferPointer(rebasing: t.bytes[(k * chunk)..<((k + 1) * chunk)]), owner: t.owner)
            }
        }
        return (0..<count).map { k in
            var bytes = [UInt8](repeating: 0, count: outer * chunk)
            bytes.withUnsafeMutableBytes { dst in
                for o in 0..<outer where chunk > 0 {
                    (dst.baseAddress! + o * chunk).copyMemory(from: t.bytes.baseAddress! + (o * count + k) * chunk, byteCount: chunk)
                }
            }
            return bytes.withUnsafeBytes { RawTensor(dtype: t.dtype, shape: shape, copying: $0) }
        }
    }
}
