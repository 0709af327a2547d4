import Foundation
import CWaveBundle
import WaveTensor
import WaveFormats

/// One stored tensor, as the manifest describes it (Schemas/bundle-manifest.proto `TensorEntry`).
public struct BundleTensorEntry: Sendable, Equatable {
    public enum Role: Int, Sendable, CaseIterable {
        case other = 0, template, scaler, stem, norm, head
        public var name: String { ["other", "template", "scaler", "stem", "norm", "head"][rawValue] }
    }
    public var name: String
    public var role: Role
    public var dtype: DType
    public var shape: [Int]
    /// From the start of the payload section.
    public var offset: Int
    public var length: Int
    public var rawLength: Int
    public var encoding: PayloadCodec.Encoding
    public var sha256: [UInt8]
}

/// One templated component's plan entry and fit quality.
public struct ComponentRecord: Sendable, Equatable {
    public var name: String
    public var kind: ComponentSpec.Kind
    public var tensor: String
    public var count: Int
    public var requested: Int
    public var outDim: Int
    public var inDim: Int
    public var groups: Int
    public var relError: Double
}

public struct BundleProvenance: Sendable, Equatable {
    public var ancestryFile = ""
    public var ancestrySHA256: [UInt8] = []
    public var ancestryBytes = 0
    public var tool = ""
    public var command = ""
    public var created = ""
    public init() {}
}

/// The manifest in Swift terms; `packed()` and `init(packed:)` go through the protobuf-c code.
public struct BundleManifest: Sendable, Equatable {
    public var family: String
    public var ancestry: ViTConfig
    public var ancestryParameters: Int
    public var templateSize: Int
    public var layerScale: String
    public var method: String
    public var components: [ComponentRecord]
    public var tensors: [BundleTensorEntry]
    public var provenance: BundleProvenance
    public var metadata: [String: String]

    public var ancestryF32Bytes: Int { 4 * ancestryParameters }
}

/// malloc'd memory for building protobuf-c structs, freed together.
private final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        blocks.append(UnsafeMutableRawPointer(p))
        return p
    }
    func array<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = malloc(max(count, 1) * MemoryLayout<T>.stride)!
        blocks.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }
    func object<T>(_ value: T) -> UnsafeMutablePointer<T> {
        let p = array(T.self, 1)
        p.initialize(to: value)
        return p
    }
    func bytes(_ b: [UInt8]) -> ProtobufCBinaryData {
        let p = array(UInt8.self, b.count)
        for (i, x) in b.enumerated() { p[i] = x }
        return ProtobufCBinaryData(len: b.count, data: p)
    }
    deinit { for b in blocks { free(b) } }
}

extension BundleManifest {
    public func packed() -> [UInt8] {
        let arena = CArena()
        var cfg = Wave__Bundle__ViTConfig()
        wave__bundle__vi_tconfig__init(&cfg)
        let a = ancestry
        cfg.image_size = UInt32(a.imageSize); cfg.patch_size = UInt32(a.patchSize); cfg.in_channels = UInt32(a.inChannels)
        cfg.num_classes = UInt32(a.numClasses); cfg.embed_dim = UInt32(a.embedDim); cfg.depth = UInt32(a.depth)
        cfg.num_heads = UInt32(a.numHeads); cfg.mlp_dim = UInt32(a.mlpDim)
        cfg.layer_scale = a.layerScaleInit != nil ? 1 : 0; cfg.layer_scale_init = a.layerScaleInit ?? 0
        cfg.qkv_bias = a.qkvBias ? 1 : 0; cfg.norm_eps = a.normEps; cfg.gelu_tanh = a.geluTanh ? 1 : 0

        var anc = Wave__Bundle__Ancestry()
        wave__bundle__ancestry__init(&anc)
        anc.family = arena.string(family)
        anc.config = arena.object(cfg)
        anc.parameters = UInt64(ancestryParameters)
        anc.f32_bytes = UInt64(ancestryF32Bytes)

        var plan = Wave__Bundle__Plan()
        wave__bundle__plan__init(&plan)
        plan.template_size = UInt32(templateSize)
        plan.layer_scale = arena.string(layerScale)
        plan.method = arena.string(method)
        plan.n_components = components.count
        plan.components = arena.array(UnsafeMutablePointer<Wave__Bundle__Component>?.self, components.count)
        for (i, c) in components.enumerated() {
            var m = Wave__Bundle__Component()
            wave__bundle__component__init(&m)
            m.name = arena.string(c.name); m.tensor = arena.string(c.tensor)
            m.kind = c.kind == .matrix ? WAVE__BUNDLE__COMPONENT__KIND__MATRIX : WAVE__BUNDLE__COMPONENT__KIND__VECTOR
            m.count = UInt32(c.count); m.requested = UInt32(c.requested); m.out_dim = UInt32(c.outDim)
            m.in_dim = UInt32(c.inDim); m.groups = UInt32(c.groups); m.rel_error = c.relError
            plan.components[i] = arena.object(m)
        }

        var prov = Wave__Bundle__Provenance()
        wave__bundle__provenance__init(&prov)
        prov.ancestry_file = arena.string(provenance.ancestryFile)
        prov.ancestry_sha256 = arena.bytes(provenance.ancestrySHA256)
        prov.ancestry_bytes = UInt64(provenance.ancestryBytes)
        prov.tool = arena.string(provenance.tool); prov.command = arena.string(provenance.command)
        prov.created = arena.string(provenance.created)

        var man = Wave__Bundle__Manifest()
        wave__bundle__manifest__init(&man)
        man.format = arena.string(BundleFormat.formatName)
        man.ancestry = arena.object(anc)
        man.plan = arena.object(plan)
        man.provenance = arena.object(prov)
        man.n_tensors = tensors.count
        man.tensors = arena.array(UnsafeMutablePointer<Wave__Bundle__TensorEntry>?.self, tensors.count)
        for (i, t) in tensors.enumerated() {
            var e = Wave__Bundle__TensorEntry()
            wave__bundle__tensor_entry__init(&e)
            e.name = arena.string(t.name)
            e.role = Wave__Bundle__TensorEntry__Role(rawValue: UInt32(t.role.rawValue))
            e.dtype = arena.string(t.dtype.rawValue)
            e.n_shape = t.shape.count
            e.shape = arena.array(UInt64.self, t.shape.count)
            for (j, d) in t.shape.enumerated() { e.shape[j] = UInt64(d) }
            e.offset = UInt64(t.offset); e.length = UInt64(t.length); e.raw_length = UInt64(t.rawLength)
            e.encoding = Wave__Bundle__TensorEntry__Encoding(rawValue: UInt32(t.encoding.rawValue))
            e.sha256 = arena.bytes(t.sha256)
            man.tensors[i] = arena.object(e)
        }
        let keys = metadata.keys.sorted()
        man.n_metadata = keys.count
        man.metadata = arena.array(UnsafeMutablePointer<Wave__Bundle__KeyValue>?.self, keys.count)
        for (i, k) in keys.enumerated() {
            var kv = Wave__Bundle__KeyValue()
            wave__bundle__key_value__init(&kv)
            kv.key = arena.string(k); kv.value = arena.string(metadata[k]!)
            man.metadata[i] = arena.object(kv)
        }
        let size = wave__bundle__manifest__get_packed_size(&man)
        var out = [UInt8](repeating: 0, count: size)
        let written = out.withUnsafeMutableBufferPointer { wave__bundle__manifest__pack(&man, $0.baseAddress) }
        precondition(written == size, "protobuf-c packed \(written) of \(size) bytes")
        return out
    }

    /// Parses and checks the manifest's own fields (not yet the payload layout; BundleReader does that).
    public init(packed bytes: UnsafeRawBufferPointer) throws {
        guard let m = wave__bundle__manifest__unpack(nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
            throw BundleError.manifestUnparsable
        }
        defer { wave__bundle__manifest__free_unpacked(m, nil) }
        let man = m.pointee
        let format = String(cString: man.format)
        guard format == BundleFormat.formatName else { throw BundleError.badFormatName(format) }
        guard let anc = man.ancestry?.pointee else { throw BundleError.missingSection("ancestry") }
        guard let c = anc.config?.pointee else { throw BundleError.missingSection("ancestry config") }
        guard let plan = man.plan?.pointee else { throw BundleError.missingSection("plan") }
        guard let prov = man.provenance?.pointee else { throw BundleError.missingSection("provenance") }
        let cfg = ViTConfig(imageSize: Int(c.image_size), patchSize: Int(c.patch_size), inChannels: Int(c.in_channels),
                            numClasses: Int(c.num_classes), embedDim: Int(c.embed_dim), depth: Int(c.depth),
                            numHeads: Int(c.num_heads), mlpDim: Int(c.mlp_dim),
                            layerScaleInit: c.layer_scale != 0 ? c.layer_scale_init : nil, qkvBias: c.qkv_bias != 0,
                            normEps: c.norm_eps, geluTanh: c.gelu_tanh != 0)
        if let p = cfg.problems.first { throw BundleError.badConfig(p) }
        guard cfg.depth <= BundleFormat.maxDepth, cfg.embedDim <= BundleFormat.maxWidth, cfg.mlpDim <= 8 * BundleFormat.maxWidth else {
            throw BundleError.badConfig("depth \(cfg.depth), width \(cfg.embedDim), MLP \(cfg.mlpDim) exceed the caps")
        }
        var components: [ComponentRecord] = []
        for i in 0..<plan.n_components {
            guard let p = plan.components[i]?.pointee else { throw BundleError.badPlan("component #\(i) is empty") }
            guard p.kind.rawValue <= 1 else { throw BundleError.badPlan("component #\(i) has unknown kind \(p.kind.rawValue)") }
            components.append(ComponentRecord(name: String(cString: p.name), kind: p.kind.rawValue == 0 ? .matrix : .vector,
                                              tensor: String(cString: p.tensor), count: Int(p.count), requested: Int(p.requested),
                                              outDim: Int(p.out_dim), inDim: Int(p.in_dim), groups: Int(p.groups), relError: p.rel_error))
        }
        guard man.n_tensors <= BundleFormat.maxTensors else {
            throw BundleError.tooManyTensors(count: man.n_tensors, cap: BundleFormat.maxTensors)
        }
        var tensors: [BundleTensorEntry] = []
        var seen = Set<String>()
        for i in 0..<man.n_tensors {
            guard let e = man.tensors[i]?.pointee else { throw BundleError.badName(index: i, reason: "empty entry") }
            let name = String(cString: e.name)
            guard !name.isEmpty, name.utf8.count <= BundleFormat.maxNameBytes else {
                throw BundleError.badName(index: i, reason: name.isEmpty ? "empty" : "longer than \(BundleFormat.maxNameBytes) bytes")
            }
            guard seen.insert(name).inserted else { throw BundleError.duplicateTensor(name: name) }
            let dts = String(cString: e.dtype)
            guard let dtype = DType(rawValue: dts), [.f32, .f16, .bf16].contains(dtype) else { throw BundleError.badDType(name: name, dtype: dts) }
            guard e.n_shape <= BundleFormat.maxRank else { throw BundleError.badShape(name: name, reason: "rank \(e.n_shape) exceeds \(BundleFormat.maxRank)") }
            var shape: [Int] = []
            for j in 0..<e.n_shape {
                guard e.shape[j] <= UInt64(BundleFormat.maxPayloadBytes) else { throw BundleError.badShape(name: name, reason: "dimension \(e.shape[j]) is too large") }
                shape.append(Int(e.shape[j]))
            }
            guard let expected = checkedByteCount(shape: shape, elementSize: dtype.size), expected <= BundleFormat.maxPayloadBytes else {
                throw BundleError.badShape(name: name, reason: "shape \(shape) overflows or exceeds the \(BundleFormat.maxPayloadBytes)-byte cap")
            }
            guard e.raw_length == UInt64(expected) else { throw BundleError.lengthMismatch(name: name, rawLength: e.raw_length, expected: expected) }
            guard let enc = PayloadCodec.Encoding(rawValue: Int(e.encoding.rawValue)) else { throw BundleError.badEncoding(name: name, value: Int(e.encoding.rawValue)) }
            guard let role = BundleTensorEntry.Role(rawValue: Int(e.role.rawValue)) else { throw BundleError.badRole(name: name, value: Int(e.role.rawValue)) }
            guard e.length <= UInt64(BundleFormat.maxPayloadBytes) else { throw BundleError.payloadTooLarge(name: name, length: e.length, cap: BundleFormat.maxPayloadBytes) }
            guard e.offset <= UInt64(BundleFormat.maxFileBytes) else { throw BundleError.payloadOutOfBounds(name: name, offset: e.offset, length: e.length, section: 0) }
            guard e.sha256.len == 32, let digest = e.sha256.data else { throw BundleError.badChecksumField(name: name) }
            tensors.append(BundleTensorEntry(name: name, role: role, dtype: dtype, shape: shape, offset: Int(e.offset),
                                             length: Int(e.length), rawLength: expected, encoding: enc,
                                             sha256: Array(UnsafeBufferPointer(start: digest, count: 32))))
        }
        var p = BundleProvenance()
        p.ancestryFile = String(cString: prov.ancestry_file)
        p.ancestrySHA256 = prov.ancestry_sha256.len > 0 ? Array(UnsafeBufferPointer(start: prov.ancestry_sha256.data, count: prov.ancestry_sha256.len)) : []
        p.ancestryBytes = Int(clamping: prov.ancestry_bytes)
        p.tool = String(cString: prov.tool); p.command = String(cString: prov.command); p.created = String(cString: prov.created)
        var meta: [String: String] = [:]
        for i in 0..<man.n_metadata {
            guard let kv = man.metadata[i]?.pointee else { continue }
            meta[String(cString: kv.key)] = String(cString: kv.value)
        }
        self.init(family: String(cString: anc.family), ancestry: cfg, ancestryParameters: Int(clamping: anc.parameters),
                  templateSize: Int(plan.template_size), layerScale: String(cString: plan.layer_scale),
                  method: String(cString: plan.method), components: components, tensors: tensors, provenance: p, metadata: meta)
    }
}
