// The forward pass's kernels. Row kernels give one warp to a row and keep the row in registers when it is
// at most 2048 wide (else they read it again); element-wise kernels are grid-stride loops. The arithmetic
// follows the CPU kernels' order (CKernels, Kernels.layerNorm) where that is cheap, so the fp32 mode stays
// close to the CPU path.
#include <algorithm>

#include "kernels.cuh"

namespace tagood {

namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

unsigned blocks_for(int64_t n, int threads = kThreads) {
    const int64_t b = (n + threads - 1) / threads;
    return (unsigned)std::max<int64_t>(1, std::min<int64_t>(b, 1 << 22));
}

unsigned row_blocks(int64_t rows) { return (unsigned)std::max<int64_t>(1, (rows + kWarps - 1) / kWarps); }

/// Row-wise element kernels: a block per row (grid-stride over the rows), its threads over the columns, so
/// no element pays for a division; as many threads as the width needs, up to 256.
unsigned rows_grid(int64_t rows) { return (unsigned)std::max<int64_t>(1, std::min<int64_t>(rows, 1 << 20)); }
unsigned row_threads(int32_t width) { return (unsigned)std::min(256, std::max(32, (width + 31) / 32 * 32)); }

__device__ inline float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ inline float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ inline float gelu(float x) { return x * 0.5f * (1.0f + erff(x * 0.70710678118654752f)); }

// MARK: LayerNorm, one warp per row, with the row's loads and stores as functors.

template <int VPT, typename Load, typename Store>
__global__ void layer_norm_kernel(int64_t rows, int32_t width, float eps, const float *gamma, const float *beta,
                                  Load load, Store store) {
    const int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const float inv = 1.0f / (float)width;
    if constexpr (VPT > 0) {
        float v[VPT];
        float sum = 0.0f;
#pragma unroll
        for (int i = 0; i < VPT; i++) {
            const int j = lane + 32 * i;
            v[i] = j < width ? load(row, j) : 0.0f;
            sum += v[i];
        }
        const float mean = warp_sum(sum) * inv;
        float ss = 0.0f;
#pragma unroll
        for (int i = 0; i < VPT; i++) {
            const int j = lane + 32 * i;
            if (j < width) {
                const float d = v[i] - mean;
                ss += d * d;
            }
        }
        const float rstd = 1.0f / sqrtf(warp_sum(ss) * inv + eps);
#pragma unroll
        for (int i = 0; i < VPT; i++) {
            const int j = lane + 32 * i;
            if (j < width) store(row, j, (v[i] - mean) * rstd * gamma[j] + beta[j], v[i]);
        }
    } else {
        float sum = 0.0f;
        for (int j = lane; j < width; j += 32) sum += load(row, j);
        const float mean = warp_sum(sum) * inv;
        float ss = 0.0f;
        for (int j = lane; j < width; j += 32) {
            const float d = load(row, j) - mean;
            ss += d * d;
        }
        const float rstd = 1.0f / sqrtf(warp_sum(ss) * inv + eps);
        for (int j = lane; j < width; j += 32) {
            const float v = load(row, j);
            store(row, j, (v - mean) * rstd * gamma[j] + beta[j], v);
        }
    }
}

template <typename Load, typename Store>
void launch_layer_norm(int64_t rows, int32_t width, float eps, const float *gamma, const float *beta, Load load,
                       Store store, cudaStream_t s) {
    if (rows <= 0) return;
    const int vpt = (width + 31) / 32;
    const unsigned blocks = row_blocks(rows);
#define TAGOOD_LN(V) layer_norm_kernel<V><<<blocks, kThreads, 0, s>>>(rows, width, eps, gamma, beta, load, store)
    if (vpt <= 1) TAGOOD_LN(1);
    else if (vpt <= 2) TAGOOD_LN(2);
    else if (vpt <= 4) TAGOOD_LN(4);
    else if (vpt <= 8) TAGOOD_LN(8);
    else if (vpt <= 16) TAGOOD_LN(16);
    else if (vpt <= 24) TAGOOD_LN(24);
    else if (vpt <= 32) TAGOOD_LN(32);
    else if (vpt <= 48) TAGOOD_LN(48);
    else if (vpt <= 64) TAGOOD_LN(64);
    else TAGOOD_LN(0);
#undef TAGOOD_LN
    TAGOOD_LAUNCH_CHECK("layer_norm");
}

struct LoadRowsBias {
    const float *x;
    const float *bias;
    int32_t width;
    __device__ float operator()(int64_t row, int j) const {
        const float v = x[row * width + j];
        return bias != nullptr ? v + bias[j] : v;
    }
};

struct StoreRowsF32 {
    float *y;
    int32_t width;
    __device__ void operator()(int64_t row, int j, float value, float) const { y[row * width + j] = value; }
};

struct LoadWindow {
    const float *x;
    int32_t width, grid, window, shift;
    __device__ float operator()(int64_t row, int j) const {
        return x[tagood_window_source(row, grid, window, shift) * width + j];
    }
};

template <typename T> struct StoreRows {
    T *y;
    int32_t width;
    __device__ void operator()(int64_t row, int j, float value, float) const {
        y[row * width + j] = from_float<T>(value);
    }
};

struct LoadRows {
    const float *x;
    int32_t width;
    __device__ float operator()(int64_t row, int j) const { return x[row * width + j]; }
};

template <typename T> struct StoreThenAdd {
    T *y;
    float *x;
    const float *addend;
    int32_t width;
    __device__ void operator()(int64_t row, int j, float value, float original) const {
        y[row * width + j] = from_float<T>(value);
        x[row * width + j] = original + addend[j];
    }
};

struct LoadMerge {
    const float *x;
    int32_t grid, width;  // the input grid and width C; rows are of width 4C
    __device__ float operator()(int64_t row, int j) const {
        const int32_t half = grid / 2;
        const int64_t out_tokens = (int64_t)half * half;
        const int64_t image = row / out_tokens;
        const int32_t token = (int32_t)(row - image * out_tokens);
        const int32_t part = j / width, c = j - part * width;
        const int64_t source = image * grid * grid + tagood_merge_source(token, part, grid);
        return x[source * width + c];
    }
};

template <typename T> struct LoadResidual {
    const T *y;
    const float *bias;
    const float *residual;
    int64_t residual_rows;
    int32_t width;
    __device__ float operator()(int64_t row, int j) const {
        return (residual[(row % residual_rows) * width + j] + to_float(y[row * width + j])) + bias[j];
    }
};

template <typename T> struct StoreBoth {
    float *out;
    T *out_t;
    int32_t width;
    __device__ void operator()(int64_t row, int j, float value, float) const {
        out[row * width + j] = value;
        out_t[row * width + j] = from_float<T>(value);
    }
};

// MARK: Softmax, one warp per row.

/// A row's softmax given its (already biased and masked) logits through `logit`; writes through `store`.
template <int VPT, typename Logit, typename Store>
__device__ inline void softmax_row(int lane, int32_t width, Logit logit, Store store) {
    if constexpr (VPT > 0) {
        float v[VPT];
        float top = -INFINITY;
#pragma unroll
        for (int i = 0; i < VPT; i++) {
            const int j = lane + 32 * i;
            v[i] = j < width ? logit(j) : -INFINITY;
            top = fmaxf(top, v[i]);
        }
        top = warp_max(top);
        float sum = 0.0f;
#pragma unroll
        for (int i = 0; i < VPT; i++) {
            const int j = lane + 32 * i;
            v[i] = j < width ? expf(v[i] - top) : 0.0f;
            sum += v[i];
        }
        const float inverse = 1.0f / warp_sum(sum);
#pragma unroll
        for (int i = 0; i < VPT; i++) {
            const int j = lane + 32 * i;
            if (j < width) store(j, v[i] * inverse);
        }
    } else {
        float top = -INFINITY;
        for (int j = lane; j < width; j += 32) top = fmaxf(top, logit(j));
        top = warp_max(top);
        float sum = 0.0f;
        for (int j = lane; j < width; j += 32) sum += expf(logit(j) - top);
        const float inverse = 1.0f / warp_sum(sum);
        for (int j = lane; j < width; j += 32) store(j, expf(logit(j) - top) * inverse);
    }
}

template <int VPT, typename T>
__global__ void window_softmax_kernel(T *scores, int64_t rows, int64_t windows, int32_t tokens, const float *bias,
                                      int32_t windows_per_image, const int8_t *labels) {
    const int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const int64_t g = row / tokens;
    const int32_t a = (int32_t)(row - g * tokens);
    const int32_t h = tagood_attention_head(g, windows);
    const int32_t w = tagood_attention_window(g, windows, windows_per_image);
    const float *bias_row = bias + ((int64_t)h * tokens + a) * tokens;
    const int8_t *window_labels = labels != nullptr ? labels + (int64_t)w * tokens : nullptr;
    const int32_t label_a = window_labels != nullptr ? window_labels[a] : 0;
    T *x = scores + row * tokens;
    auto logit = [&](int b) {
        float v = to_float(x[b]) + bias_row[b];
        if (window_labels != nullptr) v += window_labels[b] == label_a ? 0.0f : -100.0f;
        return v;
    };
    auto store = [&](int b, float p) { x[b] = from_float<T>(p); };
    softmax_row<VPT>(lane, tokens, logit, store);
}

template <int VPT, typename T>
__global__ void row_softmax_kernel(T *scores, int64_t rows, int32_t width, float *copy) {
    const int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    T *x = scores + row * width;
    float *c = copy != nullptr ? copy + row * width : nullptr;
    auto logit = [&](int j) { return to_float(x[j]); };
    auto store = [&](int j, float p) {
        x[j] = from_float<T>(p);
        if (c != nullptr) c[j] = p;
    };
    softmax_row<VPT>(lane, width, logit, store);
}

// MARK: Element-wise kernels.

template <typename T> __global__ void convert_kernel(const float *src, T *dst, int64_t n) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        dst[i] = from_float<T>(src[i]);
}

template <typename T> __global__ void widen_kernel(const T *src, float *dst, int64_t n) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        dst[i] = to_float(src[i]);
}

template <typename T>
__global__ void patch_rows_kernel(const float *images, T *out, int64_t n, int32_t channels, int32_t resolution,
                                  int32_t patch) {
    const int32_t columns = channels * patch * patch;
    const int32_t r0 = resolution / patch;
    const int64_t tokens = (int64_t)r0 * r0;
    const int64_t image_size = (int64_t)channels * resolution * resolution;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t row = i / columns;
        const int32_t column = (int32_t)(i - row * columns);
        const int64_t image = row / tokens;
        const int32_t token = (int32_t)(row - image * tokens);
        out[i] = from_float<T>(images[image * image_size + tagood_patch_pixel(token, column, patch, resolution)]);
    }
}

template <typename T>
__global__ void qkv_permute_kernel(const T *qkv, const float *bias, T *out, int64_t rows, int32_t width,
                                   int32_t tokens, int32_t heads, int64_t windows) {
    const int32_t columns = 3 * width;
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T *src = qkv + row * columns;
        for (int32_t column = threadIdx.x; column < columns; column += blockDim.x)
            out[tagood_qkv_destination(row, column, windows, tokens, width, heads)] =
                from_float<T>(to_float(src[column]) + bias[column]);
    }
}

template <typename T>
__global__ void window_scatter_add_kernel(const T *y, const float *bias, float *x, int64_t rows, int32_t width,
                                          int32_t grid, int32_t window, int32_t shift) {
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        float *target = x + tagood_window_source(row, grid, window, shift) * width;
        const T *src = y + row * width;
        for (int32_t c = threadIdx.x; c < width; c += blockDim.x) target[c] = (target[c] + bias[c]) + to_float(src[c]);
    }
}

template <typename T> __global__ void bias_gelu_kernel(T *y, const float *bias, int64_t rows, int32_t width) {
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        T *r = y + row * width;
        for (int32_t c = threadIdx.x; c < width; c += blockDim.x) r[c] = from_float<T>(gelu(to_float(r[c]) + bias[c]));
    }
}

template <typename T> __global__ void add_bias_kernel(T *y, const float *bias, int64_t rows, int32_t width) {
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        T *r = y + row * width;
        for (int32_t c = threadIdx.x; c < width; c += blockDim.x) r[c] = from_float<T>(to_float(r[c]) + bias[c]);
    }
}

__global__ void bias_relu_kernel(float *y, const float *bias, int64_t rows, int32_t width) {
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        float *r = y + row * width;
        for (int32_t c = threadIdx.x; c < width; c += blockDim.x) r[c] = fmaxf(r[c] + bias[c], 0.0f);
    }
}

template <typename T>
__global__ void bias_relu_copy_kernel(float *y, const float *bias, T *copy, int64_t rows, int32_t width) {
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        for (int32_t c = threadIdx.x; c < width; c += blockDim.x) {
            const int64_t i = row * width + c;
            const float v = fmaxf(y[i] + bias[c], 0.0f);
            y[i] = v;
            copy[i] = from_float<T>(v);
        }
    }
}

template <typename T>
__global__ void pad_descriptions_kernel(const float *src, T *out, int64_t n, int32_t descriptions, int32_t width) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t row = i / width;
        const int32_t c = (int32_t)(i - row * width);
        const int64_t source = tagood_description_source(row, descriptions);
        out[i] = from_float<T>(source < 0 ? 0.0f : src[source * width + c]);
    }
}

/// One warp per image: the L2 norm of row 0, then the normalised row.
template <typename T>
__global__ void cls_rows_kernel(const float *embeds, const int32_t *images, T *out, int32_t count, int32_t tokens,
                                int32_t width) {
    const int64_t i = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (i >= count) return;
    const int64_t image = images != nullptr ? images[i] : i;
    const float *src = embeds + image * tokens * width;
    float sum = 0.0f;
    for (int j = lane; j < width; j += 32) sum += src[j] * src[j];
    const float inverse = 1.0f / sqrtf(warp_sum(sum));
    for (int j = lane; j < width; j += 32) out[i * width + j] = from_float<T>(src[j] * inverse);
}

template <int VPT, typename T>
__global__ void grouped_softmax_kernel(const float *logits, T *weights, int64_t groups, int32_t descriptions,
                                       int32_t stride) {
    const int64_t g = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (g >= groups) return;
    const float *x = logits + g * stride;
    T *y = weights + g * stride;
    auto logit = [&](int j) { return x[j]; };
    auto store = [&](int j, float p) { y[j] = from_float<T>(p); };
    softmax_row<VPT>(lane, descriptions, logit, store);
    for (int j = descriptions + lane; j < stride; j += 32) y[j] = from_float<T>(0.0f);
}

template <typename T>
__global__ void bias_and_copy_kernel(float *y, const float *bias, T *copy, int64_t rows, int32_t width) {
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        for (int32_t c = threadIdx.x; c < width; c += blockDim.x) {
            const int64_t i = row * width + c;
            const float v = y[i] + bias[c];
            y[i] = v;
            if (copy != nullptr) copy[i] = from_float<T>(v);
        }
    }
}

template <typename T>
__global__ void pooled_rows_kernel(const float *x, T *out, int64_t images, int32_t tokens, int32_t width) {
    const int64_t n = images * width;
    const float inv = 1.0f / (float)tokens;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t image = i / width;
        const int32_t c = (int32_t)(i - image * width);
        const float *src = x + image * tokens * width + c;
        T *dst = out + image * (tokens + 1) * width + c;
        float sum = 0.0f;
        for (int32_t t = 0; t < tokens; t++) {
            const float v = src[(int64_t)t * width];
            sum += v;
            dst[(int64_t)(t + 1) * width] = from_float<T>(v);
        }
        dst[0] = from_float<T>(sum * inv);
    }
}

template <typename T>
__global__ void gather_rows_kernel(const T *src, const int32_t *index, T *dst, int64_t n, int32_t width) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t row = i / width;
        const int32_t c = (int32_t)(i - row * width);
        dst[i] = src[(int64_t)index[row] * width + c];
    }
}

template <typename T>
__global__ void gather_images_kernel(const T *src, const int32_t *images, T *dst, int64_t n, int64_t each) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t image = i / each;
        dst[i] = src[(int64_t)images[image] * each + (i - image * each)];
    }
}

__global__ void fc_sigmoid_kernel(const float *x, const float *w, float b, float *probs, int64_t rows,
                                  int32_t width) {
    const int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    float sum = 0.0f;
    for (int j = lane; j < width; j += 32) sum += x[row * width + j] * w[j];
    sum = warp_sum(sum);
    if (lane == 0) probs[row] = 1.0f / (1.0f + expf(-(sum + b)));
}

__global__ void any_above_kernel(const float *probs, int32_t images, int32_t columns, float threshold,
                                 uint8_t *fired) {
    const int64_t image = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (image >= images) return;
    int any = 0;
    for (int j = lane; j < columns; j += 32) any |= probs[image * columns + j] > threshold;
    any = __any_sync(0xffffffffu, any);
    if (lane == 0) fired[image] = any ? 1 : 0;
}

__global__ void select_kernel(const float *attention, int32_t images, int32_t heads, int32_t columns,
                              int32_t tokens, const int32_t *offsets, const int32_t *chosen, float threshold,
                              float *scratch, float *combined, int16_t *kept, int32_t *counts) {
    const int32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= images) return;
    const int64_t each = (int64_t)heads * columns * tokens;
    const int32_t first = offsets[i], count = offsets[i + 1] - offsets[i];
    const int32_t kept_count =
        tagood_select_image(attention + i * each, heads, columns, tokens, chosen + first, count, threshold,
                            scratch + (int64_t)i * tokens, combined + (int64_t)i * tokens, kept + (int64_t)i * tokens);
    for (int32_t j = kept_count; j < tokens; j++) kept[(int64_t)i * tokens + j] = -1;
    counts[i] = kept_count;
}

__global__ void scan_kernel(const int32_t *counts, int32_t images, int64_t *offsets) {
    if (blockIdx.x == 0 && threadIdx.x == 0) tagood_exclusive_scan(counts, images, offsets);
}

__global__ void gather_kept_kernel(const float *embeds, const int16_t *kept, const int64_t *offsets, int32_t images,
                                   int32_t tokens, int32_t width, float *out) {
    const int64_t total = offsets[images];
    for (int64_t r = blockIdx.x; r < total; r += gridDim.x) {
        int32_t image = 0, index = 0;
        tagood_packed_row_owner(r, offsets, images, &image, &index);
        const int32_t token = kept[(int64_t)image * tokens + index];
        const float *src = embeds + ((int64_t)image * tokens + token) * width;
        for (int32_t c = threadIdx.x; c < width; c += blockDim.x) out[r * width + c] = src[c];
    }
}

}  // namespace

// MARK: Launchers.

template <typename T> void convert(const float *src, T *dst, int64_t n, cudaStream_t s) {
    if (n <= 0) return;
    convert_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(src, dst, n);
    TAGOOD_LAUNCH_CHECK("convert");
}

template <typename T> void widen(const T *src, float *dst, int64_t n, cudaStream_t s) {
    if (n <= 0) return;
    widen_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(src, dst, n);
    TAGOOD_LAUNCH_CHECK("widen");
}

template <typename T>
void patch_rows(const float *images, T *out, int64_t images_count, int32_t channels, int32_t resolution,
                int32_t patch, cudaStream_t s) {
    const int64_t r0 = resolution / patch;
    const int64_t n = images_count * r0 * r0 * channels * patch * patch;
    if (n <= 0) return;
    patch_rows_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(images, out, n, channels, resolution, patch);
    TAGOOD_LAUNCH_CHECK("patch_rows");
}

void layer_norm_inplace(float *x, const float *bias, int64_t rows, int32_t width, const float *gamma,
                        const float *beta, float eps, cudaStream_t s) {
    launch_layer_norm(rows, width, eps, gamma, beta, LoadRowsBias{x, bias, width}, StoreRowsF32{x, width}, s);
}

template <typename T>
void layer_norm_windows(const float *x, T *out, int64_t rows, int32_t width, const float *gamma, const float *beta,
                        float eps, int32_t grid, int32_t window, int32_t shift, cudaStream_t s) {
    launch_layer_norm(rows, width, eps, gamma, beta, LoadWindow{x, width, grid, window, shift},
                      StoreRows<T>{out, width}, s);
}

template <typename T>
void layer_norm_then_add(float *x, T *out, int64_t rows, int32_t width, const float *gamma, const float *beta,
                         float eps, const float *addend, cudaStream_t s) {
    launch_layer_norm(rows, width, eps, gamma, beta, LoadRows{x, width}, StoreThenAdd<T>{out, x, addend, width}, s);
}

template <typename T>
void merge_layer_norm(const float *x, T *out, int64_t images, int32_t grid, int32_t width, const float *gamma,
                      const float *beta, float eps, cudaStream_t s) {
    const int64_t rows = images * (grid / 2) * (grid / 2);
    launch_layer_norm(rows, 4 * width, eps, gamma, beta, LoadMerge{x, grid, width}, StoreRows<T>{out, 4 * width}, s);
}

template <typename T>
void residual_layer_norm(const T *y, const float *bias, const float *residual, int64_t residual_rows, float *out,
                         T *out_t, int64_t rows, int32_t width, const float *gamma, const float *beta, float eps,
                         cudaStream_t s) {
    launch_layer_norm(rows, width, eps, gamma, beta, LoadResidual<T>{y, bias, residual, residual_rows, width},
                      StoreBoth<T>{out, out_t, width}, s);
}

template <typename T>
void qkv_permute(const T *qkv, const float *bias, T *out, int64_t rows, int32_t width, int32_t tokens,
                 int32_t heads, cudaStream_t s) {
    if (rows <= 0) return;
    qkv_permute_kernel<T>
        <<<rows_grid(rows), row_threads(3 * width), 0, s>>>(qkv, bias, out, rows, width, tokens, heads, rows / tokens);
    TAGOOD_LAUNCH_CHECK("qkv_permute");
}

template <typename T>
void window_softmax(T *scores, int64_t windows, int32_t heads, int32_t tokens, const float *bias,
                    int32_t windows_per_image, const int8_t *labels, cudaStream_t s) {
    const int64_t rows = windows * heads * tokens;
    if (rows <= 0) return;
    const unsigned blocks = row_blocks(rows);
    const int vpt = (tokens + 31) / 32;
#define TAGOOD_WS(V)                                                                                                  \
    window_softmax_kernel<V, T>                                                                                       \
        <<<blocks, kThreads, 0, s>>>(scores, rows, windows, tokens, bias, windows_per_image, labels)
    if (vpt <= 1) TAGOOD_WS(1);
    else if (vpt <= 2) TAGOOD_WS(2);
    else if (vpt <= 4) TAGOOD_WS(4);
    else if (vpt <= 8) TAGOOD_WS(8);
    else if (vpt <= 16) TAGOOD_WS(16);
    else TAGOOD_WS(0);
#undef TAGOOD_WS
    TAGOOD_LAUNCH_CHECK("window_softmax");
}

template <typename T>
void window_scatter_add(const T *y, const float *bias, float *x, int64_t rows, int32_t width, int32_t grid,
                        int32_t window, int32_t shift, cudaStream_t s) {
    if (rows <= 0) return;
    window_scatter_add_kernel<T>
        <<<rows_grid(rows), row_threads(width), 0, s>>>(y, bias, x, rows, width, grid, window, shift);
    TAGOOD_LAUNCH_CHECK("window_scatter_add");
}

template <typename T> void bias_gelu(T *y, const float *bias, int64_t rows, int32_t width, cudaStream_t s) {
    if (rows <= 0 || width <= 0) return;
    bias_gelu_kernel<T><<<rows_grid(rows), row_threads(width), 0, s>>>(y, bias, rows, width);
    TAGOOD_LAUNCH_CHECK("bias_gelu");
}

template <typename T> void add_bias(T *y, const float *bias, int64_t rows, int32_t width, cudaStream_t s) {
    if (rows <= 0 || width <= 0) return;
    add_bias_kernel<T><<<rows_grid(rows), row_threads(width), 0, s>>>(y, bias, rows, width);
    TAGOOD_LAUNCH_CHECK("add_bias");
}

void bias_relu(float *y, const float *bias, int64_t rows, int32_t width, cudaStream_t s) {
    if (rows <= 0 || width <= 0) return;
    bias_relu_kernel<<<rows_grid(rows), row_threads(width), 0, s>>>(y, bias, rows, width);
    TAGOOD_LAUNCH_CHECK("bias_relu");
}

template <typename T>
void bias_relu_copy(float *y, const float *bias, T *copy, int64_t rows, int32_t width, cudaStream_t s) {
    if (rows <= 0 || width <= 0) return;
    bias_relu_copy_kernel<T><<<rows_grid(rows), row_threads(width), 0, s>>>(y, bias, copy, rows, width);
    TAGOOD_LAUNCH_CHECK("bias_relu_copy");
}

template <typename T>
void pad_descriptions(const float *label_embed, T *out, int32_t tags, int32_t descriptions, int32_t width,
                      cudaStream_t s) {
    const int64_t n = (int64_t)tags * tagood_description_stride(descriptions) * width;
    if (n <= 0) return;
    pad_descriptions_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(label_embed, out, n, descriptions, width);
    TAGOOD_LAUNCH_CHECK("pad_descriptions");
}

template <typename T>
void cls_rows(const float *embeds, const int32_t *images, T *out, int32_t count, int32_t tokens, int32_t width,
              cudaStream_t s) {
    if (count <= 0) return;
    cls_rows_kernel<T><<<row_blocks(count), kThreads, 0, s>>>(embeds, images, out, count, tokens, width);
    TAGOOD_LAUNCH_CHECK("cls_rows");
}

template <typename T>
void grouped_softmax(const float *logits, T *weights, int64_t groups, int32_t descriptions, int32_t stride,
                     cudaStream_t s) {
    if (groups <= 0) return;
    const unsigned blocks = row_blocks(groups);
    const int vpt = (descriptions + 31) / 32;
#define TAGOOD_GS(V)                                                                                                  \
    grouped_softmax_kernel<V, T><<<blocks, kThreads, 0, s>>>(logits, weights, groups, descriptions, stride)
    if (vpt <= 1) TAGOOD_GS(1);
    else if (vpt <= 2) TAGOOD_GS(2);
    else if (vpt <= 4) TAGOOD_GS(4);
    else TAGOOD_GS(0);
#undef TAGOOD_GS
    TAGOOD_LAUNCH_CHECK("grouped_softmax");
}

template <typename T>
void bias_and_copy(float *y, const float *bias, T *copy, int64_t rows, int32_t width, cudaStream_t s) {
    if (rows <= 0 || width <= 0) return;
    bias_and_copy_kernel<T><<<rows_grid(rows), row_threads(width), 0, s>>>(y, bias, copy, rows, width);
    TAGOOD_LAUNCH_CHECK("bias_and_copy");
}

template <typename T>
void pooled_rows(const float *x, T *out, int64_t images, int32_t tokens, int32_t width, cudaStream_t s) {
    const int64_t n = images * width;
    if (n <= 0) return;
    pooled_rows_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(x, out, images, tokens, width);
    TAGOOD_LAUNCH_CHECK("pooled_rows");
}

template <typename T> void row_softmax(T *x, int64_t rows, int32_t width, float *copy, cudaStream_t s) {
    if (rows <= 0) return;
    const unsigned blocks = row_blocks(rows);
    const int vpt = (width + 31) / 32;
#define TAGOOD_RS(V) row_softmax_kernel<V, T><<<blocks, kThreads, 0, s>>>(x, rows, width, copy)
    if (vpt <= 1) TAGOOD_RS(1);
    else if (vpt <= 2) TAGOOD_RS(2);
    else if (vpt <= 4) TAGOOD_RS(4);
    else if (vpt <= 8) TAGOOD_RS(8);
    else if (vpt <= 16) TAGOOD_RS(16);
    else TAGOOD_RS(0);
#undef TAGOOD_RS
    TAGOOD_LAUNCH_CHECK("row_softmax");
}

template <typename T>
void gather_rows(const T *src, const int32_t *index, T *dst, int64_t rows, int32_t width, cudaStream_t s) {
    const int64_t n = rows * width;
    if (n <= 0) return;
    gather_rows_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(src, index, dst, n, width);
    TAGOOD_LAUNCH_CHECK("gather_rows");
}

template <typename T>
void gather_images(const T *src, const int32_t *images, T *dst, int32_t count, int64_t image_elements,
                   cudaStream_t s) {
    const int64_t n = (int64_t)count * image_elements;
    if (n <= 0) return;
    gather_images_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(src, images, dst, n, image_elements);
    TAGOOD_LAUNCH_CHECK("gather_images");
}

void fc_sigmoid(const float *x, const float *w, float b, float *probs, int64_t rows, int32_t width, cudaStream_t s) {
    if (rows <= 0) return;
    fc_sigmoid_kernel<<<row_blocks(rows), kThreads, 0, s>>>(x, w, b, probs, rows, width);
    TAGOOD_LAUNCH_CHECK("fc_sigmoid");
}

void any_above(const float *probs, int32_t images, int32_t columns, float threshold, uint8_t *fired,
               cudaStream_t s) {
    if (images <= 0) return;
    any_above_kernel<<<row_blocks(images), kThreads, 0, s>>>(probs, images, columns, threshold, fired);
    TAGOOD_LAUNCH_CHECK("any_above");
}

void select_tokens(const float *attention, int32_t images, int32_t heads, int32_t columns, int32_t tokens,
                   const int32_t *offsets, const int32_t *chosen, float threshold, float *scratch, float *combined,
                   int16_t *kept, int32_t *counts, int64_t *packed_offsets, cudaStream_t s) {
    if (images <= 0) return;
    select_kernel<<<(images + 63) / 64, 64, 0, s>>>(attention, images, heads, columns, tokens, offsets, chosen,
                                                    threshold, scratch, combined, kept, counts);
    TAGOOD_LAUNCH_CHECK("select_tokens");
    scan_kernel<<<1, 1, 0, s>>>(counts, images, packed_offsets);
    TAGOOD_LAUNCH_CHECK("scan_counts");
}

void gather_kept(const float *embeds, const int16_t *kept, const int64_t *packed_offsets, int32_t images,
                 int32_t tokens, int32_t width, float *out, cudaStream_t s) {
    const int64_t most = (int64_t)images * tokens;
    if (most <= 0) return;
    const unsigned blocks = (unsigned)std::min<int64_t>(most, 1 << 20);
    gather_kept_kernel<<<blocks, 128, 0, s>>>(embeds, kept, packed_offsets, images, tokens, width, out);
    TAGOOD_LAUNCH_CHECK("gather_kept");
}

// MARK: Explicit instantiations for both activation types.

#define TAGOOD_INSTANTIATE(T)                                                                                         \
    template void convert<T>(const float *, T *, int64_t, cudaStream_t);                                              \
    template void widen<T>(const T *, float *, int64_t, cudaStream_t);                                                \
    template void patch_rows<T>(const float *, T *, int64_t, int32_t, int32_t, int32_t, cudaStream_t);                \
    template void layer_norm_windows<T>(const float *, T *, int64_t, int32_t, const float *, const float *, float,    \
                                        int32_t, int32_t, int32_t, cudaStream_t);                                     \
    template void layer_norm_then_add<T>(float *, T *, int64_t, int32_t, const float *, const float *, float,         \
                                         const float *, cudaStream_t);                                                \
    template void merge_layer_norm<T>(const float *, T *, int64_t, int32_t, int32_t, const float *, const float *,    \
                                      float, cudaStream_t);                                                           \
    template void residual_layer_norm<T>(const T *, const float *, const float *, int64_t, float *, T *, int64_t,     \
                                         int32_t, const float *, const float *, float, cudaStream_t);                 \
    template void qkv_permute<T>(const T *, const float *, T *, int64_t, int32_t, int32_t, int32_t, cudaStream_t);    \
    template void window_softmax<T>(T *, int64_t, int32_t, int32_t, const float *, int32_t, const int8_t *,           \
                                    cudaStream_t);                                                                    \
    template void window_scatter_add<T>(const T *, const float *, float *, int64_t, int32_t, int32_t, int32_t,        \
                                        int32_t, cudaStream_t);                                                       \
    template void bias_gelu<T>(T *, const float *, int64_t, int32_t, cudaStream_t);                                   \
    template void add_bias<T>(T *, const float *, int64_t, int32_t, cudaStream_t);                                    \
    template void bias_and_copy<T>(float *, const float *, T *, int64_t, int32_t, cudaStream_t);                      \
    template void pooled_rows<T>(const float *, T *, int64_t, int32_t, int32_t, cudaStream_t);                        \
    template void row_softmax<T>(T *, int64_t, int32_t, float *, cudaStream_t);                                       \
    template void gather_rows<T>(const T *, const int32_t *, T *, int64_t, int32_t, cudaStream_t);                    \
    template void gather_images<T>(const T *, const int32_t *, T *, int32_t, int64_t, cudaStream_t);                  \
    template void bias_relu_copy<T>(float *, const float *, T *, int64_t, int32_t, cudaStream_t);                     \
    template void pad_descriptions<T>(const float *, T *, int32_t, int32_t, int32_t, cudaStream_t);                   \
    template void cls_rows<T>(const float *, const int32_t *, T *, int32_t, int32_t, int32_t, cudaStream_t);          \
    template void grouped_softmax<T>(const float *, T *, int64_t, int32_t, int32_t, cudaStream_t);

TAGOOD_INSTANTIATE(float)
TAGOOD_INSTANTIATE(__nv_bfloat16)

}  // namespace tagood
