// The element-wise and reduction kernels of the forward pass and the selection: launchers (kernels.cu).
// T is the activation type (float, or __nv_bfloat16 in the bf16 mode); the residual stream, LayerNorm's
// statistics, softmax, GELU and the sigmoid are fp32 whatever T is. Every index comes from
// tagood_cuda_index.h.
#pragma once

#include "common.cuh"

namespace tagood {

/// dst[i] = T(src[i]).
template <typename T> void convert(const float *src, T *dst, int64_t n, cudaStream_t s);

/// dst[i] = float(src[i]).
template <typename T> void widen(const T *src, float *dst, int64_t n, cudaStream_t s);

/// The stride-p convolution's input as a product's rows: images [n, C, R, R] fp32 → [n·(R/p)², C·p²].
template <typename T>
void patch_rows(const float *images, T *out, int64_t images_count, int32_t channels, int32_t resolution,
                int32_t patch, cudaStream_t s);

/// x = LN(x + bias) in place, fp32 (bias may be null): the patch embedding's norm, the final norm.
void layer_norm_inplace(float *x, const float *bias, int64_t rows, int32_t width, const float *gamma,
                        const float *beta, float eps, cudaStream_t s);

/// A block's first LayerNorm written in window order: out[row] = LN(x[tagood_window_source(row)]).
template <typename T>
void layer_norm_windows(const float *x, T *out, int64_t rows, int32_t width, const float *gamma, const float *beta,
                        float eps, int32_t grid, int32_t window, int32_t shift, cudaStream_t s);

/// A block's second LayerNorm: out = LN(x), then x += addend (fc2's bias, which fc2's product accumulates
/// on top of), in one pass.
template <typename T>
void layer_norm_then_add(float *x, T *out, int64_t rows, int32_t width, const float *gamma, const float *beta,
                         float eps, const float *addend, cudaStream_t s);

/// Patch merging: out [n·(R/2)², 4C] = LN(concat of the four tokens tagood_merge_source names).
template <typename T>
void merge_layer_norm(const float *x, T *out, int64_t images, int32_t grid, int32_t width, const float *gamma,
                      const float *beta, float eps, cudaStream_t s);

/// The tagging head's residual LayerNorm: out = LN((residual[row % residual_rows] + y[row]) + bias), written
/// fp32 (the next residual) and as T (the next product's input).
template <typename T>
void residual_layer_norm(const T *y, const float *bias, const float *residual, int64_t residual_rows, float *out,
                         T *out_t, int64_t rows, int32_t width, const float *gamma, const float *beta, float eps,
                         cudaStream_t s);

/// qkv [rows, 3C] + bias → the head-major [3][heads][rows / N][N][hd] layout (tagood_qkv_destination).
template <typename T>
void qkv_permute(const T *qkv, const float *bias, T *out, int64_t rows, int32_t width, int32_t tokens,
                 int32_t heads, cudaStream_t s);

/// Window attention's softmax in place over scores [heads · windows, N, N] (head-major), adding the dense
/// relative-position bias [heads, N, N] and the shift mask: -100 where the region labels [nW, N] of the query
/// and key tokens differ (tagood_shift_label, tabled by shift_labels; null for an unshifted block).
template <typename T>
void window_softmax(T *scores, int64_t windows, int32_t heads, int32_t tokens, const float *bias,
                    int32_t windows_per_image, const int8_t *labels, cudaStream_t s);

/// x[tagood_window_source(row)] = (x[…] + bias) + y[row]: window reverse, un-shift, bias and residual.
template <typename T>
void window_scatter_add(const T *y, const float *bias, float *x, int64_t rows, int32_t width, int32_t grid,
                        int32_t window, int32_t shift, cudaStream_t s);

/// y = GELU(y + bias) (the erf GELU), computed in fp32.
template <typename T> void bias_gelu(T *y, const float *bias, int64_t rows, int32_t width, cudaStream_t s);

/// y += bias.
template <typename T> void add_bias(T *y, const float *bias, int64_t rows, int32_t width, cudaStream_t s);

/// y = relu(y + bias), fp32 (the tag queries, at create).
void bias_relu(float *y, const float *bias, int64_t rows, int32_t width, cudaStream_t s);

/// y = relu(y + bias) (fp32) and copy = T(y): RAM++'s per-image queries and the next product's input.
template <typename T>
void bias_relu_copy(float *y, const float *bias, T *copy, int64_t rows, int32_t width, cudaStream_t s);

/// RAM++'s label_embed [tags · descriptions, width] (fp32) → its padded groups [tags, stride, width] as T,
/// zero rows in the pads (tagood_description_source).
template <typename T>
void pad_descriptions(const float *label_embed, T *out, int32_t tags, int32_t descriptions, int32_t width,
                      cudaStream_t s);

/// RAM++'s cls rows: out[i] = row 0 of image (images ? images[i] : i) of embeds [.., tokens, width],
/// L2-normalised (fp32 sum of squares), as T.
template <typename T>
void cls_rows(const float *embeds, const int32_t *images, T *out, int32_t count, int32_t tokens, int32_t width,
              cudaStream_t s);

/// RAM++'s softmax over each group's first `descriptions` logits [groups, stride] (fp32) → weights (T),
/// 0 in the pads.
template <typename T>
void grouped_softmax(const float *logits, T *weights, int64_t groups, int32_t descriptions, int32_t stride,
                     cudaStream_t s);

/// y += bias, and copy = T(y) (copy may be null).
template <typename T>
void bias_and_copy(float *y, const float *bias, T *copy, int64_t rows, int32_t width, cudaStream_t s);

/// The encoder's output rows: out [n, L + 1, C] = [mean of the L tokens; the tokens] from x [n·L, C].
template <typename T>
void pooled_rows(const float *x, T *out, int64_t images, int32_t tokens, int32_t width, cudaStream_t s);

/// Plain row softmax in place over [rows, width]; with `copy`, the fp32 probabilities are written there too.
template <typename T> void row_softmax(T *x, int64_t rows, int32_t width, float *copy, cudaStream_t s);

/// dst[r] = src[index[r]] (rows of `width`).
template <typename T>
void gather_rows(const T *src, const int32_t *index, T *dst, int64_t rows, int32_t width, cudaStream_t s);

/// The rows of some images: dst[i] = src[images[i]], each image `image_elements` long.
template <typename T>
void gather_images(const T *src, const int32_t *images, T *dst, int32_t count, int64_t image_elements,
                   cudaStream_t s);

/// probs[r] = sigmoid(x[r] · w + b) (fc and the sigmoid), fp32.
void fc_sigmoid(const float *x, const float *w, float b, float *probs, int64_t rows, int32_t width, cudaStream_t s);

/// fired[i] = 1 when any of probs[i, 0 ..< columns] > threshold, else 0.
void any_above(const float *probs, int32_t images, int32_t columns, float threshold, uint8_t *fired, cudaStream_t s);

/// TagOOD's step 3 per image (tagood_select_image), then the exclusive scan of the counts
/// (tagood_exclusive_scan) into offsets [images + 1].
void select_tokens(const float *attention, int32_t images, int32_t heads, int32_t columns, int32_t tokens,
                   const int32_t *offsets, const int32_t *chosen, float threshold, float *scratch, float *combined,
                   int16_t *kept, int32_t *counts, int64_t *packed_offsets, cudaStream_t s);

/// The kept rows of image_embeds [images, tokens, width], packed image after image (tagood_packed_row_owner).
void gather_kept(const float *embeds, const int16_t *kept, const int64_t *packed_offsets, int32_t images,
                 int32_t tokens, int32_t width, float *out, cudaStream_t s);

}  // namespace tagood
