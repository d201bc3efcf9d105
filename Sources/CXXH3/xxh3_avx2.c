// The AVX2 copy of XXH3 (xxh3_body.inc; xxh3.c picks it on a CPU with avx2).
#if defined(__x86_64__)
#include <immintrin.h>
#define VARIANT(name) tg_xxh3_##name##_avx2
#define XXH_VECTOR 2 /* XXH_AVX2 */
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#include "xxh3_body.inc"
#pragma clang attribute pop
#endif
