/*
 * shiftexp.h - the integer steps of I-ViT Shiftmax (spec 2.3, 2.8) shared by the row family
 * (integer.c) and the tiled kernel (softmax.c): the quantizer's minimum scale, exact floors, and
 * ShiftExp. Freestanding, static inline; every step is exact integer (or exactly rounded double)
 * arithmetic, so both callers are bit-exact with runtime/kernels/reference/shiftmax.ts.
 */
#ifndef ATTN_SHIFTEXP_H
#define ATTN_SHIFTEXP_H

#include <stdint.h>

#define INTEGER_MIN_SCALE (1.0 / 8388608.0) /* float32 eps, as the I-ViT quantizer clamps S */

/* floor(a / 2^k), shifting only non-negative values (~a = -a - 1 >= 0 when a < 0). */
static inline int64_t integer_floor_shift(int64_t a, int k) {
  return a >= 0 ? a >> k : ~((~a) >> k);
}

/* floor(x) of a double with |x| < 2^62. */
static inline int64_t integer_floor(double x) {
  int64_t i = (int64_t)x;
  return (double)i > x ? i - 1 : i;
}

typedef struct shiftmax_cfg {
  int32_t n, bits, x0_tvm, exp_tvm, div;
} shiftmax_cfg;

/* ShiftExp of d <= 0 (spec 2.3): E represents e^{S d} with scale S / 2^n. */
static inline int64_t integer_shift_exp(int64_t d, int64_t x0, const shiftmax_cfg *c) {
  int64_t p = d + integer_floor_shift(d, 1) - integer_floor_shift(d, 4);
  if (p < c->n * x0) p = c->n * x0;
  /* q = trunc(p / x0) >= 0 and r = p - q x0 in (x0, 0]: a double division (|p| < 2^31, far
     cheaper than an int64 one) corrected by one step where it rounded across an integer */
  int64_t q = (int64_t)((double)p / (double)x0);
  int64_t r = p - q * x0;
  if (r > 0) { q -= 1; r += x0; }
  else if (r <= x0) { q += 1; r -= x0; }
  if (c->exp_tvm) return (integer_floor_shift(r, 1) - x0) << (c->n - q);
  int64_t e = ((r - 2 * x0) << (c->n - q)) >> 1; /* r - 2 x0 > 0 */
  return e > 0 ? e : 0;
}

#endif /* ATTN_SHIFTEXP_H */
