/*
 * The gradient of attention's scaled, masked softmax, p = softmax(x / scale + mask) over the last
 * axis, for tfjs-backend-wasm, WebAssembly SIMD128: one pass per row instead of five tfjs ops
 * (src/model/ops.ts, maskedSoftmax), each a pass over [batch, heads, T, T] and a fresh tensor.
 * Same module rules as matmul.c: the backend's memory is imported, none is owned.
 *
 *   dx_j = (dy_j p_j - p_j sum_k dy_k p_k) / scale
 *
 * The sum runs over 4 lanes, then the lanes, then the tail, in that fixed order: a row's values do
 * not depend on the other rows. (The forward stays tfjs': its softmax runs in XNNPACK, faster than
 * a SIMD128 exp written here.)
 */
#include <wasm_simd128.h>
#define F(x) wasm_f32x4_splat(x)

static inline float lanes_sum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) + (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

/* dx [rows][T] = (dy p - p sum(dy p)) / scale per row. */
__attribute__((export_name("softmax_backward")))
void softmax_backward(const float *p, const float *dy, float *dx, int rows, int T, float scale) {
  v128_t vs = F(scale);
  for (int r = 0; r < rows; r++) {
    const float *pr = p + (long)r * T, *gr = dy + (long)r * T;
    float *dr = dx + (long)r * T;
    int j = 0;
    v128_t vsum = F(0.0f);
    for (; j + 4 <= T; j += 4) vsum = wasm_f32x4_add(vsum, wasm_f32x4_mul(wasm_v128_load(gr + j), wasm_v128_load(pr + j)));
    float sum = lanes_sum(vsum);
    for (; j < T; j++) sum += gr[j] * pr[j];
    v128_t vt = F(sum);
    for (j = 0; j + 4 <= T; j += 4) {
      v128_t pj = wasm_v128_load(pr + j);
      v128_t d = wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(gr + j), pj), wasm_f32x4_mul(pj, vt));
      wasm_v128_store(dr + j, wasm_f32x4_div(d, vs));
    }
    for (; j < T; j++) dr[j] = (gr[j] * pr[j] - pr[j] * sum) / scale;
  }
}
