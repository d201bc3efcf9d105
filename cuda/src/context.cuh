// The context: the model's weights on the device, the two slots, the workspaces and the streams.
#pragma once

#include <string>
#include <vector>

#include "common.cuh"

namespace tagood {

struct LinearW {
    void *w = nullptr;   // T [out, in]
    float *b = nullptr;  // fp32 [out], or null
    int32_t in = 0, out = 0;
};

struct NormW {
    float *g = nullptr, *b = nullptr;
    int32_t width = 0;
};

struct BlockW {
    NormW norm1, norm2;
    LinearW qkv, proj, fc1, fc2;
    float *bias = nullptr;      // the dense relative-position bias [heads, N, N]
    int8_t *labels = nullptr;   // the shift mask's region labels [nW, N] (null when shift is 0)
    int32_t dim = 0, heads = 0, grid = 0, window = 0, shift = 0;
};

struct MergeW {
    NormW norm;
    LinearW reduction;
    int32_t grid = 0, dim = 0;
};

struct HeadLayerW {
    LinearW query, key, value, dense, inter, out;
    NormW attn_norm, out_norm;
};

/// The buffers of the tagging head for `rows` (images × columns) rows. RAM++ adds the reweighting's: the
/// images' cls rows (T [images, E]), the logits (fp32) and weights (T) [images, columns, stride], and the
/// mixed descriptions (T [rows, E]); its queries go into x (fp32, the residual base) and q (layer 0's).
struct HeadWork {
    int64_t rows = 0;
    float *x = nullptr, *a = nullptr;
    void *xt = nullptr, *at = nullptr, *q = nullptr, *ctx = nullptr, *tmp = nullptr, *inter = nullptr;
    void *scores = nullptr;
    void *cls = nullptr, *weights = nullptr, *mixed = nullptr;
    float *logits = nullptr;
};

/// RAM++'s reweighting: what the per-image tag queries need besides the description rows.
struct Reweighting {
    int32_t descriptions = 1;  // label_embed rows per tag (1: RAM, no reweighting)
    int32_t width = 0;         // encoder_width E
    int32_t hidden = 0;        // head_hidden D
    float scale = 0.0f;        // exp(reweight_scale)
    LinearW wordvec;           // wordvec_proj [D, E]
    LinearW query0;            // layer 0's query [D, D]
};

/// One of the two pipeline slots: its images, its outputs, and the selection's buffers.
struct Slot {
    float *host_images = nullptr, *images = nullptr;
    float *embeds = nullptr;
    void *embeds_t = nullptr;  // T copy for the head's products (== embeds in the fp32 mode)
    std::vector<void *> keys, values;
    float *attention = nullptr, *probs = nullptr, *host_probs = nullptr;
    int32_t *offsets = nullptr, *columns = nullptr, *counts = nullptr;
    int16_t *kept = nullptr;
    float *combined = nullptr, *scratch = nullptr, *tokens = nullptr, *global = nullptr;
    int64_t *packed = nullptr;
    int32_t *host_offsets = nullptr, *host_columns = nullptr, *host_counts = nullptr;
    int16_t *host_kept = nullptr;
    float *host_combined = nullptr, *host_tokens = nullptr, *host_global = nullptr;
    int64_t *host_packed = nullptr;
    cudaEvent_t uploaded = nullptr, done = nullptr;
    int32_t count = 0;
    bool submitted = false;
};

/// Pinned host allocations, freed together.
class PinnedArena {
  public:
    ~PinnedArena() { release_all(); }
    void *allocate(size_t bytes, const char *what);
    template <typename T> T *allocate(size_t count, const char *what) {
        return static_cast<T *>(allocate(count * sizeof(T), what));
    }
    void release_all();

  private:
    std::vector<void *> blocks_;
};

}  // namespace tagood

struct tagood_cuda_context {
    tagood_cuda_model_config config{};
    int32_t device = 0;
    bool bf16 = true;
    int32_t max_batch = 0;
    bool all_tags = false;
    std::vector<int32_t> id_tags;

    // Derived sizes.
    int32_t columns = 0;  // probability columns
    int32_t tokens = 0;   // L + 1
    int32_t vision_width = 0;
    int32_t stages = 0;

    cudaStream_t compute = nullptr, copy = nullptr, aux = nullptr;
    cublasLtHandle_t lt = nullptr;
    tagood::Gemm gemm_compute, gemm_aux;
    void *lt_workspace_compute = nullptr, *lt_workspace_aux = nullptr;
    tagood::DeviceArena arena;
    tagood::PinnedArena pinned;

    // Weights.
    void *patch_w = nullptr;
    float *patch_b = nullptr;
    tagood::NormW patch_norm, final_norm;
    std::vector<std::vector<tagood::BlockW>> blocks;
    std::vector<tagood::MergeW> merges;
    tagood::LinearW image_proj;
    std::vector<tagood::HeadLayerW> head;
    float *fc_w = nullptr;
    float fc_b = 0.0f;
    float *queries = nullptr;  // relu(wordvec_proj(label_embed)) fp32 [num_tags, D]
    void *queries0 = nullptr;  // layer 0's projected queries, T [num_tags, D]
    float *column_queries = nullptr;  // the columns' rows of `queries`
    void *column_queries0 = nullptr;  // the columns' rows of `queries0`

    // RAM++ (descriptions_per_tag > 1): the tag queries are made per batch from these.
    bool plus = false;
    tagood::Reweighting reweighting;
    void *descriptions = nullptr;         // label_embed in padded groups, T [num_tags, stride, E]
    void *column_descriptions = nullptr;  // the columns' groups (== descriptions with all_tags)

    // The encoder's workspace, for `encoder_chunk` images at a time.
    int32_t encoder_chunk = 0;
    float *x0 = nullptr, *x1 = nullptr;
    void *ln = nullptr, *qkv = nullptr, *perm = nullptr, *scores = nullptr, *attn = nullptr, *hidden = nullptr;

    // The head's workspace on the compute stream: `head_chunk` images at a time.
    int32_t head_chunk = 0;
    tagood::HeadWork head_work;

    // tags_fire's workspace on the aux stream.
    int32_t fire_tags = 0, fire_images = 0;
    tagood::HeadWork fire_work;
    std::vector<void *> fire_keys, fire_values;
    float *fire_x0 = nullptr, *fire_probs = nullptr;
    void *fire_q0 = nullptr;
    void *fire_descriptions = nullptr;  // RAM++: the gathered tags' groups, T [fire_tags, stride, E]
    int32_t *fire_tag_index = nullptr, *fire_image_index = nullptr;
    uint8_t *fire_flags = nullptr;
    int32_t *host_fire_tags = nullptr, *host_fire_images = nullptr;
    uint8_t *host_fire_flags = nullptr;

    tagood::Slot slots[2];
    std::string last_error;

    ~tagood_cuda_context();
};
