// The baseline copy of XXH3 (xxh3_body.inc; SSE2 on x86-64, xxHash's own choice elsewhere).
#define VARIANT(name) tg_xxh3_##name##_baseline
#include "xxh3_body.inc"
