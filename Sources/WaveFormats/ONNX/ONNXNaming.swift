import WaveTensor

/// How `namedTensors()` names one initializer, and why (for `inspect` and tests).
public struct ONNXNamedInitializer: Sendable, Equatable {
    public enum Rule: String, Sendable {
        /// The exporter kept the module path (`backbone.encoder.layer.0.norm1.weight`): used as is.
        case stored
        /// Anonymous matrix consumed as MatMul input 1 (or Gemm B): `<node scope>.weight`, transposed [in, out] → [out, in].
        case matmulWeight
        /// Anonymous tensor in a Conv/Gemm/Add bias slot: `<node scope>.weight` / `.bias`, as stored.
        case layerParameter
        /// Anonymous piece of a split position embedding: `<scope>.position_embeddings.cls_part` / `.patch_part`.
        case positionEmbeddingPart
        /// Any other anonymous tensor: `<node scope>.<node>.input<k>` from its first consumer.
        case consumerInput
        /// Derivation impossible (no consumer, no scope) or the derived name was taken: raw name kept.
        case unnamed
    }
    public let stored: String
    public let name: String
    public let rule: Rule
    public let transposed: Bool
}

extension ONNXModel {
    /// Initializers under the names the ancestry uses, in file order. Rules, first match wins:
    ///
    /// 1. Names that do not start with `onnx::` are the exporter's module paths and are kept
    ///    (`backbone.encoder.layer.0.norm1.weight`, `decoder.upconv1.weight`).
    /// 2. `onnx::` names are anonymous; the first node consuming them gives the name from its path with the
    ///    last component (the op) dropped and `/` turned into `.`:
    ///    - MatMul input 1 of rank 2: `<scope>.weight`, transposed from ONNX's [in, out] to PyTorch's [out, in]
    ///      (`/backbone/encoder/layer.0/attention/attention/key/MatMul` → `backbone.encoder.layer.0.attention.attention.key.weight`).
    ///      Gemm input 1 likewise, transposed only when `transB` is 0.
    ///    - Conv/ConvTranspose input 1 → `<scope>.weight`, Conv/Gemm input 2 and rank-1 Add operands → `<scope>.bias`.
    ///    - A position embedding split by the exporter (PyTorch folds `pos_embed[:, :1]` and `pos_embed[:, 1:]`
    ///      into two constants when it traces the interpolation): a tensor that flows through reshaping or
    ///      resampling ops (Reshape, Transpose, Cast, Resize, Unsqueeze, Squeeze, Slice, Identity) into a Concat
    ///      whose output feeds an Add. Concat input 0 holding one token is `<scope>.position_embeddings.cls_part`
    ///      (here `onnx::Concat_1957`, [1, 1, 384]); the other input is `<scope>.position_embeddings.patch_part`
    ///      (`onnx::Reshape_1962`, [1, 1369, 384], the 37×37 grid before resizing). Shapes stay as stored; the
    ///      caller joins them (CLS first) into HF's `position_embeddings` [1, 1 + N, d].
    ///    - Otherwise `<scope>.<node short name>.input<k>`.
    /// 3. A node scope is aligned with the module paths of the stored names: when no stored name lies under it
    ///    but one does once leading components are dropped, they are dropped. An exporter that wraps a called
    ///    `Sequential` (a sentence-transformers model) names nodes `/model/model.0/auto_model/...` while the
    ///    state dict says `model.0.auto_model...`: the Sequential's own call adds `model`, its child repeats it
    ///    as `model.0`. Scopes under which nothing is stored (a bias-free layer) drop as many components as
    ///    most aligned scopes did.
    /// 4. A derived name that is already taken, or one with no scope to derive from, leaves the raw name, so the
    ///    architecture mapping reports it instead of silently merging two tensors.
    ///
    /// Constant-node outputs are left out unless they are floating point with more than one element (some
    /// exporters fold weights into Constant nodes); scalars and integer constants are graph plumbing.
    public func namedTensors() throws -> TensorSet {
        var out = TensorSet()
        out.metadata = initializers.metadata
        for entry in namingPlan() {
            guard let t = initializers[entry.stored] else { continue }
            out.add(entry.name, entry.transposed ? try transpose2D(t, name: entry.stored) : t)
        }
        return out
    }

    /// Derived name → stored initializer name for every tensor `namedTensors()` returns.
    public var graphNameToInitializer: [String: String] {
        Dictionary(uniqueKeysWithValues: namingPlan().map { ($0.name, $0.stored) })
    }

    /// The decisions behind `namedTensors()`, one per tensor, in file order.
    public func namingPlan() -> [ONNXNamedInitializer] {
        var consumers: [String: [(node: Int, input: Int)]] = [:]
        for (i, n) in nodes.enumerated() {
            for (k, x) in n.inputs.enumerated() where !x.isEmpty { consumers[x, default: []].append((i, k)) }
        }
        var stored: [String] = []
        for name in initializers.order {
            guard constantNames.contains(name) else { stored.append(name); continue }
            if let t = initializers[name], t.dtype.isFloatingPoint, t.count > 1 { stored.append(name) }
        }
        // Every stored name stays reserved, so a fallback to the raw name can never meet a derived one.
        var taken = Set(stored)
        let align = ScopeAlignment(modulePaths: stored.filter { !$0.hasPrefix("onnx::") }, nodeNames: nodes.map(\.name))
        var plan: [ONNXNamedInitializer] = []
        for raw in stored {
            guard raw.hasPrefix("onnx::"), let t = initializers[raw] else {
                plan.append(.init(stored: raw, name: raw, rule: .stored, transposed: false))
                continue
            }
            if let d = derive(raw, tensor: t, consumers: consumers, align: align), !taken.contains(d.name) {
                taken.insert(d.name)
                plan.append(d)
            } else {
                plan.append(.init(stored: raw, name: raw, rule: .unnamed, transposed: false))
            }
        }
        return plan
    }

    private func derive(_ raw: String, tensor t: RawTensor,
                        consumers: [String: [(node: Int, input: Int)]], align: ScopeAlignment) -> ONNXNamedInitializer? {
        guard let first = consumers[raw]?.first else { return nil }
        let node = nodes[first.node]
        let scope = align.aligned(Self.scope(of: node.name))
        guard !scope.isEmpty else { return nil }
        func make(_ name: String, _ rule: ONNXNamedInitializer.Rule, _ transposed: Bool = false) -> ONNXNamedInitializer {
            ONNXNamedInitializer(stored: raw, name: name, rule: rule, transposed: transposed)
        }
        switch (node.opType, first.input) {
        case ("MatMul", 1) where t.shape.count == 2:
            return make(scope + ".weight", .matmulWeight, true)
        case ("Gemm", 1) where t.shape.count == 2:
            if case .int(1)? = node.attributes["transB"] { return make(scope + ".weight", .layerParameter) }
            return make(scope + ".weight", .matmulWeight, true)
        case ("Conv", 1), ("ConvTranspose", 1):
            return make(scope + ".weight", .layerParameter)
        case ("Conv", 2), ("ConvTranspose", 2), ("Gemm", 2):
            return make(scope + ".bias", .layerParameter)
        case ("Add", _) where t.shape.count == 1:
            return make(scope + ".bias", .layerParameter)
        default:
            break
        }
        if let part = positionEmbeddingPart(raw, tensor: t, consumers: consumers) {
            return make("\(scope).position_embeddings.\(part)", .positionEmbeddingPart)
        }
        let short = node.name.split(separator: "/").last.map(String.init) ?? node.opType
        return make("\(scope).\(short).input\(first.input)", .consumerInput)
    }

    /// "cls_part" or "patch_part" when `raw` reaches a Concat that feeds an Add through pass-through ops.
    private func positionEmbeddingPart(_ raw: String, tensor t: RawTensor,
                                       consumers: [String: [(node: Int, input: Int)]]) -> String? {
        let passThrough: Set<String> = ["Reshape", "Transpose", "Cast", "Resize", "Unsqueeze", "Squeeze", "Slice", "Identity"]
        var value = raw
        // Bounded walk: the export chain here is 7 ops long; a graph cycle cannot hold it forever.
        for _ in 0..<32 {
            let uses = consumers[value] ?? []
            if let c = uses.first(where: { nodes[$0.node].opType == "Concat" }) {
                let concat = nodes[c.node]
                guard let out = concat.outputs.first,
                      (consumers[out] ?? []).contains(where: { nodes[$0.node].opType == "Add" }) else { return nil }
                let tokens = t.shape.count >= 2 ? t.shape[t.shape.count - 2] : -1
                if c.input == 0 && tokens == 1 && value == raw { return "cls_part" }
                return c.input == concat.inputs.count - 1 ? "patch_part" : "part\(c.input)"
            }
            guard let next = uses.first(where: { passThrough.contains(nodes[$0.node].opType) && $0.input == 0 }),
                  let out = nodes[next.node].outputs.first else { return nil }
            value = out
        }
        return nil
    }

    /// `/backbone/encoder/layer.0/mlp/fc1/MatMul` → `backbone.encoder.layer.0.mlp.fc1`.
    static func scope(of nodeName: String) -> String {
        let parts = nodeName.split(separator: "/", omittingEmptySubsequences: true)
        return parts.dropLast().joined(separator: ".")
    }
}

/// Rule 3 of `namedTensors()`: node scopes brought to the module paths the stored names use.
struct ScopeAlignment {
    /// Every dotted prefix of every stored (named) initializer: the module paths that exist.
    private let modules: Set<String>
    /// Leading components that most scopes needed dropping to meet a module path (0 when none did).
    private let usualDrop: Int

    init(modulePaths: [String], nodeNames: [String]) {
        var modules = Set<String>()
        for name in modulePaths {
            let parts = name.split(separator: ".")
            for k in 1..<max(parts.count, 1) { modules.insert(parts[..<k].joined(separator: ".")) }
        }
        self.modules = modules
        var counts: [Int: Int] = [:]
        var seen = Set<String>()
        for n in nodeNames {
            let scope = ONNXModel.scope(of: n)
            guard !scope.isEmpty, seen.insert(scope).inserted, let k = Self.drop(scope, modules: modules) else { continue }
            counts[k, default: 0] += 1
        }
        // Ties go to dropping nothing: names stay as the exporter wrote them unless the graph says otherwise.
        usualDrop = counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 0
    }

    /// The fewest leading components to drop so that `scope` is a module path; nil when none works.
    private static func drop(_ scope: String, modules: Set<String>) -> Int? {
        let parts = scope.split(separator: ".")
        for k in 0..<parts.count where modules.contains(parts[k...].joined(separator: ".")) { return k }
        return nil
    }

    func aligned(_ scope: String) -> String {
        guard !scope.isEmpty else { return scope }
        let parts = scope.split(separator: ".")
        let k = Self.drop(scope, modules: modules) ?? (usualDrop < parts.count ? usualDrop : 0)
        return parts[k...].joined(separator: ".")
    }
}

/// Heap memory owned by a transposed tensor (written in place, so no second copy through OwnedBytes).
final class ONNXTransposedStorage: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    init(byteCount: Int) { raw = .allocate(byteCount: max(byteCount, 1), alignment: 64) }
    deinit { raw.deallocate() }
}

/// [r, c] → [c, r] for any element size. 32×32 tiles keep both the reads and the strided writes in cache
/// (a plain double loop over the 1536×384 MLP matrices is several times slower).
func transpose2D(_ t: RawTensor, name: String) throws -> RawTensor {
    precondition(t.shape.count == 2, "transpose2D: \(name) is not a matrix")
    let (r, c, s) = (t.shape[0], t.shape[1], t.dtype.size)
    let storage = ONNXTransposedStorage(byteCount: t.byteCount)
    if t.byteCount > 0 {
        let src = t.bytes.baseAddress!, dst = storage.raw
        let tile = 32
        for i0 in stride(from: 0, to: r, by: tile) {
            for j0 in stride(from: 0, to: c, by: tile) {
                let i1 = min(i0 + tile, r), j1 = min(j0 + tile, c)
                if s == 4 {
                    // External data may sit at any offset in its file, so loads are unaligned; stores go to our buffer.
                    let b = dst.assumingMemoryBound(to: UInt32.self)
                    for i in i0..<i1 {
                        for j in j0..<j1 { b[j * r + i] = src.loadUnaligned(fromByteOffset: (i * c + j) * 4, as: UInt32.self) }
                    }
                } else {
                    for i in i0..<i1 {
                        for j in j0..<j1 { (dst + (j * r + i) * s).copyMemory(from: src + (i * c + j) * s, byteCount: s) }
                    }
                }
            }
        }
    }
    return RawTensor(dtype: t.dtype, shape: [c, r], bytes: UnsafeRawBufferPointer(start: storage.raw, count: t.byteCount), owner: storage)
}
