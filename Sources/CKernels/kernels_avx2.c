// The avx2 copy of the kernels (kernels_body.inc; kernels.c picks it on a CPU with avx2,fma).
#if defined(__x86_64__)
#define VARIANT(name) name##_avx2
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "kernels_body.inc"
#pragma clang attribute pop
#endif
