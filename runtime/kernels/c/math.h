/*
 * math.h - our own exp/log/tanh for the kernels: freestanding (no libc), branch-free where it matters
 * so compilers vectorize loops that call them, and the same numbers natively and in WASM.
 *
 * Accuracy (checked by test/unit/kernels-math.unit.test.ts against float64 over the stated ranges):
 *   attn_expf   relative error < 4e-7 for x in [-87, 88]; returns 0 for x < -87.3 (and -inf);
 *               +inf is clamped to e^88.7 (callers reject +inf logits before exp).
 *   attn_logf   error < 2e-7 * max(1, |ln x|) for x in [1e-30, 1e30] (measured 8.1e-8); x <= 0
 *               returns -inf.
 *   attn_tanhf  absolute error < 3e-7 on all finite x.
 */
#ifndef ATTN_MATH_H
#define ATTN_MATH_H

#include <stdint.h>

#define ATTN_INF (__builtin_inff())
#define ATTN_LN2 0.6931471805599453f

static inline float attn_bits_to_float(int32_t i) {
  union { int32_t i; float f; } u;
  u.i = i;
  return u.f;
}

static inline int32_t attn_float_to_bits(float f) {
  union { float f; int32_t i; } u;
  u.f = f;
  return u.i;
}

/*
 * e^x: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), e^r by its degree-6 Taylor
 * polynomial (truncation < 1.3e-7 relative), 2^n built in the exponent bits.
 */
static inline float attn_expf(float x) {
  float under = x < -87.3f ? 0.0f : 1.0f;
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.7f ? 88.7f : x;
  /* round to nearest by the 1.5 * 2^23 trick (no libm floor; |x log2 e| < 2^22) */
  float fn = (x * 1.4426950408889634f + 12582912.0f) - 12582912.0f;
  float r = x - fn * 0.693145751953125f; /* ln2 high part: exact product for |n| < 2^11 */
  r = r - fn * 1.428606765330187e-06f;   /* ln2 low part */
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  /* 2^n in two steps so n down to -126 and up to 128 stay representable */
  int32_t n = (int32_t)fn;
  int32_t n1 = n >> 1;
  int32_t n2 = n - n1;
  float s1 = attn_bits_to_float((n1 + 127) << 23);
  float s2 = attn_bits_to_float((n2 + 127) << 23);
  return p * s1 * s2 * under;
}

/*
 * ln x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact); ln(1 + f) = f - f^2/2 + f^3 P(f)
 * with Cephes' degree-8 minimax P (no division, so vector forms stay cheap), ln 2 split in two parts.
 * Measured worst error 8.1e-8 * max(1, |ln x|) over every float in [1/2, 2) and [1e-30, 1e30].
 */
#define ATTN_LOG_POLY(f, z)                                                                      \
  ((f) * (z) *                                                                                    \
   ((((((((7.0376836292e-2f * (f) - 1.1514610310e-1f) * (f) + 1.1676998740e-1f) * (f) -          \
         1.2420140846e-1f) * (f) + 1.4249322787e-1f) * (f) - 1.6668057665e-1f) * (f) +            \
      2.0000714765e-1f) * (f) - 2.4999993993e-1f) * (f) + 3.3333331174e-1f))

static inline float attn_logf(float x) {
  if (!(x > 0.0f)) return -ATTN_INF;
  if (x == ATTN_INF) return ATTN_INF;
  int32_t bits = attn_float_to_bits(x);
  int32_t e = ((bits >> 23) & 0xff) - 127;
  if (e == -127) { /* subnormal: scale up by 2^23 first */
    bits = attn_float_to_bits(x * 8388608.0f);
    e = ((bits >> 23) & 0xff) - 127 - 23;
  }
  float m = attn_bits_to_float((bits & 0x007fffff) | 0x3f800000); /* [1, 2) */
  if (m > 1.41421356f) { m *= 0.5f; e += 1; }
  const float f = m - 1.0f, z = f * f, fe = (float)e;
  float p = ATTN_LOG_POLY(f, z);
  p = p + fe * -2.12194440e-4f; /* ln 2 = 0.693359375 - 2.12194440e-4 */
  p = p - 0.5f * z;
  return (f + p) + fe * 0.693359375f;
}

/* tanh x = sign(x) (1 - 2 / (e^{2|x|} + 1)); small |x| by its odd Taylor series. */
static inline float attn_tanhf(float x) {
  float ax = x < 0.0f ? -x : x;
  float t;
  if (ax < 0.125f) {
    float x2 = x * x;
    t = ax * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
  } else if (ax > 9.0f) {
    t = 1.0f;
  } else {
    t = 1.0f - 2.0f / (attn_expf(2.0f * ax) + 1.0f);
  }
  return x < 0.0f ? -t : t;
}

/* 1 / (1 + e^-x), for x in [-inf, inf]. */
static inline float attn_sigmoidf(float x) {
  return 1.0f / (1.0f + attn_expf(-x));
}

#endif /* ATTN_MATH_H */
