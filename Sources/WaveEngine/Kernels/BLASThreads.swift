import WaveTensor

enum BLASThreads {
    static func set(_ n: Int) { BLAS.setThreads(n) }
}
