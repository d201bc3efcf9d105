#include "tagood_cuda_loader.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int resolve(void *handle, const char *name, void **slot, char *error, size_t error_size) {
    dlerror();
    *slot = dlsym(handle, name);
    if (*slot == NULL) {
        snprintf(error, error_size, "the library has no function %s: it is not a libtagood_cuda for this tagood", name);
        return -1;
    }
    return 0;
}

int tagood_cuda_library_open(const char *path, tagood_cuda_library *library, char *error, size_t error_size) {
    memset(library, 0, sizeof *library);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        snprintf(error, error_size, "%s", reason != NULL ? reason : "dlopen failed");
        return -1;
    }
    struct {
        const char *name;
        void **slot;
    } table[] = {
        {"tagood_cuda_api_version", (void **)&library->api_version},
        {"tagood_cuda_describe_device", (void **)&library->describe_device},
        {"tagood_cuda_create", (void **)&library->create},
        {"tagood_cuda_last_error", (void **)&library->last_error},
        {"tagood_cuda_destroy", (void **)&library->destroy},
        {"tagood_cuda_submit", (void **)&library->submit},
        {"tagood_cuda_probabilities", (void **)&library->probabilities},
        {"tagood_cuda_tags_fire", (void **)&library->tags_fire},
        {"tagood_cuda_select", (void **)&library->select},
        {"tagood_cuda_image_embeds", (void **)&library->image_embeds},
        {"tagood_cuda_layer0_attention", (void **)&library->layer0_attention},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (resolve(handle, table[i].name, table[i].slot, error, error_size) != 0) {
            dlclose(handle);
            memset(library, 0, sizeof *library);
            return -1;
        }
    }
    library->handle = handle;
    return 0;
}

void tagood_cuda_library_close(tagood_cuda_library *library) {
    if (library->handle != NULL) dlclose(library->handle);
    memset(library, 0, sizeof *library);
}
