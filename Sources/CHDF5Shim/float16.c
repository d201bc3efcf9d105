// float32 <-> float16 (IEEE 754 binary16) conversion for the shard writer and reader.
//
// Swift's Float16 conversions go through compiler-rt one value at a time; a shard holds tens of millions
// of token values, so this converts whole rows, with the x86 F16C instructions when the CPU has them
// (picked at run time, no compiler flags needed) and a bit-exact portable path otherwise. Both round to
// nearest even, as numpy's astype(float16) does.

#include "CHDF5Shim.h"

#include <string.h>

static inline uint16_t f32_to_f16_one(float value) {
    uint32_t x;
    memcpy(&x, &value, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) {  // inf or NaN (NaN keeps its top payload bits and stays quiet)
        return (uint16_t)(sign | 0x7c00u | (abs > 0x7f800000u ? (0x200u | ((abs >> 13) & 0x3ffu)) : 0u));
    }
    if (abs >= 0x47800000u) return (uint16_t)(sign | 0x7c00u);  // >= 65536: overflow to inf
    if (abs < 0x38800000u) {  // below the smallest normal half, 2^-14: subnormal or zero
        if (abs < 0x33000000u) return (uint16_t)sign;  // < 2^-25 rounds to zero
        uint32_t exponent = abs >> 23;                 // 102 ... 112
        uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - exponent;              // 14 ... 24
        uint32_t result = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1u);
        uint32_t half = 1u << (shift - 1u);
        if (rest > half || (rest == half && (result & 1u))) result += 1u;
        return (uint16_t)(sign | result);
    }
    uint32_t result = ((abs >> 23) - 112u) << 10 | ((abs & 0x7fffffu) >> 13);
    uint32_t rest = abs & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (result & 1u))) result += 1u;  // may carry into inf: right
    return (uint16_t)(sign | result);
}

static inline float f16_to_f32_one(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t x;
    if (exponent == 0) {
        if (mantissa == 0) {
            x = sign;
        } else {
            float f = (float)mantissa * 5.9604644775390625e-8f;  // mantissa * 2^-24, exact
            memcpy(&x, &f, 4);
            x |= sign;
        }
    } else if (exponent == 31) {
        x = sign | 0x7f800000u | (mantissa << 13);
    } else {
        x = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

void tagood_f32_to_f16_portable(const float *source, uint16_t *destination, size_t count) {
    for (size_t i = 0; i < count; i++) destination[i] = f32_to_f16_one(source[i]);
}

void tagood_f16_to_f32_portable(const uint16_t *source, float *destination, size_t count) {
    for (size_t i = 0; i < count; i++) destination[i] = f16_to_f32_one(source[i]);
}

static void f16_rows_add_f64_portable(const uint16_t *rows, size_t count, size_t width, double *sum) {
    for (size_t r = 0; r < count; r++) {
        for (size_t j = 0; j < width; j++) sum[j] += (double)f16_to_f32_one(rows[r * width + j]);
    }
}

void tagood_f32_rows_add_f64(const float *rows, size_t count, size_t width, double *sum) {
    for (size_t r = 0; r < count; r++) {
        for (size_t j = 0; j < width; j++) sum[j] += (double)rows[r * width + j];
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx,f16c"))) static void f32_to_f16_f16c(const float *source, uint16_t *destination,
                                                                size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(source + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128((__m128i *)(destination + i), h);
    }
    for (; i < count; i++) destination[i] = f32_to_f16_one(source[i]);
}

__attribute__((target("avx,f16c"))) static void f16_to_f32_f16c(const uint16_t *source, float *destination,
                                                                size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 f = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(source + i)));
        _mm256_storeu_ps(destination + i, f);
    }
    for (; i < count; i++) destination[i] = f16_to_f32_one(source[i]);
}

__attribute__((target("avx,f16c"))) static void f16_rows_add_f64_f16c(const uint16_t *rows, size_t count, size_t width,
                                                                      double *sum) {
    for (size_t r = 0; r < count; r++) {
        const uint16_t *row = rows + r * width;
        size_t j = 0;
        for (; j + 8 <= width; j += 8) {
            __m256 f = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + j)));
            __m256d low = _mm256_cvtps_pd(_mm256_castps256_ps128(f));
            __m256d high = _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1));
            _mm256_storeu_pd(sum + j, _mm256_add_pd(_mm256_loadu_pd(sum + j), low));
            _mm256_storeu_pd(sum + j + 4, _mm256_add_pd(_mm256_loadu_pd(sum + j + 4), high));
        }
        for (; j < width; j++) sum[j] += (double)f16_to_f32_one(row[j]);
    }
}

static int has_f16c(void) {
    static int cached = -1;  // benign race: every thread computes the same answer
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx") ? 1 : 0;
    }
    return cached;
}

void tagood_f32_to_f16(const float *source, uint16_t *destination, size_t count) {
    if (has_f16c()) f32_to_f16_f16c(source, destination, count);
    else tagood_f32_to_f16_portable(source, destination, count);
}

void tagood_f16_to_f32(const uint16_t *source, float *destination, size_t count) {
    if (has_f16c()) f16_to_f32_f16c(source, destination, count);
    else tagood_f16_to_f32_portable(source, destination, count);
}

void tagood_f16_rows_add_f64(const uint16_t *rows, size_t count, size_t width, double *sum) {
    if (has_f16c()) f16_rows_add_f64_f16c(rows, count, width, sum);
    else f16_rows_add_f64_portable(rows, count, width, sum);
}
#else
void tagood_f16_rows_add_f64(const uint16_t *rows, size_t count, size_t width, double *sum) {
    f16_rows_add_f64_portable(rows, count, width, sum);
}

void tagood_f32_to_f16(const float *source, uint16_t *destination, size_t count) {
    tagood_f32_to_f16_portable(source, destination, count);
}

void tagood_f16_to_f32(const uint16_t *source, float *destination, size_t count) {
    tagood_f16_to_f32_portable(source, destination, count);
}
#endif
