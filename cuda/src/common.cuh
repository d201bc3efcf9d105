// libtagood_cuda's internals: errors, device memory, the element types and the GEMM helper's interface.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagood_cuda.h"
#include "tagood_cuda_index.h"

namespace tagood {

/// A failure on its way to the C API: a tagood_cuda_status and a message that names the failing call.
struct Failure {
    int32_t status;
    std::string message;
};

[[noreturn]] void fail(int32_t status, const std::string &message);

/// "1.2 GiB", "340 MiB", "12 KiB", "96 B".
std::string format_bytes(size_t bytes);

/// The status of a failed CUDA runtime call: NO_DEVICE for a missing driver or device, OUT_OF_MEMORY, else
/// CUDA_ERROR.
int32_t status_of(cudaError_t error);

/// Throws a Failure for a failed CUDA call: "<what> failed: <cudaGetErrorString>".
void check_cuda(cudaError_t error, const char *what);
void check_cuda(cudaError_t error, const std::string &what);
/// Throws a Failure for a failed cuBLAS / cuBLASLt call.
void check_cublas(cublasStatus_t status, const char *what);

/// Checks a kernel launch (the launch's own errors; execution errors surface at the next synchronisation).
#define TAGOOD_LAUNCH_CHECK(name) ::tagood::check_cuda(cudaGetLastError(), "kernel launch " name)

/// bf16 or fp32: the activation / weight type of a precision.
template <typename T> struct TypeInfo;
template <> struct TypeInfo<float> {
    static constexpr cudaDataType_t cuda = CUDA_R_32F;
};
template <> struct TypeInfo<__nv_bfloat16> {
    static constexpr cudaDataType_t cuda = CUDA_R_16BF;
};

__host__ __device__ inline float to_float(float x) { return x; }
__device__ inline float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
template <typename T> __device__ inline T from_float(float x);
template <> __device__ inline float from_float<float>(float x) { return x; }
template <> __device__ inline __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

inline size_t element_size(cudaDataType_t t) { return t == CUDA_R_32F ? 4 : 2; }

/// The shift mask's region labels of every token of every window, [nW, N] (tagood_shift_label), which the
/// window softmax compares instead of reading an [nW, N, N] mask.
inline std::vector<int8_t> shift_labels(int32_t grid, int32_t window, int32_t shift) {
    const int32_t n = window * window, windows = (grid / window) * (grid / window);
    std::vector<int8_t> labels((size_t)windows * n);
    for (int32_t w = 0; w < windows; w++)
        for (int32_t t = 0; t < n; t++)
            labels[(size_t)w * n + t] = (int8_t)tagood_shift_label(w, t, grid, window, shift);
    return labels;
}

/// The device allocations of a context, freed together.
class DeviceArena {
  public:
    ~DeviceArena();
    /// cudaMalloc with a message that says what the memory was for and how much: OUT_OF_MEMORY when it
    /// ran out.
    void *allocate(size_t bytes, const char *what);
    template <typename T> T *allocate(size_t count, const char *what) {
        return static_cast<T *>(allocate(count * sizeof(T), what));
    }
    void release_all();
    size_t total() const { return total_; }

  private:
    std::vector<void *> blocks_;
    size_t total_ = 0;
};

/// One operand of a row-major product: a pointer, its type, its row stride (elements) and, for a
/// strided batch, the distance between consecutive matrices (elements; 0 broadcasts one matrix).
struct Operand {
    const void *data;
    cudaDataType_t type;
    int64_t ld;
    int64_t stride;
};

/// The products of one stream: cuBLASLt with a cached algorithm per shape, with cublasGemmStridedBatchedEx
/// as the fallback for a shape cuBLASLt has no algorithm for.
class Gemm {
  public:
    Gemm() = default;
    ~Gemm();
    Gemm(const Gemm &) = delete;
    Gemm &operator=(const Gemm &) = delete;

    /// Destroys the cuBLAS fallback handle (before its stream is destroyed).
    void release();

    /// `pedantic`: fp32 with TF32 and every reduced-precision shortcut off (the parity mode).
    void init(cublasLtHandle_t lt, cudaStream_t stream, void *workspace, size_t workspace_bytes, bool pedantic);

    /// Row-major C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C, `batch` times with the operands'
    /// strides. op(A) is A [M, K] (row stride lda), or with `trans_a` the transpose of A stored [K, M];
    /// likewise B [K, N] or, with `trans_b`, stored [N, K] (a Linear's weight [out, in]). C and D are the
    /// same buffer. `what` names the product in error messages.
    void run(
        bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, Operand a, Operand b, float beta,
        void *c, cudaDataType_t c_type, int64_t ldc, int64_t stride_c, int64_t batch, const char *what);

    /// y[rows, out] = x[rows, in] · Wᵀ (+ beta · y): a Linear's product (its bias is applied by a kernel).
    void linear(
        const void *x, cudaDataType_t x_type, int64_t rows, int64_t in, const void *w, cudaDataType_t w_type,
        int64_t out, void *y, cudaDataType_t y_type, float beta, const char *what) {
        run(false, true, rows, out, in, 1.0f, Operand{x, x_type, in, 0}, Operand{w, w_type, in, 0}, beta, y, y_type,
            out, 0, 1, what);
    }

  private:
    struct Key {
        int32_t ta, tb, type_a, type_b, type_c;
        int64_t m, n, k, lda, ldb, ldc, sa, sb, sc, batch;
        int32_t align_a, align_b, align_c;
        int32_t beta_zero;
        bool operator==(const Key &o) const;
    };
    struct KeyHash {
        size_t operator()(const Key &k) const;
    };
    struct Plan {
        bool use_lt;
        cublasLtMatmulAlgo_t algo;
    };

    cublasLtHandle_t lt_ = nullptr;
    cublasHandle_t fallback_ = nullptr;
    cudaStream_t stream_ = nullptr;
    void *workspace_ = nullptr;
    size_t workspace_bytes_ = 0;
    bool pedantic_ = false;
    std::unordered_map<Key, Plan, KeyHash> plans_;
};

}  // namespace tagood
