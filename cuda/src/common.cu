// Errors, device memory and the products (cuBLASLt, with cuBLAS as the fallback).
#include <cstring>
#include <functional>

#include "common.cuh"

namespace tagood {

void fail(int32_t status, const std::string &message) { throw Failure{status, message}; }

std::string format_bytes(size_t bytes) {
    char text[64];
    const double b = (double)bytes;
    if (b >= 1024.0 * 1024 * 1024) snprintf(text, sizeof text, "%.1f GiB", b / (1024.0 * 1024 * 1024));
    else if (b >= 1024.0 * 1024) snprintf(text, sizeof text, "%.0f MiB", b / (1024.0 * 1024));
    else if (b >= 1024.0) snprintf(text, sizeof text, "%.0f KiB", b / 1024.0);
    else snprintf(text, sizeof text, "%zu B", bytes);
    return text;
}

int32_t status_of(cudaError_t error) {
    switch (error) {
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
    case cudaErrorDevicesUnavailable:
    case cudaErrorCompatNotSupportedOnDevice:
    case cudaErrorSystemDriverMismatch:
        return TAGOOD_CUDA_NO_DEVICE;
    case cudaErrorMemoryAllocation:
        return TAGOOD_CUDA_OUT_OF_MEMORY;
    default:
        return TAGOOD_CUDA_CUDA_ERROR;
    }
}

void check_cuda(cudaError_t error, const char *what) {
    if (error == cudaSuccess) return;
    fail(status_of(error), std::string(what) + " failed: " + cudaGetErrorString(error) + " (" +
                               cudaGetErrorName(error) + ")");
}

void check_cuda(cudaError_t error, const std::string &what) { check_cuda(error, what.c_str()); }

void check_cublas(cublasStatus_t status, const char *what) {
    if (status == CUBLAS_STATUS_SUCCESS) return;
    const int32_t code = status == CUBLAS_STATUS_ALLOC_FAILED ? TAGOOD_CUDA_OUT_OF_MEMORY : TAGOOD_CUDA_CUBLAS_ERROR;
    fail(code, std::string(what) + " failed: " + cublasLtGetStatusString(status) + " (cuBLAS status " +
                   std::to_string((int)status) + ")");
}

DeviceArena::~DeviceArena() { release_all(); }

void *DeviceArena::allocate(size_t bytes, const char *what) {
    void *p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes == 0 ? 256 : bytes);
    if (e != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free allocation error
        size_t free_bytes = 0, total_bytes = 0;
        std::string state;
        if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
            state = "; " + format_bytes(free_bytes) + " of " + format_bytes(total_bytes) + " free, " +
                    format_bytes(total_) + " already held by this context";
        }
        fail(status_of(e), std::string("cudaMalloc(") + what + ", " + format_bytes(bytes) + ") failed: " +
                                cudaGetErrorString(e) + state);
    }
    blocks_.push_back(p);
    total_ += bytes;
    return p;
}

void DeviceArena::release_all() {
    for (void *p : blocks_) cudaFree(p);
    blocks_.clear();
    total_ = 0;
}

// MARK: Products

Gemm::~Gemm() { release(); }

void Gemm::release() {
    if (fallback_ != nullptr) cublasDestroy(fallback_);
    fallback_ = nullptr;
    plans_.clear();
}

void Gemm::init(cublasLtHandle_t lt, cudaStream_t stream, void *workspace, size_t workspace_bytes, bool pedantic) {
    lt_ = lt;
    stream_ = stream;
    workspace_ = workspace;
    workspace_bytes_ = workspace_bytes;
    pedantic_ = pedantic;
    check_cublas(cublasCreate(&fallback_), "cublasCreate");
    check_cublas(cublasSetStream(fallback_, stream), "cublasSetStream");
    check_cublas(
        cublasSetMathMode(fallback_, pedantic ? CUBLAS_PEDANTIC_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
}

bool Gemm::Key::operator==(const Key &o) const { return std::memcmp(this, &o, sizeof(Key)) == 0; }

size_t Gemm::KeyHash::operator()(const Key &k) const {
    const unsigned char *p = reinterpret_cast<const unsigned char *>(&k);
    size_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof(Key); i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/// The largest power of two (up to 256) that divides the address and, for a batch, the stride in bytes.
static int32_t alignment(const void *p, int64_t stride_bytes, bool batched) {
    uint64_t v = (uint64_t)(uintptr_t)p;
    if (batched && stride_bytes != 0) v |= (uint64_t)stride_bytes;
    int32_t a = 256;
    while (a > 1 && (v % (uint64_t)a) != 0) a /= 2;
    return a;
}

namespace {
/// cuBLASLt descriptors, destroyed on every path out.
struct LtDescriptors {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulPreference_t pref = nullptr;
    ~LtDescriptors() {
        if (pref) cublasLtMatmulPreferenceDestroy(pref);
        if (c) cublasLtMatrixLayoutDestroy(c);
        if (b) cublasLtMatrixLayoutDestroy(b);
        if (a) cublasLtMatrixLayoutDestroy(a);
        if (op) cublasLtMatmulDescDestroy(op);
    }
};

void layout(cublasLtMatrixLayout_t *out, cudaDataType_t type, uint64_t rows, uint64_t cols, int64_t ld,
            int64_t batch, int64_t stride, const char *what) {
    check_cublas(cublasLtMatrixLayoutCreate(out, type, rows, cols, ld), what);
    if (batch > 1) {
        const int32_t count = (int32_t)batch;
        check_cublas(cublasLtMatrixLayoutSetAttribute(*out, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count),
                     what);
        check_cublas(
            cublasLtMatrixLayoutSetAttribute(*out, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride),
            what);
    }
}
}  // namespace

void Gemm::run(
    bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, Operand a, Operand b, float beta,
    void *c, cudaDataType_t c_type, int64_t ldc, int64_t stride_c, int64_t batch, const char *what) {
    if (m <= 0 || n <= 0 || batch <= 0) return;
    // Column-major: C'[N, M] = op(B') · op(A'), with B's memory first.
    const bool batched = batch > 1;
    Key key;
    std::memset(&key, 0, sizeof key);
    key.ta = trans_a;
    key.tb = trans_b;
    key.type_a = a.type;
    key.type_b = b.type;
    key.type_c = c_type;
    key.m = m;
    key.n = n;
    key.k = k;
    key.lda = a.ld;
    key.ldb = b.ld;
    key.ldc = ldc;
    key.sa = batched ? a.stride : 0;
    key.sb = batched ? b.stride : 0;
    key.sc = batched ? stride_c : 0;
    key.batch = batch;
    key.align_a = alignment(a.data, key.sa * (int64_t)element_size(a.type), batched);
    key.align_b = alignment(b.data, key.sb * (int64_t)element_size(b.type), batched);
    key.align_c = alignment(c, key.sc * (int64_t)element_size(c_type), batched);
    key.beta_zero = beta == 0.0f;

    auto found = plans_.find(key);
    Plan plan;
    std::string call = std::string("cuBLASLt matmul (") + what + ", " + std::to_string(m) + "x" + std::to_string(n) +
                       "x" + std::to_string(k) + ", batch " + std::to_string(batch) + ")";
    LtDescriptors d;
    const cublasOperation_t op_first = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;   // applies to B's memory
    const cublasOperation_t op_second = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;  // applies to A's memory
    if (found == plans_.end() || found->second.use_lt) {
        check_cublas(cublasLtMatmulDescCreate(&d.op, CUBLAS_COMPUTE_32F, CUDA_R_32F), call.c_str());
        check_cublas(cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSA, &op_first, sizeof op_first),
                     call.c_str());
        check_cublas(cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSB, &op_second, sizeof op_second),
                     call.c_str());
        // B' (B's memory): stored [K, N] row-major = N×K column-major, or [N, K] = K×N column-major.
        layout(&d.a, b.type, trans_b ? k : n, trans_b ? n : k, b.ld, batch, key.sb, call.c_str());
        // A' (A's memory): stored [M, K] row-major = K×M column-major, or [K, M] = M×K column-major.
        layout(&d.b, a.type, trans_a ? m : k, trans_a ? k : m, a.ld, batch, key.sa, call.c_str());
        layout(&d.c, c_type, n, m, ldc, batch, key.sc, call.c_str());
    }
    if (found == plans_.end()) {
        plan.use_lt = false;
        check_cublas(cublasLtMatmulPreferenceCreate(&d.pref), call.c_str());
        const uint64_t ws = workspace_bytes_;
        check_cublas(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                                          sizeof ws),
                     call.c_str());
        const uint32_t al_first = (uint32_t)key.align_b, al_second = (uint32_t)key.align_a,
                       al_c = (uint32_t)key.align_c;
        check_cublas(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                                                          &al_first, sizeof al_first),
                     call.c_str());
        check_cublas(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                                                          &al_second, sizeof al_second),
                     call.c_str());
        check_cublas(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_c,
                                                          sizeof al_c),
                     call.c_str());
        check_cublas(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_c,
                                                          sizeof al_c),
                     call.c_str());
        cublasLtMatmulHeuristicResult_t result;
        std::memset(&result, 0, sizeof result);
        int returned = 0;
        const cublasStatus_t s =
            cublasLtMatmulAlgoGetHeuristic(lt_, d.op, d.a, d.b, d.c, d.c, d.pref, 1, &result, &returned);
        if (s == CUBLAS_STATUS_SUCCESS && returned > 0 && result.state == CUBLAS_STATUS_SUCCESS &&
            result.workspaceSize <= workspace_bytes_) {
            plan.use_lt = true;
            plan.algo = result.algo;
        }
        found = plans_.emplace(key, plan).first;
    }
    plan = found->second;
    if (plan.use_lt) {
        const cublasStatus_t s = cublasLtMatmul(lt_, d.op, &alpha, b.data, d.a, a.data, d.b, &beta, c, d.c, c, d.c,
                                                &plan.algo, workspace_, workspace_bytes_, stream_);
        if (s == CUBLAS_STATUS_SUCCESS) return;
        if (s != CUBLAS_STATUS_NOT_SUPPORTED && s != CUBLAS_STATUS_INVALID_VALUE) check_cublas(s, call.c_str());
        found->second.use_lt = false;  // this shape goes to cuBLAS from now on
    }
    const cublasComputeType_t compute = pedantic_ ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
    std::string fallback_call = std::string("cublasGemmStridedBatchedEx (") + what + ", " + std::to_string(m) + "x" +
                                std::to_string(n) + "x" + std::to_string(k) + ", batch " + std::to_string(batch) +
                                ")";
    check_cublas(cublasGemmStridedBatchedEx(fallback_, op_first, op_second, (int)n, (int)m, (int)k, &alpha, b.data,
                                            b.type, (int)b.ld, key.sb, a.data, a.type, (int)a.ld, key.sa, &beta, c,
                                            c_type, (int)ldc, key.sc, (int)batch, compute, CUBLAS_GEMM_DEFAULT),
                 fallback_call.c_str());
}

}  // namespace tagood
