/*
 * Batched matrix product for tfjs-backend-wasm, WebAssembly SIMD128.
 *
 * tfjs-backend-wasm sends a BatchMatMul to XNNPACK only when there is one matrix and neither
 * side is transposed; attention's products (batch = rows x heads, and the transposed variants
 * that its gradients use) fall to a scalar loop at ~1.3 GFLOP/s. This file computes
 *
 *     C[b] = op(A[b]) x op(B[b]),   op(X) = X or X^T,  b < batch (a side with one matrix is shared)
 *
 * straight on tfjs' own heap: the module imports the backend's WebAssembly.Memory, so tensors
 * are read and written in place, with no copy. It must therefore own no memory of its own: no
 * data segment and no shadow stack (scripts/build-kernels.sh checks the built module for both).
 * Scratch space for a packed B^T comes from the caller (tfjs' malloc).
 *
 * Numbers: every C element is  sum_k A(i,k) B(k,j)  added in k order, starting from 0, one
 * rounding per multiply and per add (or one per fused multiply-add in the RELAXED build). The
 * vector tiles and the scalar edges add in the same order, so an element's value does not depend
 * on where it sits in the matrix, on the batch size or on how work is split.
 */
#include <wasm_simd128.h>
#include <stdint.h>

#ifdef RELAXED
#define MADD(acc, a, b) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(acc)))
/* The edges use the same instruction as the lanes, so an element does not depend on where it sits. */
#define SMADD(acc, a, b) wasm_f32x4_extract_lane(MADD(wasm_f32x4_splat(acc), wasm_f32x4_splat(a), wasm_f32x4_splat(b)), 0)
#else
#define MADD(acc, a, b) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#define SMADD(acc, a, b) ((acc) + (a) * (b))
#endif

/* A(i,k) for row-major A [M,K] (sa_i = K, sa_k = 1) or its transpose stored [K,M] (sa_i = 1, sa_k = M). */
#define AT(i, k) a[(i) * sa_i + (k) * sa_k]

/* 4 rows x 8 columns of C over the whole K. B is row-major [K, ldb]. */
static inline void tile4x8(const float *a, int sa_i, int sa_k, const float *b, int ldb, float *c, int ldc, int K) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int k = 0; k < K; k++) {
    const float *br = b + k * ldb;
    v128_t b0 = wasm_v128_load(br), b1 = wasm_v128_load(br + 4);
    v128_t a0 = wasm_f32x4_splat(AT(0, k));
    c00 = MADD(c00, a0, b0); c01 = MADD(c01, a0, b1);
    v128_t a1 = wasm_f32x4_splat(AT(1, k));
    c10 = MADD(c10, a1, b0); c11 = MADD(c11, a1, b1);
    v128_t a2 = wasm_f32x4_splat(AT(2, k));
    c20 = MADD(c20, a2, b0); c21 = MADD(c21, a2, b1);
    v128_t a3 = wasm_f32x4_splat(AT(3, k));
    c30 = MADD(c30, a3, b0); c31 = MADD(c31, a3, b1);
  }
  wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + ldc, c10); wasm_v128_store(c + ldc + 4, c11);
  wasm_v128_store(c + 2 * ldc, c20); wasm_v128_store(c + 2 * ldc + 4, c21);
  wasm_v128_store(c + 3 * ldc, c30); wasm_v128_store(c + 3 * ldc + 4, c31);
}

/* 1 row x 8 columns. */
static inline void tile1x8(const float *a, int sa_k, const float *b, int ldb, float *c, int K) {
  v128_t c0 = wasm_f32x4_splat(0), c1 = c0;
  for (int k = 0; k < K; k++) {
    const float *br = b + k * ldb;
    v128_t av = wasm_f32x4_splat(a[k * sa_k]);
    c0 = MADD(c0, av, wasm_v128_load(br));
    c1 = MADD(c1, av, wasm_v128_load(br + 4));
  }
  wasm_v128_store(c, c0); wasm_v128_store(c + 4, c1);
}

/* 4 rows x 4 columns. */
static inline void tile4x4(const float *a, int sa_i, int sa_k, const float *b, int ldb, float *c, int ldc, int K) {
  v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
  for (int k = 0; k < K; k++) {
    v128_t bv = wasm_v128_load(b + k * ldb);
    c0 = MADD(c0, wasm_f32x4_splat(AT(0, k)), bv);
    c1 = MADD(c1, wasm_f32x4_splat(AT(1, k)), bv);
    c2 = MADD(c2, wasm_f32x4_splat(AT(2, k)), bv);
    c3 = MADD(c3, wasm_f32x4_splat(AT(3, k)), bv);
  }
  wasm_v128_store(c, c0); wasm_v128_store(c + ldc, c1);
  wasm_v128_store(c + 2 * ldc, c2); wasm_v128_store(c + 3 * ldc, c3);
}

/* One C element, same order of operations as a vector lane. */
static inline float dot1(const float *a, int sa_k, const float *b, int ldb, int K) {
  float s = 0.0f;
  for (int k = 0; k < K; k++) s = SMADD(s, a[k * sa_k], b[k * ldb]);
  return s;
}

/* C [M,N] = A(M,K) x B [K,N] for one matrix; B row-major with leading dimension N. */
static void gemm(const float *a, int sa_i, int sa_k, const float *b, float *c, int M, int K, int N) {
  int n8 = N & ~7, n4 = N & ~3, m4 = M & ~3;
  for (int j = 0; j < n8; j += 8) {
    int i = 0;
    for (; i < m4; i += 4) tile4x8(a + i * sa_i, sa_i, sa_k, b + j, N, c + i * N + j, N, K);
    for (; i < M; i++) tile1x8(a + i * sa_i, sa_k, b + j, N, c + i * N + j, K);
  }
  if (n4 > n8) {
    int i = 0;
    for (; i < m4; i += 4) tile4x4(a + i * sa_i, sa_i, sa_k, b + n8, N, c + i * N + n8, N, K);
    for (; i < M; i++)
      for (int j = n8; j < n4; j++) c[i * N + j] = dot1(a + i * sa_i, sa_k, b + j, N, K);
  }
  for (int i = 0; i < M; i++)
    for (int j = n4; j < N; j++) c[i * N + j] = dot1(a + i * sa_i, sa_k, b + j, N, K);
}

/* Packs B^T (B stored [N,K]) into row-major [K,N]. */
static void transpose_into(const float *bt, float *out, int N, int K) {
  for (int n = 0; n < N; n++)
    for (int k = 0; k < K; k++) out[k * N + n] = bt[n * K + k];
}

/*
 * batch_matmul: pointers are byte offsets into the shared heap. A is [batchA, M, K] ([batchA, K, M]
 * when transA), B is [batchB, K, N] ([batchB, N, K] when transB), C is [batch, M, N] with batch =
 * max(batchA, batchB) and batchA, batchB each 1 or batch. `scratch` holds K*N floats (transB only).
 */
__attribute__((export_name("batch_matmul")))
void batch_matmul(const float *a, const float *b, float *c, float *scratch, int batchA, int batchB,
                  int M, int K, int N, int transA, int transB) {
  int batch = batchA > batchB ? batchA : batchB;
  int sa_i = transA ? 1 : K, sa_k = transA ? M : 1;
  int strideA = batchA == 1 ? 0 : M * K, strideB = batchB == 1 ? 0 : K * N;
  for (int p = 0; p < batch; p++) {
    const float *bp = b + p * strideB;
    if (transB) {
      if (p == 0 || strideB != 0) transpose_into(bp, scratch, N, K);
      bp = scratch;
    }
    gemm(a + p * strideA, sa_i, sa_k, bp, c + p * M * N, M, K, N);
  }
}

/*
 * simd_peak: the SIMD128 multiply and add rate this engine reaches on this core with no memory
 * traffic: 6 independent multiply chains and 6 independent add chains (each a true recurrence,
 * so nothing is hoisted; enough chains to cover the latency; few enough registers not to spill).
 * FLOPs: 4 lanes x 12 operations x iters. Returns a value the caller ignores, so the work stays.
 * The bench reports matMul GFLOP/s against it.
 */
__attribute__((export_name("simd_peak")))
float simd_peak(int iters) {
  v128_t x = wasm_f32x4_splat(0.99999994f), y = wasm_f32x4_splat(1e-30f);
  v128_t m0 = wasm_f32x4_splat(1), m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0;
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  for (int i = 0; i < iters; i++) {
    m0 = wasm_f32x4_mul(m0, x); a0 = wasm_f32x4_add(a0, y);
    m1 = wasm_f32x4_mul(m1, x); a1 = wasm_f32x4_add(a1, y);
    m2 = wasm_f32x4_mul(m2, x); a2 = wasm_f32x4_add(a2, y);
    m3 = wasm_f32x4_mul(m3, x); a3 = wasm_f32x4_add(a3, y);
    m4 = wasm_f32x4_mul(m4, x); a4 = wasm_f32x4_add(a4, y);
    m5 = wasm_f32x4_mul(m5, x); a5 = wasm_f32x4_add(a5, y);
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(m0, m1), wasm_f32x4_add(m2, m3)), wasm_f32x4_add(m4, m5));
  s = wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)), wasm_f32x4_add(a4, a5)));
  return wasm_f32x4_extract_lane(s, 0);
}
