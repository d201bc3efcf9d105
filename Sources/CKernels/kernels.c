// See CKernels.h: each kernel is compiled three times (kernels_body.inc, in kernels_avx512.c,
// kernels_avx2.c and kernels_baseline.c) and the public entry points pick the copy for the CPU they run on.
#include "CKernels.h"

#define DECLARE(level) \
    void gelu_##level(float *x, long n); \
    void add_bias_gelu_##level(float *x, long rows, long width, const float *bias); \
    void softmax_rows_##level(float *x, long rows, long width, const float *bias, const float *mask);
#if defined(__x86_64__)
DECLARE(avx512)
DECLARE(avx2)
#endif
DECLARE(baseline)

/// What the CPU supports: 2 AVX-512F, 1 AVX2 + FMA, 0 the x86-64 baseline (and every other architecture).
static int supported(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 2 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
#else
    return 0;
#endif
}

static int chosen = -1;

static int level(void) {
    if (chosen < 0) chosen = supported();  // idempotent: a race writes the same value
    return chosen;
}

int tg_kernel_level(void) { return level(); }

int tg_force_kernel_level(int requested) {
    int top = supported();
    chosen = requested < 0 ? 0 : requested > top ? top : requested;
    return chosen;
}

void tg_gelu(float *x, long n) {
    switch (level()) {
#if defined(__x86_64__)
    case 2: gelu_avx512(x, n); break;
    case 1: gelu_avx2(x, n); break;
#endif
    default: gelu_baseline(x, n);
    }
}

void tg_add_bias_gelu(float *x, long rows, long width, const float *bias) {
    switch (level()) {
#if defined(__x86_64__)
    case 2: add_bias_gelu_avx512(x, rows, width, bias); break;
    case 1: add_bias_gelu_avx2(x, rows, width, bias); break;
#endif
    default: add_bias_gelu_baseline(x, rows, width, bias);
    }
}

void tg_softmax_rows(float *x, long rows, long width, const float *bias, const float *mask) {
    switch (level()) {
#if defined(__x86_64__)
    case 2: softmax_rows_avx512(x, rows, width, bias, mask); break;
    case 1: softmax_rows_avx2(x, rows, width, bias, mask); break;
#endif
    default: softmax_rows_baseline(x, rows, width, bias, mask);
    }
}
