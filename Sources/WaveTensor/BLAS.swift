import COpenBLAS

/// OpenBLAS threading is set once per process (INPUTS.md: switching per call costs more
/// than it saves).
public enum BLAS {
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
