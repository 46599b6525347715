/*
 * Column sums for tfjs-backend-wasm's Sum over leading axes (a bias's or a LayerNorm parameter's
 * gradient: the sum of [rows, cols] over its rows). tfjs transposes the input first so that the
 * reduced axes come last, then adds each output's elements one after another from 0; here each
 * column is added over the rows in the same order, from 0, with no transpose: the same bits, a
 * column per vector lane. Built for AVX-512, AVX2 and SSE2 (target_clones picks one at load).
 */
#include "kernels.h"

__attribute__((target_clones("avx512f", "avx2", "default"))) void celens_column_sum(const float *restrict x, float *restrict out, size_t rows, size_t cols) {
  for (size_t c = 0; c < cols; c++) out[c] = 0.0f;
  for (size_t r = 0; r < rows; r++) {
    const float *restrict xr = x + r * cols;
    for (size_t c = 0; c < cols; c++) out[c] += xr[c];
  }
}
