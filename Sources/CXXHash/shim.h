// Debian's libxxhash-dev (xxHash 0.8). XXH_STATIC_LINKING_ONLY exposes XXH64_state_t's layout, so Swift can
// keep the state inline in a struct (value semantics: a copy of the hasher is a copy of the state).
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
