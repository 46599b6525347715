{
  "targets": [
    {
      "target_name": "celens_native",
      "sources": ["addon.c", "matmul.c", "gelu.c", "reduce.c"],
      "cflags_c": ["-O3", "-std=gnu11", "-ffp-contract=off", "-Wno-psabi"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
