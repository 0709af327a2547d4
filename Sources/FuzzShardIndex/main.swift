// libFuzzer target for the sharded-checkpoint reader: `*.safetensors.index.json` (strict JSON,
// weight map, shard names kept inside the index's folder) and the cross-checks of the index
// against its shards.
//
// scripts/fuzz.sh FuzzShardIndex fuzzes it; a plain build is a replay tool (Sources/FuzzDriver).
//
// The reader takes a path (the index names shard files beside it), so each input is written to
// WORK/ckpt/model.safetensors.index.json and read with `Safetensors.read(path:)`, the public entry
// point `wave` uses. WORK is a fresh folder per process (in /dev/shm when there is one) holding
// fixed shards that give every cross-check something to find: two shards that agree, one whose
// metadata conflicts, one holding a tensor another shard also has, a corrupt and an empty shard, a
// nested one, a directory named like a shard. WORK/escape.safetensors, outside the index folder,
// holds the tensor "ESCAPED": reading it through any index is a path-traversal finding and traps.
import Foundation
import FuzzDriver
import WaveFormats
import WaveTensor

/// A safetensors file built by hand: F32 tensors of the given shapes, data `i * 0.5`.
func shard(_ tensors: [(String, [Int])], metadata: [String: String] = [:]) -> [UInt8] {
    var entries: [String] = []
    if !metadata.isEmpty {
        let m = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        entries.append("\"__metadata__\":{\(m)}")
    }
    var data: [UInt8] = []
    for (name, shape) in tensors {
        let n = shape.reduce(1, *)
        let begin = data.count
        for i in 0..<n { withUnsafeBytes(of: (Float(i) * 0.5).bitPattern.littleEndian) { data += $0 } }
        entries.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(data.count)]}")
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
    return out + header + data
}

/// The folder the inputs are read in (set up on first use, removed when the process exits normally).
enum Work {
    /// tmpfs where there is one: on ext4, rewriting a truncated file flushes it at close
    /// (auto_da_alloc), which held the target to ~300 inputs/s in /tmp.
    static let root: String = {
        if access("/dev/shm", W_OK) == 0 { return "/dev/shm" }
        let tmp = NSTemporaryDirectory()
        return tmp.hasSuffix("/") ? String(tmp.dropLast()) : tmp
    }()
    static let dir: String = {
        let dir = root + "/wave-fuzz-index-\(getpid())"
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        let files: [(String, [UInt8])] = [
            ("escape.safetensors", shard([("ESCAPED", [2])])),
            ("ckpt/model-00001-of-00002.safetensors", shard([("a", [2, 3]), ("b", [3])], metadata: ["format": "pt"])),
            ("ckpt/model-00002-of-00002.safetensors", shard([("c", [4])], metadata: ["format": "pt"])),
            ("ckpt/other.safetensors", shard([("d", [])], metadata: ["format": "np"])),
            ("ckpt/dup.safetensors", shard([("a", [1])])),
            ("ckpt/sub/nested.safetensors", shard([("e", [2, 2])])),
            ("ckpt/bad.safetensors", Array(shard([("x", [2])]).dropLast(3))),
            ("ckpt/empty.safetensors", []),
        ]
        do {
            try fm.createDirectory(atPath: dir + "/ckpt/sub", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: dir + "/ckpt/dir.safetensors", withIntermediateDirectories: true)
            for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        } catch {
            FileHandle.standardError.write(Data("FuzzShardIndex: cannot set up \(dir): \(error)\n".utf8))
            exit(1)
        }
        atexit { try? FileManager.default.removeItem(atPath: Work.root + "/wave-fuzz-index-\(getpid())") }
        return dir
    }()
    static let indexPath = dir + "/ckpt/model.safetensors.index.json"
}

/// One input as the index file. Errors are the expected outcome; only a crash, a sanitizer report,
/// a hang or a tensor read from outside the index folder is a finding. When the reader accepts,
/// every tensor is read end to end.
@discardableResult
func fuzzInput(_ bytes: UnsafeRawBufferPointer) -> Result<Int, any Error> {
    let indexPath = Work.indexPath
    let fd = open(indexPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fatalError("FuzzShardIndex: cannot write \(indexPath): \(String(cString: strerror(errno)))") }
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        guard n > 0 else { fatalError("FuzzShardIndex: short write to \(indexPath)") }
        done += n
    }
    close(fd)
    let set: TensorSet
    do { set = try Safetensors.read(path: indexPath) } catch { return .failure(error) }
    var sum: UInt8 = 0
    for (name, t) in set.all {
        if name == "ESCAPED" { fatalError("FuzzShardIndex: the index read a shard outside its folder") }
        for b in t.bytes { sum &+= b }
        _ = t.floats()
    }
    withExtendedLifetime(sum) {}
    return .success(set.count)
}

_ = Work.indexPath   // set up before the first input, not inside libFuzzer's timing of it
FuzzDriver.run("FuzzShardIndex") { input in fuzzInput(input).map { "\($0) tensors" } }
