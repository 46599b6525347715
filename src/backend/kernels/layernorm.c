/*
 * LayerNorm over the last axis and its gradient for x, for tfjs-backend-wasm, WebAssembly SIMD128,
 * one pass over each row's memory per step instead of the ~10 tfjs ops (and fresh tensors) that
 * compose them (src/model/ops.ts). Same module rules as matmul.c: the backend's memory is
 * imported, none is owned (no data segment, no shadow stack).
 *
 *   forward:   mean = sum(x) / H;  var = sum((x - mean)^2) / H  (population variance, as torch)
 *              rstd = 1 / sqrt(var + eps);  normed = (x - mean) * rstd;  y = normed * gamma + beta
 *   backward:  g = dy * gamma;  dx = (g - mean(g) - normed * mean(g * normed)) * rstd
 *
 * Sums run over 4 lanes (lane j adds elements j, j+4, ...), then the lanes, then any last H % 4
 * elements, in that fixed order: a row's values do not depend on the other rows.
 */
#include <wasm_simd128.h>

/* sum of the H elements of p (lanes first, then the tail). */
static inline float row_sum(const float *p, int H) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  int h = 0;
  for (; h + 4 <= H; h += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(p + h));
  float s = (wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1)) + (wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3));
  for (; h < H; h++) s += p[h];
  return s;
}

/* sum of (p - c)^2. */
static inline float row_sq_dev(const float *p, float c, int H) {
  v128_t acc = wasm_f32x4_splat(0.0f), cv = wasm_f32x4_splat(c);
  int h = 0;
  for (; h + 4 <= H; h += 4) {
    v128_t d = wasm_f32x4_sub(wasm_v128_load(p + h), cv);
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d, d));
  }
  float s = (wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1)) + (wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3));
  for (; h < H; h++) s += (p[h] - c) * (p[h] - c);
  return s;
}

/* sum of a * b, and of a * b * c (for the backward's two means), in one pass. */
static inline void row_dots(const float *dy, const float *gamma, const float *normed, int H, float *sg, float *sgn) {
  v128_t a1 = wasm_f32x4_splat(0.0f), a2 = a1;
  int h = 0;
  for (; h + 4 <= H; h += 4) {
    v128_t g = wasm_f32x4_mul(wasm_v128_load(dy + h), wasm_v128_load(gamma + h));
    a1 = wasm_f32x4_add(a1, g);
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(g, wasm_v128_load(normed + h)));
  }
  float s1 = (wasm_f32x4_extract_lane(a1, 0) + wasm_f32x4_extract_lane(a1, 1)) + (wasm_f32x4_extract_lane(a1, 2) + wasm_f32x4_extract_lane(a1, 3));
  float s2 = (wasm_f32x4_extract_lane(a2, 0) + wasm_f32x4_extract_lane(a2, 1)) + (wasm_f32x4_extract_lane(a2, 2) + wasm_f32x4_extract_lane(a2, 3));
  for (; h < H; h++) {
    float g = dy[h] * gamma[h];
    s1 += g;
    s2 += g * normed[h];
  }
  *sg = s1;
  *sgn = s2;
}

/* x, y, normed: [rows, H]; gamma, beta: [H]; rstd: [rows]. Pointers are byte offsets into the heap. */
__attribute__((export_name("layernorm_forward")))
void layernorm_forward(const float *x, const float *gamma, const float *beta, float *y, float *normed, float *rstd, int rows, int H, float eps) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * H;
    float *yr = y + r * H, *nr = normed + r * H;
    float mean = row_sum(xr, H) / (float)H;
    float var = row_sq_dev(xr, mean, H) / (float)H;
    float rs = 1.0f / __builtin_sqrtf(var + eps);
    rstd[r] = rs;
    v128_t mv = wasm_f32x4_splat(mean), rv = wasm_f32x4_splat(rs);
    int h = 0;
    for (; h + 4 <= H; h += 4) {
      v128_t n = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + h), mv), rv);
      wasm_v128_store(nr + h, n);
      wasm_v128_store(yr + h, wasm_f32x4_add(wasm_f32x4_mul(n, wasm_v128_load(gamma + h)), wasm_v128_load(beta + h)));
    }
    for (; h < H; h++) {
      float n = (xr[h] - mean) * rs;
      nr[h] = n;
      yr[h] = n * gamma[h] + beta[h];
    }
  }
}

/* dy, normed, dx: [rows, H]; gamma: [H]; rstd: [rows]. */
__attribute__((export_name("layernorm_backward")))
void layernorm_backward(const float *dy, const float *normed, const float *rstd, const float *gamma, float *dx, int rows, int H) {
  for (int r = 0; r < rows; r++) {
    const float *dr = dy + r * H, *nr = normed + r * H;
    float *xr = dx + r * H;
    float sg, sgn;
    row_dots(dr, gamma, nr, H, &sg, &sgn);
    float mg = sg / (float)H, mgn = sgn / (float)H, rs = rstd[r];
    v128_t mgv = wasm_f32x4_splat(mg), mgnv = wasm_f32x4_splat(mgn), rv = wasm_f32x4_splat(rs);
    int h = 0;
    for (; h + 4 <= H; h += 4) {
      v128_t g = wasm_f32x4_mul(wasm_v128_load(dr + h), wasm_v128_load(gamma + h));
      v128_t c = wasm_f32x4_sub(wasm_f32x4_sub(g, mgv), wasm_f32x4_mul(wasm_v128_load(nr + h), mgnv));
      wasm_v128_store(xr + h, wasm_f32x4_mul(c, rv));
    }
    for (; h < H; h++) xr[h] = ((dr[h] * gamma[h] - mg) - nr[h] * mgn) * rs;
  }
}
