// glibc's mallopt, wrapped for WaveMethod's memory policy during streaming expansion (Swift's Glibc
// module does not export <malloc.h>, so the call lives here).
#ifndef WAVE_MALLOC_H
#define WAVE_MALLOC_H
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
static inline void wave_reuse_large_blocks(void) {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
}
#else
static inline void wave_reuse_large_blocks(void) {}
#endif
#endif
