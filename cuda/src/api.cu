// The C API (tagood_cuda.h): the device, the context's creation (weights, buffers), the two-slot pipeline.
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "context.cuh"
#include "forward.cuh"
#include "kernels.cuh"

using namespace tagood;

namespace tagood {

void *PinnedArena::allocate(size_t bytes, const char *what) {
    void *p = nullptr;
    const cudaError_t e = cudaMallocHost(&p, bytes == 0 ? 64 : bytes);
    if (e != cudaSuccess) {
        cudaGetLastError();
        fail(e == cudaErrorMemoryAllocation ? TAGOOD_CUDA_OUT_OF_MEMORY : status_of(e),
             std::string("cudaMallocHost(") + what + ", " + format_bytes(bytes) + ") failed: " + cudaGetErrorString(e));
    }
    blocks_.push_back(p);
    return p;
}

void PinnedArena::release_all() {
    for (void *p : blocks_) cudaFreeHost(p);
    blocks_.clear();
}

}  // namespace tagood

tagood_cuda_context::~tagood_cuda_context() {
    // Wait for the work in flight, then free everything (errors are ignored: this is teardown).
    if (compute) cudaStreamSynchronize(compute);
    if (aux) cudaStreamSynchronize(aux);
    if (copy) cudaStreamSynchronize(copy);
    for (Slot &s : slots) {
        if (s.uploaded) cudaEventDestroy(s.uploaded);
        if (s.done) cudaEventDestroy(s.done);
    }
    gemm_compute.release();
    gemm_aux.release();
    arena.release_all();
    pinned.release_all();
    if (lt) cublasLtDestroy(lt);
    if (compute) cudaStreamDestroy(compute);
    if (copy) cudaStreamDestroy(copy);
    if (aux) cudaStreamDestroy(aux);
}

namespace {

void write_error(char *error, size_t size, const std::string &message) {
    if (error == nullptr || size == 0) return;
    snprintf(error, size, "%s", message.c_str());
}

/// Why cudaGetDeviceCount failed, with the driver's absence said plainly.
std::string no_driver_message(cudaError_t e) {
    std::string message = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorString(e) + " (" +
                          cudaGetErrorName(e) + ")";
    void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (driver == nullptr) {
        const char *why = dlerror();
        message += "; there is no NVIDIA driver on this machine (libcuda.so.1 cannot be loaded: " +
                   std::string(why ? why : "not found") + ")";
    } else {
        dlclose(driver);
    }
    return message;
}

/// Checks that `device` exists (NO_DEVICE otherwise) and makes it current.
void open_device(int32_t device) {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();
        fail(TAGOOD_CUDA_NO_DEVICE, no_driver_message(e));
    }
    if (count == 0) fail(TAGOOD_CUDA_NO_DEVICE, "cudaGetDeviceCount found no CUDA device");
    if (device < 0 || device >= count) {
        const char *visible = getenv("CUDA_VISIBLE_DEVICES");
        fail(TAGOOD_CUDA_NO_DEVICE, "no CUDA device " + std::to_string(device) + ": this process sees " +
                                        std::to_string(count) + " (CUDA_VISIBLE_DEVICES=" +
                                        (visible ? std::string(visible) : std::string("unset")) + ")");
    }
    check_cuda(cudaSetDevice(device), "cudaSetDevice(" + std::to_string(device) + ")");
}

std::string shape_text(std::initializer_list<int64_t> dims) {
    std::string s = "[";
    bool first = true;
    for (int64_t d : dims) {
        if (!first) s += ", ";
        s += std::to_string(d);
        first = false;
    }
    return s + "]";
}

// MARK: Config checks (RAMConfig.validate's rules, and the options).

void check_config(const tagood_cuda_model_config &c, const tagood_cuda_options &o) {
    auto bad = [](const std::string &why) { fail(TAGOOD_CUDA_INVALID_ARGUMENT, "invalid model config: " + why); };
    if (c.stages < 1 || c.stages > TAGOOD_CUDA_MAX_STAGES)
        bad("stages " + std::to_string(c.stages) + " is not in 1..." + std::to_string(TAGOOD_CUDA_MAX_STAGES));
    if (c.patch_size < 1 || c.embed_dim < 1 || c.window_size < 1 || c.input_channels < 1 || c.mlp_ratio < 1)
        bad("patch_size, embed_dim, window_size, input_channels and mlp_ratio must be positive");
    if (c.image_resolution < 1 || c.image_resolution % c.patch_size != 0)
        bad("image_resolution " + std::to_string(c.image_resolution) + " is not a multiple of patch_size " +
            std::to_string(c.patch_size));
    const int32_t r0 = c.image_resolution / c.patch_size;
    for (int32_t i = 0; i < c.stages; i++) {
        const int32_t r = r0 >> i;
        if (r < 1 || (i > 0 && r * 2 != (r0 >> (i - 1))))
            bad("image_resolution " + std::to_string(c.image_resolution) + " cannot be halved " +
                std::to_string(c.stages - 1) + " times after patch_size");
        const int32_t w = std::min(c.window_size, r);
        if (r % w != 0) bad("stage " + std::to_string(i) + ": resolution " + std::to_string(r) +
                            " is not a multiple of window_size " + std::to_string(c.window_size));
        if (c.depths[i] < 1) bad("depths must be positive");
        const int32_t width = c.embed_dim << i;
        if (c.num_heads[i] < 1 || width % c.num_heads[i] != 0)
            bad("stage " + std::to_string(i) + ": width " + std::to_string(width) + " is not divisible by num_heads " +
                std::to_string(c.num_heads[i]));
    }
    if (c.head_hidden < 1 || c.head_heads < 1 || c.head_hidden % c.head_heads != 0)
        bad("head_hidden " + std::to_string(c.head_hidden) + " is not divisible by head_heads " +
            std::to_string(c.head_heads));
    if (c.head_layers < 1 || c.head_intermediate < 1 || c.encoder_width < 1 || c.num_tags < 1)
        bad("head_layers, head_intermediate, encoder_width and num_tags must be positive");
    const int32_t last = r0 >> (c.stages - 1);
    if ((int64_t)last * last + 1 > 32767) bad("more than 32767 image tokens (kept_index is int16)");
    if (!(c.layer_norm_eps > 0.0f) || !(c.head_layer_norm_eps > 0.0f)) bad("the LayerNorm epsilons must be > 0");
    if (c.descriptions_per_tag < 0 || c.descriptions_per_tag > 4096)
        bad("descriptions_per_tag " + std::to_string(c.descriptions_per_tag) + " is not in 0...4096 (0 and 1: RAM)");
    if ((int64_t)c.num_tags * std::max(1, c.descriptions_per_tag) > INT32_MAX)
        bad("num_tags × descriptions_per_tag is more than 2^31 - 1 label_embed rows");

    auto bad_option = [](const std::string &why) { fail(TAGOOD_CUDA_INVALID_ARGUMENT, "invalid options: " + why); };
    if (o.precision != TAGOOD_CUDA_BF16 && o.precision != TAGOOD_CUDA_FP32)
        bad_option("precision " + std::to_string(o.precision) + " is neither TAGOOD_CUDA_BF16 (0) nor FP32 (1)");
    if (o.max_batch < 1) bad_option("max_batch " + std::to_string(o.max_batch) + " must be at least 1");
    if (!o.all_tags) {
        if (o.id_tag_count < 1 || o.id_tags == nullptr) bad_option("no ID tags (and all_tags is not set)");
        for (int32_t i = 0; i < o.id_tag_count; i++) {
            if (o.id_tags[i] < 0 || o.id_tags[i] >= c.num_tags)
                bad_option("ID tag " + std::to_string(o.id_tags[i]) + " is outside the model's " +
                           std::to_string(c.num_tags) + " tags");
        }
    }
}

// MARK: Weights

/// Reads weights through the caller's callback and uploads them (converted to T for the products).
class WeightLoader {
  public:
    WeightLoader(tagood_cuda_context *c, tagood_cuda_tensor_fn fn, void *user) : c_(c), fn_(fn), user_(user) {}
    ~WeightLoader() {
        if (staging_) cudaFree(staging_);
    }

    const float *fetch(const std::string &name, int64_t expected, const std::string &shape) {
        const float *data = nullptr;
        int64_t count = 0;
        if (fn_(user_, name.c_str(), &data, &count) != 0 || data == nullptr)
            fail(TAGOOD_CUDA_MISSING_WEIGHT,
                 "weight " + name + " " + shape + ": the tensor callback has no such tensor");
        if (count != expected)
            fail(TAGOOD_CUDA_MISSING_WEIGHT, "weight " + name + " has " + std::to_string(count) +
                                                 " values; the config needs " + shape + " = " +
                                                 std::to_string(expected));
        return data;
    }

    /// An fp32 vector or matrix, as is.
    float *f32(const std::string &name, int64_t count, const std::string &shape) {
        const float *data = fetch(name, count, shape);
        float *d = c_->arena.allocate<float>(count, "weights");
        check_cuda(cudaMemcpyAsync(d, data, count * sizeof(float), cudaMemcpyHostToDevice, c_->compute),
                   "cudaMemcpyAsync(weight " + name + ")");
        check_cuda(cudaStreamSynchronize(c_->compute), "cudaStreamSynchronize(weight " + name + ")");
        return d;
    }

    /// A product's matrix in the precision's type.
    void *matrix(const std::string &name, int64_t rows, int64_t cols) {
        const std::string shape = shape_text({rows, cols});
        if (!c_->bf16) return f32(name, rows * cols, shape);
        const float *data = fetch(name, rows * cols, shape);
        const int64_t n = rows * cols;
        if (n > staging_count_) {
            if (staging_) cudaFree(staging_);
            staging_ = nullptr;
            staging_count_ = 0;
            check_cuda(cudaMalloc(&staging_, n * sizeof(float)),
                       "cudaMalloc(weight staging, " + format_bytes(n * sizeof(float)) + ")");
            staging_count_ = n;
        }
        __nv_bfloat16 *d = c_->arena.allocate<__nv_bfloat16>(n, "weights");
        check_cuda(cudaMemcpyAsync(staging_, data, n * sizeof(float), cudaMemcpyHostToDevice, c_->compute),
                   "cudaMemcpyAsync(weight " + name + ")");
        convert<__nv_bfloat16>(staging_, d, n, c_->compute);
        check_cuda(cudaStreamSynchronize(c_->compute), "cudaStreamSynchronize(weight " + name + ")");
        return d;
    }

    LinearW linear(const std::string &prefix, int32_t out, int32_t in, bool bias = true) {
        LinearW l;
        l.in = in;
        l.out = out;
        l.w = matrix(prefix + ".weight", out, in);
        if (bias) l.b = f32(prefix + ".bias", out, shape_text({out}));
        return l;
    }

    NormW norm(const std::string &prefix, int32_t width) {
        NormW n;
        n.width = width;
        n.g = f32(prefix + ".weight", width, shape_text({width}));
        n.b = f32(prefix + ".bias", width, shape_text({width}));
        return n;
    }

    /// The dense relative-position bias [heads, N, N] gathered from the table [(2ws-1)², heads].
    float *relative_bias(const std::string &name, int32_t window, int32_t heads) {
        const int32_t rows = (2 * window - 1) * (2 * window - 1), n = window * window;
        const float *table = fetch(name, (int64_t)rows * heads, shape_text({rows, heads}));
        std::vector<float> dense((size_t)heads * n * n);
        for (int32_t h = 0; h < heads; h++)
            for (int32_t a = 0; a < n; a++)
                for (int32_t b = 0; b < n; b++)
                    dense[((size_t)h * n + a) * n + b] = table[tagood_relative_bias_source(h, a, b, window, heads)];
        float *d = c_->arena.allocate<float>(dense.size(), "relative-position bias");
        check_cuda(cudaMemcpy(d, dense.data(), dense.size() * sizeof(float), cudaMemcpyHostToDevice),
                   "cudaMemcpy(" + name + ")");
        return d;
    }

    /// RAM++'s label_embed [tags · descriptions, width] in padded groups [tags, stride, width] of the
    /// precision's type (pad_descriptions), converted on the device.
    void *description_groups(const std::string &name, int32_t tags, int32_t descriptions, int32_t width) {
        const int64_t n = (int64_t)tags * descriptions * width;
        const float *data = fetch(name, n, shape_text({(int64_t)tags * descriptions, width}));
        if (n > staging_count_) {
            if (staging_) cudaFree(staging_);
            staging_ = nullptr;
            staging_count_ = 0;
            check_cuda(cudaMalloc(&staging_, n * sizeof(float)),
                       "cudaMalloc(weight staging, " + format_bytes(n * sizeof(float)) + ")");
            staging_count_ = n;
        }
        check_cuda(cudaMemcpyAsync(staging_, data, n * sizeof(float), cudaMemcpyHostToDevice, c_->compute),
                   "cudaMemcpyAsync(weight " + name + ")");
        const int64_t padded = (int64_t)tags * tagood_description_stride(descriptions) * width;
        void *d = nullptr;
        if (c_->bf16) {
            d = c_->arena.allocate<__nv_bfloat16>(padded, "RAM++ description groups");
            pad_descriptions<__nv_bfloat16>(staging_, static_cast<__nv_bfloat16 *>(d), tags, descriptions, width,
                                            c_->compute);
        } else {
            d = c_->arena.allocate<float>(padded, "RAM++ description groups");
            pad_descriptions<float>(staging_, static_cast<float *>(d), tags, descriptions, width, c_->compute);
        }
        check_cuda(cudaStreamSynchronize(c_->compute), "cudaStreamSynchronize(weight " + name + ")");
        return d;
    }

  private:
    tagood_cuda_context *c_;
    tagood_cuda_tensor_fn fn_;
    void *user_;
    float *staging_ = nullptr;
    int64_t staging_count_ = 0;
};

/// RAM++'s head layers, every weight as a product (layer 0's query too: its queries are per image), and fc.
void load_head_layers(tagood_cuda_context *c, WeightLoader &w) {
    const tagood_cuda_model_config &cfg = c->config;
    const int32_t d = cfg.head_hidden, e = cfg.encoder_width;
    for (int32_t l = 0; l < cfg.head_layers; l++) {
        const std::string b = "tagging_head.encoder.layer." + std::to_string(l);
        HeadLayerW layer;
        layer.query = w.linear(b + ".crossattention.self.query", d, d);
        layer.key = w.linear(b + ".crossattention.self.key", d, e);
        layer.value = w.linear(b + ".crossattention.self.value", d, e);
        layer.dense = w.linear(b + ".crossattention.output.dense", d, d);
        layer.attn_norm = w.norm(b + ".crossattention.output.LayerNorm", d);
        layer.inter = w.linear(b + ".intermediate.dense", cfg.head_intermediate, d);
        layer.out = w.linear(b + ".output.dense", d, cfg.head_intermediate);
        layer.out_norm = w.norm(b + ".output.LayerNorm", d);
        c->head.push_back(layer);
    }
    c->fc_w = w.f32("fc.weight", d, shape_text({1, d}));
    const float *fc_b = w.fetch("fc.bias", 1, "[1]");
    c->fc_b = fc_b[0];
}

/// RAM++'s head: label_embed in padded description groups (and the columns' groups), reweight_scale,
/// wordvec_proj and every layer as products; the queries are made per batch (reweighted_queries).
void load_head_plus(tagood_cuda_context *c, WeightLoader &w) {
    const tagood_cuda_model_config &cfg = c->config;
    const int32_t d = cfg.head_hidden, e = cfg.encoder_width, tags = cfg.num_tags;
    Reweighting &r = c->reweighting;
    c->descriptions = w.description_groups("label_embed", tags, r.descriptions, e);
    const float *scale = w.fetch("reweight_scale", 1, "[] (a scalar)");
    r.scale = expf(scale[0]);
    r.wordvec = w.linear("wordvec_proj", d, e);
    load_head_layers(c, w);
    r.query0 = c->head[0].query;
    const int64_t group = (int64_t)tagood_description_stride(r.descriptions) * e;
    if (c->all_tags) {
        c->column_descriptions = c->descriptions;
    } else {
        const int32_t k = (int32_t)c->id_tags.size();
        int32_t *index = c->arena.allocate<int32_t>(k, "ID tag index");
        check_cuda(cudaMemcpyAsync(index, c->id_tags.data(), k * sizeof(int32_t), cudaMemcpyHostToDevice, c->compute),
                   "cudaMemcpyAsync(ID tags)");
        if (c->bf16) {
            c->column_descriptions = c->arena.allocate<__nv_bfloat16>(k * group, "ID tag description groups");
            gather_rows<__nv_bfloat16>(static_cast<const __nv_bfloat16 *>(c->descriptions), index,
                                       static_cast<__nv_bfloat16 *>(c->column_descriptions), k, (int32_t)group,
                                       c->compute);
        } else {
            c->column_descriptions = c->arena.allocate<float>(k * group, "ID tag description groups");
            gather_rows<float>(static_cast<const float *>(c->descriptions), index,
                               static_cast<float *>(c->column_descriptions), k, (int32_t)group, c->compute);
        }
    }
    check_cuda(cudaStreamSynchronize(c->compute), "cudaStreamSynchronize(create: RAM++ description groups)");
}

void load_weights(tagood_cuda_context *c, tagood_cuda_tensor_fn fn, void *user) {
    const tagood_cuda_model_config &cfg = c->config;
    WeightLoader w(c, fn, user);
    const int32_t e0 = cfg.embed_dim, p = cfg.patch_size, ch = cfg.input_channels;
    const int32_t r0 = cfg.image_resolution / p;
    c->patch_w = w.matrix("visual_encoder.patch_embed.proj.weight", e0, (int64_t)ch * p * p);
    c->patch_b = w.f32("visual_encoder.patch_embed.proj.bias", e0, shape_text({e0}));
    c->patch_norm = w.norm("visual_encoder.patch_embed.norm", e0);
    c->blocks.assign(cfg.stages, {});
    for (int32_t i = 0; i < cfg.stages; i++) {
        const int32_t grid = r0 >> i, dim = e0 << i, heads = cfg.num_heads[i];
        const int32_t window = std::min(cfg.window_size, grid);
        for (int32_t j = 0; j < cfg.depths[i]; j++) {
            const std::string b = "visual_encoder.layers." + std::to_string(i) + ".blocks." + std::to_string(j);
            BlockW blk;
            blk.dim = dim;
            blk.heads = heads;
            blk.grid = grid;
            blk.window = window;
            blk.shift = (j % 2 == 1 && grid > cfg.window_size) ? cfg.window_size / 2 : 0;
            blk.norm1 = w.norm(b + ".norm1", dim);
            blk.qkv = w.linear(b + ".attn.qkv", 3 * dim, dim);
            blk.bias = w.relative_bias(b + ".attn.relative_position_bias_table", window, heads);
            if (blk.shift > 0) {
                const std::vector<int8_t> labels = shift_labels(grid, window, blk.shift);
                blk.labels = c->arena.allocate<int8_t>(labels.size(), "shift mask labels");
                check_cuda(cudaMemcpy(blk.labels, labels.data(), labels.size(), cudaMemcpyHostToDevice),
                           "cudaMemcpy(shift mask labels)");
            }
            blk.proj = w.linear(b + ".attn.proj", dim, dim);
            blk.norm2 = w.norm(b + ".norm2", dim);
            blk.fc1 = w.linear(b + ".mlp.fc1", cfg.mlp_ratio * dim, dim);
            blk.fc2 = w.linear(b + ".mlp.fc2", dim, cfg.mlp_ratio * dim);
            c->blocks[i].push_back(blk);
        }
        if (i + 1 < cfg.stages) {
            const std::string m = "visual_encoder.layers." + std::to_string(i) + ".downsample";
            MergeW merge;
            merge.grid = grid;
            merge.dim = dim;
            merge.norm = w.norm(m + ".norm", 4 * dim);
            merge.reduction = w.linear(m + ".reduction", 2 * dim, 4 * dim, false);
            c->merges.push_back(merge);
        }
    }
    c->final_norm = w.norm("visual_encoder.norm", c->vision_width);
    c->image_proj = w.linear("image_proj", cfg.encoder_width, c->vision_width);

    const int32_t d = cfg.head_hidden, e = cfg.encoder_width, tags = cfg.num_tags;
    if (c->plus) {
        load_head_plus(c, w);
        return;
    }
    // The head. The tag queries and layer 0's projected queries are computed here, in fp32.
    float *label_embed = w.f32("label_embed", (int64_t)tags * e, shape_text({tags, e}));
    float *wordvec_w = w.f32("wordvec_proj.weight", (int64_t)d * e, shape_text({d, e}));
    float *wordvec_b = w.f32("wordvec_proj.bias", d, shape_text({d}));
    c->queries = c->arena.allocate<float>((size_t)tags * d, "tag queries");
    c->gemm_compute.linear(label_embed, CUDA_R_32F, tags, e, wordvec_w, CUDA_R_32F, d, c->queries, CUDA_R_32F, 0.0f,
                           "wordvec_proj (create)");
    bias_relu(c->queries, wordvec_b, tags, d, c->compute);
    for (int32_t l = 0; l < cfg.head_layers; l++) {
        const std::string b = "tagging_head.encoder.layer." + std::to_string(l);
        HeadLayerW layer;
        if (l == 0) {
            float *qw = w.f32(b + ".crossattention.self.query.weight", (int64_t)d * d, shape_text({d, d}));
            float *qb = w.f32(b + ".crossattention.self.query.bias", d, shape_text({d}));
            float *q0 = c->arena.allocate<float>((size_t)tags * d, "layer-0 queries (fp32)");
            c->gemm_compute.linear(c->queries, CUDA_R_32F, tags, d, qw, CUDA_R_32F, d, q0, CUDA_R_32F, 0.0f,
                                   "layer 0 query (create)");
            add_bias<float>(q0, qb, tags, d, c->compute);
            if (c->bf16) {
                c->queries0 = c->arena.allocate<__nv_bfloat16>((size_t)tags * d, "layer-0 queries");
                convert<__nv_bfloat16>(q0, static_cast<__nv_bfloat16 *>(c->queries0), (int64_t)tags * d, c->compute);
            } else {
                c->queries0 = q0;
            }
        } else {
            layer.query = w.linear(b + ".crossattention.self.query", d, d);
        }
        layer.key = w.linear(b + ".crossattention.self.key", d, e);
        layer.value = w.linear(b + ".crossattention.self.value", d, e);
        layer.dense = w.linear(b + ".crossattention.output.dense", d, d);
        layer.attn_norm = w.norm(b + ".crossattention.output.LayerNorm", d);
        layer.inter = w.linear(b + ".intermediate.dense", cfg.head_intermediate, d);
        layer.out = w.linear(b + ".output.dense", d, cfg.head_intermediate);
        layer.out_norm = w.norm(b + ".output.LayerNorm", d);
        c->head.push_back(layer);
    }
    c->fc_w = w.f32("fc.weight", d, shape_text({1, d}));
    const float *fc_b = w.fetch("fc.bias", 1, "[1]");
    c->fc_b = fc_b[0];

    // The probability columns' rows.
    if (c->all_tags) {
        c->column_queries = c->queries;
        c->column_queries0 = c->queries0;
    } else {
        const int32_t k = (int32_t)c->id_tags.size();
        int32_t *index = c->arena.allocate<int32_t>(k, "ID tag index");
        check_cuda(cudaMemcpyAsync(index, c->id_tags.data(), k * sizeof(int32_t), cudaMemcpyHostToDevice, c->compute),
                   "cudaMemcpyAsync(ID tags)");
        c->column_queries = c->arena.allocate<float>((size_t)k * d, "ID tag queries");
        gather_rows<float>(c->queries, index, c->column_queries, k, d, c->compute);
        if (c->bf16) {
            c->column_queries0 = c->arena.allocate<__nv_bfloat16>((size_t)k * d, "ID tag layer-0 queries");
            gather_rows<__nv_bfloat16>(static_cast<const __nv_bfloat16 *>(c->queries0), index,
                                       static_cast<__nv_bfloat16 *>(c->column_queries0), k, d, c->compute);
        } else {
            c->column_queries0 = c->arena.allocate<float>((size_t)k * d, "ID tag layer-0 queries");
            gather_rows<float>(static_cast<const float *>(c->queries0), index,
                               static_cast<float *>(c->column_queries0), k, d, c->compute);
        }
    }
    check_cuda(cudaStreamSynchronize(c->compute), "cudaStreamSynchronize(create: tag queries)");
}

// MARK: Buffers

size_t act_size(const tagood_cuda_context *c) { return c->bf16 ? 2 : 4; }

void allocate_head_work(tagood_cuda_context *c, HeadWork &w, int64_t images, int64_t rows, const char *what) {
    const tagood_cuda_model_config &cfg = c->config;
    const size_t t = act_size(c), d = cfg.head_hidden;
    if (c->plus) {
        const size_t e = cfg.encoder_width, stride = tagood_description_stride(c->reweighting.descriptions);
        w.cls = c->arena.allocate(images * e * t, what);
        w.logits = c->arena.allocate<float>(rows * stride, what);
        w.weights = c->arena.allocate(rows * stride * t, what);
        w.mixed = c->arena.allocate(rows * e * t, what);
    }
    w.rows = rows;
    w.x = c->arena.allocate<float>(rows * d, what);
    w.a = c->arena.allocate<float>(rows * d, what);
    w.xt = c->arena.allocate(rows * d * t, what);
    w.at = c->arena.allocate(rows * d * t, what);
    w.q = c->arena.allocate(rows * d * t, what);
    w.ctx = c->arena.allocate(rows * d * t, what);
    w.tmp = c->arena.allocate(rows * d * t, what);
    w.inter = c->arena.allocate(rows * (size_t)cfg.head_intermediate * t, what);
    w.scores = c->arena.allocate(rows * (size_t)cfg.head_heads * c->tokens * t, what);
}

size_t head_row_bytes(const tagood_cuda_context *c) {
    const tagood_cuda_model_config &cfg = c->config;
    const size_t t = act_size(c), d = cfg.head_hidden;
    size_t bytes = 2 * d * 4 + 5 * d * t + (size_t)cfg.head_intermediate * t + (size_t)cfg.head_heads * c->tokens * t;
    if (c->plus) {
        // The reweighting's logits, weights and mixed descriptions (the cls rows are per image: negligible).
        bytes += (size_t)tagood_description_stride(c->reweighting.descriptions) * (4 + t) + cfg.encoder_width * t;
    }
    return bytes;
}

/// The encoder's workspace per image: fp32 residuals, LN output, qkv and its permutation, scores,
/// attention output, the MLP's hidden layer (also the patch rows).
struct EncoderSizes {
    int64_t lc = 0, scores = 0, features = 0, hidden = 0;
};

EncoderSizes encoder_sizes(const tagood_cuda_context *c) {
    const tagood_cuda_model_config &cfg = c->config;
    EncoderSizes s;
    const int64_t r0 = cfg.image_resolution / cfg.patch_size;
    for (int32_t i = 0; i < cfg.stages; i++) {
        const int64_t grid = r0 >> i, dim = (int64_t)cfg.embed_dim << i;
        const int64_t window = std::min<int64_t>(cfg.window_size, grid), n = window * window;
        const int64_t per_image = (grid / window) * (grid / window);
        s.lc = std::max(s.lc, grid * grid * dim);
        s.scores = std::max(s.scores, per_image * cfg.num_heads[i] * n * n);
    }
    s.features = (int64_t)c->tokens * c->vision_width;
    s.hidden = std::max(s.lc * cfg.mlp_ratio, r0 * r0 * cfg.input_channels * cfg.patch_size * cfg.patch_size);
    return s;
}

size_t encoder_image_bytes(const tagood_cuda_context *c) {
    const EncoderSizes s = encoder_sizes(c);
    const size_t t = act_size(c);
    return 2 * s.lc * 4 + std::max(s.lc, s.features) * t + 6 * s.lc * t + s.scores * t + s.lc * t + s.hidden * t;
}

/// A test's cap on a chunk size (the device check runs the chunk loops one image at a time with it):
/// the environment variable's value when it is a positive integer, else no cap.
int64_t chunk_limit(const char *variable) {
    const char *text = getenv(variable);
    if (text == nullptr) return INT64_MAX;
    const long long v = atoll(text);
    return v > 0 ? (int64_t)v : INT64_MAX;
}

void allocate_buffers(tagood_cuda_context *c) {
    const tagood_cuda_model_config &cfg = c->config;
    const size_t t = act_size(c);
    const int64_t b = c->max_batch, l1 = c->tokens, e = cfg.encoder_width, d = cfg.head_hidden;
    const int64_t cols = c->columns, heads = cfg.head_heads;
    const int64_t image_floats = (int64_t)cfg.input_channels * cfg.image_resolution * cfg.image_resolution;
    for (int i = 0; i < 2; i++) {
        Slot &s = c->slots[i];
        s.host_images = c->pinned.allocate<float>(b * image_floats, "pinned image buffer");
        s.images = c->arena.allocate<float>(b * image_floats, "image buffer");
        s.embeds = c->arena.allocate<float>(b * l1 * e, "image_embeds");
        s.embeds_t = c->bf16 ? c->arena.allocate(b * l1 * e * t, "image_embeds (bf16)") : s.embeds;
        for (int32_t l = 0; l < cfg.head_layers; l++) {
            s.keys.push_back(c->arena.allocate(b * l1 * d * t, "head keys"));
            s.values.push_back(c->arena.allocate(b * l1 * d * t, "head values"));
        }
        s.attention = c->arena.allocate<float>(b * heads * cols * l1, "layer-0 attention");
        s.probs = c->arena.allocate<float>(b * cols, "probabilities");
        s.host_probs = c->pinned.allocate<float>(b * cols, "pinned probabilities");
        s.offsets = c->arena.allocate<int32_t>(b + 1, "selection");
        s.columns = c->arena.allocate<int32_t>(b * cols, "selection columns");
        s.counts = c->arena.allocate<int32_t>(b, "selection");
        s.kept = c->arena.allocate<int16_t>(b * l1, "selection");
        s.combined = c->arena.allocate<float>(b * l1, "selection");
        s.scratch = c->arena.allocate<float>(b * l1, "selection");
        s.tokens = c->arena.allocate<float>(b * l1 * e, "kept tokens");
        s.global = c->arena.allocate<float>(b * e, "global embeds");
        s.packed = c->arena.allocate<int64_t>(b + 1, "selection");
        s.host_offsets = c->pinned.allocate<int32_t>(b + 1, "pinned selection");
        s.host_columns = c->pinned.allocate<int32_t>(b * cols, "pinned selection columns");
        s.host_counts = c->pinned.allocate<int32_t>(b, "pinned selection");
        s.host_kept = c->pinned.allocate<int16_t>(b * l1, "pinned selection");
        s.host_combined = c->pinned.allocate<float>(b * l1, "pinned selection");
        s.host_tokens = c->pinned.allocate<float>(b * l1 * e, "pinned kept tokens");
        s.host_global = c->pinned.allocate<float>(b * e, "pinned global embeds");
        s.host_packed = c->pinned.allocate<int64_t>(b + 1, "pinned selection");
        check_cuda(cudaEventCreateWithFlags(&s.uploaded, cudaEventDisableTiming), "cudaEventCreate");
        check_cuda(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming), "cudaEventCreate");
    }

    // The head: as many images at a time as fit in about 3 GiB (at least one).
    const size_t row_bytes = head_row_bytes(c);
    const int64_t budget_rows = std::max<int64_t>(cols, (int64_t)((size_t)3 << 30) / (int64_t)row_bytes);
    c->head_chunk = (int32_t)std::max<int64_t>(1, std::min<int64_t>(b, budget_rows / cols));
    c->head_chunk = (int32_t)std::min<int64_t>(c->head_chunk, chunk_limit("TAGOOD_CUDA_HEAD_CHUNK"));
    allocate_head_work(c, c->head_work, c->head_chunk, (int64_t)c->head_chunk * cols, "head workspace");

    // tags_fire: 256 tags × up to 64 images per pass.
    c->fire_tags = std::min<int32_t>(256, cfg.num_tags);
    c->fire_images = (int32_t)std::min<int64_t>(b, 64);
    allocate_head_work(c, c->fire_work, c->fire_images, (int64_t)c->fire_tags * c->fire_images,
                       "tags_fire workspace");
    for (int32_t l = 0; l < cfg.head_layers; l++) {
        c->fire_keys.push_back(c->arena.allocate((size_t)c->fire_images * l1 * d * t, "tags_fire keys"));
        c->fire_values.push_back(c->arena.allocate((size_t)c->fire_images * l1 * d * t, "tags_fire values"));
    }
    if (c->plus) {
        const size_t group = (size_t)tagood_description_stride(c->reweighting.descriptions) * e;
        c->fire_descriptions = c->arena.allocate((size_t)c->fire_tags * group * t, "tags_fire description groups");
    } else {
        c->fire_x0 = c->arena.allocate<float>((size_t)c->fire_tags * d, "tags_fire queries");
        c->fire_q0 = c->arena.allocate((size_t)c->fire_tags * d * t, "tags_fire queries");
    }
    c->fire_probs = c->arena.allocate<float>((size_t)c->fire_tags * c->fire_images, "tags_fire probabilities");
    c->fire_tag_index = c->arena.allocate<int32_t>(c->fire_tags, "tags_fire tags");
    c->fire_image_index = c->arena.allocate<int32_t>(c->fire_images, "tags_fire images");
    c->fire_flags = c->arena.allocate<uint8_t>(c->fire_images, "tags_fire flags");
    c->host_fire_tags = c->pinned.allocate<int32_t>(c->fire_tags, "pinned tags_fire tags");
    c->host_fire_images = c->pinned.allocate<int32_t>(c->fire_images, "pinned tags_fire images");
    c->host_fire_flags = c->pinned.allocate<uint8_t>(c->fire_images, "pinned tags_fire flags");

    // The encoder: max_batch images at a time when they fit in 90% of what is left (less 1 GiB for
    // cuBLAS and the driver), else fewer.
    const size_t per_image = encoder_image_bytes(c);
    size_t free_bytes = 0, total_bytes = 0;
    check_cuda(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    const double usable = (double)free_bytes * 0.9 - (double)((size_t)1 << 30);
    int64_t chunk = usable > 0 ? (int64_t)(usable / (double)per_image) : 0;
    chunk = std::min<int64_t>(std::min<int64_t>(chunk, b), chunk_limit("TAGOOD_CUDA_ENCODER_CHUNK"));
    if (chunk < 1)
        fail(TAGOOD_CUDA_OUT_OF_MEMORY, "the encoder's workspace needs " + format_bytes(per_image) +
                                            " per image and only " + format_bytes(free_bytes) +
                                            " of device memory is free after the weights and the slots (" +
                                            format_bytes(c->arena.total()) + "): lower max_batch");
    c->encoder_chunk = (int32_t)chunk;
    const EncoderSizes s = encoder_sizes(c);
    c->x0 = c->arena.allocate<float>(chunk * s.lc, "encoder residual");
    c->x1 = c->arena.allocate<float>(chunk * s.lc, "encoder residual");
    c->ln = c->arena.allocate(chunk * std::max(s.lc, s.features) * t, "encoder LayerNorm output");
    c->qkv = c->arena.allocate(chunk * 3 * s.lc * t, "encoder qkv");
    c->perm = c->arena.allocate(chunk * 3 * s.lc * t, "encoder q/k/v");
    c->scores = c->arena.allocate(chunk * s.scores * t, "encoder attention scores");
    c->attn = c->arena.allocate(chunk * s.lc * t, "encoder attention output");
    c->hidden = c->arena.allocate(chunk * s.hidden * t, "encoder MLP hidden layer");
}

template <typename F> int32_t guarded(tagood_cuda_context *c, F f) {
    if (c == nullptr) return TAGOOD_CUDA_INVALID_ARGUMENT;
    try {
        check_cuda(cudaSetDevice(c->device), "cudaSetDevice(" + std::to_string(c->device) + ")");
        f();
        return TAGOOD_CUDA_OK;
    } catch (const Failure &e) {
        c->last_error = e.message;
        return e.status;
    } catch (const std::bad_alloc &) {
        c->last_error = "out of host memory";
        return TAGOOD_CUDA_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        c->last_error = std::string("internal error: ") + e.what();
        return TAGOOD_CUDA_CUDA_ERROR;
    }
}

Slot &slot_of(tagood_cuda_context *c, int32_t slot) {
    if (slot != 0 && slot != 1)
        fail(TAGOOD_CUDA_INVALID_ARGUMENT, "slot " + std::to_string(slot) + " is neither 0 nor 1");
    return c->slots[slot];
}

Slot &submitted_slot(tagood_cuda_context *c, int32_t slot, const char *call) {
    Slot &s = slot_of(c, slot);
    if (!s.submitted)
        fail(TAGOOD_CUDA_BAD_STATE, std::string(call) + ": slot " + std::to_string(slot) +
                                        " has no batch (submit one first; tagood_cuda_select frees the slot)");
    return s;
}

/// memcpy on several threads for large copies (a batch of 384² images is about 450 MB).
void parallel_copy(void *dst, const void *src, size_t bytes) {
    const size_t piece = (size_t)64 << 20;
    const unsigned threads = (unsigned)std::min<size_t>(8, std::max<size_t>(1, bytes / piece));
    if (threads <= 1) {
        memcpy(dst, src, bytes);
        return;
    }
    std::vector<std::thread> pool;
    const size_t each = (bytes + threads - 1) / threads;
    for (unsigned i = 0; i < threads; i++) {
        const size_t begin = i * each, end = std::min(bytes, begin + each);
        if (begin >= end) break;
        pool.emplace_back([=] { memcpy((char *)dst + begin, (const char *)src + begin, end - begin); });
    }
    for (auto &t : pool) t.join();
}

}  // namespace

// MARK: The API

extern "C" {

int32_t tagood_cuda_api_version(void) { return TAGOOD_CUDA_API_VERSION; }

int32_t tagood_cuda_describe_device(int32_t device, tagood_cuda_device_info *info, char *error, size_t error_size) {
    write_error(error, error_size, "");
    if (info == nullptr) {
        write_error(error, error_size, "tagood_cuda_describe_device: info is NULL");
        return TAGOOD_CUDA_INVALID_ARGUMENT;
    }
    memset(info, 0, sizeof *info);
    try {
        open_device(device);
        cudaDeviceProp prop;
        check_cuda(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
        snprintf(info->name, sizeof info->name, "%s", prop.name);
        info->memory_bytes = (int64_t)prop.totalGlobalMem;
        int value = 0;
        check_cuda(cudaDeviceGetAttribute(&value, cudaDevAttrComputeCapabilityMajor, device), "cudaDeviceGetAttribute");
        info->compute_major = value;
        check_cuda(cudaDeviceGetAttribute(&value, cudaDevAttrComputeCapabilityMinor, device), "cudaDeviceGetAttribute");
        info->compute_minor = value;
        check_cuda(cudaDeviceGetAttribute(&value, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
        info->multiprocessors = value;
        check_cuda(cudaDriverGetVersion(&value), "cudaDriverGetVersion");
        info->driver_version = value;
        check_cuda(cudaRuntimeGetVersion(&value), "cudaRuntimeGetVersion");
        info->runtime_version = value;
        return TAGOOD_CUDA_OK;
    } catch (const Failure &e) {
        write_error(error, error_size, e.message);
        return e.status;
    }
}

int32_t tagood_cuda_create(const tagood_cuda_model_config *config, const tagood_cuda_options *options,
                           tagood_cuda_tensor_fn tensors, void *user, tagood_cuda_context **out, char *error,
                           size_t error_size) {
    write_error(error, error_size, "");
    if (out != nullptr) *out = nullptr;
    if (config == nullptr || options == nullptr || tensors == nullptr || out == nullptr) {
        write_error(error, error_size, "tagood_cuda_create: config, options, tensors and out must not be NULL");
        return TAGOOD_CUDA_INVALID_ARGUMENT;
    }
    tagood_cuda_context *c = nullptr;
    try {
        check_config(*config, *options);
        open_device(options->device);
        int major = 0, minor = 0;
        check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, options->device),
                   "cudaDeviceGetAttribute");
        check_cuda(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, options->device),
                   "cudaDeviceGetAttribute");
        if (major != 8 && major != 9)
            fail(TAGOOD_CUDA_NO_DEVICE, "CUDA device " + std::to_string(options->device) + " is sm_" +
                                            std::to_string(major) + std::to_string(minor) +
                                            "; this libtagood_cuda has code for sm_80 (and sm_86/sm_89) and sm_90 "
                                            "only: rebuild it with that architecture in cuda/Makefile's -gencode");
        c = new tagood_cuda_context();
        c->config = *config;
        c->device = options->device;
        c->bf16 = options->precision == TAGOOD_CUDA_BF16;
        c->max_batch = options->max_batch;
        c->all_tags = options->all_tags != 0;
        if (!c->all_tags) c->id_tags.assign(options->id_tags, options->id_tags + options->id_tag_count);
        c->columns = c->all_tags ? config->num_tags : options->id_tag_count;
        c->stages = config->stages;
        const int32_t last = (config->image_resolution / config->patch_size) >> (config->stages - 1);
        c->tokens = last * last + 1;
        c->vision_width = config->embed_dim << (config->stages - 1);
        c->plus = config->descriptions_per_tag > 1;
        c->reweighting.descriptions = std::max(1, config->descriptions_per_tag);
        c->reweighting.width = config->encoder_width;
        c->reweighting.hidden = config->head_hidden;

        check_cuda(cudaStreamCreateWithFlags(&c->compute, cudaStreamNonBlocking), "cudaStreamCreate(compute)");
        check_cuda(cudaStreamCreateWithFlags(&c->copy, cudaStreamNonBlocking), "cudaStreamCreate(copy)");
        int least = 0, greatest = 0;
        check_cuda(cudaDeviceGetStreamPriorityRange(&least, &greatest), "cudaDeviceGetStreamPriorityRange");
        check_cuda(cudaStreamCreateWithPriority(&c->aux, cudaStreamNonBlocking, greatest), "cudaStreamCreate(aux)");
        check_cublas(cublasLtCreate(&c->lt), "cublasLtCreate");
        const size_t workspace = (size_t)32 << 20;
        c->lt_workspace_compute = c->arena.allocate(workspace, "cuBLASLt workspace");
        c->lt_workspace_aux = c->arena.allocate(workspace, "cuBLASLt workspace");
        const bool pedantic = !c->bf16;
        c->gemm_compute.init(c->lt, c->compute, c->lt_workspace_compute, workspace, pedantic);
        c->gemm_aux.init(c->lt, c->aux, c->lt_workspace_aux, workspace, pedantic);

        load_weights(c, tensors, user);
        allocate_buffers(c);
        check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize(create)");
        *out = c;
        return TAGOOD_CUDA_OK;
    } catch (const Failure &e) {
        write_error(error, error_size, e.message);
        delete c;
        return e.status;
    } catch (const std::bad_alloc &) {
        write_error(error, error_size, "out of host memory");
        delete c;
        return TAGOOD_CUDA_OUT_OF_MEMORY;
    }
}

const char *tagood_cuda_last_error(const tagood_cuda_context *context) {
    return context == nullptr ? "" : context->last_error.c_str();
}

void tagood_cuda_destroy(tagood_cuda_context *context) {
    if (context == nullptr) return;
    cudaSetDevice(context->device);
    delete context;
}

int32_t tagood_cuda_submit(tagood_cuda_context *c, int32_t slot, const float *images, int32_t count) {
    return guarded(c, [&] {
        Slot &s = slot_of(c, slot);
        if (s.submitted)
            fail(TAGOOD_CUDA_BAD_STATE, "tagood_cuda_submit: slot " + std::to_string(slot) +
                                            " still holds a batch (collect it with tagood_cuda_select first)");
        if (count < 1 || count > c->max_batch)
            fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_submit: " + std::to_string(count) +
                                                   " images; a batch has 1..." + std::to_string(c->max_batch));
        if (images == nullptr) fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_submit: images is NULL");
        const tagood_cuda_model_config &cfg = c->config;
        const size_t bytes =
            (size_t)count * cfg.input_channels * cfg.image_resolution * cfg.image_resolution * sizeof(float);
        parallel_copy(s.host_images, images, bytes);
        check_cuda(cudaMemcpyAsync(s.images, s.host_images, bytes, cudaMemcpyHostToDevice, c->copy),
                   "cudaMemcpyAsync(upload images, " + format_bytes(bytes) + ")");
        check_cuda(cudaEventRecord(s.uploaded, c->copy), "cudaEventRecord(uploaded)");
        check_cuda(cudaStreamWaitEvent(c->compute, s.uploaded, 0), "cudaStreamWaitEvent(uploaded)");
        s.count = count;
        run_forward(c, s);
        check_cuda(cudaMemcpyAsync(s.host_probs, s.probs, (size_t)count * c->columns * sizeof(float),
                                   cudaMemcpyDeviceToHost, c->compute),
                   "cudaMemcpyAsync(probabilities)");
        check_cuda(cudaEventRecord(s.done, c->compute), "cudaEventRecord(done)");
        s.submitted = true;
    });
}

int32_t tagood_cuda_probabilities(tagood_cuda_context *c, int32_t slot, float *probs) {
    return guarded(c, [&] {
        Slot &s = submitted_slot(c, slot, "tagood_cuda_probabilities");
        if (probs == nullptr) fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_probabilities: probs is NULL");
        check_cuda(cudaEventSynchronize(s.done), "the forward pass (cudaEventSynchronize)");
        memcpy(probs, s.host_probs, (size_t)s.count * c->columns * sizeof(float));
    });
}

int32_t tagood_cuda_tags_fire(tagood_cuda_context *c, int32_t slot, const int32_t *images, int32_t image_count,
                              const int32_t *tags, int32_t tag_count, float threshold, uint8_t *fired) {
    return guarded(c, [&] {
        Slot &s = submitted_slot(c, slot, "tagood_cuda_tags_fire");
        if (image_count < 0 || tag_count < 0 || (image_count > 0 && (images == nullptr || fired == nullptr)) ||
            (tag_count > 0 && tags == nullptr))
            fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_tags_fire: bad counts or NULL arrays");
        for (int32_t i = 0; i < image_count; i++) {
            if (images[i] < 0 || images[i] >= s.count)
                fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_tags_fire: image " + std::to_string(images[i]) +
                                                       " is not in the batch of " + std::to_string(s.count));
        }
        for (int32_t i = 0; i < tag_count; i++) {
            if (tags[i] < 0 || tags[i] >= c->config.num_tags)
                fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_tags_fire: tag " + std::to_string(tags[i]) +
                                                       " is outside the model's " +
                                                       std::to_string(c->config.num_tags) + " tags");
        }
        for (int32_t i = 0; i < image_count; i++) fired[i] = 0;
        if (image_count == 0 || tag_count == 0) return;
        check_cuda(cudaStreamWaitEvent(c->aux, s.done, 0), "cudaStreamWaitEvent(done)");
        std::vector<int32_t> active(image_count);
        for (int32_t i = 0; i < image_count; i++) active[i] = i;
        for (int32_t start = 0; start < tag_count && !active.empty(); start += c->fire_tags) {
            const int32_t k = std::min(c->fire_tags, tag_count - start);
            memcpy(c->host_fire_tags, tags + start, k * sizeof(int32_t));
            check_cuda(cudaMemcpyAsync(c->fire_tag_index, c->host_fire_tags, k * sizeof(int32_t),
                                       cudaMemcpyHostToDevice, c->aux),
                       "cudaMemcpyAsync(tags_fire tags)");
            run_fire_gather(c, s, 0, k);
            std::vector<int32_t> still;
            for (size_t p = 0; p < active.size(); p += c->fire_images) {
                const int32_t m = (int32_t)std::min<size_t>(c->fire_images, active.size() - p);
                for (int32_t j = 0; j < m; j++) c->host_fire_images[j] = images[active[p + j]];
                check_cuda(cudaMemcpyAsync(c->fire_image_index, c->host_fire_images, m * sizeof(int32_t),
                                           cudaMemcpyHostToDevice, c->aux),
                           "cudaMemcpyAsync(tags_fire images)");
                run_fire_gather(c, s, m, 0);
                run_fire_pass(c, m, k, threshold);
                check_cuda(cudaMemcpyAsync(c->host_fire_flags, c->fire_flags, m, cudaMemcpyDeviceToHost, c->aux),
                           "cudaMemcpyAsync(tags_fire flags)");
                check_cuda(cudaStreamSynchronize(c->aux), "tags_fire (cudaStreamSynchronize)");
                for (int32_t j = 0; j < m; j++) {
                    if (c->host_fire_flags[j]) fired[active[p + j]] = 1;
                    else still.push_back(active[p + j]);
                }
            }
            active.swap(still);
        }
    });
}

int32_t tagood_cuda_select(tagood_cuda_context *c, int32_t slot, const int32_t *offsets, const int32_t *columns,
                           float attention_threshold, float *attention, int32_t *kept_counts, int16_t *kept_index,
                           float *kept_tokens, float *global_embeds) {
    return guarded(c, [&] {
        Slot &s = submitted_slot(c, slot, "tagood_cuda_select");
        const int32_t n = s.count, l1 = c->tokens, e = c->config.encoder_width, heads = c->config.head_heads;
        if (offsets == nullptr || attention == nullptr || kept_counts == nullptr || kept_index == nullptr ||
            kept_tokens == nullptr || global_embeds == nullptr)
            fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_select: a NULL array");
        if (offsets[0] < 0) fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_select: offsets[0] is negative");
        for (int32_t i = 0; i < n; i++) {
            if (offsets[i + 1] < offsets[i])
                fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_select: offsets decrease at image " +
                                                       std::to_string(i));
        }
        const int64_t total_columns = offsets[n];
        if (total_columns > (int64_t)n * c->columns)
            fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_select: " + std::to_string(total_columns) +
                                                   " columns for " + std::to_string(n) + " images of " +
                                                   std::to_string(c->columns) + " columns");
        if (total_columns > 0 && columns == nullptr)
            fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_select: columns is NULL");
        for (int64_t j = offsets[0]; j < total_columns; j++) {
            if (columns[j] < 0 || columns[j] >= c->columns)
                fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_select: column " + std::to_string(columns[j]) +
                                                       " is outside the " + std::to_string(c->columns) +
                                                       " probability columns");
        }
        memcpy(s.host_offsets, offsets, (size_t)(n + 1) * sizeof(int32_t));
        if (total_columns > 0) memcpy(s.host_columns, columns, (size_t)total_columns * sizeof(int32_t));
        cudaStream_t a = c->aux;
        check_cuda(cudaStreamWaitEvent(a, s.done, 0), "cudaStreamWaitEvent(done)");
        check_cuda(cudaMemcpyAsync(s.offsets, s.host_offsets, (size_t)(n + 1) * sizeof(int32_t),
                                   cudaMemcpyHostToDevice, a),
                   "cudaMemcpyAsync(selection offsets)");
        if (total_columns > 0)
            check_cuda(cudaMemcpyAsync(s.columns, s.host_columns, (size_t)total_columns * sizeof(int32_t),
                                       cudaMemcpyHostToDevice, a),
                       "cudaMemcpyAsync(selection columns)");
        select_tokens(s.attention, n, heads, c->columns, l1, s.offsets, s.columns, attention_threshold, s.scratch,
                      s.combined, s.kept, s.counts, s.packed, a);
        gather_kept(s.embeds, s.kept, s.packed, n, l1, e, s.tokens, a);
        check_cuda(cudaMemcpy2DAsync(s.global, e * sizeof(float), s.embeds, (size_t)l1 * e * sizeof(float),
                                     e * sizeof(float), n, cudaMemcpyDeviceToDevice, a),
                   "cudaMemcpy2DAsync(global embeds)");
        auto d2h = [&](void *dst, const void *src, size_t bytes, const char *what) {
            check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, a), what);
        };
        d2h(s.host_combined, s.combined, (size_t)n * l1 * sizeof(float), "cudaMemcpyAsync(selection attention)");
        d2h(s.host_counts, s.counts, (size_t)n * sizeof(int32_t), "cudaMemcpyAsync(kept counts)");
        d2h(s.host_kept, s.kept, (size_t)n * l1 * sizeof(int16_t), "cudaMemcpyAsync(kept index)");
        d2h(s.host_global, s.global, (size_t)n * e * sizeof(float), "cudaMemcpyAsync(global embeds)");
        d2h(s.host_packed, s.packed, (size_t)(n + 1) * sizeof(int64_t), "cudaMemcpyAsync(kept offsets)");
        check_cuda(cudaStreamSynchronize(a), "the selection (cudaStreamSynchronize)");
        const int64_t total = s.host_packed[n];
        if (total > 0) {
            d2h(s.host_tokens, s.tokens, (size_t)total * e * sizeof(float), "cudaMemcpyAsync(kept tokens)");
            check_cuda(cudaStreamSynchronize(a), "the kept tokens (cudaStreamSynchronize)");
        }
        memcpy(attention, s.host_combined, (size_t)n * l1 * sizeof(float));
        memcpy(kept_counts, s.host_counts, (size_t)n * sizeof(int32_t));
        memcpy(kept_index, s.host_kept, (size_t)n * l1 * sizeof(int16_t));
        memcpy(global_embeds, s.host_global, (size_t)n * e * sizeof(float));
        if (total > 0) parallel_copy(kept_tokens, s.host_tokens, (size_t)total * e * sizeof(float));
        s.submitted = false;
    });
}

int32_t tagood_cuda_image_embeds(tagood_cuda_context *c, int32_t slot, float *image_embeds) {
    return guarded(c, [&] {
        Slot &s = submitted_slot(c, slot, "tagood_cuda_image_embeds");
        if (image_embeds == nullptr) fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_image_embeds: NULL output");
        check_cuda(cudaEventSynchronize(s.done), "the forward pass (cudaEventSynchronize)");
        const size_t bytes = (size_t)s.count * c->tokens * c->config.encoder_width * sizeof(float);
        check_cuda(cudaMemcpyAsync(image_embeds, s.embeds, bytes, cudaMemcpyDeviceToHost, c->aux),
                   "cudaMemcpyAsync(image_embeds)");
        check_cuda(cudaStreamSynchronize(c->aux), "cudaStreamSynchronize(image_embeds)");
    });
}

int32_t tagood_cuda_layer0_attention(tagood_cuda_context *c, int32_t slot, float *attention) {
    return guarded(c, [&] {
        Slot &s = submitted_slot(c, slot, "tagood_cuda_layer0_attention");
        if (attention == nullptr) fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_layer0_attention: NULL output");
        check_cuda(cudaEventSynchronize(s.done), "the forward pass (cudaEventSynchronize)");
        const size_t bytes = (size_t)s.count * c->config.head_heads * c->columns * c->tokens * sizeof(float);
        check_cuda(cudaMemcpyAsync(attention, s.attention, bytes, cudaMemcpyDeviceToHost, c->aux),
                   "cudaMemcpyAsync(layer-0 attention)");
        check_cuda(cudaStreamSynchronize(c->aux), "cudaStreamSynchronize(layer-0 attention)");
    });
}

}  // extern "C"
