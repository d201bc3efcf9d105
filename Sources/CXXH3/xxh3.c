// See CXXH3.h: XXH3 compiled per x86-64 level (xxh3_body.inc), the level picked per state.
#include "CXXH3.h"

#include <stdlib.h>
#include <string.h>

#define DECLARE(level) \
    size_t tg_xxh3_state_size_##level(void); \
    void tg_xxh3_reset_##level(void *state); \
    void tg_xxh3_update_##level(void *state, const void *bytes, size_t count); \
    uint64_t tg_xxh3_digest_##level(const void *state);
#if defined(__x86_64__)
DECLARE(avx512)
DECLARE(avx2)
#endif
DECLARE(baseline)

struct tg_xxh3 {
    int level;
    void *state;  // 64-byte aligned, that level's XXH3_state_t
};

static int supported(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

static int chosen = -1;

int tg_xxh3_level(void) {
    if (chosen < 0) chosen = supported();  // idempotent: a race writes the same value
    return chosen;
}

int tg_xxh3_force_level(int requested) {
    int top = supported();
    chosen = requested < 0 ? 0 : requested > top ? top : requested;
    return chosen;
}

static size_t state_size(int level) {
    switch (level) {
#if defined(__x86_64__)
    case 2: return tg_xxh3_state_size_avx512();
    case 1: return tg_xxh3_state_size_avx2();
#endif
    default: return tg_xxh3_state_size_baseline();
    }
}

tg_xxh3 *tg_xxh3_new(void) {
    tg_xxh3 *h = malloc(sizeof *h);
    if (!h) return NULL;
    h->level = tg_xxh3_level();
    size_t size = (state_size(h->level) + 63) & ~(size_t)63;
    h->state = aligned_alloc(64, size);
    if (!h->state) { free(h); return NULL; }
    switch (h->level) {
#if defined(__x86_64__)
    case 2: tg_xxh3_reset_avx512(h->state); break;
    case 1: tg_xxh3_reset_avx2(h->state); break;
#endif
    default: tg_xxh3_reset_baseline(h->state);
    }
    return h;
}

void tg_xxh3_free(tg_xxh3 *h) {
    if (!h) return;
    free(h->state);
    free(h);
}

void tg_xxh3_update(tg_xxh3 *h, const void *bytes, size_t count) {
    switch (h->level) {
#if defined(__x86_64__)
    case 2: tg_xxh3_update_avx512(h->state, bytes, count); break;
    case 1: tg_xxh3_update_avx2(h->state, bytes, count); break;
#endif
    default: tg_xxh3_update_baseline(h->state, bytes, count);
    }
}

uint64_t tg_xxh3_digest(const tg_xxh3 *h) {
    switch (h->level) {
#if defined(__x86_64__)
    case 2: return tg_xxh3_digest_avx512(h->state);
    case 1: return tg_xxh3_digest_avx2(h->state);
#endif
    default: return tg_xxh3_digest_baseline(h->state);
    }
}
