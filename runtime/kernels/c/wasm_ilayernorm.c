/*
 * wasm_ilayernorm.c - the WebAssembly export of I-LayerNorm (ilayernorm.h); compiled only into the
 * .wasm, like wasm_entry.c. The JS glue lays the arrays out through attn_wasm_arena().
 */
#include "ilayernorm.h"

#define WASM_EXPORT(name) __attribute__((export_name(#name)))

WASM_EXPORT(attn_wasm_ilayernorm) int32_t attn_wasm_ilayernorm(const int32_t *x, const double *bias, int32_t rows,
                                                               int32_t c, double *out, int32_t *mean, double *var,
                                                               int32_t *std) {
  return ilayernorm_rows(x, bias, rows, c, out, mean, var, std);
}

/* The message of a status, NUL-terminated in linear memory. */
WASM_EXPORT(attn_wasm_ilayernorm_error) const char *attn_wasm_ilayernorm_error(int32_t status) {
  return ilayernorm_error_text(status);
}
