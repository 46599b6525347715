/*
 * The Node-API binding of celens' native kernels (kernels.h): each function takes the
 * tfjs-backend-wasm heap (its WebAssembly.Memory buffer) and byte offsets of the tensors in it, and
 * checks every range against the buffer before anything is read or written.
 */
#include "kernels.h"
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) return NULL;                                                            \
  } while (0)

/* The matMul's instruction set, one for the process (set once at the first load; setIsa changes it). */
static const celens_isa *active_isa;
static int isa_chosen;

static napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/*
 * Reads a call's arguments: the heap (an ArrayBuffer) and `count` numbers, each a non-negative
 * integer. Returns false with a JavaScript error thrown (naming `fn`) when they are not that.
 */
static bool heap_args(napi_env env, napi_callback_info info, const char *fn, size_t count, char **data, size_t *length, double *v) {
  napi_value argv[12];
  size_t argc = 12;
  char msg[160];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc != count + 1) {
    snprintf(msg, sizeof msg, "celens native %s: expected %zu arguments, got %zu", fn, count + 1, argc);
    throw_error(env, msg);
    return false;
  }
  bool isBuffer = false;
  if (napi_is_arraybuffer(env, argv[0], &isBuffer) != napi_ok) return false;
  if (!isBuffer) {
    snprintf(msg, sizeof msg, "celens native %s: the first argument must be an ArrayBuffer", fn);
    throw_error(env, msg);
    return false;
  }
  if (napi_get_arraybuffer_info(env, argv[0], (void **)data, length) != napi_ok) return false;
  for (size_t i = 0; i < count; i++) {
    napi_valuetype t;
    if (napi_typeof(env, argv[i + 1], &t) != napi_ok) return false;
    if (t == napi_number && napi_get_value_double(env, argv[i + 1], &v[i]) != napi_ok) return false;
    if (t != napi_number || !(v[i] >= 0 && v[i] <= 9007199254740991.0) || v[i] != floor(v[i])) {
      snprintf(msg, sizeof msg, "celens native %s: offsets and sizes must be non-negative integers", fn);
      throw_error(env, msg);
      return false;
    }
  }
  return true;
}

/* Whether `floats` float32s from byte offset `off` lie inside the heap, 4-byte aligned. */
static bool in_heap(napi_env env, const char *fn, double off, double floats, size_t length) {
  char msg[160];
  if ((long long)off % 4) snprintf(msg, sizeof msg, "celens native %s: offsets must be multiples of 4 bytes", fn);
  else if (off + 4 * floats > (double)length) snprintf(msg, sizeof msg, "celens native %s: a tensor runs past the end of the buffer", fn);
  else return true;
  throw_error(env, msg);
  return false;
}

/*
 * batchMatMul(buffer, aByteOffset, bByteOffset, cByteOffset, batchA, batchB, M, K, N, transA, transB):
 * A is [batchA, M, K] ([batchA, K, M] when transA), B is [batchB, K, N] ([batchB, N, K] when
 * transB), C is [batch, M, N], batch = max(batchA, batchB); each of batchA, batchB is 1 or batch.
 */
static napi_value batch_matmul(napi_env env, napi_callback_info info) {
  const char *fn = "batchMatMul";
  char *data;
  size_t length;
  double v[10];
  if (!heap_args(env, info, fn, 10, &data, &length, v)) return NULL;
  double aOff = v[0], bOff = v[1], cOff = v[2], batchA = v[3], batchB = v[4], M = v[5], K = v[6], N = v[7];
  int transA = v[8] != 0, transB = v[9] != 0;
  double batch = batchA > batchB ? batchA : batchB;
  if ((batchA != 1 && batchA != batch) || (batchB != 1 && batchB != batch)) return throw_error(env, "celens native batchMatMul: a batch size must be 1 or the other side's");
  if (M > 2147483647.0 || K > 2147483647.0 || N > 2147483647.0 || M * K > 2147483647.0 || K * N > 2147483647.0 || M * N > 2147483647.0) return throw_error(env, "celens native batchMatMul: a matrix has more than 2^31 - 1 elements");
  if (!in_heap(env, fn, aOff, batchA * M * K, length) || !in_heap(env, fn, bOff, batchB * K * N, length) || !in_heap(env, fn, cOff, batch * M * N, length)) return NULL;
  if (batch * M * N == 0) return NULL;
  if (active_isa == NULL) return throw_error(env, "celens native batchMatMul: this CPU has neither AVX-512 nor AVX2 + FMA");
  const float *a = (const float *)(data + (size_t)aOff), *b = (const float *)(data + (size_t)bOff);
  float *c = (float *)(data + (size_t)cOff);
  if (celens_batch_matmul(active_isa, a, b, c, (size_t)batchA, (size_t)batchB, (int)M, (int)K, (int)N, transA, transB) != 0)
    return throw_error(env, "celens native batchMatMul: out of memory for packing space");
  return NULL;
}

/* geluForward(buffer, xByteOffset, yByteOffset, n): y = gelu(x), n floats (y may be x). */
static napi_value gelu_forward(napi_env env, napi_callback_info info) {
  const char *fn = "geluForward";
  char *data;
  size_t length;
  double v[3];
  if (!heap_args(env, info, fn, 3, &data, &length, v)) return NULL;
  if (!in_heap(env, fn, v[0], v[2], length) || !in_heap(env, fn, v[1], v[2], length)) return NULL;
  celens_gelu_forward((const float *)(data + (size_t)v[0]), (float *)(data + (size_t)v[1]), (size_t)v[2]);
  return NULL;
}

/* geluBackward(buffer, xByteOffset, dyByteOffset, dxByteOffset, n): dx = dy * gelu'(x), n floats. */
static napi_value gelu_backward(napi_env env, napi_callback_info info) {
  const char *fn = "geluBackward";
  char *data;
  size_t length;
  double v[4];
  if (!heap_args(env, info, fn, 4, &data, &length, v)) return NULL;
  if (!in_heap(env, fn, v[0], v[3], length) || !in_heap(env, fn, v[1], v[3], length) || !in_heap(env, fn, v[2], v[3], length)) return NULL;
  celens_gelu_backward((const float *)(data + (size_t)v[0]), (const float *)(data + (size_t)v[1]), (float *)(data + (size_t)v[2]), (size_t)v[3]);
  return NULL;
}

/* columnSum(buffer, xByteOffset, outByteOffset, rows, cols): out[c] = sum over rows of x[r][c], in row order. */
static napi_value column_sum(napi_env env, napi_callback_info info) {
  const char *fn = "columnSum";
  char *data;
  size_t length;
  double v[4];
  if (!heap_args(env, info, fn, 4, &data, &length, v)) return NULL;
  if (!in_heap(env, fn, v[0], v[2] * v[3], length) || !in_heap(env, fn, v[1], v[3], length)) return NULL;
  celens_column_sum((const float *)(data + (size_t)v[0]), (float *)(data + (size_t)v[1]), (size_t)v[2], (size_t)v[3]);
  return NULL;
}

/* isa(): the instruction set in use ("avx512", "avx2", "scalar"), or null where the CPU has neither vector set. */
static napi_value get_isa(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  if (active_isa == NULL) CHECK(napi_get_null(env, &out));
  else CHECK(napi_create_string_utf8(env, celens_isa_name(active_isa), NAPI_AUTO_LENGTH, &out));
  return out;
}

/* setIsa(name): use "avx512", "avx2" or "scalar" (tests compare them); refuses one this CPU lacks. */
static napi_value set_isa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[16] = {0};
  size_t len = 0;
  if (argc != 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) return throw_error(env, "celens native setIsa: expected a string");
  const char *why = NULL;
  const celens_isa *isa = celens_isa_named(name, &why);
  if (isa == NULL) {
    char msg[128];
    snprintf(msg, sizeof msg, "celens native setIsa: %s", why);
    return throw_error(env, msg);
  }
  active_isa = isa;
  return NULL;
}

/*
 * peakFlops(iters): FLOPs and seconds of the instruction set's FMA peak loop (lanes x 2 x 12 x iters),
 * as [flops, seconds]; the benchmark reports matMul GFLOP/s against it.
 */
static napi_value peak_flops(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  double iters = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || napi_get_value_double(env, argv[0], &iters) != napi_ok || !(iters >= 1 && iters <= 1e12)) return throw_error(env, "celens native peakFlops: expected a positive iteration count");
  if (active_isa == NULL) return throw_error(env, "celens native peakFlops: no instruction set in use");
  double seconds = 0;
  double flops = celens_fma_peak(active_isa, (long)iters, &seconds);
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_double(env, flops, &v));
  CHECK(napi_set_element(env, out, 0, v));
  CHECK(napi_create_double(env, seconds, &v));
  CHECK(napi_set_element(env, out, 1, v));
  return out;
}

static void cleanup(void *arg) {
  (void)arg;
  celens_free_scratch();
}

NAPI_MODULE_INIT() {
  if (!isa_chosen) {
    active_isa = celens_best_isa();
    isa_chosen = 1;
  }
  /* Each worker thread that loads the addon gets its own packing space; its exit frees it. */
  if (napi_add_env_cleanup_hook(env, cleanup, NULL) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"batchMatMul", NULL, batch_matmul, NULL, NULL, NULL, napi_default, NULL},
      {"isa", NULL, get_isa, NULL, NULL, NULL, napi_default, NULL},
      {"setIsa", NULL, set_isa, NULL, NULL, NULL, napi_default, NULL},
      {"peakFlops", NULL, peak_flops, NULL, NULL, NULL, napi_default, NULL},
      {"geluForward", NULL, gelu_forward, NULL, NULL, NULL, napi_default, NULL},
      {"geluBackward", NULL, gelu_backward, NULL, NULL, NULL, napi_default, NULL},
      {"columnSum", NULL, column_sum, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
