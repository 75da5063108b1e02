/*
 * wasm_call.h - what every WebAssembly entry that runs a kernel over attn_args does around it: one
 * attn_thread over the caller's statistics buffers (zeroed here) and scratch, and the mean row
 * entropy per head afterwards. Included by wasm_entry.c and wasm_ivit.c only.
 */
#ifndef ATTNSCOPE_WASM_CALL_H
#define ATTNSCOPE_WASM_CALL_H

#include "attn.h"

#define WASM_EXPORT(name) __attribute__((export_name(#name)))

/* key_sum, key_count [q_heads * tk] floats and entropy_acc [2 * q_heads] doubles, zeroed. */
static inline attn_thread wasm_thread(const attn_args *a, float *scratch, double scratch_len, float *key_sum,
                                      float *key_count, double *entropy_acc) {
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
  return t;
}

/* entropy [q_heads]: the mean row entropy of each head (0 for a head with no valid row). */
static inline void wasm_mean_entropy(const attn_args *a, const attn_thread *t, float *entropy) {
  for (int32_t h = 0; h < a->q_heads; h++)
    entropy[h] = t->entropy_rows[h] > 0 ? (float)(t->entropy_sum[h] / t->entropy_rows[h]) : 0.0f;
}

#endif
