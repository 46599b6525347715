/*
 * One NIG path chunk's Riemann–Stieltjes sum for a site, added to its accumulator, in one pass
 * (src/attribution/nig.ts; it was ~15 tfjs ops per site and chunk: concat, slices, sub, mul, a sum
 * over the α axis that tfjs-wasm runs as a transpose then a reduction, and the add). Same module
 * rules as matmul.c: the backend's memory is imported, none is owned.
 *
 * For C path points y_0 .. y_{C-1} of n floats each (and their gradients g_k), with y_{-1}, g_{-1}
 * the last point of the previous chunk (prev_y, prev_g), or y_0, g_0 for the path's first chunk:
 *
 *     t_k  = w_k * (y_k - y_{k-1}),   w_k = g_k (right), g_{k-1} (left), (g_k + g_{k-1}) * 0.5 (trapezoid)
 *     out  = acc + (((0 + t_0) + t_1) + ... + t_{C-1})      (acc absent: just the sum)
 *
 * Every element goes through exactly the float32 operations, in the order, that the tfjs ops made
 * (the sum over α starts from 0 and adds in k order, as tfjs-wasm's Sum does), so the
 * attributions are the same bits as before on this backend. SIMD lanes are independent elements.
 */
#include <wasm_simd128.h>

enum { RIGHT = 0, LEFT = 1, TRAPEZOID = 2 };

static inline v128_t weight(v128_t g, v128_t gp, int rule) {
  if (rule == RIGHT) return g;
  if (rule == LEFT) return gp;
  return wasm_f32x4_mul(wasm_f32x4_add(g, gp), wasm_f32x4_splat(0.5f));
}

static inline float weight1(float g, float gp, int rule) {
  if (rule == RIGHT) return g;
  if (rule == LEFT) return gp;
  return (g + gp) * 0.5f;
}

/*
 * y, g: [C][n]; prev_y, prev_g: [n] or 0 (first chunk); acc: [n] or 0 (no accumulator yet);
 * out: [n]. Pointers are byte offsets into the shared heap.
 */
__attribute__((export_name("nig_accumulate")))
void nig_accumulate(const float *y, const float *g, const float *prev_y, const float *prev_g, const float *acc,
                    float *out, int C, int n, int rule) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t yp = wasm_v128_load((prev_y ? prev_y : y) + i), gp = wasm_v128_load((prev_g ? prev_g : g) + i);
    v128_t s = wasm_f32x4_splat(0.0f);
    for (int k = 0; k < C; k++) {
      v128_t yk = wasm_v128_load(y + (long)k * n + i), gk = wasm_v128_load(g + (long)k * n + i);
      s = wasm_f32x4_add(s, wasm_f32x4_mul(weight(gk, gp, rule), wasm_f32x4_sub(yk, yp)));
      yp = yk;
      gp = gk;
    }
    wasm_v128_store(out + i, acc ? wasm_f32x4_add(wasm_v128_load(acc + i), s) : s);
  }
  for (; i < n; i++) {
    float yp = (prev_y ? prev_y : y)[i], gp = (prev_g ? prev_g : g)[i], s = 0.0f;
    for (int k = 0; k < C; k++) {
      float yk = y[(long)k * n + i], gk = g[(long)k * n + i];
      s += weight1(gk, gp, rule) * (yk - yp);
      yp = yk;
      gp = gk;
    }
    out[i] = acc ? acc[i] + s : s;
  }
}
