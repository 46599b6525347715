/*
 * celens' native matMul: the same BatchMatMul as src/backend/kernels/matmul.c, on x86-64 cores
 * with AVX-512 or AVX2 + FMA (a Node-API addon: addon.c). It runs on tfjs-backend-wasm's heap in
 * place: JavaScript passes the backend's WebAssembly.Memory buffer and the tensors' byte offsets.
 *
 * Why: the WebAssembly kernel reaches 45-55 GFLOP/s per core, close to what SIMD128 (4 lanes, no
 * FMA) allows at all on this project's machine; the same cores do 150-180 with 16-lane FMA
 * (bench/results/speed.md, round 6). The addon is optional: without a compiler, on another CPU,
 * or with CELENS_NATIVE=0, the WebAssembly kernel does the work.
 *
 * Numbers: every C element is  fma(a_K-1, b_K-1, ... fma(a_1, b_1, fma(a_0, b_0, 0)))  in k order,
 * one rounding per fused multiply-add, whatever the instruction set (AVX-512, AVX2 or the scalar
 * reference, which tests use to check the other two bit for bit), the element's position in the
 * matrix, the batch size or the blocking. They differ from the WebAssembly kernel's, which rounds
 * the product and the sum separately, by float32 rounding.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include "kernels.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KC 256 /* k per slice: a packed strip of B (KC x NR) stays in L1 */
#define MC 192 /* rows of A per block: MC x KC packed floats (192 KiB) stay in L2 */
#define NC 1536 /* columns of B per panel: KC x NC packed floats (1.5 MiB) */
#define MR_MAX 8
#define NR_MAX 32
/* pack_a holds MC x KC floats: a block's row panels (MR rows each, zero-padded) must fit in MC rows. */
_Static_assert(MC % 8 == 0 && MC % 6 == 0 && MC % 4 == 0, "MC must be a multiple of every MR");

typedef void (*micro_fn)(int kc, const float *ap, const float *bp, float *c, int ldc, int first);

#if defined(__x86_64__)
/* 8 rows x 32 columns of C over k < kc; A packed [kc][8], B packed [kc][32]. */
__attribute__((target("avx512f,fma"))) static void micro_avx512(int kc, const float *ap, const float *bp, float *c, int ldc, int first) {
  __m512 acc[8][2];
  for (int r = 0; r < 8; r++) {
    acc[r][0] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(c + r * ldc);
    acc[r][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(c + r * ldc + 16);
  }
  for (int k = 0; k < kc; k++) {
    __m512 b0 = _mm512_loadu_ps(bp + 32 * k), b1 = _mm512_loadu_ps(bp + 32 * k + 16);
    for (int r = 0; r < 8; r++) {
      __m512 a = _mm512_set1_ps(ap[8 * k + r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < 8; r++) {
    _mm512_storeu_ps(c + r * ldc, acc[r][0]);
    _mm512_storeu_ps(c + r * ldc + 16, acc[r][1]);
  }
}

/* 6 rows x 16 columns; A packed [kc][6], B packed [kc][16] (12 accumulators of 16 registers). */
__attribute__((target("avx2,fma"))) static void micro_avx2(int kc, const float *ap, const float *bp, float *c, int ldc, int first) {
  __m256 acc[6][2];
  for (int r = 0; r < 6; r++) {
    acc[r][0] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(c + r * ldc);
    acc[r][1] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(c + r * ldc + 8);
  }
  for (int k = 0; k < kc; k++) {
    __m256 b0 = _mm256_loadu_ps(bp + 16 * k), b1 = _mm256_loadu_ps(bp + 16 * k + 8);
    for (int r = 0; r < 6; r++) {
      __m256 a = _mm256_broadcast_ss(ap + 6 * k + r);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < 6; r++) {
    _mm256_storeu_ps(c + r * ldc, acc[r][0]);
    _mm256_storeu_ps(c + r * ldc + 8, acc[r][1]);
  }
}


/*
 * The fused multiply-add rate of one core with no memory traffic: 12 independent FMA chains (each
 * a true recurrence, enough to cover the latency on two pipes). FLOPs: lanes x 2 x 12 x iters.
 */
__attribute__((target("avx512f,fma"))) static float peak_avx512(long iters) {
  __m512 x = _mm512_set1_ps(0.99999994f), y = _mm512_set1_ps(1e-30f), acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
  for (long n = 0; n < iters; n++)
    for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  for (int i = 1; i < 12; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
  return _mm512_reduce_add_ps(acc[0]);
}
__attribute__((target("avx2,fma"))) static float peak_avx2(long iters) {
  __m256 x = _mm256_set1_ps(0.99999994f), y = _mm256_set1_ps(1e-30f), acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
  for (long n = 0; n < iters; n++)
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  for (int i = 1; i < 12; i++) acc[0] = _mm256_add_ps(acc[0], acc[i]);
  float out[8];
  _mm256_storeu_ps(out, acc[0]);
  return out[0];
}
#endif

/* The reference: 4 x 4 with fmaf, the same operations in the same order as the vector tiles. */
static void micro_scalar(int kc, const float *ap, const float *bp, float *c, int ldc, int first) {
  for (int r = 0; r < 4; r++)
    for (int x = 0; x < 4; x++) {
      float s = first ? 0.0f : c[r * ldc + x];
      for (int k = 0; k < kc; k++) s = fmaf(ap[4 * k + r], bp[4 * k + x], s);
      c[r * ldc + x] = s;
    }
}

static float peak_scalar(long iters) {
  float acc[12];
  for (int i = 0; i < 12; i++) acc[i] = (float)i;
  for (long n = 0; n < iters; n++)
    for (int i = 0; i < 12; i++) acc[i] = fmaf(acc[i], 0.99999994f, 1e-30f);
  for (int i = 1; i < 12; i++) acc[0] += acc[i];
  return acc[0];
}

struct celens_isa {
  const char *name;
  int mr, nr;
  micro_fn micro;
  int lanes;
  float (*peak)(long iters);
};
typedef struct celens_isa isa_t;

#if defined(__x86_64__)
static const isa_t ISAS[] = {{"avx512", 8, 32, micro_avx512, 16, peak_avx512}, {"avx2", 6, 16, micro_avx2, 8, peak_avx2}, {"scalar", 4, 4, micro_scalar, 1, peak_scalar}};
static int has_avx512(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"); }
static int has_avx2(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#else
static const isa_t ISAS[] = {{"avx512", 8, 32, micro_scalar, 1, peak_scalar}, {"avx2", 6, 16, micro_scalar, 1, peak_scalar}, {"scalar", 4, 4, micro_scalar, 1, peak_scalar}};
static int has_avx512(void) { return 0; }
static int has_avx2(void) { return 0; }
#endif

const isa_t *celens_best_isa(void) {
  if (has_avx512()) return &ISAS[0];
  if (has_avx2()) return &ISAS[1];
  return NULL;
}

const isa_t *celens_isa_named(const char *name, const char **why) {
  for (size_t i = 0; i < sizeof ISAS / sizeof ISAS[0]; i++) {
    if (strcmp(name, ISAS[i].name) != 0) continue;
    if ((i == 0 && !has_avx512()) || (i == 1 && !has_avx2())) {
      *why = i == 0 ? "this CPU has no AVX-512" : "this CPU has no AVX2 + FMA";
      return NULL;
    }
    return &ISAS[i];
  }
  *why = "unknown instruction set (avx512, avx2, scalar)";
  return NULL;
}

const char *celens_isa_name(const isa_t *isa) { return isa->name; }

double celens_fma_peak(const isa_t *isa, long iters, double *seconds) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  volatile float sink = isa->peak(iters);
  (void)sink;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  return (double)isa->lanes * 2 * 12 * (double)iters;
}

/* Packing space, one set per thread (each Node worker thread calls from its own). */
static _Thread_local float *pack_a, *pack_b;

void celens_free_scratch(void) {
  free(pack_a);
  free(pack_b);
  pack_a = pack_b = NULL;
}

static int ensure_scratch(void) {
  if (pack_a == NULL) pack_a = aligned_alloc(64, sizeof(float) * MC * KC);
  if (pack_b == NULL) pack_b = aligned_alloc(64, sizeof(float) * KC * (NC + NR_MAX));
  return pack_a != NULL && pack_b != NULL;
}

/*
 * C [M,N] = op(A) x op(B) for one matrix. A(i,k) = a[i*sa_i + k*sa_k]; B is [K,N], or B^T stored
 * [N,K] when transB. Edge tiles (fewer than MR rows or NR columns) run the same micro-kernel on
 * zero-padded panels into a small tile and copy the valid part out, so every element is computed
 * by the same instructions.
 */
static void gemm(const isa_t *isa, const float *a, long sa_i, long sa_k, const float *b, int transB, float *c, int M, int K, int N) {
  const int MR = isa->mr, NR = isa->nr;
  if (K == 0) {
    memset(c, 0, sizeof(float) * (size_t)M * N);
    return;
  }
  float tile[MR_MAX * NR_MAX];
  for (int j0 = 0; j0 < N; j0 += NC) {
    int nc = N - j0 < NC ? N - j0 : NC;
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kc = K - k0 < KC ? K - k0 : KC, first = k0 == 0;
      for (int j = 0; j < nc; j += NR) {
        float *d = pack_b + (size_t)j * kc;
        int w = nc - j < NR ? nc - j : NR;
        if (!transB) {
          for (int k = 0; k < kc; k++) {
            const float *src = b + (size_t)(k0 + k) * N + j0 + j;
            for (int x = 0; x < NR; x++) d[NR * k + x] = x < w ? src[x] : 0.0f;
          }
        } else {
          for (int x = 0; x < NR; x++) {
            const float *src = b + (size_t)(j0 + j + x) * K + k0;
            for (int k = 0; k < kc; k++) d[NR * k + x] = x < w ? src[k] : 0.0f;
          }
        }
      }
      for (int i0 = 0; i0 < M; i0 += MC) {
        int mc = M - i0 < MC ? M - i0 : MC;
        for (int i = 0; i < mc; i += MR) {
          float *d = pack_a + (size_t)i * kc;
          int h = mc - i < MR ? mc - i : MR;
          for (int r = 0; r < MR; r++) {
            const float *src = a + (i0 + i + r) * sa_i + k0 * sa_k;
            for (int k = 0; k < kc; k++) d[MR * k + r] = r < h ? src[k * sa_k] : 0.0f;
          }
        }
        for (int j = 0; j < nc; j += NR) {
          int w = nc - j < NR ? nc - j : NR;
          for (int i = 0; i < mc; i += MR) {
            int h = mc - i < MR ? mc - i : MR;
            float *ct = c + (size_t)(i0 + i) * N + j0 + j;
            const float *ap = pack_a + (size_t)i * kc, *bp = pack_b + (size_t)j * kc;
            if (h == MR && w == NR) {
              isa->micro(kc, ap, bp, ct, N, first);
            } else {
              if (!first)
                for (int r = 0; r < h; r++) memcpy(tile + r * NR, ct + (size_t)r * N, sizeof(float) * w);
              isa->micro(kc, ap, bp, tile, NR, first);
              for (int r = 0; r < h; r++) memcpy(ct + (size_t)r * N, tile + r * NR, sizeof(float) * w);
            }
          }
        }
      }
    }
  }
}

int celens_batch_matmul(const isa_t *isa, const float *a, const float *b, float *c, size_t batchA, size_t batchB, int M, int K, int N, int transA, int transB) {
  if (!ensure_scratch()) return -1;
  size_t batch = batchA > batchB ? batchA : batchB;
  long sa_i = transA ? 1 : K, sa_k = transA ? M : 1;
  size_t strideA = batchA == 1 ? 0 : (size_t)M * K, strideB = batchB == 1 ? 0 : (size_t)K * N;
  for (size_t p = 0; p < batch; p++) gemm(isa, a + p * strideA, sa_i, sa_k, b + p * strideB, transB, c + p * (size_t)M * N, M, K, N);
  return 0;
}
