/*
 * rowdot.h - the shared skeleton of the variant families that work row by row (rownorm.c, gauss.c,
 * integer.c), vectorized with GCC/Clang vector extensions (8 lanes: SSE or AVX2 natively, simd128
 * in WASM), freestanding, always inlined:
 *   - dot products and squared distances of a query with keys (four keys at a time), the masked
 *     logit row (scale, softcap, bias, invalid-row check as the TS reference defines it);
 *   - e^x and ln x per lane (the steps of math.h, so the same accuracy);
 *   - rowdot_items / rowdot_group: a family supplies one function that turns a row into weights;
 *     rows go in groups of ROWDOT_GROUP so each value row is loaded once per group for the output,
 *     and the statistics (key sums, counts, entropy) are taken in the same pass;
 *   - ROWDOT_CLONES: run-time AVX2 dispatch for the families' hot functions.
 * Summation order: a dot product's lane c % 8 accumulates its products in order of c, then the lanes
 * are added pairwise, then the d % 8 tail in order; outputs sum over keys in key order. Results
 * differ from plain loops in the last bits (the references sum in float64 anyway).
 */
#ifndef ATTN_ROWDOT_H
#define ATTN_ROWDOT_H

#include "attn.h"
#include "math.h"

/* Vector helpers take vectors by pointer and are always inlined: no 32-byte vector is passed by
   value (GCC notes an ABI change for that without AVX). The macros below wrap them as values. */
#define ROWDOT_INLINE static inline __attribute__((always_inline))

/*
 * Run-time ISA dispatch for a family's hot functions: on x86-64 Linux with GCC, an AVX2+FMA clone
 * (x86-64-v3) and the baseline, picked once at load by the ifunc resolver; elsewhere (WASM, other
 * platforms) the one baseline build.
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define ROWDOT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ROWDOT_CLONES
#endif

typedef float rowdot_v8 __attribute__((vector_size(32)));
typedef int32_t rowdot_v8i __attribute__((vector_size(32)));
typedef float rowdot_v8u __attribute__((vector_size(32), aligned(4)));
#define ROWDOT_LOAD(p) (*(const rowdot_v8u *)(p))

/* The pairwise lane sum ((0+4)+(1+5))+((2+6)+(3+7)) (a macro: vectors are not passed by value). */
#define rowdot_hsum(x) ((((x)[0] + (x)[4]) + ((x)[1] + (x)[5])) + (((x)[2] + (x)[6]) + ((x)[3] + (x)[7])))

/* Lane shuffle of two vectors (indices 0-7: a, 8-15: b): Clang (WASM) and GCC (native) spell it
   differently. */
#if defined(__clang__)
#define ROWDOT_SHUFFLE(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
  __builtin_shufflevector((a), (b), i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define ROWDOT_SHUFFLE(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
  __builtin_shuffle((a), (b), (rowdot_v8i){i0, i1, i2, i3, i4, i5, i6, i7})
#endif

/* out[0..4) = the lane sums of a0..a3, by vector adds of shuffled halves (not 4 scalar chains). */
ROWDOT_INLINE void rowdot_hsum4(const rowdot_v8 *a0, const rowdot_v8 *a1, const rowdot_v8 *a2,
                                const rowdot_v8 *a3, float *out) {
  const rowdot_v8 u0 = ROWDOT_SHUFFLE(*a0, *a1, 0, 1, 2, 3, 8, 9, 10, 11) + ROWDOT_SHUFFLE(*a0, *a1, 4, 5, 6, 7, 12, 13, 14, 15);
  const rowdot_v8 u1 = ROWDOT_SHUFFLE(*a2, *a3, 0, 1, 2, 3, 8, 9, 10, 11) + ROWDOT_SHUFFLE(*a2, *a3, 4, 5, 6, 7, 12, 13, 14, 15);
  /* u0 = [a0 half sums (4) | a1 half sums (4)], u1 likewise for a2, a3 */
  const rowdot_v8 v = ROWDOT_SHUFFLE(u0, u1, 0, 1, 8, 9, 4, 5, 12, 13) + ROWDOT_SHUFFLE(u0, u1, 2, 3, 10, 11, 6, 7, 14, 15);
  /* v = [a0 (2), a2 (2), a1 (2), a3 (2)] */
  out[0] = v[0] + v[1];
  out[1] = v[4] + v[5];
  out[2] = v[2] + v[3];
  out[3] = v[6] + v[7];
}

/* out[u] = x . k[u * ld ...] for u < 4 (four keys ld floats apart), d floats each. */
ROWDOT_INLINE void rowdot_dot4(const float *x, const float *k, int64_t ld, int32_t d, float *out) {
  rowdot_v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
  int32_t c = 0;
  for (; c + 8 <= d; c += 8) {
    rowdot_v8 xv = ROWDOT_LOAD(x + c);
    a0 += xv * ROWDOT_LOAD(k + c);
    a1 += xv * ROWDOT_LOAD(k + ld + c);
    a2 += xv * ROWDOT_LOAD(k + 2 * ld + c);
    a3 += xv * ROWDOT_LOAD(k + 3 * ld + c);
  }
  float h[4];
  rowdot_hsum4(&a0, &a1, &a2, &a3, h);
  float s0 = h[0], s1 = h[1], s2 = h[2], s3 = h[3];
  for (; c < d; c++) {
    s0 += x[c] * k[c];
    s1 += x[c] * k[ld + c];
    s2 += x[c] * k[2 * ld + c];
    s3 += x[c] * k[3 * ld + c];
  }
  out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3;
}

/* x . y over d floats. */
ROWDOT_INLINE float rowdot_dot(const float *x, const float *y, int32_t d) {
  rowdot_v8 a = {0};
  int32_t c = 0;
  for (; c + 8 <= d; c += 8) a += ROWDOT_LOAD(x + c) * ROWDOT_LOAD(y + c);
  float s = rowdot_hsum(a);
  for (; c < d; c++) s += x[c] * y[c];
  return s;
}

/* |x - y|^2 over d floats (the exact difference, not |x|^2 + |y|^2 - 2 x.y). */
ROWDOT_INLINE float rowdot_dist2(const float *x, const float *y, int32_t d) {
  rowdot_v8 a = {0};
  int32_t c = 0;
  for (; c + 8 <= d; c += 8) {
    rowdot_v8 t = ROWDOT_LOAD(x + c) - ROWDOT_LOAD(y + c);
    a += t * t;
  }
  float s = rowdot_hsum(a);
  for (; c < d; c++) {
    float t = x[c] - y[c];
    s += t * t;
  }
  return s;
}

/*
 * x . k_j for the keys j in [j0, j1) of kh (ld = d), into s[j] (scaled by `scale`); four at a time.
 */
ROWDOT_INLINE void rowdot_span(const float *x, const float *kh, int32_t d, int32_t j0, int32_t j1,
                               float scale, float *s) {
  int32_t j = j0;
  for (; j + 4 <= j1; j += 4) {
    float o[4];
    rowdot_dot4(x, kh + (int64_t)j * d, d, d, o);
    s[j] = o[0] * scale; s[j + 1] = o[1] * scale; s[j + 2] = o[2] * scale; s[j + 3] = o[3] * scale;
  }
  for (; j < j1; j++) s[j] = rowdot_dot(x, kh + (int64_t)j * d, d) * scale;
}

/*
 * The rules both logit rows share, in place over s[0..hi): keys the streaming window hides become
 * -inf; the others are multiplied by `scale` (1 when s already holds scaled dots), soft-capped and
 * biased. *n_visible = keys whose logit is not -inf. Returns 1 when the row is invalid (see below).
 */
ROWDOT_INLINE int rowdot_finish(const attn_args *a, const float *brow, float *s, int32_t sink_end,
                                int32_t lo, int32_t hi, float scale, int32_t *n_visible) {
  int bad = 0;
  int32_t n = 0;
  for (int32_t j = 0; j < hi; j++) {
    if (!(j < sink_end || j >= lo)) { s[j] = -ATTN_INF; continue; }
    float x = s[j] * scale;
    if (x - x != 0.0f) bad = 1; /* Inf/NaN in Q.K: invalid, never a hidden key (-inf) */
    if (a->softcap > 0.0f) x = a->softcap * attn_tanhf(x / a->softcap);
    if (brow) x += brow[j];
    if (x != x || x == ATTN_INF) bad = 1;
    if (x != -ATTN_INF) n++;
    s[j] = x;
  }
  *n_visible = n;
  return bad;
}

/*
 * The masked logit row, as logits.h's attn_row_logits was: s[0..*end) with -inf where hidden (the
 * row sees no key at or past *end, which is attn_row_keys' hi), *n_visible = keys whose logit is
 * not -inf, vectorized. Returns 1 when the row is invalid: a visible logit is NaN or +inf, or a
 * scaled Q.K is not finite (so Inf inputs never pass for a key hidden by -inf), as the TS
 * reference (reference/visibility.ts) defines it.
 */
ROWDOT_INLINE int rowdot_logits(const attn_args *a, int32_t h, int32_t i, float *s, int32_t *n_visible,
                                int32_t *end) {
  const int32_t d = a->head_dim, tk = a->tk;
  const float *qi = a->q + ((int64_t)h * a->tq + i) * d;
  const float *kh = a->k + (int64_t)attn_kv_head(a, h) * tk * d;
  const float *brow = a->bias
      ? a->bias + ((int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq + i) * tk : 0;
  int32_t sink_end, lo, hi;
  attn_row_keys(a, i, &sink_end, &lo, &hi);
  *end = hi;
  rowdot_span(qi, kh, d, 0, sink_end, a->scale, s);
  rowdot_span(qi, kh, d, lo, hi, a->scale, s);
  return rowdot_finish(a, brow, s, sink_end, lo, hi, 1.0f, n_visible);
}

/*
 * The keys of one kv head transposed, kt[c * ldt + j] = k_j[c] with ldt = tk rounded up to 8 (the
 * padding is zero), cached across the items of a call: the group dot products read 8 keys with
 * one vector load. `kt` holds rowdot_keys_floats(a) floats; kvh = -1 when empty.
 */
typedef struct rowdot_keys {
  float *kt;
  int32_t kvh;
} rowdot_keys;

ROWDOT_INLINE int64_t rowdot_keys_floats(const attn_args *a) {
  return (int64_t)a->head_dim * ((a->tk + 7) / 8 * 8);
}

ROWDOT_INLINE void rowdot_keys_load(const attn_args *a, rowdot_keys *keys, int32_t kvh) {
  if (keys->kvh == kvh) return;
  const int32_t d = a->head_dim, tk = a->tk;
  const int64_t ldt = (tk + 7) / 8 * 8;
  const float *kh = a->k + (int64_t)kvh * tk * d;
  for (int32_t j = 0; j < tk; j++)
    for (int32_t c = 0; c < d; c++) keys->kt[c * ldt + j] = kh[(int64_t)j * d + c];
  for (int32_t c = 0; c < d; c++)
    for (int64_t j = tk; j < ldt; j++) keys->kt[c * ldt + j] = 0.0f;
  keys->kvh = kvh;
}

/*
 * The 4-row x 16-column register tile of the group loops: t[2 r] and t[2 r + 1] (columns 0-7 and
 * 8-15) = sum over k < kdim of a_r[k] * b[k][0..16), rows of b ldb apart, summed in k order.
 */
typedef struct rowdot_tile4 { rowdot_v8 t[8]; } rowdot_tile4;

ROWDOT_INLINE rowdot_tile4 rowdot_tile4x16(const float *a0, const float *a1, const float *a2, const float *a3,
                                           const float *b, int64_t ldb, int32_t kdim) {
  rowdot_v8 a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0}, a30 = {0}, a31 = {0};
  for (int32_t k = 0; k < kdim; k++, b += ldb) {
    const rowdot_v8 x0 = ROWDOT_LOAD(b), x1 = ROWDOT_LOAD(b + 8);
    a00 += a0[k] * x0; a01 += a0[k] * x1;
    a10 += a1[k] * x0; a11 += a1[k] * x1;
    a20 += a2[k] * x0; a21 += a2[k] * x1;
    a30 += a3[k] * x0; a31 += a3[k] * x1;
  }
  return (rowdot_tile4){{a00, a01, a10, a11, a20, a21, a30, a31}};
}

/*
 * S[r][j] = q_{g+r} . k_j (raw: unscaled, unmasked) for r < nr and keys j in [0, hi): 4 rows x 16
 * keys per register tile, each dot product summed over c in order.
 */
ROWDOT_INLINE void rowdot_group_dots(const attn_args *a, const rowdot_keys *keys, int32_t h, int32_t g,
                                     int32_t nr, int32_t hi, float *S) {
  const int32_t d = a->head_dim, tk = a->tk;
  const int64_t ldt = (tk + 7) / 8 * 8;
  const float *q0 = a->q + ((int64_t)h * a->tq + g) * d;
  const float *q1 = nr > 1 ? q0 + d : q0, *q2 = nr > 2 ? q0 + 2 * d : q0, *q3 = nr > 3 ? q0 + 3 * d : q0;
  float *s0 = S, *s1 = S + tk, *s2 = S + 2 * (int64_t)tk, *s3 = S + 3 * (int64_t)tk;
  int32_t jb = 0;
  for (; jb + 16 <= hi; jb += 16) {
    const rowdot_tile4 x = rowdot_tile4x16(q0, q1, q2, q3, keys->kt + jb, ldt, d);
    const rowdot_v8 a00 = x.t[0], a01 = x.t[1], a10 = x.t[2], a11 = x.t[3];
    const rowdot_v8 a20 = x.t[4], a21 = x.t[5], a30 = x.t[6], a31 = x.t[7];
    for (int u = 0; u < 8; u++) {
      s0[jb + u] = a00[u]; s0[jb + 8 + u] = a01[u];
      if (nr > 1) { s1[jb + u] = a10[u]; s1[jb + 8 + u] = a11[u]; }
      if (nr > 2) { s2[jb + u] = a20[u]; s2[jb + 8 + u] = a21[u]; }
      if (nr > 3) { s3[jb + u] = a30[u]; s3[jb + 8 + u] = a31[u]; }
    }
  }
  for (; jb < hi; jb++) {
    float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
    const float *kp = keys->kt + jb;
    for (int32_t c = 0; c < d; c++, kp += ldt) {
      d0 += q0[c] * *kp; d1 += q1[c] * *kp; d2 += q2[c] * *kp; d3 += q3[c] * *kp;
    }
    s0[jb] = d0;
    if (nr > 1) s1[jb] = d1;
    if (nr > 2) s2[jb] = d2;
    if (nr > 3) s3[jb] = d3;
  }
}

/*
 * rowdot_logits for a row whose raw dot products s[0..hi) rowdot_group_dots already computed: the
 * same masks, scale, softcap, bias and invalid-row rules, in place.
 */
ROWDOT_INLINE int rowdot_logits_from_dots(const attn_args *a, int32_t h, int32_t i, float *s,
                                          int32_t *n_visible, int32_t *end) {
  const int32_t tk = a->tk;
  const float *brow = a->bias
      ? a->bias + ((int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq + i) * tk : 0;
  int32_t sink_end, lo, hi;
  attn_row_keys(a, i, &sink_end, &lo, &hi);
  *end = hi;
  return rowdot_finish(a, brow, s, sink_end, lo, hi, a->scale, n_visible);
}

/*
 * o[c] for c in [c0, dv) = sum over keys j in [0, j1) with w[j] != 0 of w[j] * v_j[c] (vh holds
 * the head's values, dv apart). The output stays in registers across keys (32 columns at a time).
 * Each column sums in key order, as a plain loop does.
 */
ROWDOT_INLINE void rowdot_weighted_values(const float *w, const float *vh, int32_t j1, int32_t dv,
                                          int32_t c0, float *o) {
  int32_t c = c0;
  for (; c + 32 <= dv; c += 32) {
    rowdot_v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int32_t j = 0; j < j1; j++) {
      const float wj = w[j];
      if (wj == 0.0f) continue;
      const float *vj = vh + (int64_t)j * dv + c;
      a0 += wj * ROWDOT_LOAD(vj);
      a1 += wj * ROWDOT_LOAD(vj + 8);
      a2 += wj * ROWDOT_LOAD(vj + 16);
      a3 += wj * ROWDOT_LOAD(vj + 24);
    }
    for (int u = 0; u < 8; u++) { o[c + u] = a0[u]; o[c + 8 + u] = a1[u]; o[c + 16 + u] = a2[u]; o[c + 24 + u] = a3[u]; }
  }
  for (; c + 8 <= dv; c += 8) {
    rowdot_v8 a0 = {0};
    for (int32_t j = 0; j < j1; j++) if (w[j] != 0.0f) a0 += w[j] * ROWDOT_LOAD(vh + (int64_t)j * dv + c);
    for (int u = 0; u < 8; u++) o[c + u] = a0[u];
  }
  for (; c < dv; c++) {
    float acc = 0.0f;
    for (int32_t j = 0; j < j1; j++) if (w[j] != 0.0f) acc += w[j] * vh[(int64_t)j * dv + c];
    o[c] = acc;
  }
}

/* Lanes of a where mask m is all ones, else of b. */
#define rowdot_select(m, a, b) ((rowdot_v8)(((rowdot_v8i)(a) & (m)) | ((rowdot_v8i)(b) & ~(m))))

/* e^x per lane, in place: the steps of attn_expf (math.h), so the same accuracy (0 below -87.3). */
ROWDOT_INLINE void rowdot_vexp_in(rowdot_v8 *xp) {
  rowdot_v8 x = *xp;
  const rowdot_v8i keep = x >= -87.3f;
  x = rowdot_select(x < -87.3f, ((rowdot_v8){0} - 87.3f), x);
  x = rowdot_select(x > 88.7f, ((rowdot_v8){0} + 88.7f), x);
  const rowdot_v8 fn = (x * 1.4426950408889634f + 12582912.0f) - 12582912.0f;
  rowdot_v8 r = x - fn * 0.693145751953125f;
  r = r - fn * 1.428606765330187e-06f;
  rowdot_v8 p = r * (1.0f / 720.0f) + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const rowdot_v8i n = __builtin_convertvector(fn, rowdot_v8i);
  const rowdot_v8i n1 = n >> 1, n2 = n - (n >> 1);
  const rowdot_v8 s1 = (rowdot_v8)((n1 + 127) << 23), s2 = (rowdot_v8)((n2 + 127) << 23);
  *xp = (rowdot_v8)((rowdot_v8i)(p * s1 * s2) & keep);
}
#define rowdot_vexp(v) __extension__({ rowdot_v8 rowdot_e_ = (v); rowdot_vexp_in(&rowdot_e_); rowdot_e_; })

/* ln x per lane for normal positive x, in place: the steps of attn_logf (math.h); other lanes:
   garbage. */
ROWDOT_INLINE void rowdot_vlog_in(rowdot_v8 *xp) {
  const rowdot_v8i bits = (rowdot_v8i)*xp;
  rowdot_v8i e = ((bits >> 23) & 0xff) - 127;
  rowdot_v8 m = (rowdot_v8)((bits & 0x007fffff) | 0x3f800000);
  const rowdot_v8i big = m > 1.41421356f;
  m = rowdot_select(big, m * 0.5f, m);
  e -= big; /* big lanes are -1 */
  const rowdot_v8 f = m - 1.0f, z = f * f, fe = __builtin_convertvector(e, rowdot_v8);
  rowdot_v8 p = ATTN_LOG_POLY(f, z);
  p = p + fe * -2.12194440e-4f;
  p = p - 0.5f * z;
  *xp = (f + p) + fe * 0.693359375f;
}
#define rowdot_vlog(v) __extension__({ rowdot_v8 rowdot_l_ = (v); rowdot_vlog_in(&rowdot_l_); rowdot_l_; })

/* Lanes where x is a normal positive float (rowdot_vlog is valid there). */
#define rowdot_normal(x) (((x) >= 1.1754944e-38f) & ((x) < 3.4028235e38f))

/* acc += p ln p per lane, 0 for p <= 0 or subnormal p (whose terms are below 1e-36). */
ROWDOT_INLINE void rowdot_add_plogp(rowdot_v8 *acc, const rowdot_v8 *pp) {
  const rowdot_v8 p = *pp;
  *acc += rowdot_select(rowdot_normal(p), p * rowdot_vlog(p), (rowdot_v8){0});
}

/*
 * The statistics of one valid row: key_sum[j] += |w_j| * scale and key_count[j] += 1 over the
 * keys below `end` the row sees (s[j] != -inf; hidden keys have w_j = 0), and the row entropy.
 */
ROWDOT_INLINE void rowdot_row_stats(attn_thread *t, int32_t h, int32_t end, int32_t tk, const float *s,
                                    const float *w, float scale) {
  float *ks = t->key_sum + (int64_t)h * tk;
  float *kc = t->key_count + (int64_t)h * tk;
  rowdot_v8 vent = {0}; /* sum p ln p per lane, added up once at the end */
  int32_t j = 0;
  for (; j + 8 <= end; j += 8) {
    const rowdot_v8 wv = ROWDOT_LOAD(w + j);
    const rowdot_v8 p = rowdot_select(wv < 0.0f, -wv, wv) * scale;
    const rowdot_v8i seen = ROWDOT_LOAD(s + j) != -ATTN_INF;
    *(rowdot_v8u *)(ks + j) = ROWDOT_LOAD(ks + j) + p;
    *(rowdot_v8u *)(kc + j) = ROWDOT_LOAD(kc + j) + rowdot_select(seen, ((rowdot_v8){0} + 1.0f), ((rowdot_v8){0}));
    rowdot_add_plogp(&vent, &p);
  }
  float ent = -rowdot_hsum(vent);
  for (; j < end; j++) {
    if (s[j] == -ATTN_INF) continue;
    float p = (w[j] < 0.0f ? -w[j] : w[j]) * scale;
    ks[j] += p;
    kc[j] += 1.0f;
    if (p > 0.0f) ent -= p * attn_logf(p);
  }
  t->entropy_sum[h] += ent;
  t->entropy_rows[h] += 1.0;
}

/* Query rows computed together, so each value row is loaded once per group, not once per row. */
#define ROWDOT_GROUP 4

/*
 * out[r][0..dv) (rows dv apart) = sum_j W[r][j] v_j for r < nr, over keys [0, j1); W holds
 * ROWDOT_GROUP rows tk apart (rows >= nr must be zero). 8 columns x 4 rows stay in registers (no
 * spills even with 128-bit vectors). Each column sums in key order, as a plain loop does.
 */
ROWDOT_INLINE void rowdot_weighted_values4(const float *W, int32_t tk, int32_t nr, const float *vh,
                                           int32_t j1, int32_t dv, float *out, int32_t *active) {
  const float *w0 = W, *w1 = W + tk, *w2 = W + 2 * (int64_t)tk, *w3 = W + 3 * (int64_t)tk;
  /* the keys some row of the group weighs: the others are skipped, not multiplied by 0, since a
     hidden key's value may hold Inf/NaN (a key one row sees still meets 0 * v in the others) */
  int32_t na = 0;
  for (int32_t j = 0; j < j1; j++) {
    active[na] = j;
    na += (w0[j] != 0.0f) | (w1[j] != 0.0f) | (w2[j] != 0.0f) | (w3[j] != 0.0f);
  }
  int32_t c = 0;
  for (; c + 8 <= dv; c += 8) {
    rowdot_v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int32_t x = 0; x < na; x++) {
      const int32_t j = active[x];
      const rowdot_v8 v = ROWDOT_LOAD(vh + (int64_t)j * dv + c);
      a0 += w0[j] * v;
      a1 += w1[j] * v;
      a2 += w2[j] * v;
      a3 += w3[j] * v;
    }
    for (int u = 0; u < 8; u++) {
      out[c + u] = a0[u];
      if (nr > 1) out[dv + c + u] = a1[u];
      if (nr > 2) out[2 * dv + c + u] = a2[u];
      if (nr > 3) out[3 * dv + c + u] = a3[u];
    }
  }
  for (int32_t r = 0; r < nr; r++) rowdot_weighted_values(W + (int64_t)r * tk, vh, j1, dv, c, out + (int64_t)r * dv);
}

/*
 * One row of a family: fills s[0..end) (-inf where the row does not see the key, anything else
 * where it does) and w[0..end) (its weights, 0 where hidden), *end (the row sees no key at or past
 * it: attn_row_keys' hi) and *stat_scale (the factor from w to the statistics' map: 1, or
 * 1 / sum|w| for the proxy map). Returns 1 for a valid row, 0 for a fully hidden one, -1 for an
 * invalid one (w, s and end need not be set for those two).
 */
typedef int (*rowdot_row_fn)(const attn_args *a, void *ctx, int32_t h, int32_t i, float *s, float *w,
                             int32_t *end, float *stat_scale);

/*
 * Computes rows [g, g + nr) of head h (nr <= ROWDOT_GROUP) with `row`, then their outputs together,
 * their captured map rows and, when instrumenting, the statistics on |w_j| * stat_scale over the
 * keys each valid row sees. Hidden and invalid rows output 0 and are left out of the statistics.
 * S and W are ROWDOT_GROUP rows of tk floats each, active tk int32 of scratch.
 */
ROWDOT_INLINE void rowdot_group(const attn_args *a, attn_thread *t, int32_t h, int32_t g, int32_t nr,
                                float *S, float *W, int32_t *active, rowdot_keys *keys, rowdot_row_fn row,
                                void *ctx) {
  const int32_t tk = a->tk, dv = a->head_dim_v;
  if (keys) { /* the group's raw dot products, for rows that read them (rowdot_logits_from_dots) */
    int32_t hi_max = 0;
    for (int32_t r = 0; r < nr; r++) {
      int32_t se, lo, hi;
      attn_row_keys(a, g + r, &se, &lo, &hi);
      hi_max = hi > hi_max ? hi : hi_max;
    }
    rowdot_keys_load(a, keys, attn_kv_head(a, h));
    rowdot_group_dots(a, keys, h, g, nr, hi_max, S);
  }
  float scale[ROWDOT_GROUP];
  int valid[ROWDOT_GROUP];
  int32_t end[ROWDOT_GROUP];
  int32_t j1 = 0;
  for (int32_t r = 0; r < ROWDOT_GROUP; r++) {
    float *w = W + (int64_t)r * tk, *s = S + (int64_t)r * tk;
    end[r] = 0;
    valid[r] = r < nr ? row(a, ctx, h, g + r, s, w, &end[r], &scale[r]) : 0;
    if (r < nr) a->invalid_rows[(int64_t)h * a->tq + g + r] = (uint8_t)(valid[r] < 0);
    if (valid[r] <= 0) end[r] = 0;
    j1 = end[r] > j1 ? end[r] : j1;
  }
  /* rows see keys below their end only: zero each row's weights up to the group's end */
  for (int32_t r = 0; r < ROWDOT_GROUP; r++) {
    float *w = W + (int64_t)r * tk;
    for (int32_t j = end[r]; j < j1; j++) w[j] = 0.0f;
  }
  const float *vh = a->v + (int64_t)attn_kv_head(a, h) * tk * dv;
  rowdot_weighted_values4(W, tk, nr, vh, j1, dv, a->out + ((int64_t)h * a->tq + g) * dv, active);
  for (int32_t r = 0; r < nr; r++) {
    const float *w = W + (int64_t)r * tk, *s = S + (int64_t)r * tk;
    if (a->capture_index && a->capture_index[h] >= 0) {
      float *m = a->capture + ((int64_t)a->capture_index[h] * a->tq + g + r) * tk;
      for (int32_t j = 0; j < tk; j++) m[j] = j < end[r] ? w[j] : 0.0f;
    }
    if (a->instrument && valid[r] > 0) rowdot_row_stats(t, h, end[r], tk, s, w, scale[r]);
  }
}

/* Called after each group of rows [g, g + nr) of head h is finished (outputs written), or NULL. */
typedef void (*rowdot_after_fn)(const attn_args *a, void *ctx, attn_thread *t, int32_t h, int32_t g,
                                int32_t nr);

/*
 * Runs `row` over every row of work items [begin, end), ROWDOT_GROUP rows at a time. With `keys`,
 * each group's raw dot products are in S before its rows run (rows then use
 * rowdot_logits_from_dots); without, rows compute their own.
 */
ROWDOT_INLINE void rowdot_items(const attn_args *a, attn_thread *t, int32_t begin, int32_t end, float *S,
                                float *W, int32_t *active, rowdot_keys *keys, rowdot_row_fn row,
                                rowdot_after_fn after, void *ctx) {
  const int32_t blocks = (a->tq + a->row_block - 1) / a->row_block;
  for (int32_t item = begin; item < end; item++) {
    int32_t h = item / blocks, b0 = (item % blocks) * a->row_block;
    int32_t b1 = b0 + a->row_block < a->tq ? b0 + a->row_block : a->tq;
    for (int32_t g = b0; g < b1; g += ROWDOT_GROUP) {
      const int32_t nr = b1 - g < ROWDOT_GROUP ? b1 - g : ROWDOT_GROUP;
      rowdot_group(a, t, h, g, nr, S, W, active, keys, row, ctx);
      if (after) after(a, ctx, t, h, g, nr);
    }
  }
}

#endif /* ATTN_ROWDOT_H */
