/*
 * wasm_entry.c - the WebAssembly module's exports (compiled only into the .wasm; the native addon
 * has its own C++ binding). Only ids, sizes and offsets cross the boundary: the JS glue lays the
 * tensors out in linear memory through attn_wasm_arena(), writes attn_args as 4-byte slots, and
 * calls attn_wasm_run(), which runs every work item on the one thread WASM has.
 */
#include "attn.h"
#include "math.h"
#include "wasm_call.h"

#define PAGE 65536u

extern unsigned char __heap_base;

_Static_assert(sizeof(attn_args) == 4 * 25, "attn_args must be 25 4-byte slots on wasm32");

/*
 * A region of `bytes` bytes, 64-byte aligned, valid until the next call (memory grows as needed;
 * the JS glue must re-read the memory buffer afterwards). Returns 0 when memory cannot grow.
 */
WASM_EXPORT(attn_wasm_arena) uint32_t attn_wasm_arena(uint32_t bytes) {
  uint32_t base = ((uint32_t)(uintptr_t)&__heap_base + 63u) & ~63u;
  uint64_t need = (uint64_t)base + bytes;
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * PAGE;
  if (need > have) {
    uint64_t pages = (need - have + PAGE - 1) / PAGE;
    if (__builtin_wasm_memory_grow(0, (uint32_t)pages) == (size_t)-1) return 0;
  }
  return base;
}

/* Floats of scratch the variant of *a needs, or -1 when no family implements it. */
WASM_EXPORT(attn_wasm_scratch) double attn_wasm_scratch(const attn_args *a) {
  const attn_family *f = attn_family_for(a->variant);
  return f ? (double)f->scratch_floats(a) : -1.0;
}

/*
 * Runs every work item of *a. stats: key_sum, key_count [q_heads * tk] floats (zeroed here);
 * entropy [q_heads] floats (mean row entropy, written here); report [3] doubles: recomputed rows,
 * Newton-Raphson residual, approximation error. Returns an attn_status.
 */
WASM_EXPORT(attn_wasm_run) int32_t attn_wasm_run(const attn_args *a, float *scratch, double scratch_len,
                                                 float *key_sum, float *key_count, double *entropy_acc,
                                                 float *entropy, double *report) {
  int32_t s = attn_check(a);
  if (s != ATTN_OK) return s;
  const attn_family *f = attn_family_for(a->variant);
  if (!f) return ATTN_E_VARIANT;
  attn_thread t = wasm_thread(a, scratch, scratch_len, key_sum, key_count, entropy_acc);
  s = f->run(a, &t, 0, attn_items(a));
  if (s != ATTN_OK) return s;
  wasm_mean_entropy(a, &t, entropy);
  report[0] = t.recomputed_rows;
  report[1] = t.nr_residual;
  report[2] = t.approx_error;
  return ATTN_OK;
}

/* Bit v set when variant v is implemented by this build. */
WASM_EXPORT(attn_wasm_variants) uint32_t attn_wasm_variants(void) {
  uint32_t bits = 0;
  for (int32_t v = 0; v < ATTN_VARIANT_COUNT; v++)
    if (attn_family_for(v)) bits |= 1u << v;
  return bits;
}

/* The message of a status, as a NUL-terminated string in linear memory. */
WASM_EXPORT(attn_wasm_error) const char *attn_wasm_error(int32_t status) {
  return attn_error_text(status);
}

/* math.h on one value, for its accuracy test: fn 0 attn_expf, 1 attn_logf, 2 attn_tanhf. */
WASM_EXPORT(attn_wasm_math) float attn_wasm_math(int32_t fn, float x) {
  return fn == 0 ? attn_expf(x) : fn == 1 ? attn_logf(x) : attn_tanhf(x);
}

/* The compiler may call these for block copies and clears; no libc here. */
void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}
void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}
