import Foundation
import Testing
import WaveEngine

/// Open MPI for these tests: scripts/setup-mpi.sh installs it when missing (apt-get), as the
/// issue asks of the MPI path's tests; nil when that is impossible here (no root, no apt).
enum OpenMPI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let mpirun: String? = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [root + "/scripts/setup-mpi.sh"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let path = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        p.waitUntilExit()
        return p.terminationStatus == 0 && !path.isEmpty ? path : nil
    }()
    /// Network namespaces need root and iproute2.
    static let netns: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
        || FileManager.default.isExecutableFile(atPath: "/sbin/ip") && getuid() == 0

    /// `mpirun -np N` of the built wave, as root on 2 cores (--allow-run-as-root, --oversubscribe).
    static func wave(_ ranks: Int, _ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try CLI.run(executable: URL(fileURLWithPath: mpirun!), mpiArguments(ranks, environment: environment) + args, environment: environment)
    }

    static func mpiArguments(_ ranks: Int, environment: [String: String]) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)"] + environment.keys.sorted().flatMap { ["-x", $0] }
            + [CLI.productsDirectory.appendingPathComponent("wave").path]
    }
}

/// A slice of real Fashion-MNIST (Debian's dataset-fashion-mnist, which scripts/setup.sh installs)
/// written as an uncompressed IDX folder, and a small ViT ancestry from `wave init`.
struct MPIInputs {
    let dir: TempDir
    var data: String { dir.path }
    var ancestry: String { dir.file("anc.safetensors") }
    var cache: [String: String] { ["WAVE_CACHE": dir.file("cache")] }

    init(train: Int, test: Int = 20) throws {
        dir = try TempDir()
        let fm = try IDXFolder(path: IDXFolder.fashionMNIST)
        func be(_ x: Int) -> [UInt8] { [UInt8(x >> 24 & 255), UInt8(x >> 16 & 255), UInt8(x >> 8 & 255), UInt8(x & 255)] }
        for (prefix, set, n) in [("train", fm.train, train), ("t10k", fm.test, test)] {
            let px = set.height * set.width
            try Data(be(0x803) + be(n) + be(set.height) + be(set.width) + set.pixels[..<(n * px)])
                .write(to: URL(fileURLWithPath: dir.file("\(prefix)-images-idx3-ubyte")))
            try Data(be(0x801) + be(n) + set.labels[..<n].map { UInt8($0) })
                .write(to: URL(fileURLWithPath: dir.file("\(prefix)-labels-idx1-ubyte")))
        }
        let i = try CLI.run(["init", "--depth", "2", "--width", "32", "--heads", "2", "--patch", "4", "--image-size", "16",
                             "--channels", "3", "--classes", "0", "-o", ancestry])
        guard i.status == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// `condense` arguments: 16-px distillation at depths 1-2, F32 so that the bundle holds the exact bits.
    func condense(_ output: String, images: Int, batch: Int = 16, epochs: Int = 1) -> [String] {
        ["condense", ancestry, "-o", output, "--dtype", "F32", "--data", data, "--images", "\(images)", "--batch", "\(batch)",
         "--image-size", "16", "--depths", "1,2", "--epochs", "\(epochs)", "--threads", "1", "--quiet"]
    }

    /// Every tensor's SHA-256 in a bundle (`inspect --json`): equal lists mean equal bundles.
    func tensorHashes(_ bundle: String) throws -> [String] {
        let r = try CLI.run(["inspect", bundle, "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        return (obj["tensors"] as! [[String: Any]]).map { "\($0["name"]!) \($0["sha256"]!)" }
    }
}

func fileSHA(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

/// `mpirun -np 2` of the real binary on real images (issue 18): two ranks give one process's
/// outputs with two gradient shards, bit for bit; rank 0 alone prints and writes; a killed rank
/// stops the job with its checkpoint intact, and the job resumes from it; a job across two
/// network namespaces (TCP only) gives the same bundle.
@Suite(.serialized, .enabled(if: OpenMPI.mpirun != nil, "Open MPI is not installed and scripts/setup-mpi.sh could not install it"))
struct MPITests {
    @Test func condenseOnTwoRanksIsOneProcessWithTwoShards() throws {
        let inputs = try MPIInputs(train: 64)
        let m = try OpenMPI.wave(2, inputs.condense(inputs.dir.file("m.wave"), images: 64) + ["--json"], environment: inputs.cache)
        #expect(m.status == 0, "\(m.stderr)")
        // Rank 0 alone prints the report: one JSON object.
        let obj = try JSONSerialization.jsonObject(with: Data(m.stdout.utf8)) as! [String: Any]
        let report = obj["distillation"] as! [String]
        #expect(report.contains("data parallel: 2 gradient shards of 8 images over MPI, 2 ranks"), "\(report)")
        let s = try CLI.run(inputs.condense(inputs.dir.file("s.wave"), images: 64) + ["--grad-shards", "2"], environment: inputs.cache)
        #expect(s.status == 0, "\(s.stderr)")
        #expect(try inputs.tensorHashes(inputs.dir.file("m.wave")) == inputs.tensorHashes(inputs.dir.file("s.wave")))
        // One shard sums the gradient in another order: another bundle.
        let one = try CLI.run(inputs.condense(inputs.dir.file("one.wave"), images: 64), environment: inputs.cache)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(try inputs.tensorHashes(inputs.dir.file("one.wave")) != inputs.tensorHashes(inputs.dir.file("s.wave")))
    }

    @Test func trainAndTheFitOnTwoRanksAreOneProcessWithTwoShards() throws {
        let inputs = try MPIInputs(train: 64)
        let ckpt = inputs.dir.file("vit.safetensors")
        let i = try CLI.run(["init", "--depth", "2", "--width", "16", "--heads", "2", "--patch", "7", "--image-size", "28",
                             "--channels", "1", "--classes", "10", "-o", ckpt])
        #expect(i.status == 0, "\(i.stderr)")
        func train(_ out: String) -> [String] {
            ["train", ckpt, "--data", inputs.data, "--epochs", "1", "--batch", "16", "-o", inputs.dir.file(out), "--threads", "1", "--quiet"]
        }
        let m = try OpenMPI.wave(2, train("m.safetensors"))
        #expect(m.status == 0, "\(m.stderr)")
        #expect(m.stdout.components(separatedBy: "trained 1 epoch(s)").count == 2, "rank 0 alone prints: \(m.stdout)")
        let s = try CLI.run(train("s.safetensors") + ["--grad-shards", "2"])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(try fileSHA(inputs.dir.file("m.safetensors")) == fileSHA(inputs.dir.file("s.safetensors")))

        // The scaler fit of expand --data, from a bundle condensed without data.
        let c = try CLI.run(["condense", inputs.ancestry, "-o", inputs.dir.file("a.wave"), "--quiet"])
        #expect(c.status == 0, "\(c.stderr)")
        func expand(_ out: String) -> [String] {
            ["expand", inputs.dir.file("a.wave"), "--depth", "2", "--width", "32", "-o", inputs.dir.file(out), "--data", inputs.data,
             "--fit-steps", "3", "--fit-batch", "16", "--classes", "10", "--threads", "1", "--quiet"]
        }
        let mf = try OpenMPI.wave(2, expand("mf.safetensors"))
        #expect(mf.status == 0 && mf.stdout.contains("fit: data parallel, 2 gradient shards over MPI, 2 ranks"), "\(mf.stderr)\(mf.stdout)")
        let sf = try CLI.run(expand("sf.safetensors") + ["--grad-shards", "2"])
        #expect(sf.status == 0, "\(sf.stderr)")
        #expect(try fileSHA(inputs.dir.file("mf.safetensors")) == fileSHA(inputs.dir.file("sf.safetensors")))
    }

    @Test func aShardCountThatDoesNotSplitIsOneLineAndNoHang() throws {
        let inputs = try MPIInputs(train: 64)
        let r = try OpenMPI.wave(2, inputs.condense(inputs.dir.file("x.wave"), images: 64) + ["--grad-shards", "3"], environment: inputs.cache)
        #expect(r.status != 0)
        #expect(r.stderr.contains("Error: a batch of 16 images does not cut into 3 equal gradient shards"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: inputs.dir.file("x.wave")))
    }

    /// Rank 1 killed (SIGKILL) after the first checkpoint: mpirun stops rank 0 at once with a
    /// message saying why, the checkpoint is whole, and `--resume` on two ranks ends with the
    /// bundle of an uninterrupted run.
    @Test func aKilledRankStopsTheJobAndItsCheckpointResumes() throws {
        let inputs = try MPIInputs(train: 256)
        let out = inputs.dir.file("k.wave"), tag = UUID().uuidString
        let args = inputs.condense(out, images: 256, batch: 8)  // 32 steps, a checkpoint at step 25
        let env = inputs.cache.merging(["WAVE_TEST_TAG": tag]) { $1 }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: OpenMPI.mpirun!)
        p.arguments = OpenMPI.mpiArguments(2, environment: env) + args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: out + ".ckpt") && p.isRunning && Date() < deadline { usleep(100_000) }
        let rank1 = try #require(Self.rank(1, tag: tag), "rank 1 not found")
        kill(rank1, SIGKILL)
        let stopBy = Date().addingTimeInterval(60)
        while p.isRunning && Date() < stopBy { usleep(100_000) }
        let hung = p.isRunning
        if hung { p.terminate() }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(!hung, "the job did not stop within 60 s of rank 1's death")
        #expect(p.terminationStatus != 0)
        #expect(stderr.contains("wave: rank 0 stopped by SIGTERM (mpirun stops every rank when one of them fails"), "\(stderr)")
        #expect(stderr.contains("process rank 1"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))

        let resumed = try OpenMPI.wave(2, args + ["--resume"], environment: inputs.cache)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let whole = try CLI.run(inputs.condense(inputs.dir.file("whole.wave"), images: 256, batch: 8) + ["--grad-shards", "2"],
                                environment: inputs.cache)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(try inputs.tensorHashes(out) == inputs.tensorHashes(inputs.dir.file("whole.wave")))
    }

    /// The process of rank `r` of the job tagged `tag` (its environment says both).
    static func rank(_ r: Int, tag: String) -> pid_t? {
        let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in procs {
            guard let pid = pid_t(name), let env = FileManager.default.contents(atPath: "/proc/\(name)/environ") else { continue }
            let vars = Set(env.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
            if vars.contains("WAVE_TEST_TAG=\(tag)") && vars.contains("OMPI_COMM_WORLD_RANK=\(r)") { return pid }
        }
        return nil
    }

    /// Two ranks in two network namespaces joined by a veth pair (scripts/mpi-netns.sh): every
    /// message crosses Open MPI's TCP transport, and the bundle is one process's with two shards.
    @Test(.enabled(if: OpenMPI.netns, "network namespaces need root and iproute2"))
    func twoRanksInTwoNetworkNamespacesTalkOverTCP() throws {
        let inputs = try MPIInputs(train: 64)
        let wave = CLI.productsDirectory.appendingPathComponent("wave").path
        let r = try CLI.run(executable: URL(fileURLWithPath: "/bin/bash"), [OpenMPI.root + "/scripts/mpi-netns.sh", wave]
                                   + inputs.condense(inputs.dir.file("n.wave"), images: 64) + ["--json"], environment: inputs.cache)
        #expect(r.status == 0, "\(r.stderr)")
        // 4 steps, each sending this rank's half of the gradient (more floats than the bundle's
        // parameters) twice: all-to-all, then all-gather.
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let parameters = obj["bundle_parameters"] as! Int
        let line = r.stderr.split(separator: "\n").first { $0.hasPrefix("netns: veth") }.map(String.init) ?? ""
        let sent = line.components(separatedBy: " sent ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect(sent > 4 * 2 * (parameters / 2) * 4, "\(line) for \(parameters) parameters")
        let s = try CLI.run(inputs.condense(inputs.dir.file("s.wave"), images: 64) + ["--grad-shards", "2"], environment: inputs.cache)
        #expect(s.status == 0, "\(s.stderr)")
        #expect(try inputs.tensorHashes(inputs.dir.file("n.wave")) == inputs.tensorHashes(inputs.dir.file("s.wave")))
    }
}

/// MPI support costs nothing outside mpirun: without Open MPI's launch variables nothing is loaded
/// (a bogus library path changes nothing), and with them a missing library is one clear line.
@Suite struct MPILaunchTests {
    @Test func outsideMPIRunNothingIsLoaded() throws {
        let dir = try TempDir()
        let r = try CLI.run(["init", "--depth", "1", "--width", "16", "--heads", "1", "--patch", "4", "--image-size", "8",
                             "-o", dir.file("v.safetensors")], environment: ["WAVE_MPI_LIBRARY": "/nonexistent/libmpi.so.40"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func aMissingLibraryUnderMPIRunIsOneLine() throws {
        let r = try CLI.run(["inspect", "/nonexistent"], environment: ["OMPI_COMM_WORLD_SIZE": "2", "WAVE_MPI_LIBRARY": "/nonexistent/libmpi.so.40"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("Error: cannot load /nonexistent/libmpi.so.40"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
