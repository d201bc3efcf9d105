// The avx512 copy of the kernels (kernels_body.inc; kernels.c picks it on a CPU with avx512f).
#if defined(__x86_64__)
#define VARIANT(name) name##_avx512
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#include "kernels_body.inc"
#pragma clang attribute pop
#endif
