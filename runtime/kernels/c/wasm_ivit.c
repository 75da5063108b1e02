/*
 * wasm_ivit.c - the WebAssembly exports of the I-ViT integer core (ivit.h); compiled only into the
 * .wasm, like wasm_entry.c. The JS glue lays attn_args out as for attn_wasm_run, asks for the
 * state and scratch sizes, and runs every step on the one thread WASM has.
 */
#include "ivit.h"
#include "wasm_call.h"


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
  attn_thread t = wasm_thread(a, scratch, scratch_len, key_sum, key_count, entropy_acc);
  s = ivit_attention(a, state, &t);
  if (s != ATTN_OK) return s;
  wasm_mean_entropy(a, &t, entropy);
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
