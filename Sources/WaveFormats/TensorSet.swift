import WaveTensor

/// Named tensors in a stable order, as every reader returns them and every writer takes them.
/// Names are unique; `order` is the file's order (or the order tensors were added).
public struct TensorSet: @unchecked Sendable {
    public private(set) var order: [String] = []
    public private(set) var tensors: [String: RawTensor] = [:]
    /// Free-form string metadata (safetensors `__metadata__`, ONNX metadata_props, ...).
    public var metadata: [String: String] = [:]

    public init() {}

    public var count: Int { order.count }
    public var isEmpty: Bool { order.isEmpty }
    public subscript(name: String) -> RawTensor? { tensors[name] }
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// Adds a tensor; returns false (and changes nothing) when the name is already taken.
    @discardableResult
    public mutating func add(_ name: String, _ tensor: RawTensor) -> Bool {
        guard tensors[name] == nil else { return false }
        order.append(name)
        tensors[name] = tensor
        return true
    }

    /// Replaces or appends.
    public mutating func set(_ name: String, _ tensor: RawTensor) {
        if tensors[name] == nil { order.append(name) }
        tensors[name] = tensor
    }

    public mutating func remove(_ name: String) {
        guard tensors.removeValue(forKey: name) != nil else { return }
        order.removeAll { $0 == name }
    }

    /// Tensors in order.
    public var all: [(name: String, tensor: RawTensor)] { order.map { ($0, tensors[$0]!) } }

    public var totalBytes: Int { tensors.values.reduce(0) { $0 + $1.byteCount } }
    public var totalElements: Int { tensors.values.reduce(0) { $0 + $1.count } }
}
