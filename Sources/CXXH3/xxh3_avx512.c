// The AVX-512 copy of XXH3 (xxh3_body.inc; xxh3.c picks it on a CPU with avx512f).
#if defined(__x86_64__)
#include <immintrin.h>
#define VARIANT(name) tg_xxh3_##name##_avx512
#define XXH_VECTOR 3 /* XXH_AVX512 */
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx2"))), apply_to = function)
#include "xxh3_body.inc"
#pragma clang attribute pop
#endif
