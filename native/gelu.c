/*
 * The exact (erf) GELU and its derivative, natively: the same float32 operations, in the same
 * order, as src/backend/kernels/gelu.c (WebAssembly SIMD128), on 16 lanes at a time, so the bits
 * are the same (test/backend/gelu.test.ts compares them): every step is one IEEE multiply, add,
 * subtract, compare, select or integer bit operation, rounded to nearest, with no fused
 * multiply-add (binding.gyp builds with -ffp-contract=off), and min/max keep wasm's pmin/pmax
 * rules (pmin(a, b) = b < a ? b : a, so a NaN in a passes through). Written once with GCC's
 * vector types; target_clones builds it for AVX-512, AVX2 and plain SSE2 and picks one at load.
 *
 *     gelu_forward:   y  = (x * 0.5) * (1 + erf(x * sqrt(1/2)))
 *     gelu_backward:  dx = dy * ((1 + erf(x * sqrt(1/2))) * 0.5 + x * (exp((x * x) * -0.5) * 1/sqrt(2 pi)))
 *
 * The polynomials and their accuracy are gelu.c's (src/backend/kernels/), which says where they come from.
 */
#include "kernels.h"
#include <string.h>

#define LANES 16
typedef float vf __attribute__((vector_size(4 * LANES)));
typedef int vi __attribute__((vector_size(4 * LANES)));

#define F(x) ((vf){} + (float)(x))
#define I(x) ((vi){} + (int)(x))
#define AS_I(v) ((vi)(v))
#define AS_F(v) ((vf)(v))

/* m ? x : y lane by lane (m all ones or all zeros), as wasm's v128.bitselect(x, y, m). */
static inline vf sel(vi m, vf x, vf y) { return AS_F((AS_I(x) & m) | (AS_I(y) & ~m)); }
/* wasm's f32x4.pmin / pmax: b < a ? b : a and a < b ? b : a. */
static inline vf pmin(vf a, vf b) { return sel(b < a, b, a); }
static inline vf pmax(vf a, vf b) { return sel(a < b, b, a); }
static inline vf horner(vf p, vf t, float c) { return p * t + F(c); }

static inline vf v_exp(vf x) {
  x = pmax(pmin(x, F(88.0f)), F(-87.3365447504f));
  vf k = x * F(1.44269504088896341f) + F(12582912.0f);
  vf n = k - F(12582912.0f);
  vf r = x - n * F(0.693359375f);
  r = r - n * F(-2.12194440e-4f);
  vf p = F(1.9875691500e-4f);
  p = horner(p, r, 1.3981999507e-3f);
  p = horner(p, r, 8.3334519073e-3f);
  p = horner(p, r, 4.1665795894e-2f);
  p = horner(p, r, 1.6666665459e-1f);
  p = horner(p, r, 5.0000001201e-1f);
  p = p * r * r + r + F(1.0f);
  vf scale = AS_F((AS_I(k) + I(127 - 0x4B400000)) << 23);
  return p * scale;
}

static inline vf v_erf(vf x) {
  vf ax = AS_F(AS_I(x) & I(0x7fffffff));
  vf z = ax * ax;
  vf ps = F(7.882500424e-05f);
  ps = horner(ps, z, -8.018859006e-04f);
  ps = horner(ps, z, 5.189312811e-03f);
  ps = horner(ps, z, -2.685432954e-02f);
  ps = horner(ps, z, 1.128359749e-01f);
  ps = horner(ps, z, -3.761262691e-01f);
  ps = horner(ps, z, 1.128379166e+00f);
  ps = ps * ax;
  vf c = pmin(ax, F(4.0f));
  vf t = c - F(2.5f);
  vf pr = F(1.671817248e-06f);
  pr = horner(pr, t, -6.386147786e-06f);
  pr = horner(pr, t, 1.435358429e-05f);
  pr = horner(pr, t, -5.358552969e-05f);
  pr = horner(pr, t, 2.129722172e-04f);
  pr = horner(pr, t, -7.389979803e-04f);
  pr = horner(pr, t, 2.465982261e-03f);
  pr = horner(pr, t, -7.999345374e-03f);
  pr = horner(pr, t, 2.493820376e-02f);
  pr = horner(pr, t, -7.434760096e-02f);
  pr = horner(pr, t, 2.108063575e-01f);
  vf negcc = AS_F(AS_I(c * c) ^ I(0x80000000));
  vf pl = F(1.0f) - v_exp(negcc) * pr;
  vf r = sel(ax < F(1.0f), ps, pl);
  return AS_F(AS_I(r) | (AS_I(x) & I(0x80000000)));
}

static inline vf gelu(vf x) { return (x * F(0.5f)) * (F(1.0f) + v_erf(x * F(0.70710678118654752f))); }

static inline vf gelu_grad(vf x, vf dy) {
  vf pdf = v_exp((x * x) * F(-0.5f)) * F(0.3989422804014327f);
  vf cdf = (F(1.0f) + v_erf(x * F(0.70710678118654752f))) * F(0.5f);
  return dy * (cdf + x * pdf);
}

static inline vf load(const float *p, size_t n) { /* n <= LANES; the rest zero (same instructions on a copy) */
  vf v = F(0.0f);
  memcpy(&v, p, n * sizeof(float));
  return v;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void celens_gelu_forward(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    vf v = gelu(load(x + i, LANES));
    memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {
    vf v = gelu(load(x + i, n - i));
    memcpy(y + i, &v, (n - i) * sizeof(float));
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void celens_gelu_backward(const float *x, const float *dy, float *dx, size_t n) {
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    vf v = gelu_grad(load(x + i, LANES), load(dy + i, LANES));
    memcpy(dx + i, &v, sizeof v);
  }
  if (i < n) {
    vf v = gelu_grad(load(x + i, n - i), load(dy + i, n - i));
    memcpy(dx + i, &v, (n - i) * sizeof(float));
  }
}
