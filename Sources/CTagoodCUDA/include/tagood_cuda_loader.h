/*
 * Opens libtagood_cuda at run time (dlopen) and resolves its API (tagood_cuda.h) into a table of function
 * pointers, so that tagood links no CUDA library and runs where there is none.
 */
#ifndef TAGOOD_CUDA_LOADER_H
#define TAGOOD_CUDA_LOADER_H

#include "tagood_cuda.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The library's functions, resolved by tagood_cuda_library_open.
typedef struct {
    void *handle;
    int32_t (*api_version)(void);
    int32_t (*describe_device)(int32_t, tagood_cuda_device_info *, char *, size_t);
    int32_t (*create)(
        const tagood_cuda_model_config *, const tagood_cuda_options *, tagood_cuda_tensor_fn, void *,
        tagood_cuda_context **, char *, size_t);
    const char *(*last_error)(const tagood_cuda_context *);
    void (*destroy)(tagood_cuda_context *);
    int32_t (*submit)(tagood_cuda_context *, int32_t, const float *, int32_t);
    int32_t (*probabilities)(tagood_cuda_context *, int32_t, float *);
    int32_t (*tags_fire)(
        tagood_cuda_context *, int32_t, const int32_t *, int32_t, const int32_t *, int32_t, float, uint8_t *);
    int32_t (*select)(
        tagood_cuda_context *, int32_t, const int32_t *, const int32_t *, float, float *, int32_t *, int16_t *,
        float *, float *);
    int32_t (*image_embeds)(tagood_cuda_context *, int32_t, float *);
    int32_t (*layer0_attention)(tagood_cuda_context *, int32_t, float *);
} tagood_cuda_library;

/// Opens the library at `path` and resolves every function. Returns 0, or -1 with the reason in `error`
/// (dlopen's message: the file is missing, or a library it needs, such as libcudart.so.13, is; or the name
/// of a function it lacks).
int tagood_cuda_library_open(const char *path, tagood_cuda_library *library, char *error, size_t error_size);

/// Closes a library opened by tagood_cuda_library_open (every context of it must be destroyed first).
void tagood_cuda_library_close(tagood_cuda_library *library);

#ifdef __cplusplus
}
#endif

#endif
