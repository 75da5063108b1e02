/*
 * softmax_tile.h - the body of the softmax family, included once per instruction set by softmax.c
 * with these macros defined:
 *   SFX(name)  suffixes a function name (name##_avx512, ...)
 *   VW         floats per SIMD vector (16 AVX-512, 8 AVX2, 4 SSE/wasm simd128)
 *   RT, NV     register tile: RT query rows x NV vectors of keys (or value columns)
 * Everything here is static; softmax.c picks one instantiation at run time.
 * The elementwise variants (sigmoid, elu1, sigmoid-norm, softplus-norm) share phase 1 and the P V
 * product; their phase 2 maps each logit on its own (no max), then divides by the row sum + eps
 * where the variant normalizes (sigmoid-norm, softplus-norm, elu1 with normalize=1).
 *
 * Per work item (head h, rows [i0, i1)), two phases over the block, both inside this call:
 *   1. S = Q_blk K^T over the key tiles some row of the block can see (fully hidden 64-key tiles -
 *      the causal upper triangle, the middle of a streaming window - are skipped), then per row:
 *      masks, softcap, bias, max, invalid check;
 *   2. per row: P = exp(S - m), its sum l (plus the variant's extra slot), then O = P V / l and,
 *      when instrumenting, the key sums, counts and entropy on the final weights P / l. Phase 2
 *      runs one register-tile group of rows at a time (its rows, then its key sums and P V while
 *      its weights are still in L1; O / l stored straight into the output), the whole block at
 *      once for shiftmax.
 * K of the current kv head is transposed once per thread into the scratch ([d, tk], cached across
 * the items of the call by attn_thread.scratch_tag), times the scale, so the Q K^T tiles read it with
 * vector loads and Q as the caller laid it out (no scaled copy of Q).
 */

_Static_assert(64 % (NV * VW) == 0 && RT <= 8 && RT <= VW && NV * VW <= 64,
               "register tile: its columns must divide the 64-key tile, at most 8 rows and VW");

typedef float SFX(vf) __attribute__((vector_size(VW * 4)));
typedef float SFX(vfu) __attribute__((vector_size(VW * 4), aligned(4)));
typedef int32_t SFX(vi) __attribute__((vector_size(VW * 4)));
#define VF SFX(vf)
#define VI SFX(vi)
#define LOADU(p) (*(const SFX(vfu) *)(p))
#define STOREU(p, x) (*(SFX(vfu) *)(p) = (x))
#define SPLAT(c) ((VF){0} + (float)(c))

static inline VF SFX(vsel)(VI m, VF a, VF b) {
#if VW == 4 && defined(__wasm_simd128__)
  return (VF)wasm_v128_bitselect((v128_t)a, (v128_t)b, (v128_t)m);
#else
  return (VF)(((VI)a & m) | ((VI)b & ~m));
#endif
}
/* a > b ? a : b per lane (b where either is NaN), and a < b ? a : b: one max/min instruction
   where the instruction set has one with exactly these semantics */
static inline VF SFX(vmax)(VF a, VF b) {
#if VW == 16 && defined(__AVX512F__)
  return (VF)_mm512_max_ps((__m512)a, (__m512)b);
#elif VW == 8 && defined(__AVX__)
  return (VF)_mm256_max_ps((__m256)a, (__m256)b);
#elif VW == 4 && defined(__SSE__)
  return (VF)_mm_max_ps((__m128)a, (__m128)b);
#elif VW == 4 && defined(__wasm_simd128__)
  return (VF)wasm_f32x4_pmax((v128_t)b, (v128_t)a); /* a > b ? a : b */
#else
  return SFX(vsel)(a > b, a, b);
#endif
}
static inline VF SFX(vmin)(VF a, VF b) {
#if VW == 16 && defined(__AVX512F__)
  return (VF)_mm512_min_ps((__m512)a, (__m512)b);
#elif VW == 8 && defined(__AVX__)
  return (VF)_mm256_min_ps((__m256)a, (__m256)b);
#elif VW == 4 && defined(__SSE__)
  return (VF)_mm_min_ps((__m128)a, (__m128)b);
#elif VW == 4 && defined(__wasm_simd128__)
  return (VF)wasm_f32x4_pmin((v128_t)b, (v128_t)a); /* a < b ? a : b */
#else
  return SFX(vsel)(a < b, a, b);
#endif
}
/* Lane sum and lane max: a tree of shuffles where the instruction set has them (a serial chain of
   VW - 1 scalar operations costs ~4 VW cycles per row otherwise). */
static inline float SFX(hsum)(VF x) {
#if VW == 16 && defined(__AVX512F__)
  return _mm512_reduce_add_ps((__m512)x);
#elif VW == 8 && defined(__AVX__)
  __m128 s = _mm_add_ps(_mm256_castps256_ps128((__m256)x), _mm256_extractf128_ps((__m256)x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
#else
  float s = 0.0f;
  for (int i = 0; i < VW; i++) s += x[i];
  return s;
#endif
}
static inline float SFX(hmax)(VF x) {
#if VW == 16 && defined(__AVX512F__)
  return _mm512_reduce_max_ps((__m512)x);
#elif VW == 8 && defined(__AVX__)
  __m128 m = _mm_max_ps(_mm256_castps256_ps128((__m256)x), _mm256_extractf128_ps((__m256)x, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
#else
  float m = x[0];
  for (int i = 1; i < VW; i++) m = x[i] > m ? x[i] : m;
  return m;
#endif
}

/*
 * e^r for the reduced argument of attn_expf (math.h): x = n ln2 + r with n = fn rounded by the
 * 1.5 * 2^23 trick (t holds n in its low bits), then the degree-6 polynomial. Shared by vexp and
 * vexp_le0, which differ only in how they scale by 2^n.
 */
static inline __attribute__((always_inline)) VF SFX(vexp_reduced)(VF x, VF *t_out, VF *fn_out) {
  const VF t = x * 1.4426950408889634f + 12582912.0f; /* n + 1.5 * 2^23: n in its low bits */
  const VF fn = t - 12582912.0f;
  VF r = x - fn * 0.693145751953125f;
  r = r - fn * 1.428606765330187e-06f;
  VF p = SPLAT(1.0f / 720.0f);
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  *t_out = t;
  *fn_out = fn;
  return p;
}

/* attn_expf (math.h) on a vector: the same steps, so the same accuracy and numbers. */
static inline __attribute__((always_inline)) VF SFX(vexp)(VF x) {
  VI keep = x >= SPLAT(-87.3f);
  x = SFX(vmax)(x, SPLAT(-87.3f));
  x = SFX(vmin)(x, SPLAT(88.7f));
  VF t, fn;
  const VF p = SFX(vexp_reduced)(x, &t, &fn);
#if VW == 16 && defined(__AVX512F__)
  /* p 2^n rounded once: what the two exact-then-rounded steps below give (p 2^n1 is normal) */
  return (VF)((VI)_mm512_scalef_ps((__m512)p, (__m512)fn) & keep);
#else
  VI n = (VI)t - 0x4B400000; /* = (int)fn, without a float-to-int conversion */
  VI n1 = n >> 1;
  VI n2 = n - n1;
  VF s1 = (VF)((n1 + 127) << 23);
  VF s2 = (VF)((n2 + 127) << 23);
  return (VF)((VI)(p * s1 * s2) & keep);
#endif
}

/* attn_logf (math.h) on a vector of positive normal floats (callers mask 0 and subnormals): the
   same steps, no division. */
static inline __attribute__((always_inline)) VF SFX(vlog)(VF x) {
  VI bits = (VI)x;
  VI e = ((bits >> 23) & 0xff) - 127;
  VF m = (VF)((bits & 0x007fffff) | 0x3f800000);
  VI big = m > SPLAT(1.41421356f);
  m = SFX(vsel)(big, m * 0.5f, m);
  e = e - big; /* big is -1 where true */
  const VF f = m - 1.0f, z = f * f, fe = __builtin_convertvector(e, VF);
  VF p = ATTN_LOG_POLY(f, z);
  p = p + fe * -2.12194440e-4f;
  p = p - 0.5f * z;
  return (f + p) + fe * 0.693359375f;
}

/*
 * ln(1 + t) for t in [0, 1] (softplus's e^-|x|): t P(t) with a degree-9 polynomial fitted to
 * ln(1 + t) / t, measured relative error < 1.5e-7 (absolute < 1e-7) over [0, 1] in float32; no
 * exponent split, no division, and no separate series for small t (P(0) = 1).
 */
static inline __attribute__((always_inline)) VF SFX(vlog1p01)(VF t) {
  VF p = t * -3.2439809292554855e-3f + 1.9851263612508774e-2f;
  p = p * t - 5.6959159672260284e-2f;
  p = p * t + 1.0603617131710052e-1f;
  p = p * t - 1.5305569767951965e-1f;
  p = p * t + 1.9675931334495544e-1f;
  p = p * t - 2.4954132735729218e-1f;
  p = p * t + 3.332996368408203e-1f;
  p = p * t - 4.999990165233612e-1f;
  p = p * t + 1.0f;
  return p * t;
}

/*
 * The end of every row pass's step over keys [j, j + VW) of a row of n keys: stores the weights w
 * into out (only the keys below n when the vector is the row's tail) and, with kc, counts the keys
 * seen into kc.
 */
static inline __attribute__((always_inline)) void SFX(row_put)(float *out, float *kc, int32_t j,
                                                             int32_t n, VF w, VI seen) {
  if (j + VW <= n) {
    if (kc) STOREU(kc + j, LOADU(kc + j) + (VF)((VI)SPLAT(1.0f) & seen));
    STOREU(out + j, w);
  } else {
    for (int u = 0; u < n - j; u++) {
      if (kc) kc[j + u] += seen[u] ? 1.0f : 0.0f;
      out[j + u] = w[u];
    }
  }
}

/* w ln w per lane where w is a normal positive float, else 0. */
static inline __attribute__((always_inline)) VF SFX(wlogw)(VF w) {
  const VI pos = w > SPLAT(1.17549435e-38f);
  return (VF)((VI)(w * SFX(vlog)(SFX(vsel)(pos, w, SPLAT(1.0f)))) & pos);
}

#include "softmax_rows.h"

#if VW == 16 && defined(SOFTMAX_HAVE_AMX)
#define SOFTMAX_AMX_PATH 1 /* this instantiation can run the products on AMX (softmax_amx.h) */
#include "softmax_amx.h"
#else
#define SOFTMAX_AMX_PATH 0
#endif

/* 1 when x[0..n) holds an Inf or a NaN (a vector at a time; x - x is NaN exactly there). */
static int SFX(any_nonfinite)(const float *x, int64_t n) {
  VF c = SPLAT(0);
  int64_t i = 0;
  for (; i + VW <= n; i += VW) {
    const VF v = LOADU(x + i);
    c += v - v;
  }
  int bad = SFX(hsum)(c) != 0.0f;
  for (; i < n; i++) bad |= x[i] - x[i] != 0.0f;
  return bad;
}

/* out[0..dv) = inv * sum of p[j] V[j] over the keys j < hi whose weight p[j] is not 0: the P V of a
   row when V holds an Inf/NaN, which a key the row does not see (weight 0) must not reach. */
static void SFX(row_pv_nonzero)(const float *p, int32_t hi, const float *v, int32_t dv, float inv,
                                float *out) {
  for (int32_t c = 0; c < dv; c++) out[c] = 0.0f;
  for (int32_t j = 0; j < hi; j++) {
    if (p[j] == 0.0f) continue;
    const float *vj = v + (int64_t)j * dv;
    for (int32_t c = 0; c < dv; c++) out[c] += p[j] * vj[c];
  }
  for (int32_t c = 0; c < dv; c++) out[c] *= inv;
}

/*
 * The register-tile micro-kernel: C[r][0..nv*VW) (ldc) = (accumulate ? C : 0) +
 * sum_kk A[r][kk] (lda) * B[kk][0..nv*VW) (ldb), for r < RT, kk < kdim, nv <= NV vectors of columns
 * (a constant where it is inlined). Each step loads nv vectors of B once and broadcasts one A
 * value per row: RT * nv FMAs on RT + nv loads. Rows of A beyond the block are zero padding.
 * With rs: stores C[r] = rs[r] * the sums (the P V product scaled by 1 / l on its way out).
 * With mv: for each row r whose fully visible key prefix reaches col_end (col_end <= full[r]), also
 * folds the tile into the row's vector max mv[r * ldm ...] and check vector mv[r * ldm + VW ...]
 * (+= t - t with t the sum of the row's vectors: NaN once an Inf/NaN, or an overflowing sum, is
 * seen), so the row pass need not read those keys again.
 */
static inline __attribute__((always_inline)) void SFX(tile_mk)(
    const float *A, int64_t lda, const float *B, int64_t ldb, int32_t kdim, float *C, int64_t ldc,
    int accumulate, const int nv, float *mv, int64_t ldm, const int32_t *full, int32_t col_end,
    const float *rs) {
  VF acc[RT][NV];
  for (int r = 0; r < RT; r++)
    for (int v = 0; v < nv; v++) acc[r][v] = accumulate ? LOADU(C + r * ldc + v * VW) : SPLAT(0);
  int32_t kk = 0;
#if !defined(__wasm__) /* two steps per iteration: ~4% faster natively; slower under V8 (spills) */
  for (; kk + 2 <= kdim; kk += 2)
    for (int u = 0; u < 2; u++) {
      VF b[NV];
      for (int v = 0; v < nv; v++) b[v] = LOADU(B + (kk + u) * ldb + v * VW);
      for (int r = 0; r < RT; r++) {
        const float av = A[r * lda + kk + u];
        for (int v = 0; v < nv; v++) acc[r][v] += av * b[v];
      }
    }
#endif
  for (; kk < kdim; kk++) {
    VF b[NV];
    for (int v = 0; v < nv; v++) b[v] = LOADU(B + kk * ldb + v * VW);
    for (int r = 0; r < RT; r++) {
      const float av = A[r * lda + kk]; /* scalar * vector: a plain broadcast */
      for (int v = 0; v < nv; v++) acc[r][v] += av * b[v];
    }
  }
  for (int r = 0; r < RT; r++)
    for (int v = 0; v < nv; v++) STOREU(C + r * ldc + v * VW, rs ? acc[r][v] * rs[r] : acc[r][v]);
  if (!mv) return;
  for (int r = 0; r < RT; r++) {
    if (col_end > full[r]) continue;
    VF m = acc[r][0], t = acc[r][0];
    for (int v = 1; v < nv; v++) {
      m = SFX(vmax)(m, acc[r][v]);
      t += acc[r][v];
    }
    float *mr = mv + r * ldm;
    STOREU(mr, SFX(vmax)(LOADU(mr), m));
    STOREU(mr + VW, LOADU(mr + VW) + (t - t));
  }
}

/* wasm: the tile functions stay out of line. V8's TurboFan unrolls small innermost wasm loops (up
   to 5 copies within 50 graph nodes per level of loop nesting); inlined into softmax_items, tile_mk's
   k loop sits deep enough to be unrolled, and the copies spill the accumulators to the stack every
   step. Out of line it is too big to unroll and they stay in registers (one call per tile). */
#ifndef SOFTMAX_TILE_OUTLINE
#if defined(__wasm__)
#define SOFTMAX_TILE_OUTLINE __attribute__((noinline))
#else
#define SOFTMAX_TILE_OUTLINE
#endif
#endif

/* tile_mk with full NV-vector columns (the P V product and whole Q K^T tiles). */
SOFTMAX_TILE_OUTLINE
static void SFX(tile_gemm)(const float *A, int64_t lda, const float *B, int64_t ldb, int32_t kdim,
                           float *C, int64_t ldc, int accumulate, float *mv, int64_t ldm,
                           const int32_t *full, int32_t col_end, const float *rs) {
  SFX(tile_mk)(A, lda, B, ldb, kdim, C, ldc, accumulate, NV, mv, ldm, full, col_end, rs);
}

/* The Q K^T tile of RT rows x nv vectors of keys (1 <= nv <= NV): the last one a row group needs
   stops at the vector past its last visible key. */
SOFTMAX_TILE_OUTLINE
static void SFX(tile_qk)(const float *A, int64_t lda, const float *B, int64_t ldb, int32_t kdim,
                         float *C, int64_t ldc, int nv, float *mv, int64_t ldm, const int32_t *full,
                         int32_t col_end) {
  switch (nv) {
#if NV > 3
    case 3: SFX(tile_mk)(A, lda, B, ldb, kdim, C, ldc, 0, 3, mv, ldm, full, col_end, 0); return;
#endif
#if NV > 2
    case 2: SFX(tile_mk)(A, lda, B, ldb, kdim, C, ldc, 0, 2, mv, ldm, full, col_end, 0); return;
#endif
#if NV > 1
    case 1: SFX(tile_mk)(A, lda, B, ldb, kdim, C, ldc, 0, 1, mv, ldm, full, col_end, 0); return;
#endif
    default: SFX(tile_gemm)(A, lda, B, ldb, kdim, C, ldc, 0, mv, ldm, full, col_end, 0);
  }
}

/* Row pass of phase 1 on s[0..hi): hidden middle -> -inf, softcap, bias; returns the max; *bad. */
static inline float SFX(row_logits)(const attn_args *a, float *s, const float *brow, int32_t se,
                                    int32_t lo, int32_t hi, int *bad) {
  for (int32_t j = se; j < lo && j < hi; j++) s[j] = -ATTN_INF;
  float m = -ATTN_INF;
  int b = 0;
  for (int part = 0; part < 2; part++) {
    const int32_t j0 = part == 0 ? 0 : (lo > se ? lo : se), j1 = part == 0 ? se : hi;
    int32_t j = j0;
    if (a->softcap <= 0.0f) {
      VF vm = SPLAT(-ATTN_INF);
      VI vb = (VI){0};
      for (; j + VW <= j1; j += VW) {
        VF x = LOADU(s + j);
        vb |= (x - x) != SPLAT(0);
        if (brow) x += LOADU(brow + j);
        vb |= (x != x) | (x == SPLAT(ATTN_INF));
        vm = SFX(vmax)(vm, x);
        STOREU(s + j, x);
      }
      float hm = SFX(hmax)(vm);
      m = hm > m ? hm : m;
      for (int i = 0; i < VW; i++) b |= vb[i] != 0;
    }
    for (; j < j1; j++) {
      float x = s[j];
      if (a->softcap > 0.0f) x *= a->scale;
      b |= (x - x) != 0.0f; /* Inf/NaN in Q.K: an invalid row, never a hidden key */
      if (a->softcap > 0.0f) x = a->softcap * attn_tanhf(x / a->softcap);
      if (brow) x += brow[j];
      b |= (x != x) | (x == ATTN_INF);
      m = x > m ? x : m;
      s[j] = x;
    }
  }
  *bad = b;
  return m;
}

/* 1 when the float32 sum of softplus over the visible keys of s[0..hi) is not finite (such a
   softplus-norm row is invalid, as in the reference); only asked for rows with huge logits. */
static int SFX(softplus_sum_overflows)(const float *s, int32_t hi) {
  float sum = 0.0f;
  for (int32_t j = 0; j < hi; j++) sum += s[j] != -ATTN_INF ? softmax_softplus(s[j]) : 0.0f;
  return sum - sum != 0.0f;
}

/* Max of s[j0..j1) (no bias, no softcap: the logits as the tiles left them); *bad on Inf/NaN. */
static inline float SFX(row_tail_max)(const float *s, int32_t j0, int32_t j1, int *bad) {
  VF vm = SPLAT(-ATTN_INF), vc = SPLAT(0);
  int32_t j = j0;
  for (; j + VW <= j1; j += VW) {
    const VF x = LOADU(s + j);
    vm = SFX(vmax)(vm, x);
    vc += x - x; /* NaN once an Inf/NaN is seen */
  }
  if (j < j1) { /* the last partial vector, lanes past j1 left out (as in row_exp) */
    VI lane;
    for (int u = 0; u < VW; u++) lane[u] = u;
    const VI in = lane < (VI){0} + (j1 - j);
    const VF x = LOADU(s + j); /* the row's floats past j1 are inside its padded length */
    vm = SFX(vmax)(vm, SFX(vsel)(in, x, SPLAT(-ATTN_INF)));
    vc += SFX(vsel)(in, x - x, SPLAT(0));
  }
  *bad = SFX(hsum)(vc) != 0.0f;
  return SFX(hmax)(vm);
}

/*
 * e^x for lanes x in [-87.3, 0] (callers clamp; `keep` zeroes the lanes that were below -87.3):
 * vexp's steps and numbers, with 2^n in one step (n >= -126 is a normal float, and p 2^n rounds
 * once either way) and no upper clamp.
 */
static inline VF SFX(vexp_le0)(VF x, VI keep) {
  VF t, fn;
  const VF p = SFX(vexp_reduced)(x, &t, &fn);
#if VW == 16 && defined(__AVX512F__)
  return (VF)((VI)_mm512_scalef_ps((__m512)p, (__m512)fn) & keep);
#else
  return (VF)((VI)(p * (VF)(((VI)t - (0x4B400000 - 127)) << 23)) & keep);
#endif
}

/*
 * Row pass of phase 2 on s[j0..j1): s <- e^{s - m}; returns the sum. With kc, counts the visible
 * keys into kc; with ps, adds sum p (s - m) to *ps (for the entropy). le0: m is at least every
 * logit of the range (the row's max), so s - m <= 0 (vexp_le0); else any m (unified-max's phi).
 * The range's last partial vector is computed as one vector too (hidden past j1).
 */
static inline float SFX(row_exp_in)(float *s, int32_t j0, int32_t j1, float m, float *kc,
                                    float *ps, int le0) {
  VF vl = SPLAT(0), vps = SPLAT(0);
  const VF vm = SPLAT(m);
  int32_t j = j0;
#define SOFTMAX_ROW_EXP_STEP(x, p, dx)                                                         \
  do {                                                                                        \
    const VF d0 = (x) - vm;                                                                   \
    if (le0) { /* -inf (hidden) -> -87.3 with keep off: e^dx = 0, p dx = 0 */               \
      const VI keep = d0 >= SPLAT(-87.3f);                                                    \
      dx = SFX(vmax)(d0, SPLAT(-87.3f));                                                      \
      p = SFX(vexp_le0)(dx, keep);                                                            \
    } else { /* -inf (hidden) -> -100: e^dx = 0, p dx = 0 */                                 \
      dx = SFX(vmax)(d0, SPLAT(-100.0f));                                                     \
      p = SFX(vexp)(dx);                                                                      \
    }                                                                                         \
    if (ps) vps += p * dx;                                                                    \
    vl += p;                                                                                  \
  } while (0)
  for (; j + VW <= j1; j += VW) {
    const VF x = LOADU(s + j);
    VF p, dx;
    SOFTMAX_ROW_EXP_STEP(x, p, dx);
    if (kc) STOREU(kc + j, LOADU(kc + j) + (VF)((VI)SPLAT(1.0f) & (x != SPLAT(-ATTN_INF))));
    STOREU(s + j, p);
  }
  if (j < j1) { /* the last partial vector as one vector, hidden past j1: lanes selected, not */
                /* copied one by one (a copy became a memcpy call and a stalled reload) */
    VI lane;
    for (int u = 0; u < VW; u++) lane[u] = u;
    const VI in = lane < (VI){0} + (j1 - j);
    const VF x0 = LOADU(s + j); /* the row's floats past j1 are inside its padded length */
    const VF x = SFX(vsel)(in, x0, SPLAT(-ATTN_INF));
    VF p, dx;
    SOFTMAX_ROW_EXP_STEP(x, p, dx);
    if (kc)
      for (int u = 0; u < j1 - j; u++) kc[j + u] += x[u] != -ATTN_INF ? 1.0f : 0.0f;
    STOREU(s + j, SFX(vsel)(in, p, x0));
  }
#undef SOFTMAX_ROW_EXP_STEP
  if (ps) *ps += SFX(hsum)(vps);
  return SFX(hsum)(vl);
}
#if defined(__wasm__)
/* wasm: out of line, one function per le0. Inlined into softmax_items, V8 reloaded the
   polynomial's constants from stack slots every step; here they stay in registers (~3% of the
   wasm softmax kernel). */
SOFTMAX_TILE_OUTLINE static float SFX(row_exp_le0)(float *s, int32_t j0, int32_t j1, float m,
                                                   float *kc, float *ps) {
  return SFX(row_exp_in)(s, j0, j1, m, kc, ps, 1);
}
SOFTMAX_TILE_OUTLINE static float SFX(row_exp_any)(float *s, int32_t j0, int32_t j1, float m,
                                                   float *kc, float *ps) {
  return SFX(row_exp_in)(s, j0, j1, m, kc, ps, 0);
}
#endif
static inline float SFX(row_exp)(float *s, int32_t j0, int32_t j1, float m, float *kc, float *ps,
                                 int le0) {
#if defined(__wasm__)
  return le0 ? SFX(row_exp_le0)(s, j0, j1, m, kc, ps) : SFX(row_exp_any)(s, j0, j1, m, kc, ps);
#else
  return SFX(row_exp_in)(s, j0, j1, m, kc, ps, le0);
#endif
}

/*
 * Key sums of one register-tile group: ks[j] += w[r] P[r][j] for r < RT in row order, j < n (the
 * sums row by row would give, in the same order), ks loaded and stored once per group instead of
 * once per row. Rows with w[r] = 0 must hold finite weights (0 past their keys, up to n).
 */
static inline void SFX(group_key_sums)(const float *P, int64_t ldp, const float *w, int32_t n,
                                       float *ks) {
  int32_t j = 0;
  for (; j + VW <= n; j += VW) {
    VF acc = LOADU(ks + j);
    for (int r = 0; r < RT; r++) acc += w[r] * LOADU(P + r * ldp + j);
    STOREU(ks + j, acc);
  }
  for (; j < n; j++) {
    float acc = ks[j];
    for (int r = 0; r < RT; r++) acc += w[r] * P[r * ldp + j];
    ks[j] = acc;
  }
}

/* Transposes K of one kv head, times sc, into Kt [d, cols] with leading dimension ld (zero past
   tk). 4 x 4 blocks through 4-float registers on every instruction set (scalar copies cost more
   than the products in wasm, and ~3% of softmax's time natively with 16 keys per column step). */
typedef float SFX(v4) __attribute__((vector_size(16)));
typedef float SFX(v4u) __attribute__((vector_size(16), aligned(4)));
typedef int32_t SFX(v4i) __attribute__((vector_size(16)));
static void SFX(transpose_k)(const float *kh, int32_t tk, int32_t d, int32_t cols, int32_t ld,
                             float sc, float *Kt) {
  int32_t j0 = 0;
#if defined(__clang__)
#define SOFTMAX_SHUF4(a, b, i0, i1, i2, i3) __builtin_shufflevector((a), (b), i0, i1, i2, i3)
#else
#define SOFTMAX_SHUF4(a, b, i0, i1, i2, i3) __builtin_shuffle((a), (b), (SFX(v4i)){i0, i1, i2, i3})
#endif
#define SOFTMAX_LD4(p) (*(const SFX(v4u) *)(p) * sc)
#define SOFTMAX_ST4(p, x) (*(SFX(v4u) *)(p) = (x))
  if (d % 4 == 0) {
    for (; j0 + 4 <= tk; j0 += 4) {
      const float *k0 = kh + (int64_t)j0 * d;
      for (int32_t c = 0; c < d; c += 4) {
        const SFX(v4) r0 = SOFTMAX_LD4(k0 + c), r1 = SOFTMAX_LD4(k0 + d + c),
                      r2 = SOFTMAX_LD4(k0 + 2 * d + c), r3 = SOFTMAX_LD4(k0 + 3 * d + c);
        const SFX(v4) t0 = SOFTMAX_SHUF4(r0, r1, 0, 4, 1, 5), t1 = SOFTMAX_SHUF4(r0, r1, 2, 6, 3, 7);
        const SFX(v4) t2 = SOFTMAX_SHUF4(r2, r3, 0, 4, 1, 5), t3 = SOFTMAX_SHUF4(r2, r3, 2, 6, 3, 7);
        float *kt = Kt + (int64_t)c * ld + j0;
        SOFTMAX_ST4(kt, SOFTMAX_SHUF4(t0, t2, 0, 1, 4, 5));
        SOFTMAX_ST4(kt + ld, SOFTMAX_SHUF4(t0, t2, 2, 3, 6, 7));
        SOFTMAX_ST4(kt + 2 * ld, SOFTMAX_SHUF4(t1, t3, 0, 1, 4, 5));
        SOFTMAX_ST4(kt + 3 * ld, SOFTMAX_SHUF4(t1, t3, 2, 3, 6, 7));
      }
    }
  }
#undef SOFTMAX_SHUF4
#undef SOFTMAX_LD4
#undef SOFTMAX_ST4
  for (; j0 + 16 <= tk; j0 += 16) { /* whole blocks of 16 keys: no test per value */
    const float *k0 = kh + (int64_t)j0 * d;
    for (int32_t c = 0; c < d; c++) {
      float *__restrict kt = Kt + (int64_t)c * ld + j0;
      for (int32_t j = 0; j < 16; j++) kt[j] = k0[(int64_t)j * d + c] * sc;
    }
  }
  for (; j0 < cols; j0 += 16) /* the rest, zero past tk (up to 15 floats into the row's padding) */
    for (int32_t c = 0; c < d; c++) {
      float *kt = Kt + (int64_t)c * ld + j0;
      for (int32_t j = 0; j < 16; j++) kt[j] = j0 + j < tk ? kh[(int64_t)(j0 + j) * d + c] * sc : 0.0f;
    }
}

static int32_t SFX(softmax_items)(const attn_args *a, attn_thread *t, int32_t begin, int32_t end,
                                  const softmax_plan *pl) {
  const int32_t d = a->head_dim, dv = a->head_dim_v, tk = a->tk, tq = a->tq;
  const int32_t R = a->row_block, Rp = pl->rows_padded, tkp = pl->keys_padded + 16;
  /* tkp: the leading dimension of Kt and S, 64 bytes more than a multiple of 256 so that rows
     4 KiB apart do not all fall in the same L1 set */
  const int32_t blocks = (tq + R - 1) / R;
  const int32_t TW = NV * VW; /* columns per register tile */
  const int32_t dvp = (dv + TW - 1) / TW * TW;
  float *Kt = t->scratch;                   /* [d, tkp] K of the cached kv head, transposed */
  float *Qs = Kt + (int64_t)d * tkp;        /* [Rp, d] query rows when copied, zero padded */
  float *S = Qs + (int64_t)Rp * d;          /* [Rp, tkp] logits, then unnormalized weights */
  float *O = S + (int64_t)Rp * tkp;         /* [Rp, dvp] output accumulator */
  float *rowm = O + (int64_t)Rp * dvp;      /* [Rp] the max used for exp (-inf: empty/invalid) */
  float *rowinv = rowm + Rp;                /* [Rp] 1 / l (0 for empty or invalid rows) */
  int32_t *rse = (int32_t *)(rowinv + Rp);  /* [Rp] sink end, lo, hi of each row */
  int32_t *rlo = rse + Rp, *rhi = rlo + Rp;
  float *rmax = (float *)(rhi + Rp);        /* [Rp] the row's own max */
  int32_t *rfull = (int32_t *)(rmax + Rp);  /* [Rp] end of the row's fully visible 64-key tiles */
  int32_t *grange = rfull + Rp;             /* [2 Rp] se, lo, hi of each group of RT rows */
  float *rowks = (float *)(grange + 2 * Rp); /* [Rp] the weight of the row's keys in the key sums */
  float *rowl = rowks + Rp;                 /* [Rp] softmax rows: l, sum p and sum p (s - m), for */
  float *rowlk = rowl + Rp, *rowps = rowlk + Rp; /* the entropy, added with the chunk */
  float *kdiff = rowps + Rp;                /* [tkp + 1] per-key count differences of the block */
  float *Vp = kdiff + tkp + 1;              /* [64, dvp] value tile padded when dv % TW != 0 */
  /* lssa/lssar: phase 1 computes raw dots (no scale, softcap or bias: the bias joins the softplus
     argument in phase 2), so the kernel runs on a copy of the args without them */
  const attn_args *const a0 = a;
  const int lssa = a->variant == ATTN_LSSA || a->variant == ATTN_LSSAR;
  const int gauss = a->variant == ATTN_SOFT_GAUSS;
  const float gauss_inv = 0.5f / __builtin_sqrtf((float)a->head_dim);
  attn_args la;
  if (lssa || gauss) {
    la = *a;
    la.scale = 1.0f;
    la.softcap = 0.0f;
    la.bias = 0;
    a = &la;
  }
  float *kkv = (float *)(Vp + 64 * dvp) + tkp + 528; /* [tkp] lssa, soft-gauss: |k_j|^2 of the */
                                                      /* cached kv head; [tkp - 1]: 1 if one is huge */
  float *knv = kkv + tkp;                               /* [tkp] lssa: 1 / |k_j| (0 if |k_j| = 0) */
  float lssa_ln_d = 0.0f, lssar_power = 0.0f;
  int32_t lssar_warm = 0;
  if (lssa) {
    const float dim = a->params[0] == a->params[0] ? a->params[0] : (float)a->head_dim;
    lssa_ln_d = attn_logf(dim);
    if (a->variant == ATTN_LSSAR) { lssar_power = a->params[1]; lssar_warm = (int32_t)a->params[2]; }
  }
  const int instr = a->instrument;
  const int elementwise = a->variant == ATTN_SIGMOID || a->variant == ATTN_ELU1 ||
                          a->variant == ATTN_SIGMOID_NORM || a->variant == ATTN_SOFTPLUS_NORM;
  const int map = a->variant == ATTN_SIGMOID || a->variant == ATTN_SIGMOID_NORM ? SOFTMAX_MAP_SIGMOID
                  : a->variant == ATTN_SOFTPLUS_NORM ? SOFTMAX_MAP_SOFTPLUS : SOFTMAX_MAP_ELU1;
  float sig_b = 0.0f; /* sigmoid's b; NaN means -ln tk (sigmoid-norm: 0) */
  if (a->variant == ATTN_SIGMOID) sig_b = a->params[0] == a->params[0] ? a->params[0] : -attn_logf((float)tk);
  /* normalized rows: w / (sum w + norm_eps) (0 where that is 0); the others keep w as is */
  const int norm = (a->variant == ATTN_ELU1 && a->params[0] != 0.0f) ||
                   a->variant == ATTN_SIGMOID_NORM || a->variant == ATTN_SOFTPLUS_NORM;
  const float norm_eps = a->variant == ATTN_SOFTPLUS_NORM ? a->params[0] : 1e-8f;
  const int shiftmax = a->variant == ATTN_SHIFTMAX;
  softmax_shift sx;
  int32_t *iq = (int32_t *)(Vp + 64 * dvp); /* [tkp] shiftmax's I of a row, then its weight and w ln w tables */
  int64_t *const shift_mem = (int64_t *)(((uintptr_t)(knv + tkp) + 7) & ~(uintptr_t)7);
  if (shiftmax) softmax_shift_init(&sx, a, shift_mem, t->scratch_tag == 0);
#if SOFTMAX_AMX_PATH
  /* AMX products (softmax_amx.h) for every variant but shiftmax, whose integer weights follow the
     logits bit for bit (it keeps the FMA tiles), when d is a multiple of 32 and dv of 16; a block
     with a hidden middle (streaming) takes the FMA tiles, which skip the hidden key tiles */
  const int amx_call = softmax_amx_use && !shiftmax && d % 32 == 0 && dv % 16 == 0;
  const int32_t kpad = pl->keys_padded, pld = kpad + 32; /* pld: P's row stride (bf16) */
  const int64_t kpart = (int64_t)kpad * d, vpart = (int64_t)kpad * dv, qpart = (int64_t)Rp * d,
                ppart = 16 * (int64_t)pld;
  uint16_t *const Kb = (uint16_t *)(((uintptr_t)(shift_mem + SOFTMAX_SHIFT_SLOTS * 258) + 63) & ~(uintptr_t)63);
  uint16_t *const Vb = Kb + 3 * kpart, *const Qb = Vb + 3 * vpart, *const Pb = Qb + 3 * qpart;
  if (amx_call) SFX(amx_begin)();
#else
  const int amx_call = 0;
#endif

  /* the scale folds into K's transpose (softcap needs s unscaled first; lssa and soft-gauss run
     on a copy of the args with scale 1) */
  const float kscale = a->softcap > 0.0f ? 1.0f : a->scale;
  for (int32_t item = begin; item < end; item++) {
    const int32_t h = item / blocks, i0 = (item % blocks) * R;
    const int32_t i1 = i0 + R < tq ? i0 + R : tq, nr = i1 - i0;
    const int32_t nrp = (nr + RT - 1) / RT * RT;
    const int32_t kvh = attn_kv_head(a, h);
    const float *vh = a->v + (int64_t)kvh * tk * dv;
    const float *bh = a->bias ? a->bias + (int64_t)(a->bias_heads == 1 ? 0 : h) * tq * tk : 0;
    if (t->scratch_tag != kvh + 1) {
      SFX(transpose_k)(a->k + (int64_t)kvh * tk * d, tk, d, pl->keys_padded, tkp, kscale, Kt);
      t->scratch_tag = kvh + 1;
#if SOFTMAX_AMX_PATH
      if (amx_call) { /* the parts of K and V, cached with the transpose */
        SFX(amx_pack_k)(Kt, tkp, d, kpad, Kb, kpart);
        SFX(amx_pack_v)(vh, tk, dv, kpad, Vb, vpart);
      }
#endif
      if (lssa || gauss) /* |k_j|^2 from Kt (K itself: scale 1), VW keys at a time */
        kkv[tkp - 1] = (float)SFX(key_norms)(Kt, tkp, tk, d, kkv, knv); /* past the keys: cached */
      kkv[tkp - 2] = (float)SFX(any_nonfinite)(vh, (int64_t)tk * dv); /* cached with K */
    }
    /* an Inf/NaN in V: the register tiles multiply the weight 0 of a key a row does not see by it
       (0 * NaN = NaN), so every row's output is then summed over its nonzero weights only, as the
       reference does (see the end of the item) */
    const int v_nonfinite = kkv[tkp - 2] != 0.0f;

    /* rows of the block: visible key ranges; Q read where it lies when the block's padded rows
       stay inside the head (their logits are never used), else copied and zero padded. lssa and
       soft-gauss read |q|^2 from the copy. */
    int32_t se_max = 0, lo_min = tk, hi_max = 0;
    const int qdirect = !lssa && !gauss && i0 + nrp <= tq;
    const float *Qa = qdirect ? a->q + ((int64_t)h * tq + i0) * d : Qs;
    for (int32_t r = 0; r < nrp; r++) {
      float *qs = Qs + (int64_t)r * d;
      if (r < nr) {
        const float *qi = a->q + ((int64_t)h * tq + i0 + r) * d;
        if (!qdirect)
          for (int32_t c = 0; c < d; c++) qs[c] = qi[c];
        attn_row_keys(a, i0 + r, &rse[r], &rlo[r], &rhi[r]);
        if (rse[r] > se_max) se_max = rse[r];
        if (rhi[r] > hi_max) hi_max = rhi[r];
        if (rhi[r] > rlo[r] && rlo[r] < lo_min) lo_min = rlo[r];
      } else if (!qdirect) {
        for (int32_t c = 0; c < d; c++) qs[c] = 0.0f;
      }
    }
    const int32_t hi_tiles = (hi_max + 63) / 64 * 64; /* <= keys_padded */
    int amx = amx_call; /* this block on AMX: no row has a hidden middle */
    for (int32_t r = 0; r < nr && amx; r++) amx = rlo[r] <= rse[r];
    const int32_t nr16 = (nr + 15) / 16 * 16; /* AMX: the block's rows in whole tiles of 16 */
    /* each group of RT rows computes only the keys its rows see: the union of their ranges */
    for (int32_t r = 0; r < nrp; r += RT) {
      int32_t *g = grange + 3 * (r / RT);
      g[0] = 0; g[1] = tk; g[2] = 0;
      for (int32_t u = r; u < r + RT && u < nr; u++) {
        if (rse[u] > g[0]) g[0] = rse[u];
        if (rhi[u] > g[2]) g[2] = rhi[u];
        if (rhi[u] > rlo[u] && rlo[u] < g[1]) g[1] = rlo[u];
      }
    }
    /* fused row stats: without bias and softcap, the tiles a row sees whole need no row pass;
       their running max and check vectors live in the row's O (unused until P V) */
    const int fused = !bh && a->softcap <= 0.0f;
    for (int32_t r = 0; r < nrp; r++) {
      const int whole = fused && !amx && r < nr && rlo[r] <= rse[r]; /* no hidden middle */
      rfull[r] = whole ? rhi[r] / 64 * 64 : 0;
      STOREU(O + (int64_t)r * dvp, SPLAT(-ATTN_INF));
      STOREU(O + (int64_t)r * dvp + VW, SPLAT(0));
    }
    /* phase 1: logits of the key tiles each row group needs, up to the vector past its last key;
       on AMX, of the 16-key tiles each 16-row tile needs */
#if SOFTMAX_AMX_PATH
    if (amx) {
      for (int32_t r = 0; r < nr16; r++)
        SFX(amx_pack_row)(r < nr ? a->q + ((int64_t)h * tq + i0 + r) * d : 0, d, Qb + (int64_t)r * d, qpart);
      /* key tiles of 16 each row tile needs; each group of 4 key tiles runs through every row tile
         that needs it while its K parts (24 KiB) are in L1 */
      int32_t kts[16], kt_max = 0; /* nr16 <= 96 + 16 rows: at most 7 row tiles */
      for (int32_t r0 = 0; r0 < nr16; r0 += 16) {
        int32_t khi = 0;
        for (int32_t r = r0; r < r0 + 16 && r < nr; r++) khi = rhi[r] > khi ? rhi[r] : khi;
        kts[r0 / 16] = (khi + 15) / 16;
        kt_max = kts[r0 / 16] > kt_max ? kts[r0 / 16] : kt_max;
      }
      for (int32_t jt = 0; jt < kt_max; jt += 4)
        for (int32_t r0 = 0; r0 < nr16; r0 += 16) {
          const int32_t kt = kts[r0 / 16];
          if (jt < kt)
            SFX(amx_qk)(Qb + (int64_t)r0 * d, qpart, d, Kb, kpart, kpad, jt, kt - jt < 4 ? kt - jt : 4,
                        S + (int64_t)r0 * tkp + jt * 16, tkp);
        }
    } else
#endif
    for (int32_t j0 = 0; j0 < hi_max; j0 += 64) {
      if (!(j0 < se_max || (j0 + 64 > lo_min && j0 < hi_max))) continue;
      for (int32_t r = 0; r < nrp; r += RT) {
        const int32_t *g = grange + 3 * (r / RT);
        if (!(j0 < g[0] || (j0 + 64 > g[1] && j0 < g[2]))) continue;
        for (int32_t c0 = 0; c0 < 64 && j0 + c0 < g[2]; c0 += TW) {
          const int32_t left = (g[2] - j0 - c0 + VW - 1) / VW;
          const int nv = left < NV ? (int)left : NV;
          SFX(tile_qk)(Qa + (int64_t)r * d, d, Kt + j0 + c0, tkp, d, S + (int64_t)r * tkp + j0 + c0,
                       tkp, nv, fused ? O + (int64_t)r * dvp : 0, dvp, rfull + r, j0 + c0 + nv * VW);
        }
      }
    }
    /* phase 1, per row: masks, softcap, bias; max; invalid rows; the variant's max */
    for (int32_t r = 0; r < nr; r++) {
      float *s = S + (int64_t)r * tkp;
      const int32_t i = i0 + r;
      int bad;
      float m;
      const float *mv = O + (int64_t)r * dvp;
      if ((amx && fused) || (rfull[r] > 0 && SFX(hsum)(LOADU(mv + VW)) == 0.0f)) {
        /* (AMX with no bias or softcap: every key the row sees in this read-only pass) */
        /* keys [0, rfull) were checked in the tiles (all finite): only the rest here */
        m = SFX(row_tail_max)(s, rfull[r], rhi[r], &bad);
        const float tm = SFX(hmax)(LOADU(mv));
        m = tm > m ? tm : m;
      } else { /* (a fused row whose tiles saw an Inf/NaN, or a huge sum, takes the exact pass) */
        m = SFX(row_logits)(a, s, bh ? bh + (int64_t)i * tk : 0, rse[r], rlo[r], rhi[r], &bad);
      }
      if (!bad && map == SOFTMAX_MAP_SOFTPLUS && m > 1e29f) /* the float sum may overflow */
        bad = SFX(softplus_sum_overflows)(s, rhi[r]);
      if (gauss) { /* the row as gauss.c defines it; rmax: 1 when s holds exact exponents */
        const float *qs = Qs + (int64_t)r * d;
        float qq = 0.0f;
        qq = SFX(sumsq)(qs, d);
        const float *brow = a0->bias
            ? a0->bias + ((int64_t)(a0->bias_heads == 1 ? 0 : h) * tq + i) * tk : 0;
        int32_t n;
        float bmax;
        if (!brow && kkv[tkp - 1] == 0.0f) { /* as lssa: the logit pass already checked the row */
          n = rse[r] + rhi[r] - rlo[r];
          bad = n > 0 && (bad || qq - qq != 0.0f);
        } else {
          bad = SFX(lssa_row_check)(s, rse[r], rlo[r], rhi[r], brow, kkv, qq, &n, &bmax);
        }
        rmax[r] = 0.0f;
        if (n > 0 && !(qq < 1e30f && kkv[tkp - 1] == 0.0f)) {
          /* huge (or non-finite) |q|^2 or |k|^2: the expansion may overflow where the exact
             difference does not; this row takes gauss.c's exact exponents */
          bad = 0;
          for (int32_t j = 0; j < rhi[r]; j++) {
            if ((j >= rse[r] && j < rlo[r]) || (brow && brow[j] == -ATTN_INF)) continue; /* hidden */
            const float *kj = a->k + ((int64_t)kvh * tk + j) * d;
            float d2 = 0.0f;
            for (int32_t c = 0; c < d; c++) d2 += (qs[c] - kj[c]) * (qs[c] - kj[c]);
            const float e = -d2 * gauss_inv;
            const float b = brow ? brow[j] : 0.0f;
            bad |= (e - e != 0.0f) | (b - b != 0.0f);
            s[j] = e;
          }
          rmax[r] = 1.0f;
        }
        a->invalid_rows[(int64_t)h * tq + i] = (uint8_t)bad;
        if (bad || n == 0) { rowm[r] = -ATTN_INF; rowinv[r] = 0.0f; continue; }
        rowm[r] = 0.0f;
        rowinv[r] = qq;
        continue;
      }
      if (lssa) { /* the row as rownorm.c defines it; rmax keeps N, rowinv |q|^2 */
        const float *qs = Qs + (int64_t)r * d;
        float qq = 0.0f;
        qq = SFX(sumsq)(qs, d);
        const float *brow = a0->bias
            ? a0->bias + ((int64_t)(a0->bias_heads == 1 ? 0 : h) * tq + i) * tk : 0;
        int32_t n;
        float bmax = 0.0f;
        if (!brow && kkv[tkp - 1] == 0.0f) {
          /* no bias and every |k|^2 finite: the logit pass above already checked the visible dots
             (the keys [0, se) and [lo, hi), se <= lo) and hid the middle */
          n = rse[r] + rhi[r] - rlo[r];
          bad = n > 0 && (bad || qq - qq != 0.0f);
        } else {
          bad = SFX(lssa_row_check)(s, rse[r], rlo[r], rhi[r], brow, kkv, qq, &n, &bmax);
        }
        if (!bad && n > 0 && bmax > 1e29f) { /* the float sum may overflow: then invalid */
          const float lsum = SFX(lssa_row)(s, (float *)(void *)iq, rhi[r], brow, knv, qq,
                                           lssa_ln_d * attn_logf((float)n), 0, 0, 0);
          bad = lsum - lsum != 0.0f;
        }
        a->invalid_rows[(int64_t)h * tq + i] = (uint8_t)bad;
        if (bad || n == 0) { rowm[r] = -ATTN_INF; rowinv[r] = 0.0f; continue; }
        rowm[r] = 0.0f;
        rmax[r] = (float)n;
        rowinv[r] = qq;
        continue;
      }
      a->invalid_rows[(int64_t)h * tq + i] = (uint8_t)bad;
      float extra = 0.0f; /* the extra slot's logit (softmax1: 0, sink-logit: sigma_h) */
      const int has_extra = a->variant == ATTN_SOFTMAX1 || a->variant == ATTN_SINK_LOGIT;
      if (a->variant == ATTN_SINK_LOGIT) extra = a->params[h];
      if (bad || m == -ATTN_INF) { rowm[r] = -ATTN_INF; rowinv[r] = 0.0f; continue; }
      if (elementwise || shiftmax) { rowm[r] = 0.0f; continue; } /* no reduction before the weights */
      if (has_extra && extra > m) m = extra;
      rmax[r] = m;
      if (a->variant == ATTN_UNIFIED_MAX) {
        const float phi = a->params[0], ga = a->params[1], gb = a->params[2];
        int out = 0;
        for (int32_t j = 0; j < rhi[r]; j++) {
          float x = s[j] - phi;
          out |= (s[j] != -ATTN_INF) & ((x <= ga) | (x >= gb));
        }
        /* the asynchronous float32 sum may still overflow, or underflow to 0 when the guard
           reaches below exp's range: then recompute. No check is needed when the guard keeps
           every term above 0 and the row's max leaves room for all its keys. */
        if (!out && (ga < -87.3f || (m - phi) + attn_logf((float)rhi[r]) >= 88.0f)) {
          float l = 0.0f;
          const int32_t split = (int32_t)a->params[3];
          for (int32_t j0 = 0; j0 < rhi[r]; j0 += split) {
            const int32_t j1 = j0 + split < rhi[r] ? j0 + split : rhi[r];
            float part = 0.0f;
            for (int32_t j = j0; j < j1; j++) part += attn_expf(s[j] - phi);
            l += part;
          }
          out = !(l > 0.0f && l < ATTN_INF);
        }
        if (out) t->recomputed_rows += 1.0; else m = phi;
      }
      rowm[r] = m;
      rowinv[r] = has_extra ? attn_expf(extra - m) : 0.0f; /* holds the extra term for now */
    }
    /* key counts: without a bias a valid row sees exactly its ranges, added per block through a
       difference array; with one, keys the bias hides are left out key by key below */
    const int count_ranges = instr && !bh && !((lssa || gauss) && a0->bias);
    if (count_ranges) {
      for (int32_t j = 0; j <= hi_max; j++) kdiff[j] = 0.0f;
      for (int32_t r = 0; r < nr; r++) {
        if (rowm[r] == -ATTN_INF) continue;
        if (rlo[r] <= rse[r]) { kdiff[0] += 1.0f; kdiff[rhi[r]] -= 1.0f; continue; }
        kdiff[0] += 1.0f; kdiff[rse[r]] -= 1.0f;
        kdiff[rlo[r]] += 1.0f; kdiff[rhi[r]] -= 1.0f;
      }
      float *kc = t->key_count + (int64_t)h * tk;
      float run = 0.0f; /* the running count: a serial chain only where it changes */
      int32_t j = 0;
      for (; j + VW <= hi_max; j += VW) {
        const VI change = LOADU(kdiff + j) != SPLAT(0);
        int any = 0;
        for (int u = 0; u < VW; u++) any |= change[u];
        if (!any) {
          STOREU(kc + j, LOADU(kc + j) + run);
          continue;
        }
        for (int u = 0; u < VW; u++) { run += kdiff[j + u]; kc[j + u] += run; }
      }
      for (; j < hi_max; j++) { run += kdiff[j]; kc[j] += run; }
    }
    /* phase 2, per row: unnormalized weights, their sum, counts and the entropy term; then, per
       chunk of rows, the key sums and P V while the chunk's weights are still in L1. A chunk is one
       register-tile group, or the whole block for shiftmax (its sparse P V takes the block). The
       chunk ending at r is finished at the top of iteration r. */
    const int32_t chunk = amx ? 16 : shiftmax ? nrp : RT;
    const int32_t rend = amx ? nr16 : nrp; /* rows to run through, padding rows zeroed */
    /* the rows leave their key sums to the chunk (rowks: the scale of their weights, 1 / l for
       softmax); shiftmax's row pass adds its own (rowks 0) */
    const int chunk_key_sums = instr && !shiftmax;
    /* the softmax rows (the variants' branches add their own) leave their entropy to the chunk */
    const int chunk_entropy = instr && !gauss && !lssa && !shiftmax && !elementwise;
#define SOFTMAX_PV_WHOLE(g) (dv == dvp && (g)[1] <= (g)[0])
    /* whole groups inside the block's rows store O / l straight into the output */
#define SOFTMAX_PV_DIRECT(u, g) (SOFTMAX_PV_WHOLE(g) && (u) + RT <= nr)
    int pv_dense = 1; /* 0: shiftmax's sparse P V did the block */
    for (int32_t r = 0; r <= rend; r++) {
      if (r > 0 && r % chunk == 0) { /* finish the chunk [r - chunk, r) */
        const int32_t c0 = r - chunk;
        if (chunk_entropy) /* H = -sum w log w, w = p / l: (sum w) log l - sum w (s - m), */
          for (int32_t u = c0; u < r; u += RT) { /* in row order, one vector log per group */
            VF lv = SPLAT(1.0f);
            for (int x = 0; x < RT && u + x < r; x++) if (rowks[u + x] != 0.0f) lv[x] = rowl[u + x];
            const VF lg = SFX(vlog)(lv);
            for (int x = 0; x < RT && u + x < r; x++) {
              if (rowks[u + x] == 0.0f) continue;
              const float inv = rowks[u + x];
              t->entropy_sum[h] += (double)(rowlk[u + x] * inv * lg[x] - rowps[u + x] * inv);
              t->entropy_rows[h] += 1.0;
            }
          }
#if SOFTMAX_AMX_PATH
        if (amx) { /* key sums, then P V on AMX, into O (divided by l at the end) */
          int32_t chunk_hi = 0; /* the keys the chunk's rows see */
          for (int32_t u = c0; u < r && u < nr; u++) chunk_hi = rhi[u] > chunk_hi ? rhi[u] : chunk_hi;
          const int32_t kc = (chunk_hi + 31) / 32;
          SFX(amx_pack_p)(S + (int64_t)c0 * tkp, tkp, kc, Pb, pld, ppart, rowks + c0, chunk_hi,
                          chunk_key_sums ? t->key_sum + (int64_t)h * tk : 0);
          for (int32_t ct = 0; ct < dv / 16; ct += 4)
            SFX(amx_pv)(Pb, ppart, pld, kc, Vb, vpart, dv, ct, dv / 16 - ct < 4 ? dv / 16 - ct : 4,
                        O + (int64_t)c0 * dvp, dvp);
          pv_dense = 0;
        }
#endif
        if (chunk_key_sums && !amx)
          for (int32_t u = c0; u < r; u += RT)
            SFX(group_key_sums)(S + (int64_t)u * tkp, tkp, rowks + u, grange[3 * (u / RT) + 2],
                                t->key_sum + (int64_t)h * tk);
        /* shiftmax: mostly-zero weights take a P V over the nonzero ones (softmax_rows.h) */
        if (!amx) pv_dense = !(shiftmax && SFX(shiftmax_pv)(S, tkp, rowm, rhi, rmax, nr, vh, dv, O, dvp));
        /* a group whose rows see one range [0, g[2]) (no hidden middle) and dv a whole number of
           register tiles: one pass over its keys, V read in place, the accumulators never leaving
           the registers between 64-key tiles (the same sums in the same order as tile by tile) */
        for (int32_t u = c0; u < r && pv_dense; u += RT) {
          const int32_t *g = grange + 3 * (u / RT);
          if (!SOFTMAX_PV_WHOLE(g)) {
            for (int32_t x = u; x < u + RT; x++)
              for (int32_t c = 0; c < dvp; c++) O[(int64_t)x * dvp + c] = 0.0f;
            continue;
          }
          const int direct = SOFTMAX_PV_DIRECT(u, g);
          for (int32_t cc = 0; cc < dvp; cc += TW)
            SFX(tile_gemm)(S + (int64_t)u * tkp, tkp, vh + cc, dv, g[2],
                           direct ? a->out + ((int64_t)h * tq + i0 + u) * dv + cc : O + (int64_t)u * dvp + cc,
                           direct ? dv : dvp, 0, 0, 0, 0, 0, direct ? rowinv + u : 0);
        }
      }
      if (r == rend) break;
      float *s = S + (int64_t)r * tkp;
      rowks[r] = 0.0f;
      if (r >= nr || rowm[r] == -ATTN_INF) {
        for (int32_t j = 0; j < hi_tiles; j++) s[j] = 0.0f;
        continue;
      }
      const int32_t hi = rhi[r];
      const float m = rowm[r];
      float *kc = instr && !count_ranges ? t->key_count + (int64_t)h * tk : 0;
      if (gauss) { /* unnormalized: statistics on the proxy map w / sum w (spec 1.1) */
        const float *brow = a0->bias
            ? a0->bias + ((int64_t)(a0->bias_heads == 1 ? 0 : h) * tq + i0 + r) * tk : 0;
        float wl = 0.0f;
        const float l = SFX(gauss_row)(s, hi, brow, kkv, rowinv[r], gauss_inv, rmax[r] != 0.0f, kc,
                                       instr ? &wl : 0);
        for (int32_t j = hi; j < hi_tiles; j++) s[j] = 0.0f;
        rowinv[r] = 1.0f;
        if (instr) {
          const float c = l > 0.0f ? 1.0f / l : 0.0f;
          t->entropy_sum[h] += c > 0.0f ? (double)(-c * wl - c * l * attn_logf(c)) : 0.0;
          t->entropy_rows[h] += 1.0;
          rowks[r] = c; /* key sums: with the chunk */
        }
        continue;
      }
      if (lssa) { /* rows sum to 1 (or 0 for an LSSAR row the ReLU empties) */
        const float *brow = a0->bias
            ? a0->bias + ((int64_t)(a0->bias_heads == 1 ? 0 : h) * tq + i0 + r) * tk : 0;
        const float n = rmax[r];
        float wl = 0.0f; /* lssa: sum a ln a; lssar: sum r p ln u */
        const int lssar = a0->variant == ATTN_LSSAR;
        float amax = 0.0f; /* lssar: the largest a */
        const float l = SFX(lssa_row)(s, s, hi, brow, knv, rowinv[r], lssa_ln_d * attn_logf(n), kc,
                                      instr && !lssar ? &wl : 0, lssar ? &amax : 0);
        float inv = 1.0f / (l + 1e-8f); /* the weights stay unnormalized in s: O and the stats scale */
        float ent = 0.0f;                /* sum W ln W of the final weights W = s inv */
        if (lssar) {
          const float total = SFX(lssar_reweight)(s, hi, inv * n, i0 + r + (tk - tq) < lssar_warm ? 0.0f : 1.0f,
                                                  lssar_power, amax, instr ? &wl : 0);
          inv = total > 0.0f ? 1.0f / total : 0.0f;
          if (instr && total > 0.0f) ent = wl * inv - attn_logf(total);
        } else if (instr) {
          ent = inv * wl + inv * l * attn_logf(inv); /* ln(a inv) = ln a + ln inv */
        }
        for (int32_t j = hi; j < hi_tiles; j++) s[j] = 0.0f;
        rowinv[r] = inv;
        if (instr) {
          t->entropy_sum[h] += (double)-ent;
          t->entropy_rows[h] += 1.0;
          rowks[r] = inv; /* key sums: with the chunk */
        }
        continue;
      }
      if (shiftmax) { /* rows sum to about 1: the statistics take the weights as they are */
        float wl = 0.0f; /* rmax: how many weights are not 0 (shiftmax_pv) */
        rmax[r] = (float)SFX(row_shiftmax)(s, hi, &sx, iq, kc, instr ? t->key_sum + (int64_t)h * tk : 0,
                                           instr ? &wl : 0, vh, dv, O + (int64_t)r * dvp);
        for (int32_t j = hi; j < hi_tiles; j++) s[j] = 0.0f;
        rowinv[r] = 1.0f;
        if (instr) {
          t->entropy_sum[h] += (double)-wl;
          t->entropy_rows[h] += 1.0;
        }
        continue;
      }
      if (elementwise) {
        float wl = 0.0f;
        const float l = SFX(row_elementwise)(s, hi, map, sig_b, kc,
                                             instr ? &wl : 0);
        for (int32_t j = hi; j < hi_tiles; j++) s[j] = 0.0f;
        /* output scale: 1, or 1 / (sum + eps) when normalized; statistics on p = w c with
           c = the output scale when normalized, else 1 / sum (the proxy map of spec 1.1) */
        const float den = l + norm_eps;
        const float out_scale = norm ? (den > 0.0f ? 1.0f / den : 0.0f) : 1.0f;
        const float c = norm ? out_scale : (l > 0.0f ? 1.0f / l : 0.0f);
        rowinv[r] = out_scale;
        if (instr) {
          /* H = -sum p ln p = -c sum w ln w - c (sum w) ln c */
          t->entropy_sum[h] += c > 0.0f ? (double)(-c * wl - c * l * attn_logf(c)) : 0.0;
          t->entropy_rows[h] += 1.0;
          rowks[r] = c; /* key sums: with the chunk */
        }
        continue;
      }
      float ps = 0.0f, lk = 0.0f;
      if (a->variant == ATTN_UNIFIED_MAX && m != rmax[r]) {
        /* asynchronous softmax: independent partial sums per split of keys, added at the end */
        const int32_t split = (int32_t)a->params[3];
        for (int32_t j0 = 0; j0 < hi; j0 += split)
          lk += SFX(row_exp)(s, j0, j0 + split < hi ? j0 + split : hi, m, kc, instr ? &ps : 0, 0);
      } else {
        lk = SFX(row_exp)(s, 0, hi, m, kc, instr ? &ps : 0, 1); /* m: the row's max */
      }
      for (int32_t j = hi; j < hi_tiles; j++) s[j] = 0.0f;
      const float l = lk + rowinv[r]; /* plus the extra slot */
      const float inv = 1.0f / l;
      rowinv[r] = inv;
      if (instr) { /* key sums and entropy: with the chunk (chunk_entropy) */
        rowks[r] = inv;
        rowl[r] = l;
        rowlk[r] = lk;
        rowps[r] = ps;
      }
    }
    /* P V of the groups that are not whole (a hidden middle, or dv not whole register tiles): tile
       by tile over the keys, the value tile padded once for all groups */
    const int32_t pv_hi = pv_dense ? hi_max : 0;
    for (int32_t j0 = 0; j0 < pv_hi; j0 += 64) {
      if (!(j0 < se_max || (j0 + 64 > lo_min && j0 < hi_max))) continue;
      const int32_t jn = hi_max - j0 < 64 ? hi_max - j0 : 64;
      const float *B = vh + (int64_t)j0 * dv;
      int64_t ldb = dv;
      if (dv != dvp) { /* pad the value tile to whole register tiles */
        for (int32_t j = 0; j < jn; j++)
          for (int32_t c = 0; c < dvp; c++) Vp[(int64_t)j * dvp + c] = c < dv ? B[(int64_t)j * dv + c] : 0.0f;
        B = Vp;
        ldb = dvp;
      }
      for (int32_t r = 0; r < nrp; r += RT) {
        const int32_t *g = grange + 3 * (r / RT);
        if (SOFTMAX_PV_WHOLE(g)) continue; /* done above */
        if (!(j0 < g[0] || (j0 + 64 > g[1] && j0 < g[2]))) continue; /* no row of the group sees it */
        const int32_t gn = g[2] - j0 < jn ? g[2] - j0 : jn; /* the keys the group's rows see */
        for (int32_t c0 = 0; c0 < dvp; c0 += TW)
          SFX(tile_gemm)(S + (int64_t)r * tkp + j0, tkp, B + c0, ldb, gn, O + (int64_t)r * dvp + c0,
                         dvp, 1, 0, 0, 0, 0, 0);
      }
    }
    for (int32_t r = 0; r < nr; r++) {
      float *o = a->out + ((int64_t)h * tq + i0 + r) * dv;
      const float inv = rowinv[r];
      const int32_t u = r / RT * RT;
      if (v_nonfinite) /* the row's nonzero weights only; 0 for an empty or invalid row */
        SFX(row_pv_nonzero)(S + (int64_t)r * tkp, rowm[r] == -ATTN_INF ? 0 : rhi[r], vh, dv, inv, o);
      else if (!(pv_dense && SOFTMAX_PV_DIRECT(u, grange + 3 * (u / RT)))) /* else stored by P V */
        for (int32_t c = 0; c < dv; c++) o[c] = O[(int64_t)r * dvp + c] * inv;
      if (a->capture_index && a->capture_index[h] >= 0) {
        float *mrow = a->capture + ((int64_t)a->capture_index[h] * tq + i0 + r) * tk;
        const float *s = S + (int64_t)r * tkp;
        const int32_t hi = rowm[r] == -ATTN_INF ? 0 : rhi[r];
        for (int32_t j = 0; j < tk; j++) mrow[j] = j < hi ? s[j] * inv : 0.0f;
      }
    }
#undef SOFTMAX_PV_WHOLE
#undef SOFTMAX_PV_DIRECT
  }
#if SOFTMAX_AMX_PATH
  if (amx_call) _tile_release(); /* the thread's tile state back to init: no 8 KiB in its context */
#endif
  return ATTN_OK;
}

#undef SOFTMAX_AMX_PATH
#undef VF
#undef VI
#undef LOADU
#undef STOREU
#undef SPLAT
