/*
 * libtagood_cuda's index arithmetic: where every kernel reads and writes, as plain C functions that nvcc
 * compiles for the device (the kernels call them) and any C99 compiler for the host (tagood's tests call
 * them through the CTagoodCUDA module and compare them with the CPU path: Tests/GPUTests/KernelIndexTests).
 *
 * Layouts (row-major, as the CPU path's):
 *   the token grid of one image     [R, R, C]: token t = h * R + w
 *   the windowed layout of one image [nW, N, C]: row = window * N + i * ws + j, N = ws², nW = (R / ws)²,
 *                                    of the grid rolled by -shift (torch.roll(x, (-s, -s))), windows row-major
 *   a block's q, k, v                [3][heads][B * nW][N][hd]: head-major, so the scores of every
 *                                    (head, window) pair are one strided-batched product
 *   layer 0's attention              [images][heads][columns][tokens]
 *   RAM++'s description groups       [tags][stride][E]: a tag's descriptions rows of label_embed, padded with
 *                                    zero rows to stride = the next multiple of 8 (tagood_description_stride)
 *   RAM++'s logits and weights       [images][columns][stride]: one group of stride per (image, column)
 */
#ifndef TAGOOD_CUDA_INDEX_H
#define TAGOOD_CUDA_INDEX_H

#include <stdint.h>

#if defined(__CUDACC__)
#define TAGOOD_INDEX_FN static inline __host__ __device__
#else
#define TAGOOD_INDEX_FN static inline
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* MARK: Window partition and reverse (Windows.windowIndexMap) */

/// The token of one image's R×R grid that row `row` of its windowed layout holds: the grid rolled by
/// -`shift`, partitioned into `window`×`window` windows. A block's first LayerNorm gathers through it
/// (partition), and its attention output scatters back through it (reverse and un-shift).
TAGOOD_INDEX_FN int32_t tagood_window_token(int32_t row, int32_t grid, int32_t window, int32_t shift) {
    int32_t n = window * window, per_row = grid / window;
    int32_t w = row / n, r = row % n;
    int32_t si = ((w / per_row) * window + r / window + shift) % grid;
    int32_t sj = ((w % per_row) * window + r % window + shift) % grid;
    return si * grid + sj;
}

/// The same for a batch: row `row` of the windowed layout of `images` grids of R² tokens → the row of
/// the [images * R², C] token matrix.
TAGOOD_INDEX_FN int64_t tagood_window_source(int64_t row, int32_t grid, int32_t window, int32_t shift) {
    int64_t l = (int64_t)grid * grid;
    int64_t image = row / l;
    return image * l + tagood_window_token((int32_t)(row - image * l), grid, window, shift);
}

/// The inverse of tagood_window_token: the windowed row that holds token `token`.
TAGOOD_INDEX_FN int32_t tagood_token_window_row(int32_t token, int32_t grid, int32_t window, int32_t shift) {
    int32_t h = (token / grid - shift % grid + grid) % grid;
    int32_t w = (token % grid - shift % grid + grid) % grid;
    int32_t per_row = grid / window;
    int32_t win = (h / window) * per_row + w / window;
    return win * window * window + (h % window) * window + w % window;
}

/* MARK: The shifted-window mask (Windows.shiftedWindowMask) */

/// Which of the three slices [0, R - ws), [R - ws, R - shift), [R - shift, R) position `p` of the rolled
/// grid came from.
TAGOOD_INDEX_FN int32_t tagood_shift_region(int32_t p, int32_t extent, int32_t window, int32_t shift) {
    if (p < extent - window) return 0;
    if (p < extent - shift) return 1;
    return 2;
}

/// The region label (0..8) of token `t` (0..N-1) of window `window_index` (0..nW-1) of the rolled grid.
TAGOOD_INDEX_FN int32_t tagood_shift_label(
    int32_t window_index, int32_t t, int32_t grid, int32_t window, int32_t shift) {
    int32_t per_row = grid / window;
    int32_t h = (window_index / per_row) * window + t / window;
    int32_t w = (window_index % per_row) * window + t % window;
    return tagood_shift_region(h, grid, window, shift) * 3 + tagood_shift_region(w, grid, window, shift);
}

/// The mask's value for query token `a` and key token `b` of window `window_index`: -100 when they came
/// from different regions, else 0 (and 0 everywhere when `shift` is 0: unshifted blocks have no mask).
TAGOOD_INDEX_FN float tagood_shift_mask_value(
    int32_t window_index, int32_t a, int32_t b, int32_t grid, int32_t window, int32_t shift) {
    if (shift == 0) return 0.0f;
    return tagood_shift_label(window_index, a, grid, window, shift)
                   == tagood_shift_label(window_index, b, grid, window, shift)
               ? 0.0f
               : -100.0f;
}

/* MARK: The relative-position bias (Windows.relativePositionIndex) */

/// Swin's relative_position_index(a, b) for a window×window window: the row of the (2ws-1)² bias table.
TAGOOD_INDEX_FN int32_t tagood_relative_position_index(int32_t a, int32_t b, int32_t window) {
    int32_t dh = a / window - b / window + window - 1;
    int32_t dw = a % window - b % window + window - 1;
    return dh * (2 * window - 1) + dw;
}

/// Where the dense bias [heads, N, N]'s element (h, a, b) comes from in the table [(2ws-1)², heads].
TAGOOD_INDEX_FN int32_t tagood_relative_bias_source(int32_t h, int32_t a, int32_t b, int32_t window, int32_t heads) {
    return tagood_relative_position_index(a, b, window) * heads + h;
}

/* MARK: The q, k, v permutation */

/// Where element (`row`, `column`) of a block's qkv product [B * nW * N, 3C] goes in the head-major
/// [3][heads][B * nW][N][hd] layout (`windows` = B * nW, `tokens` = N, `width` = C).
TAGOOD_INDEX_FN int64_t tagood_qkv_destination(
    int64_t row, int32_t column, int64_t windows, int32_t tokens, int32_t width, int32_t heads) {
    /* ((which·heads + h)·windows + w)·N·hd + n·hd + d with row = w·N + n: no division by N needed. */
    int32_t hd = width / heads;
    int32_t which = column / width, rem = column % width;
    int32_t h = rem / hd, d = rem % hd;
    return (((int64_t)which * heads + h) * windows * tokens + row) * hd + d;
}

/// The head of batch entry `g` of the scores product (head-major: g = head * windows + window).
TAGOOD_INDEX_FN int32_t tagood_attention_head(int64_t g, int64_t windows) { return (int32_t)(g / windows); }

/// The window of its image (0..nW-1) of batch entry `g` of the scores product, for the shift mask.
TAGOOD_INDEX_FN int32_t tagood_attention_window(int64_t g, int64_t windows, int32_t windows_per_image) {
    return (int32_t)((g % windows) % windows_per_image);
}

/* MARK: Patch embedding and patch merging */

/// The stride-`patch` convolution as a product: element `column` (c * p² + kh * p + kw) of patch row
/// `token` (ph * R + pw, R = resolution / patch) is this offset into one image [C, resolution, resolution].
TAGOOD_INDEX_FN int64_t tagood_patch_pixel(int32_t token, int32_t column, int32_t patch, int32_t resolution) {
    int32_t r0 = resolution / patch;
    int32_t ph = token / r0, pw = token % r0;
    int32_t c = column / (patch * patch), kh = (column / patch) % patch, kw = column % patch;
    return ((int64_t)c * resolution + ph * patch + kh) * resolution + pw * patch + kw;
}

/// Patch merging: part `part` (0..3) of output token `token` of the (R/2)² grid is this token of the R²
/// grid; the parts are concatenated as [x(0,0), x(1,0), x(0,1), x(1,1)] (row offset first).
TAGOOD_INDEX_FN int32_t tagood_merge_source(int32_t token, int32_t part, int32_t grid) {
    int32_t half = grid / 2;
    int32_t i = token / half, j = token % half;
    int32_t di = part & 1, dj = part >> 1;
    return (2 * i + di) * grid + 2 * j + dj;
}

/* MARK: The tagging head */

/// Layer 0's attention [images][heads][columns][tokens]: the offset of (image, head, column, token).
TAGOOD_INDEX_FN int64_t tagood_head_attention_offset(
    int32_t image, int32_t head, int32_t column, int32_t token, int32_t heads, int32_t columns, int32_t tokens) {
    return (((int64_t)image * heads + head) * columns + column) * tokens + token;
}

/* MARK: RAM++'s reweighted tag queries (TaggingHead.imageQueries) */

/// The width of a tag's group of descriptions in the device's layouts: `descriptions` rounded up to a multiple
/// of 8, so that every group of the description rows and of the weights starts 16-byte aligned for the
/// products (the pad rows are zero and their weights 0).
TAGOOD_INDEX_FN int32_t tagood_description_stride(int32_t descriptions) { return (descriptions + 7) / 8 * 8; }

/// The row of label_embed [tags * descriptions, E] that row `row` of the padded groups [tags][stride][E]
/// holds, or -1 for a pad row (written as zeros).
TAGOOD_INDEX_FN int64_t tagood_description_source(int64_t row, int32_t descriptions) {
    int32_t stride = tagood_description_stride(descriptions);
    int64_t tag = row / stride;
    int32_t k = (int32_t)(row - tag * stride);
    return k < descriptions ? tag * descriptions + k : -1;
}

/// The offset of description `description` of column `column` of image `image` in the logits and the
/// weights [images][columns][stride]. The logits are one product [images, columns * stride]; the softmax
/// runs over each group's first `descriptions`; the mix of column j is the product of its weights
/// [images, stride] (leading dimension columns * stride, batch stride `stride`) with its group of rows
/// [stride, E] (batch stride stride * E), into rows image * columns + j of the queries [images * columns, E]
/// (leading dimension columns * E, batch stride E).
TAGOOD_INDEX_FN int64_t tagood_description_weight_offset(
    int32_t image, int32_t column, int32_t description, int32_t columns, int32_t stride) {
    return ((int64_t)image * columns + column) * stride + description;
}

/// The row of the head's [images * columns, width] matrices that (image, column) is: the queries, the
/// residual stream, everything per (image, tag).
TAGOOD_INDEX_FN int64_t tagood_head_row(int32_t image, int32_t column, int32_t columns) {
    return (int64_t)image * columns + column;
}

/* MARK: The ragged token selection (TokenSelector.selectTokens) */

/// Min-max normalisation of one value; a constant row (hi == lo) gives 0.
TAGOOD_INDEX_FN float tagood_minmax_normalise(float v, float lo, float hi) {
    float range = hi - lo;
    return range > 0.0f ? (v - lo) / range : 0.0f;
}

/// TagOOD's step 3 for one image. `attention` is the image's layer-0 attention [heads][columns][tokens];
/// the image keeps the columns `chosen[0 ..< chosen_count]`. Each chosen column is summed over the heads,
/// min-max normalised over the tokens, and the columns are combined by an elementwise max into
/// `combined` [tokens] (zeros when none is chosen); the tokens whose value is > `threshold` go into
/// `kept`, ascending. `row` is scratch [tokens]. Returns the number kept. The arithmetic is
/// TokenSelector's, in its order, so the same inputs give the same floats.
TAGOOD_INDEX_FN int32_t tagood_select_image(
    const float *attention, int32_t heads, int32_t columns, int32_t tokens, const int32_t *chosen,
    int32_t chosen_count, float threshold, float *row, float *combined, int16_t *kept) {
    for (int32_t j = 0; j < tokens; j++) combined[j] = 0.0f;
    if (chosen_count <= 0) return 0;
    for (int32_t t = 0; t < chosen_count; t++) {
        int32_t column = chosen[t];
        for (int32_t j = 0; j < tokens; j++) row[j] = 0.0f;
        for (int32_t h = 0; h < heads; h++) {
            const float *base = attention + ((int64_t)h * columns + column) * tokens;
            for (int32_t j = 0; j < tokens; j++) row[j] += base[j];
        }
        float lo = row[0], hi = row[0];
        for (int32_t j = 0; j < tokens; j++) {
            lo = row[j] < lo ? row[j] : lo;
            hi = row[j] > hi ? row[j] : hi;
        }
        for (int32_t j = 0; j < tokens; j++) {
            float v = tagood_minmax_normalise(row[j], lo, hi);
            combined[j] = t == 0 ? v : (v > combined[j] ? v : combined[j]);
        }
    }
    int32_t count = 0;
    for (int32_t j = 0; j < tokens; j++) {
        if (combined[j] > threshold) kept[count++] = (int16_t)j;
    }
    return count;
}

/// The exclusive scan of the kept counts: image i's kept rows start at `offsets[i]` of the packed
/// output; `offsets[n]` is the total, which it returns.
TAGOOD_INDEX_FN int64_t tagood_exclusive_scan(const int32_t *counts, int32_t n, int64_t *offsets) {
    int64_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        offsets[i] = total;
        total += counts[i];
    }
    offsets[n] = total;
    return total;
}

/// Packed row `r` of the kept tokens (0 ..< total) belongs to image `*image`, and is its kept token number
/// `*index`: a binary search over the scan's `offsets` [n + 1].
TAGOOD_INDEX_FN void tagood_packed_row_owner(
    int64_t r, const int64_t *offsets, int32_t n, int32_t *image, int32_t *index) {
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t mid = (lo + hi + 1) / 2;
        if (offsets[mid] <= r) lo = mid; else hi = mid - 1;
    }
    *image = lo;
    *index = (int32_t)(r - offsets[lo]);
}

#ifdef __cplusplus
}
#endif

#endif
