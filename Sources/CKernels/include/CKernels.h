#ifndef TAGOOD_CKERNELS_H
#define TAGOOD_CKERNELS_H

/// Float32 element-wise kernels of the model's forward pass, in C so that each is compiled for every
/// x86-64 level (AVX-512, AVX2 + FMA, the SSE2 baseline) and picked at load time for the CPU it runs on
/// (`__builtin_cpu_supports`): the Swift SIMD code of Tensor is built for the baseline only.
/// Same algorithms as Tensor's FastMath (Cephes expf, Abramowitz & Stegun 7.1.26 erf).

/// x[i] = GELU(x[i]) (erf form) for n floats, in place.
void tg_gelu(float *x, long n);

/// Each row of `rows × width`: x = GELU(x + bias), in place.
void tg_add_bias_gelu(float *x, long rows, long width, const float *bias);

/// Each row of `rows × width` becomes softmax(x + bias + mask), in place; `bias` and `mask` (the same
/// layout as x) may be NULL.
void tg_softmax_rows(float *x, long rows, long width, const float *bias, const float *mask);

/// The instruction-set level the kernels run at: 2 AVX-512F, 1 AVX2 + FMA, 0 the baseline.
int tg_kernel_level(void);

/// Tests only: run the kernels at `level` (clamped to what the CPU supports) so that every copy is
/// checked on a machine that would pick another; returns the level now in force.
int tg_force_kernel_level(int level);

#endif
