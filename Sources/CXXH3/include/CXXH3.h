// XXH3-64 (seed 0), streamed, vectorised for the CPU it runs on: the shard seal's hash.
//
// Debian's libxxhash is built for the x86-64 baseline (SSE2); this compiles xxHash's own header-only code
// (xxhash.h, XXH_INLINE_ALL) once per level, AVX-512, AVX2 and SSE2, and picks the best the CPU has when
// a state is made. XXH3's result does not depend on the level (xxHash guarantees it; `XXH3Tests` checks
// each level against the library).
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct tg_xxh3 tg_xxh3;

/// A new state (seed 0), hashed at the current level; NULL when out of memory.
tg_xxh3 *tg_xxh3_new(void);
void tg_xxh3_free(tg_xxh3 *state);
void tg_xxh3_update(tg_xxh3 *state, const void *bytes, size_t count);
/// The digest of everything added so far; the state is not consumed.
uint64_t tg_xxh3_digest(const tg_xxh3 *state);

/// The level new states use: 2 AVX-512, 1 AVX2, 0 SSE2 (and every other architecture: xxHash's choice).
int tg_xxh3_level(void);
/// Makes new states use `level` (clamped to what the CPU has); returns the level set. For tests.
int tg_xxh3_force_level(int level);
