import CWaveBundle

/// Process-wide allocator setting for streaming expansion: tensors are made and dropped one after
/// another, each up to tens of MB. By default glibc maps such blocks fresh and unmaps them on free,
/// so every tensor paid page faults and kernel zeroing (a quarter of the time, measured with perf).
/// Keeping freed blocks in the heap lets the next tensor reuse them; peak memory is unchanged (about
/// the largest tensor), since only one or two are alive at a time.
public enum MemoryPolicy {
    public static func reuseLargeBlocks() {
        wave_reuse_large_blocks()
    }
}
