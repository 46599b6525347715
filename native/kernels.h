/*
 * celens' native kernels (x86-64), shared by the kernel files and the Node-API binding (addon.c).
 * matmul.c: BatchMatMul in AVX-512, AVX2 + FMA or the scalar reference; gelu.c: the exact GELU
 * and its derivative, the same float32 operations as src/backend/kernels/gelu.c; reduce.c: column
 * sums in tfjs' own order.
 */
#ifndef CELENS_KERNELS_H
#define CELENS_KERNELS_H
#include <stddef.h>

/* An instruction set the matMul has kernels for: "avx512", "avx2" or "scalar" (the reference). */
typedef struct celens_isa celens_isa;

/* The best set this CPU runs (never the scalar reference), or NULL where it has neither vector set. */
const celens_isa *celens_best_isa(void);
/* The set called `name` where this CPU runs it; NULL for an unknown name or one the CPU lacks. */
const celens_isa *celens_isa_named(const char *name, const char **why);
const char *celens_isa_name(const celens_isa *isa);

/*
 * C[p] = op(A[p]) x op(B[p]), p < batch = max(batchA, batchB) (a side with one matrix is shared).
 * A is [batchA, M, K] ([batchA, K, M] when transA), B [batchB, K, N] ([batchB, N, K] when transB).
 * Returns 0, or -1 where the packing space could not be allocated.
 */
int celens_batch_matmul(const celens_isa *isa, const float *a, const float *b, float *c, size_t batchA, size_t batchB, int M, int K, int N, int transA, int transB);

/* Frees this thread's packing space (a Node-API environment's cleanup hook, run on its thread). */
void celens_free_scratch(void);

/* The set's FMA peak loop: returns its FLOP count and stores its seconds in *seconds. */
double celens_fma_peak(const celens_isa *isa, long iters, double *seconds);

/* y[i] = gelu(x[i]) and dx[i] = dy[i] gelu'(x[i]), i < n (y may be x). */
void celens_gelu_forward(const float *x, float *y, size_t n);
void celens_gelu_backward(const float *x, const float *dy, float *dx, size_t n);

/* out[c] = x[0][c] + x[1][c] + ... + x[rows-1][c], added in row order from 0, for x [rows, cols]. */
void celens_column_sum(const float *x, float *out, size_t rows, size_t cols);

#endif
