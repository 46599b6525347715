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

/*
 * Blocking. C is computed in blocks of MC rows, each over K in slices of KC, each slice in strips
 * of 8 columns: the slice of A's rows (MC x KC floats, 256 KiB) stays in the core's L2 while every
 * strip passes over it, and each strip of B is first packed into KC x 8 contiguous floats (8 KiB,
 * L1), so the inner loop reads B from one short run of memory instead of one cache line (and often
 * one page) per k. A slice after the first adds onto the C values the previous slice stored: an
 * element is still 0 + a_0 b_0 + a_1 b_1 + ... in k order, rounded after every multiply and add,
 * exactly as without blocking.
 */
#ifndef MC
#define MC 256
#endif
#ifndef KC
#define KC 256
#endif

/* 4 rows x 8 columns of C over k < kc; B packed [kc][8]. Starts from 0 (first slice) or from C. */
static inline void tile4x8(const float *a, int sa_i, int sa_k, const float *bp, float *c, int ldc, int kc, int first) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  if (first) {
    c00 = wasm_f32x4_splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  } else {
    c00 = wasm_v128_load(c); c01 = wasm_v128_load(c + 4);
    c10 = wasm_v128_load(c + ldc); c11 = wasm_v128_load(c + ldc + 4);
    c20 = wasm_v128_load(c + 2 * ldc); c21 = wasm_v128_load(c + 2 * ldc + 4);
    c30 = wasm_v128_load(c + 3 * ldc); c31 = wasm_v128_load(c + 3 * ldc + 4);
  }
  for (int k = 0; k < kc; k++) {
    const float *br = bp + 8 * k;
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

/* 1 row x 8 columns, same order of operations as a row of tile4x8. */
static inline void tile1x8(const float *a, int sa_k, const float *bp, float *c, int kc, int first) {
  v128_t c0, c1;
  if (first) { c0 = wasm_f32x4_splat(0); c1 = c0; } else { c0 = wasm_v128_load(c); c1 = wasm_v128_load(c + 4); }
  for (int k = 0; k < kc; k++) {
    v128_t av = wasm_f32x4_splat(a[k * sa_k]);
    c0 = MADD(c0, av, wasm_v128_load(bp + 8 * k));
    c1 = MADD(c1, av, wasm_v128_load(bp + 8 * k + 4));
  }
  wasm_v128_store(c, c0); wasm_v128_store(c + 4, c1);
}

/*
 * Packs columns j .. j+w-1 (w <= 8) of rows k0 .. k0+kc-1 of op(B) into bp [kc][8]; columns past
 * w are zero (they only fill lanes whose results are not kept). B is row-major [K,N], or B^T
 * stored [N,K] when transB.
 */
static void pack_strip(const float *b, int transB, int K, int N, int k0, int kc, int j, int w, float *bp) {
  if (!transB && w == 8) {
    for (int k = 0; k < kc; k++) {
      const float *src = b + (k0 + k) * N + j;
      wasm_v128_store(bp + 8 * k, wasm_v128_load(src));
      wasm_v128_store(bp + 8 * k + 4, wasm_v128_load(src + 4));
    }
    return;
  }
  int k = 0;
  if (transB && w == 8) {
    /* B^T stored [N,K]: the strip's 8 columns are 8 rows of it. Take 4 k at a time from each row
     * and transpose two 4 x 4 blocks in registers (a copy either way: the same floats). */
    const float *r = b + j * K + k0;
    for (; k + 4 <= kc; k += 4) {
      for (int h = 0; h < 2; h++) {
        const float *q = r + 4 * h * K + k;
        v128_t r0 = wasm_v128_load(q), r1 = wasm_v128_load(q + K), r2 = wasm_v128_load(q + 2 * K), r3 = wasm_v128_load(q + 3 * K);
        v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
        v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        float *d = bp + 8 * k + 4 * h;
        wasm_v128_store(d, wasm_i64x2_shuffle(t0, t1, 0, 2));
        wasm_v128_store(d + 8, wasm_i64x2_shuffle(t0, t1, 1, 3));
        wasm_v128_store(d + 16, wasm_i64x2_shuffle(t2, t3, 0, 2));
        wasm_v128_store(d + 24, wasm_i64x2_shuffle(t2, t3, 1, 3));
      }
    }
  }
  for (; k < kc; k++)
    for (int x = 0; x < 8; x++)
      bp[8 * k + x] = x < w ? (transB ? b[(j + x) * K + k0 + k] : b[(k0 + k) * N + j + x]) : 0.0f;
}

/* Copies the first w columns of a 4 x 8 (or 1 x 8) tile out of tmp (row stride 8) into C. */
static void store_cols(const float *tmp, float *c, int ldc, int rows, int w) {
  for (int r = 0; r < rows; r++)
    for (int x = 0; x < w; x++) c[r * ldc + x] = tmp[r * 8 + x];
}
static void load_cols(float *tmp, const float *c, int ldc, int rows, int w) {
  for (int r = 0; r < rows; r++)
    for (int x = 0; x < 8; x++) tmp[r * 8 + x] = x < w ? c[r * ldc + x] : 0.0f;
}

/*
 * C [M,N] = op(A) x op(B) for one matrix. `scratch` holds KC*8 + 32 floats: the packed strip and
 * a 4 x 8 tile for the last, narrower strip (columns N - N%8 ..), which goes through the same
 * tiles on zero-padded lanes so that every element is computed by the same instructions.
 */
static void gemm(const float *a, int sa_i, int sa_k, const float *b, int transB, float *c, int M, int K, int N, float *scratch) {
  float *bp = scratch, *tmp = scratch + KC * 8;
  if (K == 0) {
    for (int i = 0; i < M * N; i++) c[i] = 0.0f;
    return;
  }
  for (int i0 = 0; i0 < M; i0 += MC) {
    int mc = M - i0 < MC ? M - i0 : MC, m4 = mc & ~3;
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kc = K - k0 < KC ? K - k0 : KC, first = k0 == 0;
      const float *ak = a + k0 * sa_k;
      for (int j = 0; j < N; j += 8) {
        int w = N - j < 8 ? N - j : 8;
        pack_strip(b, transB, K, N, k0, kc, j, w, bp);
        for (int i = i0, rows; i < i0 + mc; i += rows) {
          rows = i < i0 + m4 ? 4 : 1; /* the rows past the last 4 go one at a time */
          float *ct = c + i * N + j;
          if (w == 8) {
            if (rows == 4) tile4x8(ak + i * sa_i, sa_i, sa_k, bp, ct, N, kc, first);
            else tile1x8(ak + i * sa_i, sa_k, bp, ct, kc, first);
          } else {
            if (!first) load_cols(tmp, ct, N, rows, w);
            if (rows == 4) tile4x8(ak + i * sa_i, sa_i, sa_k, bp, tmp, 8, kc, first);
            else tile1x8(ak + i * sa_i, sa_k, bp, tmp, kc, first);
            store_cols(tmp, ct, N, rows, w);
          }
        }
      }
    }
  }
}

/*
 * batch_matmul: pointers are byte offsets into the shared heap. A is [batchA, M, K] ([batchA, K, M]
 * when transA), B is [batchB, K, N] ([batchB, N, K] when transB), C is [batch, M, N] with batch =
 * max(batchA, batchB) and batchA, batchB each 1 or batch. `scratch` holds matmul_scratch_floats()
 * floats.
 */
__attribute__((export_name("batch_matmul")))
void batch_matmul(const float *a, const float *b, float *c, float *scratch, int batchA, int batchB,
                  int M, int K, int N, int transA, int transB) {
  int batch = batchA > batchB ? batchA : batchB;
  int sa_i = transA ? 1 : K, sa_k = transA ? M : 1;
  int strideA = batchA == 1 ? 0 : M * K, strideB = batchB == 1 ? 0 : K * N;
  for (int p = 0; p < batch; p++)
    gemm(a + p * strideA, sa_i, sa_k, b + p * strideB, transB, c + p * M * N, M, K, N, scratch);
}

/* Floats of scratch space batch_matmul needs (the caller allocates it on the shared heap). */
__attribute__((export_name("matmul_scratch_floats")))
int matmul_scratch_floats(void) { return KC * 8 + 32; }

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
