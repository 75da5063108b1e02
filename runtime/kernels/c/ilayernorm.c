/*
 * ilayernorm.c - I-ViT integer LayerNorm (contract in ilayernorm.h; the readable reference is
 * runtime/analysis/quant/iLayerNorm.ts, same steps, same order).
 *
 * Exactness: the row sum of int32 values is int64 (C < 2^31); |y| <= 2^32 - 1, so y^2 fits uint64
 * and the sum is checked against 2^53 - 1 before every add (the reference's limit); the Newton
 * steps stay >= 64 (each at least halves the previous), so f = (2^31 - 1) / std < 2^26 and
 * |y| f <= sqrt(var) f < 2^53; floor(y f / 2) shifts non-negative values only.
 */
#include "ilayernorm.h"

#define ILN_SAFE 9007199254740991ULL /* 2^53 - 1 */
#define ILN_BIAS_MAX 4503599627370496.0 /* 2^52 */

/* round(a / b) with ties to even, b > 0 (floor quotient first: C division truncates). */
static int64_t iln_round_half_even(int64_t a, int64_t b) {
  int64_t q = a / b, r = a - q * b;
  if (r < 0) { q -= 1; r += b; }
  if (2 * r > b) return q + 1;
  if (2 * r < b) return q;
  return (q & 1) ? q + 1 : q;
}

/* floor(p / 2) without shifting a negative value. */
static int64_t iln_floor_half(int64_t p) { return p >= 0 ? p >> 1 : ~((~p) >> 1); }

int32_t ilayernorm_rows(const int32_t *x, const double *bias, int32_t rows, int32_t c, double *out,
                        int32_t *mean, double *var, int32_t *std) {
  if (rows < 0 || c < 1) return ILN_E_SHAPE;
  for (int32_t j = 0; j < c; j++) { /* the range test first: a NaN double -> int traps on wasm */
    const double b = bias[j];
    if (!(b >= -ILN_BIAS_MAX && b <= ILN_BIAS_MAX) || b != (double)(int64_t)b) return ILN_E_BIAS;
  }
  for (int32_t i = 0; i < rows; i++) {
    const int32_t *row = x + (int64_t)i * c;
    double *o = out + (int64_t)i * c;
    int64_t sum = 0;
    for (int32_t j = 0; j < c; j++) sum += row[j];
    const int64_t m = iln_round_half_even(sum, c);
    uint64_t v = 0;
    for (int32_t j = 0; j < c; j++) {
      const int64_t y = (int64_t)row[j] - m;
      const uint64_t a = (uint64_t)(y < 0 ? -y : y), sq = a * a; /* a < 2^32 */
      if (sq > ILN_SAFE || v > ILN_SAFE - sq) return ILN_E_VARIANCE;
      v += sq;
    }
    int64_t k = 65536;
    for (int32_t step = 0; step < 10; step++) k = (k + (int64_t)(v / (uint64_t)k)) >> 1; /* >= 64 */
    const int64_t f = 2147483647LL / k;
    for (int32_t j = 0; j < c; j++) {
      const int64_t y = (int64_t)row[j] - m;
      o[j] = (double)(iln_floor_half(y * f) + (int64_t)bias[j]);
    }
    mean[i] = (int32_t)m;
    var[i] = (double)v;
    std[i] = (int32_t)k;
  }
  return 0;
}

const char *ilayernorm_error_text(int32_t status) {
  switch (status) {
    case ILN_E_SHAPE: return "I-LayerNorm: rows must be >= 0 and channels >= 1";
    case ILN_E_VARIANCE: return "I-LayerNorm: the sum of squared deviations passes 2^53; the 16-bit residual inputs I-ViT feeds it stay far below";
    case ILN_E_BIAS: return "I-LayerNorm: a bias_int is not an integer within +-2^52 (is a gamma 0 or a beta/gamma huge?)";
    default: return "I-LayerNorm: unknown status";
  }
}
