// tagood_cuda_debug_kernel: runs one kernel (or a kernel and its products) on host arrays, for the device
// check's kernel-level parity (tools/gpu/harness.py compares each with a NumPy version). Not part of the
// API that tagood uses (tagood_cuda.h); the loader does not resolve it.
#include <cstring>
#include <string>

#include "common.cuh"
#include "forward.cuh"
#include "kernels.cuh"

using namespace tagood;

namespace {

struct DebugRun {
    cudaStream_t stream = nullptr;
    cublasLtHandle_t lt = nullptr;
    DeviceArena arena;
    Gemm gemm;

    ~DebugRun() {
        if (stream) cudaStreamSynchronize(stream);
        gemm.release();
        arena.release_all();
        if (lt) cublasLtDestroy(lt);
        if (stream) cudaStreamDestroy(stream);
    }

    float *upload(const float *host, int64_t count) {
        float *d = arena.allocate<float>(count, "debug input");
        check_cuda(cudaMemcpy(d, host, count * sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy(debug input)");
        return d;
    }
    template <typename T> T *upload_as(const float *host, int64_t count) {
        float *f = upload(host, count);
        T *d = arena.allocate<T>(count, "debug input");
        convert<T>(f, d, count, stream);
        return d;
    }
    template <typename T> void download(const T *d, float *host, int64_t count) {
        float *f = arena.allocate<float>(count, "debug output");
        widen<T>(d, f, count, stream);
        check_cuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize(debug kernel)");
        check_cuda(cudaMemcpy(host, f, count * sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy(debug output)");
    }
};

void need(bool ok, const std::string &what) {
    if (!ok) fail(TAGOOD_CUDA_INVALID_ARGUMENT, "tagood_cuda_debug_kernel: " + what);
}

template <typename T>
void run_kernel(DebugRun &r, const std::string &name, const int64_t *p, int32_t np, const float *const *in,
                const int64_t *counts, int32_t nin, float *out, int64_t out_count) {
    const cudaDataType_t t = TypeInfo<T>::cuda;
    cudaStream_t s = r.stream;
    auto inputs = [&](int32_t want, int32_t params) {
        need(nin == want && np == params, name + " takes " + std::to_string(want) + " inputs and " +
                                              std::to_string(params) + " parameters");
    };
    auto output = [&](int64_t want) {
        need(out_count == want, name + " writes " + std::to_string(want) + " values, not " + std::to_string(out_count));
    };
    if (name == "patch_rows") {  // images, channels, resolution, patch
        inputs(1, 4);
        const int64_t r0 = p[2] / p[3], rows = p[0] * r0 * r0, cols = p[1] * p[3] * p[3];
        output(rows * cols);
        float *images = r.upload(in[0], counts[0]);
        T *o = r.arena.allocate<T>(rows * cols, "debug");
        patch_rows<T>(images, o, p[0], (int32_t)p[1], (int32_t)p[2], (int32_t)p[3], s);
        r.download(o, out, rows * cols);
    } else if (name == "window_layer_norm") {  // images, grid, width, window, shift; x, gamma, beta
        inputs(3, 5);
        const int64_t rows = p[0] * p[1] * p[1];
        output(rows * p[2]);
        float *x = r.upload(in[0], counts[0]), *g = r.upload(in[1], counts[1]), *b = r.upload(in[2], counts[2]);
        T *o = r.arena.allocate<T>(rows * p[2], "debug");
        layer_norm_windows<T>(x, o, rows, (int32_t)p[2], g, b, 1e-5f, (int32_t)p[1], (int32_t)p[3], (int32_t)p[4], s);
        r.download(o, out, rows * p[2]);
    } else if (name == "window_attention") {  // images, grid, width, heads, window, shift; qkv, qkv bias, table
        inputs(3, 6);
        const int32_t grid = (int32_t)p[1], dim = (int32_t)p[2], heads = (int32_t)p[3], ws = (int32_t)p[4];
        const int32_t shift = (int32_t)p[5], n = ws * ws, hd = dim / heads;
        const int64_t rows = p[0] * grid * grid;
        const int32_t per_image = (grid / ws) * (grid / ws);
        const int64_t windows = p[0] * per_image;
        output(rows * dim);
        T *qkv = r.upload_as<T>(in[0], counts[0]);
        float *bias = r.upload(in[1], counts[1]);
        std::vector<float> dense((size_t)heads * n * n);
        for (int32_t h = 0; h < heads; h++)
            for (int32_t a = 0; a < n; a++)
                for (int32_t b = 0; b < n; b++)
                    dense[((size_t)h * n + a) * n + b] = in[2][tagood_relative_bias_source(h, a, b, ws, heads)];
        float *rel = r.upload(dense.data(), (int64_t)dense.size());
        T *perm = r.arena.allocate<T>(rows * 3 * dim, "debug");
        T *scores = r.arena.allocate<T>(windows * heads * n * n, "debug");
        T *attn = r.arena.allocate<T>(rows * dim, "debug");
        qkv_permute<T>(qkv, bias, perm, rows, dim, n, heads, s);
        const int64_t part = rows * dim;
        r.gemm.run(false, true, n, n, hd, 1.0f / sqrtf((float)hd), Operand{perm, t, hd, (int64_t)n * hd},
                   Operand{perm + part, t, hd, (int64_t)n * hd}, 0.0f, scores, t, n, (int64_t)n * n, windows * heads,
                   "debug window scores");
        int8_t *labels = nullptr;
        if (shift > 0) {
            const std::vector<int8_t> host = shift_labels(grid, ws, shift);
            labels = r.arena.allocate<int8_t>(host.size(), "debug");
            check_cuda(cudaMemcpy(labels, host.data(), host.size(), cudaMemcpyHostToDevice), "cudaMemcpy(labels)");
        }
        window_softmax<T>(scores, windows, heads, n, rel, per_image, labels, s);
        for (int32_t h = 0; h < heads; h++)
            r.gemm.run(false, false, n, hd, n, 1.0f,
                       Operand{scores + (int64_t)h * windows * n * n, t, n, (int64_t)n * n},
                       Operand{perm + 2 * part + (int64_t)h * windows * n * hd, t, hd, (int64_t)n * hd}, 0.0f,
                       attn + h * hd, t, dim, (int64_t)n * dim, windows, "debug window attention · v");
        r.download(attn, out, rows * dim);
    } else if (name == "window_scatter_add") {  // images, grid, width, window, shift; y, bias, x
        inputs(3, 5);
        const int64_t rows = p[0] * p[1] * p[1];
        output(rows * p[2]);
        T *y = r.upload_as<T>(in[0], counts[0]);
        float *b = r.upload(in[1], counts[1]), *x = r.upload(in[2], counts[2]);
        window_scatter_add<T>(y, b, x, rows, (int32_t)p[2], (int32_t)p[1], (int32_t)p[3], (int32_t)p[4], s);
        r.download(x, out, rows * p[2]);
    } else if (name == "merge_layer_norm") {  // images, grid, width; x, gamma, beta
        inputs(3, 3);
        const int64_t rows = p[0] * (p[1] / 2) * (p[1] / 2), width = 4 * p[2];
        output(rows * width);
        float *x = r.upload(in[0], counts[0]), *g = r.upload(in[1], counts[1]), *b = r.upload(in[2], counts[2]);
        T *o = r.arena.allocate<T>(rows * width, "debug");
        merge_layer_norm<T>(x, o, p[0], (int32_t)p[1], (int32_t)p[2], g, b, 1e-5f, s);
        r.download(o, out, rows * width);
    } else if (name == "head_attention") {  // images, columns, tokens, hidden, heads; q [columns, D], k [images, L1, D]
        inputs(2, 5);
        const int32_t images = (int32_t)p[0], cols = (int32_t)p[1], l1 = (int32_t)p[2], d = (int32_t)p[3];
        const int32_t heads = (int32_t)p[4], hd = d / heads;
        const int64_t total = (int64_t)images * heads * cols * l1;
        output(total);
        T *q = r.upload_as<T>(in[0], counts[0]), *k = r.upload_as<T>(in[1], counts[1]);
        T *scores = r.arena.allocate<T>(total, "debug");
        float *probs = r.arena.allocate<float>(total, "debug");
        for (int32_t h = 0; h < heads; h++)
            r.gemm.run(false, true, cols, l1, hd, 1.0f / sqrtf((float)hd), Operand{q + h * hd, t, d, 0},
                       Operand{k + h * hd, t, d, (int64_t)l1 * d}, 0.0f, scores + (int64_t)h * cols * l1, t, l1,
                       (int64_t)heads * cols * l1, images, "debug head scores");
        row_softmax<T>(scores, (int64_t)images * heads * cols, l1, probs, s);
        r.download(probs, out, total);
    } else if (name == "linear") {  // rows, in, out; x, w (fp32 output of a T product)
        inputs(2, 3);
        output(p[0] * p[2]);
        T *x = r.upload_as<T>(in[0], counts[0]), *w = r.upload_as<T>(in[1], counts[1]);
        float *y = r.arena.allocate<float>(p[0] * p[2], "debug");
        r.gemm.linear(x, t, p[0], p[1], w, t, p[2], y, CUDA_R_32F, 0.0f, "debug linear");
        r.download(y, out, p[0] * p[2]);
    } else if (name == "reweighted_queries") {
        // images, tags, descriptions, width E, hidden D; row 0 of each image [images, E], label_embed
        // [tags · descriptions, E], wordvec_proj weight and bias, layer 0's query weight and bias,
        // reweight_scale [1], the columns' tag ids [k]. Writes x [images, k, D] then q0 [images, k, D].
        inputs(8, 5);
        const int32_t images = (int32_t)p[0], tags = (int32_t)p[1], dd = (int32_t)p[2], e = (int32_t)p[3];
        const int32_t d = (int32_t)p[4], k = (int32_t)counts[7], stride = tagood_description_stride(dd);
        const int64_t rows = (int64_t)images * k, group = (int64_t)stride * e;
        output(2 * rows * d);
        need(counts[0] == (int64_t)images * e && counts[1] == (int64_t)tags * dd * e && counts[6] == 1,
             "reweighted_queries: input sizes do not match the parameters");
        float *embeds = r.upload(in[0], counts[0]), *label = r.upload(in[1], counts[1]);
        T *groups = r.arena.allocate<T>(tags * group, "debug");
        pad_descriptions<T>(label, groups, tags, dd, e, s);
        std::vector<int32_t> columns(k);
        for (int32_t i = 0; i < k; i++) columns[i] = (int32_t)in[7][i];
        int32_t *index = r.arena.allocate<int32_t>(k, "debug");
        check_cuda(cudaMemcpy(index, columns.data(), k * sizeof(int32_t), cudaMemcpyHostToDevice), "cudaMemcpy");
        T *column_groups = r.arena.allocate<T>(k * group, "debug");
        gather_rows<T>(groups, index, column_groups, k, (int32_t)group, s);
        Reweighting rw;
        rw.descriptions = dd;
        rw.width = e;
        rw.hidden = d;
        rw.scale = expf(in[6][0]);
        rw.wordvec.w = r.upload_as<T>(in[2], counts[2]);
        rw.wordvec.b = r.upload(in[3], counts[3]);
        rw.query0.w = r.upload_as<T>(in[4], counts[4]);
        rw.query0.b = r.upload(in[5], counts[5]);
        HeadWork w;
        w.cls = r.arena.allocate<T>((int64_t)images * e, "debug");
        w.logits = r.arena.allocate<float>(rows * stride, "debug");
        w.weights = r.arena.allocate<T>(rows * stride, "debug");
        w.mixed = r.arena.allocate<T>(rows * e, "debug");
        w.x = r.arena.allocate<float>(rows * d, "debug");
        w.xt = r.arena.allocate<T>(rows * d, "debug");
        w.q = r.arena.allocate<T>(rows * d, "debug");
        cls_rows<T>(embeds, nullptr, static_cast<T *>(w.cls), images, 1, e, s);
        reweighted_queries<T>(r.gemm, s, rw, w, images, k, column_groups);
        r.download(w.x, out, rows * d);
        r.download(static_cast<const T *>(w.q), out + rows * d, rows * d);
    } else if (name == "select") {  // images, heads, columns, tokens; attention, offsets, chosen, threshold
        inputs(4, 4);
        const int32_t images = (int32_t)p[0], heads = (int32_t)p[1], cols = (int32_t)p[2], l1 = (int32_t)p[3];
        output((int64_t)images * l1 * 2 + images + images + 1);
        need(counts[1] == images + 1, "select: offsets must have images + 1 values");
        float *att = r.upload(in[0], counts[0]);
        std::vector<int32_t> offsets(images + 1), chosen(std::max<int64_t>(1, counts[2]));
        for (int32_t i = 0; i <= images; i++) offsets[i] = (int32_t)in[1][i];
        for (int64_t i = 0; i < counts[2]; i++) chosen[i] = (int32_t)in[2][i];
        int32_t *d_offsets = r.arena.allocate<int32_t>(images + 1, "debug");
        int32_t *d_chosen = r.arena.allocate<int32_t>(chosen.size(), "debug");
        check_cuda(cudaMemcpy(d_offsets, offsets.data(), offsets.size() * 4, cudaMemcpyHostToDevice), "cudaMemcpy");
        check_cuda(cudaMemcpy(d_chosen, chosen.data(), chosen.size() * 4, cudaMemcpyHostToDevice), "cudaMemcpy");
        float *scratch = r.arena.allocate<float>((int64_t)images * l1, "debug");
        float *combined = r.arena.allocate<float>((int64_t)images * l1, "debug");
        int16_t *kept = r.arena.allocate<int16_t>((int64_t)images * l1, "debug");
        int32_t *kc = r.arena.allocate<int32_t>(images, "debug");
        int64_t *packed = r.arena.allocate<int64_t>(images + 1, "debug");
        select_tokens(att, images, heads, cols, l1, d_offsets, d_chosen, in[3][0], scratch, combined, kept, kc, packed,
                      s);
        check_cuda(cudaStreamSynchronize(s), "cudaStreamSynchronize(debug select)");
        std::vector<float> h_combined((size_t)images * l1);
        std::vector<int16_t> h_kept((size_t)images * l1);
        std::vector<int32_t> h_counts(images);
        std::vector<int64_t> h_packed(images + 1);
        check_cuda(cudaMemcpy(h_combined.data(), combined, h_combined.size() * 4, cudaMemcpyDeviceToHost),
                   "cudaMemcpy");
        check_cuda(cudaMemcpy(h_kept.data(), kept, h_kept.size() * 2, cudaMemcpyDeviceToHost), "cudaMemcpy");
        check_cuda(cudaMemcpy(h_counts.data(), kc, h_counts.size() * 4, cudaMemcpyDeviceToHost), "cudaMemcpy");
        check_cuda(cudaMemcpy(h_packed.data(), packed, h_packed.size() * 8, cudaMemcpyDeviceToHost), "cudaMemcpy");
        float *o = out;
        for (float v : h_combined) *o++ = v;
        for (int16_t v : h_kept) *o++ = (float)v;
        for (int32_t v : h_counts) *o++ = (float)v;
        for (int64_t v : h_packed) *o++ = (float)v;
    } else {
        need(false, "no kernel named " + name);
    }
}

}  // namespace

extern "C" int32_t tagood_cuda_debug_kernel(const char *name, int32_t precision, const int64_t *params,
                                            int32_t param_count, const float *const *inputs,
                                            const int64_t *input_counts, int32_t input_count, float *output,
                                            int64_t output_count, char *error, size_t error_size) {
    if (error != nullptr && error_size > 0) error[0] = 0;
    try {
        int count = 0;
        check_cuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
        if (count < 1) fail(TAGOOD_CUDA_NO_DEVICE, "no CUDA device");
        check_cuda(cudaSetDevice(0), "cudaSetDevice(0)");
        DebugRun r;
        check_cuda(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking), "cudaStreamCreate");
        check_cublas(cublasLtCreate(&r.lt), "cublasLtCreate");
        const size_t ws = (size_t)32 << 20;
        void *workspace = r.arena.allocate(ws, "cuBLASLt workspace");
        r.gemm.init(r.lt, r.stream, workspace, ws, precision == TAGOOD_CUDA_FP32);
        const std::string kernel = name != nullptr ? name : "";
        if (precision == TAGOOD_CUDA_FP32)
            run_kernel<float>(r, kernel, params, param_count, inputs, input_counts, input_count, output, output_count);
        else
            run_kernel<__nv_bfloat16>(r, kernel, params, param_count, inputs, input_counts, input_count, output,
                                      output_count);
        check_cuda(cudaStreamSynchronize(r.stream), "cudaStreamSynchronize(debug kernel)");
        return TAGOOD_CUDA_OK;
    } catch (const Failure &e) {
        if (error != nullptr && error_size > 0) snprintf(error, error_size, "%s", e.message.c_str());
        return e.status;
    }
}
