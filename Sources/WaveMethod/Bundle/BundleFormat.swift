/// Constants of bundle format v1 (Schemas/bundle.md is the normative text).
///
///   0   8  magic "WAVEBNDL"
///   8   4  u32 version (1)
///  12   4  u32 flags (0; reserved)
///  16   8  u64 manifest length M
///  24  32  SHA-256 of the manifest bytes
///  56   M  manifest (protobuf wave.bundle.Manifest)
///      ..  zero padding to P = align64(56 + M), the payload section
///   P  ..  payloads in manifest order, each at P + offset, offsets 64-aligned and packed
///          (offset_i = align64(end_{i−1})), zero padding between, no bytes after the last
public enum BundleFormat {
    public static let magic: [UInt8] = Array("WAVEBNDL".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 56
    public static let alignment = 64
    public static let formatName = "wave.bundle"

    // Caps checked before anything is allocated from header or manifest values.
    public static let maxManifestBytes = 64 << 20
    public static let maxTensors = 100_000
    public static let maxRank = 8
    public static let maxNameBytes = 512
    /// Largest decoded or stored payload: far above any real template tensor (ViT-g, t = 1536, 64
    /// templates is 0.6 GB) and low enough that a zstd frame declaring its size cannot make a reader
    /// allocate more than this from a small file.
    public static let maxPayloadBytes = 2 << 30
    public static let maxFileBytes = 1 << 40
    public static let maxDepth = 4096
    public static let maxWidth = 65536

    @inline(__always) public static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}
