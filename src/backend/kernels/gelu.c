/*
 * The exact (erf) GELU and its derivative for tfjs-backend-wasm, WebAssembly SIMD128, in one pass
 * each over tfjs' heap (the module imports the backend's memory, as matmul.c does, and likewise
 * owns no memory: no data segment, no shadow stack).
 *
 *     gelu_forward:   y  = (x * 0.5) * (1 + erf(x * sqrt(1/2)))
 *     gelu_backward:  dx = dy * ((1 + erf(x * sqrt(1/2))) * 0.5 + x * (exp((x * x) * -0.5) * 1/sqrt(2 pi)))
 *
 * the same float32 operations, in the same order, as the tfjs ops they replace (src/model/ops.ts),
 * with erf and exp computed here instead of by tfjs' kernels: composed, those took 5 passes over
 * the [rows, 1536] activations for the forward and 12 for the backward, each a fresh tensor.
 *
 * Accuracy (checked in test/backend/gelu.test.ts against float64 series):
 * - exp: Cephes' expf (range reduction by ln 2 in two parts, degree-5 polynomial), <= 2 ulp;
 * - erf: |x| < 1: x * P(x^2), P of degree 6; 1 <= |x|: 1 - exp(-x^2) * R(|x| - 2.5), R of degree
 *   10, a least-squares fit on Chebyshev points of erfc(x) exp(x^2) over [1, 4], with |x| clamped
 *   to 4 (erf(4) rounds to 1 in float32); <= 3 ulp, absolute error <= 1.5e-7.
 */
#include <wasm_simd128.h>

#define F(x) wasm_f32x4_splat(x)

/* One Horner step of a polynomial: p * t + c (a multiply, then an add, each rounded). */
static inline v128_t horner(v128_t p, v128_t t, float c) { return wasm_f32x4_add(wasm_f32x4_mul(p, t), F(c)); }

/* e^x for x in [-87.33, 88]; x below is taken as -87.33 (e^x ~ 1e-38), above as 88. */
static inline v128_t v_exp(v128_t x) {
  /* pmin/pmax (one instruction each; a NaN passes through) rather than min/max (NaN and -0 rules). */
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, F(88.0f)), F(-87.3365447504f));
  /* n = x log2(e) rounded to nearest: adding 1.5 * 2^23 leaves n in the low mantissa bits. */
  v128_t k = wasm_f32x4_add(wasm_f32x4_mul(x, F(1.44269504088896341f)), F(12582912.0f));
  v128_t n = wasm_f32x4_sub(k, F(12582912.0f));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, F(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, F(-2.12194440e-4f)));
  v128_t p = F(1.9875691500e-4f);
  p = horner(p, r, 1.3981999507e-3f);
  p = horner(p, r, 8.3334519073e-3f);
  p = horner(p, r, 4.1665795894e-2f);
  p = horner(p, r, 1.6666665459e-1f);
  p = horner(p, r, 5.0000001201e-1f);
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), F(1.0f));
  /* 2^n from the exponent bits: bits(k) = 0x4B400000 + n, and -126 <= n <= 127 here. */
  v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(k, wasm_i32x4_splat(127 - 0x4B400000)), 23);
  return wasm_f32x4_mul(p, scale);
}

static inline v128_t v_erf(v128_t x) {
  v128_t ax = wasm_f32x4_abs(x);
  /* |x| < 1 */
  v128_t z = wasm_f32x4_mul(ax, ax);
  v128_t ps = F(7.882500424e-05f);
  ps = horner(ps, z, -8.018859006e-04f);
  ps = horner(ps, z, 5.189312811e-03f);
  ps = horner(ps, z, -2.685432954e-02f);
  ps = horner(ps, z, 1.128359749e-01f);
  ps = horner(ps, z, -3.761262691e-01f);
  ps = horner(ps, z, 1.128379166e+00f);
  ps = wasm_f32x4_mul(ps, ax);
  /* 1 <= |x| */
  v128_t c = wasm_f32x4_pmin(ax, F(4.0f));
  v128_t t = wasm_f32x4_sub(c, F(2.5f));
  v128_t pr = F(1.671817248e-06f);
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
  v128_t pl = wasm_f32x4_sub(F(1.0f), wasm_f32x4_mul(v_exp(wasm_f32x4_neg(wasm_f32x4_mul(c, c))), pr));
  v128_t r = wasm_v128_bitselect(ps, pl, wasm_f32x4_lt(ax, F(1.0f)));
  /* erf is odd: the sign of x on |erf(x)| (a NaN takes the second branch and stays NaN). */
  return wasm_v128_or(r, wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000)));
}

static inline v128_t v_cdf(v128_t x) { /* (1 + erf(x * sqrt(1/2))) * 0.5 */
  return wasm_f32x4_mul(wasm_f32x4_add(F(1.0f), v_erf(wasm_f32x4_mul(x, F(0.70710678118654752f)))), F(0.5f));
}

/* One tail of fewer than 4 elements goes through the vector code on a copy (same instructions). */
static inline v128_t load_tail(const float *p, int n) {
  v128_t v = F(0.0f);
  if (n > 0) v = wasm_v128_load32_lane(p, v, 0);
  if (n > 1) v = wasm_v128_load32_lane(p + 1, v, 1);
  if (n > 2) v = wasm_v128_load32_lane(p + 2, v, 2);
  return v;
}
static inline void store_tail(float *p, v128_t v, int n) {
  if (n > 0) wasm_v128_store32_lane(p, v, 0);
  if (n > 1) wasm_v128_store32_lane(p + 1, v, 1);
  if (n > 2) wasm_v128_store32_lane(p + 2, v, 2);
}

static inline v128_t gelu(v128_t x) {
  return wasm_f32x4_mul(wasm_f32x4_mul(x, F(0.5f)),
                        wasm_f32x4_add(F(1.0f), v_erf(wasm_f32x4_mul(x, F(0.70710678118654752f)))));
}

static inline v128_t gelu_grad(v128_t x, v128_t dy) {
  v128_t pdf = wasm_f32x4_mul(v_exp(wasm_f32x4_mul(wasm_f32x4_mul(x, x), F(-0.5f))), F(0.3989422804014327f));
  return wasm_f32x4_mul(dy, wasm_f32x4_add(v_cdf(x), wasm_f32x4_mul(x, pdf)));
}

/*
 * The loops take 4 vectors per turn: each constant of the polynomials is then materialised once
 * for 16 elements (V8 builds a v128 constant from immediates at every use it cannot keep in a
 * register), and the 4 independent chains overlap their latencies.
 */

/* y[i] = gelu(x[i]), i < n. Pointers are byte offsets into the shared heap; y may be x. */
__attribute__((export_name("gelu_forward")))
void gelu_forward(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t a = gelu(wasm_v128_load(x + i)), b = gelu(wasm_v128_load(x + i + 4));
    v128_t c = gelu(wasm_v128_load(x + i + 8)), d = gelu(wasm_v128_load(x + i + 12));
    wasm_v128_store(y + i, a); wasm_v128_store(y + i + 4, b);
    wasm_v128_store(y + i + 8, c); wasm_v128_store(y + i + 12, d);
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, gelu(wasm_v128_load(x + i)));
  if (i < n) store_tail(y + i, gelu(load_tail(x + i, n - i)), n - i);
}

/* dx[i] = dy[i] * gelu'(x[i]), i < n. */
__attribute__((export_name("gelu_backward")))
void gelu_backward(const float *x, const float *dy, float *dx, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t a = gelu_grad(wasm_v128_load(x + i), wasm_v128_load(dy + i));
    v128_t b = gelu_grad(wasm_v128_load(x + i + 4), wasm_v128_load(dy + i + 4));
    v128_t c = gelu_grad(wasm_v128_load(x + i + 8), wasm_v128_load(dy + i + 8));
    v128_t d = gelu_grad(wasm_v128_load(x + i + 12), wasm_v128_load(dy + i + 12));
    wasm_v128_store(dx + i, a); wasm_v128_store(dx + i + 4, b);
    wasm_v128_store(dx + i + 8, c); wasm_v128_store(dx + i + 12, d);
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(dx + i, gelu_grad(wasm_v128_load(x + i), wasm_v128_load(dy + i)));
  if (i < n) store_tail(dx + i, gelu_grad(load_tail(x + i, n - i), load_tail(dy + i, n - i)), n - i);
}

/* erf alone, for the tests. */
__attribute__((export_name("erf_forward")))
void erf_forward(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, v_erf(wasm_v128_load(x + i)));
  if (i < n) store_tail(y + i, v_erf(load_tail(x + i, n - i)), n - i);
}
