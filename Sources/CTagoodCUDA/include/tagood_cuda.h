/*
 * libtagood_cuda: RAM's forward pass and TagOOD's token selection on one CUDA device.
 *
 * The plain C API of the library that `make gpu` builds from cuda/ with nvcc (CUDA 13.0, SASS for sm_90
 * and sm_80). tagood never links it: a GPU worker opens it with dlopen (tagood_cuda_loader.h) when it is
 * given a GPU, so the CPU-only build needs no CUDA at all.
 *
 * Every function returns a tagood_cuda_status; on failure it writes a message into the caller's `error`
 * buffer (or the context's, read with tagood_cuda_last_error) that names the failing CUDA or cuBLAS call.
 *
 * One context = one device, one model, one set of ID tags, and a two-slot pipeline: a copy stream uploads,
 * a compute stream runs the forward pass, and a high-priority stream runs the collection (tags_fire,
 * select), so collecting batch k does not wait behind batch k+1's forward pass (docs/CUDA.md). A caller
 * submits batch k+1 to one slot, then collects batch k from the other: batch k+1's upload runs while batch
 * k computes. Per batch:
 *
 *   tagood_cuda_submit(slot, images)         copy into pinned memory, then (async) upload, encoder,
 *                                            image_proj, tagging head over the probability columns
 *   tagood_cuda_probabilities(slot, probs)   wait; the columns' probabilities, [count, columns]
 *   tagood_cuda_tags_fire(slot, ...)         optional: whether any of some other tags fires, per image
 *   tagood_cuda_select(slot, chosen, ...)    layer-0 attention of the chosen columns → the kept tokens
 *
 * The probability columns are the ID tags given at create (in that order), or every tag when
 * `all_tags` is set. The caller decides which columns each image keeps (TagOOD's tag rule, on the host,
 * from the probabilities), and the device does the rest of the selection and copies back only the kept
 * rows of image_embeds.
 *
 * Thread safety: a context is used by one thread at a time.
 */
#ifndef TAGOOD_CUDA_H
#define TAGOOD_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The version of this API; tagood refuses a library whose tagood_cuda_api_version() differs.
/// 2: tagood_cuda_model_config gained descriptions_per_tag (RAM++).
#define TAGOOD_CUDA_API_VERSION 2

/// The largest number of Swin stages a config may have.
#define TAGOOD_CUDA_MAX_STAGES 8

typedef enum {
    TAGOOD_CUDA_OK = 0,
    /// No CUDA driver, no device, or no device with that index (CUDA_VISIBLE_DEVICES).
    TAGOOD_CUDA_NO_DEVICE = 1,
    /// A CUDA runtime call failed (the message names it and gives cudaGetErrorString).
    TAGOOD_CUDA_CUDA_ERROR = 2,
    /// A cuBLAS/cuBLASLt call failed.
    TAGOOD_CUDA_CUBLAS_ERROR = 3,
    /// Device or pinned host memory ran out.
    TAGOOD_CUDA_OUT_OF_MEMORY = 4,
    /// A bad argument: a shape, a count, a slot, a column out of range.
    TAGOOD_CUDA_INVALID_ARGUMENT = 5,
    /// The tensor callback had no tensor of a needed name, or one of the wrong size.
    TAGOOD_CUDA_MISSING_WEIGHT = 6,
    /// Called out of order (collecting a slot that was not submitted, say).
    TAGOOD_CUDA_BAD_STATE = 7
} tagood_cuda_status;

typedef enum {
    /// bf16 weights and activations, fp32 accumulation; LayerNorm, softmax, GELU and sigmoid in fp32.
    TAGOOD_CUDA_BF16 = 0,
    /// fp32 everywhere, TF32 off: for parity checks against the CPU path.
    TAGOOD_CUDA_FP32 = 1
} tagood_cuda_precision;

/// RAM's or RAM++'s config (tagood's RAMConfig: SwinConfig + TaggingHeadConfig).
typedef struct {
    int32_t image_resolution;       /* 384 */
    int32_t patch_size;             /* 4 */
    int32_t input_channels;         /* 3 */
    int32_t embed_dim;              /* 192 for Swin-L */
    int32_t stages;                 /* 4 */
    int32_t depths[TAGOOD_CUDA_MAX_STAGES];
    int32_t num_heads[TAGOOD_CUDA_MAX_STAGES];
    int32_t window_size;            /* 12; a stage whose grid is not larger uses the whole grid, unshifted */
    int32_t mlp_ratio;              /* 4 */
    float layer_norm_eps;           /* 1e-5 */
    int32_t head_hidden;            /* 768 */
    int32_t head_heads;             /* 4 */
    int32_t head_layers;            /* 2 */
    int32_t head_intermediate;      /* 3072 */
    int32_t encoder_width;          /* 512: image_proj's output, label_embed's width */
    int32_t num_tags;               /* 4585 */
    float head_layer_norm_eps;      /* 1e-12 */
    /// label_embed's rows per tag: 1 (or 0) for RAM; RAM++ has 51, and a scalar reweight_scale. RAM++'s tag
    /// queries depend on the image: each tag's rows are mixed with the softmax, over them, of
    /// exp(reweight_scale) · cls · rowᵀ (cls: the image's L2-normalised row 0 of image_embeds), then
    /// relu(wordvec_proj(·)); the library computes them on the device for every batch.
    int32_t descriptions_per_tag;
} tagood_cuda_model_config;

typedef struct {
    /// The device index, as CUDA numbers them after CUDA_VISIBLE_DEVICES.
    int32_t device;
    /// A tagood_cuda_precision.
    int32_t precision;
    /// The most images a batch may have (device buffers are sized for it).
    int32_t max_batch;
    /// The ID tag ids, ascending, each in [0, num_tags).
    const int32_t *id_tags;
    int32_t id_tag_count;
    /// Nonzero: the probability columns are every tag (tag id = column), for the shard's all_tag_probs.
    int32_t all_tags;
} tagood_cuda_options;

/// Gives the library one weight tensor by its name in RAM's state dict (`visual_encoder.patch_embed.proj.weight`,
/// `label_embed`, ...), as contiguous fp32 in PyTorch's layout. Returns 0 and sets *data and *count, or nonzero
/// when there is no such tensor. The data need only live until the callback is called again.
typedef int (*tagood_cuda_tensor_fn)(void *user, const char *name, const float **data, int64_t *count);

typedef struct tagood_cuda_context tagood_cuda_context;

/// A device, for `tagood status` and the worker's hello.
typedef struct {
    char name[256];
    int64_t memory_bytes;
    int32_t compute_major;
    int32_t compute_minor;
    int32_t multiprocessors;
    int32_t driver_version;         /* cudaDriverGetVersion: 13000 for CUDA 13.0 */
    int32_t runtime_version;        /* cudaRuntimeGetVersion */
} tagood_cuda_device_info;

/// TAGOOD_CUDA_API_VERSION of the library.
int32_t tagood_cuda_api_version(void);

/// Describes device `device`; TAGOOD_CUDA_NO_DEVICE with a message when there is no driver or no such device.
int32_t tagood_cuda_describe_device(int32_t device, tagood_cuda_device_info *info, char *error, size_t error_size);

/// Builds a context: checks the config, creates the streams and cuBLASLt handle, reads every weight through
/// `tensors` once (converting and uploading it; the dense relative-position biases, the shift masks and,
/// for RAM, the tag queries relu(wordvec_proj(label_embed)) and layer 0's projected queries are computed
/// here; RAM++'s `label_embed` [num_tags · descriptions_per_tag, encoder_width] and `reweight_scale` [] are
/// kept for the per-batch reweighting), and allocates the two slots' buffers for `options->max_batch`
/// images. On failure *out is NULL.
int32_t tagood_cuda_create(
    const tagood_cuda_model_config *config, const tagood_cuda_options *options, tagood_cuda_tensor_fn tensors,
    void *user, tagood_cuda_context **out, char *error, size_t error_size);

/// The message of the context's last failure ("" when none).
const char *tagood_cuda_last_error(const tagood_cuda_context *context);

/// Frees the context (waits for its work first). NULL is allowed.
void tagood_cuda_destroy(tagood_cuda_context *context);

/// Starts batch `slot` (0 or 1): `images` are `count` preprocessed images [count, C, R, R] (fp32, NCHW).
/// Copies them into the slot's pinned buffer and returns; the upload and the forward pass run on the
/// device. The slot must be free (never submitted, or collected by tagood_cuda_select).
int32_t tagood_cuda_submit(tagood_cuda_context *context, int32_t slot, const float *images, int32_t count);

/// Waits for slot `slot` and copies its probabilities, [count, columns] (columns: id_tag_count, or num_tags
/// with all_tags).
int32_t tagood_cuda_probabilities(tagood_cuda_context *context, int32_t slot, float *probs);

/// For each of `image_count` images of slot `slot` (indices in `images`), whether any of `tags` (tag ids,
/// any of the model's) has a probability above `threshold`: `fired[i]` is 1 or 0. Computed on the device,
/// a few hundred tags at a time, stopping for an image once one fires (the CPU path's anyTagFires).
int32_t tagood_cuda_tags_fire(
    tagood_cuda_context *context, int32_t slot, const int32_t *images, int32_t image_count, const int32_t *tags,
    int32_t tag_count, float threshold, uint8_t *fired);

/// Finishes slot `slot`: image i keeps the columns `columns[offsets[i] ..< offsets[i + 1]]` (ascending;
/// none for an OOD image that keeps no tokens). For each, layer 0's cross-attention over the image's
/// L + 1 tokens is summed over the heads and min-max normalised (a constant row gives zeros), and the
/// maps of the image's columns are combined by an elementwise max; tokens whose value is
/// > `attention_threshold` are kept (tagood's TokenSelector, step 3). Writes:
///   attention     [count, L + 1]    the combined map (zeros for an image with no columns)
///   kept_counts   [count]           the number of kept tokens per image
///   kept_index    [count, L + 1]    image i's kept token indices, ascending, in its first kept_counts[i]
///   kept_tokens   [Σ kept_counts, encoder_width]  the kept rows of image_embeds, image after image
///   global_embeds [count, encoder_width]          row 0 of each image's image_embeds (the pooled token)
/// and frees the slot. `kept_tokens` must hold count · (L + 1) · encoder_width floats.
int32_t tagood_cuda_select(
    tagood_cuda_context *context, int32_t slot, const int32_t *offsets, const int32_t *columns,
    float attention_threshold, float *attention, int32_t *kept_counts, int16_t *kept_index, float *kept_tokens,
    float *global_embeds);

/// For parity checks: waits for slot `slot` and copies its whole image_embeds, [count, L + 1, encoder_width].
int32_t tagood_cuda_image_embeds(tagood_cuda_context *context, int32_t slot, float *image_embeds);

/// For parity checks: waits for slot `slot` and copies layer 0's cross-attention probabilities of its
/// columns, [count, head_heads, columns, L + 1].
int32_t tagood_cuda_layer0_attention(tagood_cuda_context *context, int32_t slot, float *attention);

#ifdef __cplusplus
}
#endif

#endif
