#include "CHDF5Shim.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *buffer;
    size_t capacity;
    size_t used;
} collect_t;

static herr_t collect(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    collect_t *c = (collect_t *)data;
    if (c->capacity == 0 || c->used + 1 >= c->capacity) return 0;
    const char *desc = err->desc ? err->desc : "";
    const char *fn = err->func_name ? err->func_name : "?";
    int written = snprintf(c->buffer + c->used, c->capacity - c->used, "%s%s: %s", c->used ? "; " : "", fn, desc);
    if (written > 0) {
        c->used += (size_t)written;
        if (c->used >= c->capacity) c->used = c->capacity - 1;
    }
    return 0;
}

void tagood_hdf5_error_message(char *buffer, size_t capacity) {
    if (capacity == 0) return;
    buffer[0] = 0;
    collect_t c = {buffer, capacity, 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect, &c);
    H5Eclear2(H5E_DEFAULT);
}
