// RAM's forward pass on the device: the Swin encoder, image_proj and the tagging head, in the precision's
// activation type T (bf16 or fp32; the residual streams are fp32 either way).
#include <algorithm>

#include "context.cuh"
#include "forward.cuh"
#include "kernels.cuh"

namespace tagood {

namespace {

template <typename T> T *as(void *p) { return static_cast<T *>(p); }
template <typename T> const T *as(const void *p) { return static_cast<const T *>(p); }

/// One Swin block on x [n·R², C] (fp32, in place).
template <typename T> void block_forward(tagood_cuda_context *c, const BlockW &b, float *x, int64_t images) {
    cudaStream_t s = c->compute;
    Gemm &gemm = c->gemm_compute;
    const cudaDataType_t t = TypeInfo<T>::cuda;
    const float eps = c->config.layer_norm_eps;
    const int32_t dim = b.dim, heads = b.heads, hd = dim / heads, ws = b.window, n = ws * ws;
    const int64_t grid_tokens = (int64_t)b.grid * b.grid;
    const int64_t rows = images * grid_tokens;
    const int32_t per_image = (b.grid / ws) * (b.grid / ws);
    const int64_t windows = images * per_image;
    T *ln = as<T>(c->ln), *qkv = as<T>(c->qkv), *perm = as<T>(c->perm), *scores = as<T>(c->scores);
    T *attn = as<T>(c->attn), *hidden = as<T>(c->hidden);

    // Attention: LN₁ straight into window order, qkv, the head-major permutation (+ bias), the scores of
    // every (head, window) pair in one batched product, softmax with the bias and the mask, then P·V per
    // head into [windows·N, C].
    layer_norm_windows<T>(x, ln, rows, dim, b.norm1.g, b.norm1.b, eps, b.grid, ws, b.shift, s);
    gemm.linear(ln, t, rows, dim, b.qkv.w, t, 3 * dim, qkv, t, 0.0f, "block qkv");
    qkv_permute<T>(qkv, b.qkv.b, perm, rows, dim, n, heads, s);
    const int64_t part = rows * dim;  // q, k and v are each [heads][windows][N][hd]
    const T *q = perm, *k = perm + part, *v = perm + 2 * part;
    const float scale = 1.0f / sqrtf((float)hd);
    gemm.run(false, true, n, n, hd, scale, Operand{q, t, hd, (int64_t)n * hd}, Operand{k, t, hd, (int64_t)n * hd},
             0.0f, scores, t, n, (int64_t)n * n, windows * heads, "window scores");
    window_softmax<T>(scores, windows, heads, n, b.bias, per_image, b.labels, s);
    for (int32_t h = 0; h < heads; h++) {
        gemm.run(false, false, n, hd, n, 1.0f, Operand{scores + (int64_t)h * windows * n * n, t, n, (int64_t)n * n},
                 Operand{v + (int64_t)h * windows * n * hd, t, hd, (int64_t)n * hd}, 0.0f, attn + h * hd, t, dim,
                 (int64_t)n * dim, windows, "window attention · v");
    }
    // proj, then the window reverse + un-shift + proj bias + residual as one scatter.
    gemm.linear(attn, t, rows, dim, b.proj.w, t, dim, ln, t, 0.0f, "block proj");
    window_scatter_add<T>(ln, b.proj.b, x, rows, dim, b.grid, ws, b.shift, s);
    // MLP: LN₂ (adding fc2's bias to the residual in the same pass), fc1, bias + GELU, fc2 accumulated
    // into the fp32 residual.
    layer_norm_then_add<T>(x, ln, rows, dim, b.norm2.g, b.norm2.b, eps, b.fc2.b, s);
    gemm.linear(ln, t, rows, dim, b.fc1.w, t, b.fc1.out, hidden, t, 0.0f, "block fc1");
    bias_gelu<T>(hidden, b.fc1.b, rows, b.fc1.out, s);
    gemm.linear(hidden, t, rows, b.fc1.out, b.fc2.w, t, dim, x, CUDA_R_32F, 1.0f, "block fc2");
}

/// The encoder and image_proj for `count` images [count, C, R, R] → embeds [count, L + 1, E] (fp32) and its
/// T copy, `encoder_chunk` images at a time.
template <typename T>
void encode(tagood_cuda_context *c, const float *images, int32_t count, float *embeds, T *embeds_t) {
    cudaStream_t s = c->compute;
    Gemm &gemm = c->gemm_compute;
    const cudaDataType_t t = TypeInfo<T>::cuda;
    const tagood_cuda_model_config &cfg = c->config;
    const int32_t p = cfg.patch_size, ch = cfg.input_channels, res = cfg.image_resolution;
    const int32_t r0 = res / p, e0 = cfg.embed_dim, k = ch * p * p;
    const int32_t l1 = c->tokens, width = cfg.encoder_width, cv = c->vision_width;
    const int64_t image_size = (int64_t)ch * res * res;
    for (int32_t start = 0; start < count; start += c->encoder_chunk) {
        const int32_t n = std::min(c->encoder_chunk, count - start);
        float *x = c->x0, *next = c->x1;
        // Patch embedding: the convolution as a product over the patches, + bias, LN.
        patch_rows<T>(images + start * image_size, as<T>(c->hidden), n, ch, res, p, s);
        const int64_t rows0 = (int64_t)n * r0 * r0;
        gemm.linear(c->hidden, t, rows0, k, c->patch_w, t, e0, x, CUDA_R_32F, 0.0f, "patch embedding");
        layer_norm_inplace(x, c->patch_b, rows0, e0, c->patch_norm.g, c->patch_norm.b, cfg.layer_norm_eps, s);
        for (int32_t i = 0; i < c->stages; i++) {
            for (const BlockW &b : c->blocks[i]) block_forward<T>(c, b, x, n);
            if (i + 1 < c->stages) {
                const MergeW &m = c->merges[i];
                merge_layer_norm<T>(x, as<T>(c->ln), n, m.grid, m.dim, m.norm.g, m.norm.b, cfg.layer_norm_eps, s);
                const int64_t rows = (int64_t)n * (m.grid / 2) * (m.grid / 2);
                gemm.linear(c->ln, t, rows, 4 * m.dim, m.reduction.w, t, 2 * m.dim, next, CUDA_R_32F, 0.0f,
                            "patch merging");
                std::swap(x, next);
            }
        }
        // The final LN, the pooled token first, then image_proj (+ bias) into the slot's fp32 embeds.
        const int32_t l = l1 - 1;
        layer_norm_inplace(x, nullptr, (int64_t)n * l, cv, c->final_norm.g, c->final_norm.b, cfg.layer_norm_eps, s);
        pooled_rows<T>(x, as<T>(c->ln), n, l, cv, s);
        float *out = embeds + (int64_t)start * l1 * width;
        gemm.linear(c->ln, t, (int64_t)n * l1, cv, c->image_proj.w, t, width, out, CUDA_R_32F, 0.0f, "image_proj");
        T *copy = sizeof(T) == sizeof(float) ? nullptr : embeds_t + (int64_t)start * l1 * width;
        bias_and_copy<T>(out, c->image_proj.b, copy, (int64_t)n * l1, width, s);
    }
}

/// The tagging head for `n` images × `columns` tag rows: x0 (the residual base) and q0 (layer 0's projected
/// queries) are [columns, D], shared by the images (RAM), or, with `per_image`, [n · columns, D] (RAM++'s
/// reweighted queries, which may be w.x and w.q themselves); keys[l] and values[l] are the images'
/// [n, L + 1, D]. Writes layer 0's attention [n, heads, columns, L + 1] (when `attention` is not null) and the
/// probabilities [n, columns].
template <typename T>
void head(tagood_cuda_context *c, Gemm &gemm, cudaStream_t s, HeadWork &w, int32_t n, int32_t columns,
          const float *x0, const T *q0, bool per_image, const std::vector<const T *> &keys,
          const std::vector<const T *> &values, float *attention, float *probs) {
    const cudaDataType_t t = TypeInfo<T>::cuda;
    const tagood_cuda_model_config &cfg = c->config;
    const int32_t d = cfg.head_hidden, heads = cfg.head_heads, hd = d / heads, l1 = c->tokens;
    const int32_t inter = cfg.head_intermediate;
    const int64_t rows = (int64_t)n * columns;
    const float eps = cfg.head_layer_norm_eps, scale = 1.0f / sqrtf((float)hd);
    T *xt = as<T>(w.xt), *at = as<T>(w.at), *q = as<T>(w.q), *ctx = as<T>(w.ctx), *tmp = as<T>(w.tmp);
    T *hidden = as<T>(w.inter), *scores = as<T>(w.scores);
    const int64_t per_image_scores = (int64_t)heads * columns * l1;
    for (int32_t l = 0; l < cfg.head_layers; l++) {
        const HeadLayerW &layer = c->head[l];
        const T *query;
        int64_t query_stride;
        if (l == 0) {
            query = q0;  // RAM: the same for every image (batch stride 0); RAM++: the image's own
            query_stride = per_image ? (int64_t)columns * d : 0;
        } else {
            gemm.linear(xt, t, rows, d, layer.query.w, t, d, q, t, 0.0f, "head query");
            add_bias<T>(q, layer.query.b, rows, d, s);
            query = q;
            query_stride = (int64_t)columns * d;
        }
        // scores [n, heads, columns, L + 1]: per head, batched over the images.
        for (int32_t h = 0; h < heads; h++) {
            gemm.run(false, true, columns, l1, hd, scale, Operand{query + h * hd, t, d, query_stride},
                     Operand{keys[l] + h * hd, t, d, (int64_t)l1 * d}, 0.0f, scores + (int64_t)h * columns * l1, t,
                     l1, per_image_scores, n, "head scores");
        }
        row_softmax<T>(scores, (int64_t)n * heads * columns, l1, l == 0 ? attention : nullptr, s);
        for (int32_t h = 0; h < heads; h++) {
            gemm.run(false, false, columns, hd, l1, 1.0f,
                     Operand{scores + (int64_t)h * columns * l1, t, l1, per_image_scores},
                     Operand{values[l] + h * hd, t, d, (int64_t)l1 * d}, 0.0f, ctx + h * hd, t, d,
                     (int64_t)columns * d, n, "head attention · v");
        }
        // dense + residual + LN, intermediate + GELU, output + residual + LN.
        gemm.linear(ctx, t, rows, d, layer.dense.w, t, d, tmp, t, 0.0f, "head attention output");
        const float *residual = l == 0 ? x0 : w.x;  // RAM++'s x0 is w.x: read here, written below
        const int64_t residual_rows = l == 0 && !per_image ? columns : rows;
        residual_layer_norm<T>(tmp, layer.dense.b, residual, residual_rows, w.a, at, rows, d, layer.attn_norm.g,
                               layer.attn_norm.b, eps, s);
        gemm.linear(at, t, rows, d, layer.inter.w, t, inter, hidden, t, 0.0f, "head intermediate");
        bias_gelu<T>(hidden, layer.inter.b, rows, inter, s);
        gemm.linear(hidden, t, rows, inter, layer.out.w, t, d, tmp, t, 0.0f, "head output");
        residual_layer_norm<T>(tmp, layer.out.b, w.a, rows, w.x, xt, rows, d, layer.out_norm.g, layer.out_norm.b, eps,
                               s);
    }
    fc_sigmoid(w.x, c->fc_w, c->fc_b, probs, rows, d, s);
}

}  // namespace

template <typename T>
void reweighted_queries(Gemm &gemm, cudaStream_t s, const Reweighting &r, HeadWork &w, int32_t images,
                        int32_t columns, const T *groups) {
    const cudaDataType_t t = TypeInfo<T>::cuda;
    const int32_t e = r.width, d = r.hidden, dd = r.descriptions, stride = tagood_description_stride(dd);
    const int64_t group_columns = (int64_t)columns * stride, rows = (int64_t)images * columns;
    T *weights = as<T>(w.weights), *mixed = as<T>(w.mixed);
    // logits [images, columns · stride] = exp(reweight_scale) · cls · groupsᵀ (fp32 out; the pads give 0).
    gemm.run(false, true, images, group_columns, e, r.scale, Operand{w.cls, t, e, 0}, Operand{groups, t, e, 0}, 0.0f,
             w.logits, CUDA_R_32F, group_columns, 0, 1, "RAM++ description logits");
    grouped_softmax<T>(w.logits, weights, rows, dd, stride, s);
    // mixed [images · columns, E]: column j's weights [images, stride] times its group [stride, E], batched
    // over the columns (tagood_description_weight_offset, tagood_head_row).
    gemm.run(false, false, images, e, stride, 1.0f, Operand{weights, t, group_columns, stride},
             Operand{groups, t, e, (int64_t)stride * e}, 0.0f, mixed, t, (int64_t)columns * e, e, columns,
             "RAM++ description mix");
    // x = relu(wordvec_proj(mixed)) (fp32, and T in xt for the next product), q = layer 0's query of x.
    gemm.linear(mixed, t, rows, e, r.wordvec.w, t, d, w.x, CUDA_R_32F, 0.0f, "RAM++ wordvec_proj");
    bias_relu_copy<T>(w.x, r.wordvec.b, as<T>(w.xt), rows, d, s);
    gemm.linear(w.xt, t, rows, d, r.query0.w, t, d, w.q, t, 0.0f, "RAM++ layer 0 query");
    add_bias<T>(as<T>(w.q), r.query0.b, rows, d, s);
}

template void reweighted_queries<float>(Gemm &, cudaStream_t, const Reweighting &, HeadWork &, int32_t, int32_t,
                                        const float *);
template void reweighted_queries<__nv_bfloat16>(Gemm &, cudaStream_t, const Reweighting &, HeadWork &, int32_t,
                                                int32_t, const __nv_bfloat16 *);

namespace {

template <typename T> void forward_slot(tagood_cuda_context *c, Slot &slot) {
    cudaStream_t s = c->compute;
    const cudaDataType_t t = TypeInfo<T>::cuda;
    const tagood_cuda_model_config &cfg = c->config;
    const int32_t n = slot.count, l1 = c->tokens, d = cfg.head_hidden, width = cfg.encoder_width;
    const int32_t columns = c->columns, heads = cfg.head_heads;
    T *embeds_t = as<T>(slot.embeds_t);
    encode<T>(c, slot.images, n, slot.embeds, embeds_t);
    // Every layer's keys and values, for the whole batch.
    for (int32_t l = 0; l < cfg.head_layers; l++) {
        const HeadLayerW &layer = c->head[l];
        c->gemm_compute.linear(embeds_t, t, (int64_t)n * l1, width, layer.key.w, t, d, slot.keys[l], t, 0.0f,
                               "head key");
        add_bias<T>(as<T>(slot.keys[l]), layer.key.b, (int64_t)n * l1, d, s);
        c->gemm_compute.linear(embeds_t, t, (int64_t)n * l1, width, layer.value.w, t, d, slot.values[l], t, 0.0f,
                               "head value");
        add_bias<T>(as<T>(slot.values[l]), layer.value.b, (int64_t)n * l1, d, s);
    }
    for (int32_t start = 0; start < n; start += c->head_chunk) {
        const int32_t m = std::min(c->head_chunk, n - start);
        std::vector<const T *> keys, values;
        for (int32_t l = 0; l < cfg.head_layers; l++) {
            keys.push_back(as<T>(slot.keys[l]) + (int64_t)start * l1 * d);
            values.push_back(as<T>(slot.values[l]) + (int64_t)start * l1 * d);
        }
        float *attention = slot.attention + (int64_t)start * heads * columns * l1;
        float *probs = slot.probs + (int64_t)start * columns;
        if (c->plus) {
            // RAM++: these images' own queries, from their cls rows.
            HeadWork &w = c->head_work;
            cls_rows<T>(slot.embeds + (int64_t)start * l1 * width, nullptr, as<T>(w.cls), m, l1, width, s);
            reweighted_queries<T>(c->gemm_compute, s, c->reweighting, w, m, columns,
                                  as<T>(c->column_descriptions));
            head<T>(c, c->gemm_compute, s, w, m, columns, w.x, as<T>(w.q), true, keys, values, attention, probs);
        } else {
            head<T>(c, c->gemm_compute, s, c->head_work, m, columns, c->column_queries, as<T>(c->column_queries0),
                    false, keys, values, attention, probs);
        }
    }
}

/// One pass of tags_fire on the aux stream: the probabilities of `tags` gathered tag rows for `images`
/// gathered images (fire_x0, fire_q0, fire_keys, fire_values are filled), then whether any fired per image.
template <typename T> void fire_pass(tagood_cuda_context *c, int32_t images, int32_t tags, float threshold) {
    std::vector<const T *> keys, values;
    for (size_t l = 0; l < c->fire_keys.size(); l++) {
        keys.push_back(as<T>(c->fire_keys[l]));
        values.push_back(as<T>(c->fire_values[l]));
    }
    HeadWork &w = c->fire_work;
    if (c->plus) {
        reweighted_queries<T>(c->gemm_aux, c->aux, c->reweighting, w, images, tags, as<T>(c->fire_descriptions));
        head<T>(c, c->gemm_aux, c->aux, w, images, tags, w.x, as<T>(w.q), true, keys, values, nullptr, c->fire_probs);
    } else {
        head<T>(c, c->gemm_aux, c->aux, w, images, tags, c->fire_x0, as<T>(c->fire_q0), false, keys, values, nullptr,
                c->fire_probs);
    }
    any_above(c->fire_probs, images, tags, threshold, c->fire_flags, c->aux);
}

template <typename T> void gather_fire_inputs(tagood_cuda_context *c, const Slot &slot, int32_t images, int32_t tags) {
    const int32_t d = c->config.head_hidden;
    const int64_t each = (int64_t)c->tokens * d;
    if (tags > 0 && c->plus) {
        const int32_t group = tagood_description_stride(c->reweighting.descriptions) * c->config.encoder_width;
        gather_rows<T>(as<T>(c->descriptions), c->fire_tag_index, as<T>(c->fire_descriptions), tags, group, c->aux);
    } else if (tags > 0) {
        gather_rows<float>(c->queries, c->fire_tag_index, c->fire_x0, tags, d, c->aux);
        gather_rows<T>(as<T>(c->queries0), c->fire_tag_index, as<T>(c->fire_q0), tags, d, c->aux);
    }
    if (images > 0 && c->plus) {
        cls_rows<T>(slot.embeds, c->fire_image_index, as<T>(c->fire_work.cls), images, c->tokens,
                    c->config.encoder_width, c->aux);
    }
    if (images > 0) {
        for (size_t l = 0; l < c->fire_keys.size(); l++) {
            gather_images<T>(as<T>(slot.keys[l]), c->fire_image_index, as<T>(c->fire_keys[l]), images, each, c->aux);
            gather_images<T>(as<T>(slot.values[l]), c->fire_image_index, as<T>(c->fire_values[l]), images, each,
                             c->aux);
        }
    }
}

}  // namespace

void run_forward(tagood_cuda_context *c, Slot &slot) {
    if (c->bf16) forward_slot<__nv_bfloat16>(c, slot);
    else forward_slot<float>(c, slot);
}

void run_fire_gather(tagood_cuda_context *c, const Slot &slot, int32_t images, int32_t tags) {
    if (c->bf16) gather_fire_inputs<__nv_bfloat16>(c, slot, images, tags);
    else gather_fire_inputs<float>(c, slot, images, tags);
}

void run_fire_pass(tagood_cuda_context *c, int32_t images, int32_t tags, float threshold) {
    if (c->bf16) fire_pass<__nv_bfloat16>(c, images, tags, threshold);
    else fire_pass<float>(c, images, tags, threshold);
}

}  // namespace tagood
