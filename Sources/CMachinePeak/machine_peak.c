// FMA peak probes. Each runs 12 independent accumulator chains (enough to cover the FMA latency of
// 4-5 cycles on two ports) of vfmadd on registers only, so the figure is the core's arithmetic peak,
// with no memory in it. The functions carry their own target attribute: the file builds for
// baseline x86-64, and a probe is only called after the CPU check.
#include "machine_peak.h"
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>

int wave_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
int wave_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define CHAINS 12
#define INNER 4096

__attribute__((target("avx2,fma"))) double wave_fma_gflops_avx2(double seconds) {
    if (!wave_cpu_has_avx2_fma()) return 0;
    __m256 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    long iters = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < INNER; k++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
        iters += INNER;
        t = now();
    } while (t - t0 < seconds);
    float sink = 0;
    for (int i = 0; i < CHAINS; i++) sink += _mm256_cvtss_f32(acc[i]);
    volatile float keep = sink; (void)keep;
    return (double)iters * CHAINS * 8 * 2 / (t - t0) / 1e9;
}

__attribute__((target("avx512f"))) double wave_fma_gflops_avx512(double seconds) {
    if (!wave_cpu_has_avx512f()) return 0;
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    long iters = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < INNER; k++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
        iters += INNER;
        t = now();
    } while (t - t0 < seconds);
    float sink = 0;
    for (int i = 0; i < CHAINS; i++) sink += _mm512_cvtss_f32(acc[i]);
    volatile float keep = sink; (void)keep;
    return (double)iters * CHAINS * 16 * 2 / (t - t0) / 1e9;
}
#else
int wave_cpu_has_avx2_fma(void) { return 0; }
int wave_cpu_has_avx512f(void) { return 0; }
double wave_fma_gflops_avx2(double seconds) { (void)seconds; return 0; }
double wave_fma_gflops_avx512(double seconds) { (void)seconds; return 0; }
#endif
