// libFuzzer target for the IDX reader (MNIST-style images and labels, Sources/WaveEngine/Data/IDX.swift),
// gzip inflation included: `IDX.readFile` inflates any file that starts with the gzip magic, so
// an input does what a file of those bytes would.
//
// scripts/fuzz.sh FuzzIDX fuzzes it; a plain build is a replay tool (Sources/FuzzDriver).
import Foundation
import FuzzDriver
import WaveEngine
import WaveTensor

/// One input as an IDX file: inflated when gzipped (the same check and limit as `IDX.readFile`,
/// which takes a path), then parsed both as images and as labels. Errors are the expected
/// outcome; only a crash, a sanitizer report or a hang is a finding.
@discardableResult
func fuzzInput(_ bytes: UnsafeRawBufferPointer) -> Result<String, any Error> {
    let owned = OwnedBytes(copying: bytes)   // exactly `size` bytes: ASan flags any read past the end
    do {
        if Gzip.isGzip(owned.bytes) {
            // 1 << 31 is IDX.maxBytes (internal there). The inflated bytes go into an exact-size
            // buffer too: an Array's spare capacity would hide an over-read from ASan.
            let inflated = try Gzip.decompress(owned.bytes, limit: 1 << 31)
            let exact = inflated.withUnsafeBytes { OwnedBytes(copying: $0) }
            return parse(exact.bytes, gzipped: true)
        }
        return parse(owned.bytes, gzipped: false)
    } catch {
        return .failure(error)
    }
}

func parse(_ b: UnsafeRawBufferPointer, gzipped: Bool) -> Result<String, any Error> {
    let what = gzipped ? "gzipped " : ""
    do {
        let im = try IDX.parseImages(b)
        guard im.pixels.count == im.count * im.rows * im.cols else { fatalError("FuzzIDX: \(im.pixels.count) pixels for \(im.count)×\(im.rows)×\(im.cols)") }
        return .success("\(what)images \(im.count)×\(im.rows)×\(im.cols)")
    } catch {}
    do {
        let labels = try IDX.parseLabels(b)
        return .success("\(what)labels \(labels.count)")
    } catch {
        return .failure(error)
    }
}

/// FUZZ_LEAK_PROBE=1 leaks 64 bytes per input on purpose: the run must then stop with
/// "ERROR: LeakSanitizer: detected memory leaks", which shows leak detection is really on
/// (LeakSanitizer cannot run under ptrace, e.g. in some containers, and then says nothing).
let leakProbe = getenv("FUZZ_LEAK_PROBE") != nil
/// Where the probe's block goes, so the optimizer cannot drop the malloc; the next input
/// overwrites it, which leaves the previous block unreachable.
nonisolated(unsafe) var leakSink: UnsafeMutableRawPointer?

FuzzDriver.run("FuzzIDX", afterEach: leakProbe ? { leakSink = malloc(64); memset(leakSink!, 1, 64) } : nil, fuzzInput)
