// The processor's fused multiply-add peak, measured: one thread's GFLOP/s with 256-bit (AVX2 + FMA)
// or 512-bit (AVX-512F) vectors, for the engine benchmark's "% of peak" (wave-bench-engine).
#ifndef WAVE_MACHINE_PEAK_H
#define WAVE_MACHINE_PEAK_H

// 1 when the processor (and OS) run these instructions, else 0.
int wave_cpu_has_avx2_fma(void);
int wave_cpu_has_avx512f(void);

// GFLOP/s of one thread running independent FMA chains for about `seconds`; 0 when the processor
// lacks the instructions (callers check first: the functions would die on them).
double wave_fma_gflops_avx2(double seconds);
double wave_fma_gflops_avx512(double seconds);

#endif
