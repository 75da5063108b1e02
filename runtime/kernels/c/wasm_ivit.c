/*
 * wasm_ivit.c - the WebAssembly exports of the I-ViT integer core (ivit.h); compiled only into the
 * .wasm, like wasm_entry.c. The JS glue lays attn_args out as for attn_wasm_run, asks for the
 * state and scratch sizes, and runs every step on the one thread WASM has.
 */
#include "ivit.h"

#define WASM_EXPORT(name) __attribute__((export_name(#name)))

/* Bytes of the shared state (its first doubles are the scales) for *a. */
WASM_EXPORT(attn_wasm_ivit_state) double attn_wasm_ivit_state(const attn_args *a) {
  return (double)ivit_state_bytes(a);
}

/* Floats of scratch ivit needs for *a. */
WASM_EXPORT(attn_wasm_ivit_scratch) double attn_wasm_ivit_scratch(const attn_args *a) {
  return (double)ivit_scratch_floats(a);
}

/*
 * Runs the I-ViT core of *a. key_sum, key_count [q_heads * tk] and entropy_acc [2 * q_heads
 * doubles] are zeroed here; entropy [q_heads] gets the mean row entropy. Returns a status.
 */
WASM_EXPORT(attn_wasm_ivit_run) int32_t attn_wasm_ivit_run(const attn_args *a, void *state, float *scratch,
                                                           double scratch_len, float *key_sum, float *key_count,
                                                           double *entropy_acc, float *entropy) {
  int32_t s = attn_check(a);
  if (s != ATTN_OK) return s;
  const int64_t kt = (int64_t)a->q_heads * a->tk;
  for (int64_t x = 0; x < kt; x++) { key_sum[x] = 0.0f; key_count[x] = 0.0f; }
  for (int32_t h = 0; h < 2 * a->q_heads; h++) entropy_acc[h] = 0.0;
  attn_thread t = {0};
  t.key_sum = key_sum;
  t.key_count = key_count;
  t.entropy_sum = entropy_acc;
  t.entropy_rows = entropy_acc + a->q_heads;
  t.scratch = scratch;
  t.scratch_len = (int64_t)scratch_len;
  s = ivit_attention(a, state, &t);
  if (s != ATTN_OK) return s;
  for (int32_t h = 0; h < a->q_heads; h++)
    entropy[h] = t.entropy_rows[h] > 0 ? (float)(t.entropy_sum[h] / t.entropy_rows[h]) : 0.0f;
  return ATTN_OK;
}

/* The message of an ivit status, NUL-terminated in linear memory. */
WASM_EXPORT(attn_wasm_ivit_error) const char *attn_wasm_ivit_error(int32_t status) {
  return ivit_error_text(status);
}

/*
 * The core's dyadic requantization (ivit_dyadic, ivit_requantize): out[0..2] = M, k and
 * round(z M / 2^k) as doubles (z an integer, |z| <= 2^31 - 1, checked by the glue). Returns a status.
 */
WASM_EXPORT(attn_wasm_dyadic) int32_t attn_wasm_dyadic(double ratio, double z, int32_t half_up, double *out) {
  int64_t m = 0, k = 0;
  const int32_t s = ivit_dyadic(ratio, &m, &k);
  if (s != ATTN_OK) return s;
  out[0] = (double)m;
  out[1] = (double)k;
  out[2] = (double)ivit_requantize((int64_t)z, m, k, half_up);
  return ATTN_OK;
}
