/*
 * gauss.c - the Gaussian-kernel family of SOFT (spec 3). Rows in groups (rowdot.h):
 *   soft-gauss    w_j = exp(-|q - k_j|^2 / (2 sqrt(d)) + bias_j), unnormalized; params: none
 *   soft-nystrom  W = S(Q, L) X S(L, K): m landmarks L = averages of m consecutive segments of the
 *                 head's keys, X = Newton-Raphson inverse of P = S(L, L) + reg I with
 *                 X0 = alpha P, alpha = safety * 2 / (max row sum of S(L, L))^2, X <- 2X - X P X;
 *                 norm = 1 rescales X by D^-1/2 on both sides, D = diag(S(L, L) 1) (SOFT-Norm's
 *                 code form). The map is masked like every variant (hidden keys 0, a finite bias
 *                 multiplies by e^bias), so unmasked W V is the paper's K1 X (K1^T V).
 *                 params: [0] m, [1] iters, [2] safety, [3] reg, [4] norm
 *                 stats: nr_residual = max over finite kv heads of |I - P X|_1 (max column abs sum),
 *                 approx_error = max |O - O_soft-gauss| (only when instrumenting).
 * The input's scale and softcap do not apply (the kernel has its own 1/(2 sqrt d)). Weights do not
 * sum to 1 (and W may be negative): the statistics use the proxy map |w| / sum |w|. The m x m
 * Newton-Raphson runs in double. Oracle: runtime/kernels/reference/{gauss,nystrom}.ts.
 * The registry routes soft-gauss to the tiled kernel (softmax.c); its row form here stays as the
 * cross-check. soft-nystrom's exact reference for approx_error (instrumenting) is the tiled
 * soft-gauss of the same rows, run head by head into the scratch (the row form where softmax.c is
 * not in the build).
 */
#include "attn.h"
#include "math.h"
#include "rowdot.h"

/* -|a - b|^2 / (2 sqrt d) (the exact difference, not |a|^2 + |b|^2 - 2ab). */
static inline float gauss_exponent(const float *x, const float *y, int32_t d, float inv_two_sqrt_d) {
  return -rowdot_dist2(x, y, d) * inv_two_sqrt_d;
}

static inline int gauss_nonfinite(float x) {
  return x - x != 0.0f;
}

/* The landmark count: m capped at tk. */
static inline int32_t gauss_landmarks(const attn_args *a) {
  int32_t m = a->n_params >= 1 ? (int32_t)a->params[0] : 1;
  return m < a->tk ? m : a->tk;
}

extern const attn_family attn_family_softmax __attribute__((weak));

/*
 * soft-nystrom's exact soft-gauss rows of query head h through the tiled family, as a one-head call:
 * outputs into out [tq, dv], invalid flags into invalid [tq], no statistics.
 */
static attn_args gauss_exact_args(const attn_args *a, int32_t h, float *out, uint8_t *invalid) {
  attn_args g = *a;
  const int32_t kvh = attn_kv_head(a, h);
  g.q = a->q + (int64_t)h * a->tq * a->head_dim;
  g.k = a->k + (int64_t)kvh * a->tk * a->head_dim;
  g.v = a->v + (int64_t)kvh * a->tk * a->head_dim_v;
  g.out = out;
  g.q_heads = 1;
  g.kv_heads = 1;
  if (a->bias) g.bias = a->bias + (int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq * a->tk;
  g.bias_heads = 1;
  g.variant = ATTN_SOFT_GAUSS;
  g.params = 0;
  g.n_params = 0;
  g.instrument = 0;
  g.invalid_rows = invalid;
  g.capture_index = 0;
  g.capture = 0;
  return g;
}

/* 1 when approx_error's exact rows come from the tiled family. */
static int gauss_tiled_exact(const attn_args *a) {
  return a->variant == ATTN_SOFT_NYSTROM && a->instrument && &attn_family_softmax != 0;
}

/* Floats of the rows part of the layout below, before the tiled exact part (16-float aligned). */
static int64_t gauss_rows_scratch(const attn_args *a) {
  const int64_t tk = a->tk, m = gauss_landmarks(a), d = a->head_dim, dv = a->head_dim_v;
  const int64_t rows = (2 * ROWDOT_GROUP + 1) * tk; /* visibility, weights, active keys of a group */
  if (a->variant != ATTN_SOFT_NYSTROM) return rows;
  /* doubles first (K2, P, X, T1, T2: 5 m^2, 2 floats each), then landmarks m d, B m tk, left of
     each row of a group, exact gauss weights tk, exact gauss outputs of a group, their validity,
     the prefix sums P m dv, the thread's cache of them across calls (16) */
  return (10 * m * m + m * d + m * tk + ROWDOT_GROUP * m + tk + ROWDOT_GROUP * dv + ROWDOT_GROUP +
          m * dv + 16 + rows + 15) / 16 * 16;
}

static int64_t gauss_scratch(const attn_args *a) {
  int64_t n = gauss_rows_scratch(a);
  if (gauss_tiled_exact(a)) { /* a head's exact outputs, its invalid flags, the tiled family's own */
    const attn_args g = gauss_exact_args(a, 0, 0, 0);
    n += ((int64_t)a->tq * a->head_dim_v + 15) / 16 * 16 + ((int64_t)a->tq + 63) / 64 * 16 +
         attn_family_softmax.scratch_floats(&g);
  }
  return n;
}

/* c = a b for n x n doubles. */
static void gauss_matmul(const double *x, const double *y, double *out, int32_t n) {
  for (int32_t r = 0; r < n; r++) {
    for (int32_t c = 0; c < n; c++) out[r * n + c] = 0.0;
    for (int32_t k = 0; k < n; k++) {
      const double xr = x[r * n + k];
      for (int32_t c = 0; c < n; c++) out[r * n + c] += xr * y[k * n + c];
    }
  }
}

typedef struct nystrom_params {
  int32_t m, iters, norm;
  double safety, reg;
} nystrom_params;

/*
 * The factors of kv head kvh: landmarks lm [m, d] and B = X S(L, K) [m, tk] (floats), from the
 * double work area wk (5 m^2). Returns the Newton-Raphson residual |I - P X|_1.
 */
static double nystrom_factors(const attn_args *a, int32_t kvh, const nystrom_params *np, double *wk,
                              float *lm, float *bm, float *g) {
  const int32_t tk = a->tk, d = a->head_dim, m = np->m;
  const float inv = 0.5f / __builtin_sqrtf((float)d);
  const float *kh = a->k + (int64_t)kvh * tk * d;
  double *k2 = wk, *p = wk + m * m, *x = wk + 2 * m * m, *t1 = wk + 3 * m * m, *t2 = wk + 4 * m * m;
  for (int32_t l = 0; l < m; l++) {
    int32_t from = (int32_t)(((int64_t)l * tk) / m), to = (int32_t)(((int64_t)(l + 1) * tk) / m);
    for (int32_t c = 0; c < d; c++) {
      float s = 0.0f;
      for (int32_t j = from; j < to; j++) s += kh[(int64_t)j * d + c];
      lm[l * d + c] = s / (float)(to - from);
    }
  }
  double max_row = 0.0;
  for (int32_t r = 0; r < m; r++) {
    double row = 0.0;
    for (int32_t c = 0; c < m; c++) {
      k2[r * m + c] = attn_expf(gauss_exponent(lm + r * d, lm + c * d, d, inv));
      row += k2[r * m + c];
    }
    max_row = row > max_row ? row : max_row;
  }
  const double alpha = np->safety * 2.0 / (max_row * max_row);
  for (int32_t r = 0; r < m; r++)
    for (int32_t c = 0; c < m; c++) {
      p[r * m + c] = k2[r * m + c] + (r == c ? np->reg : 0.0);
      x[r * m + c] = alpha * p[r * m + c];
    }
  for (int32_t it = 0; it < np->iters; it++) {
    gauss_matmul(x, p, t1, m);
    gauss_matmul(t1, x, t2, m);
    for (int32_t e = 0; e < m * m; e++) x[e] = 2.0 * x[e] - t2[e];
  }
  gauss_matmul(p, x, t1, m);
  double residual = 0.0;
  for (int32_t c = 0; c < m; c++) {
    double col = 0.0;
    for (int32_t r = 0; r < m; r++) {
      double e = (r == c ? 1.0 : 0.0) - t1[r * m + c];
      col += e < 0.0 ? -e : e;
    }
    residual = col > residual ? col : residual;
  }
  if (np->norm) {
    for (int32_t r = 0; r < m; r++) {
      double row = 0.0;
      for (int32_t c = 0; c < m; c++) row += k2[r * m + c];
      t2[r] = 1.0 / __builtin_sqrt(row);
    }
    for (int32_t r = 0; r < m; r++)
      for (int32_t c = 0; c < m; c++) x[r * m + c] *= t2[r] * t2[c];
  }
  for (int32_t j = 0; j < tk; j++) {
    for (int32_t r = 0; r < m; r++) g[r] = attn_expf(gauss_exponent(lm + r * d, kh + (int64_t)j * d, d, inv));
    for (int32_t l = 0; l < m; l++) {
      double s = 0.0;
      for (int32_t r = 0; r < m; r++) s += x[l * m + r] * g[r];
      bm[(int64_t)l * tk + j] = (float)s;
    }
  }
  return residual;
}

/*
 * What a thread's scratch holds across the calls (one work item each) of one kernel call, valid
 * while attn_thread.scratch_tag is 1: whose factors lm, bm are, whose prefix sums P, and the tiled
 * family's own cache tag for the exact rows of a kv head.
 */
typedef struct nystrom_cache {
  int32_t factors_kvh, prefix_safe, pv_kvh, pv_x, exact_kvh, exact_tag;
} nystrom_cache;

typedef struct gauss_ctx {
  int nystrom;
  float inv; /* 1 / (2 sqrt d) */
  nystrom_params np;
  double *wk;
  float *lm, *bm, *left, *gw, *o_exact, *exact_ok;
  float *pv;                     /* P(x) = sum_{j < x} B[:, j] v_j^T [m, dv] of kv head pv_kvh */
  int32_t pv_kvh, pv_x;          /* (-1: none) */
  int prefix_safe;               /* B and V of the factors' kv head are finite and m max|B| < 1e30 */
  const float *head_exact;       /* tiled: the exact outputs of the current head [tq, dv], or NULL */
  const uint8_t *head_invalid;   /* tiled: their invalid flags [tq] */
  int32_t kvh;  /* the kv head whose factors lm, bm hold, -1 none */
  int32_t slot; /* row of the current group */
} gauss_ctx;

/*
 * A soft-nystrom row without the exact Gaussian weights: s[0..hi) gets 0 where the row sees the key
 * and -inf where it does not, w the masked weights left^T B (times e^bias), 8 keys at a time with
 * the m landmark rows summed in registers; bad: left already failed. The same rules as gauss_row.
 * Returns the visible key count, or -1 (invalid).
 */
static inline __attribute__((always_inline)) int32_t nystrom_row(const gauss_ctx *c, const float *left,
    int32_t tk, const float *brow, int32_t sink_end, int32_t lo, int32_t hi, int bad, float *s, float *w, float *z) {
  const int32_t m = c->np.m;
  int32_t n = 0;
  if (!brow) {
    for (int32_t j = 0; j < hi; j++) s[j] = 0.0f;
    for (int32_t j = sink_end; j < lo && j < hi; j++) s[j] = -ATTN_INF; /* the hidden middle */
    n = sink_end + (hi - (lo > sink_end ? lo : sink_end));
  } else {
    for (int32_t j = 0; j < hi; j++) {
      const float bj = brow[j];
      s[j] = -ATTN_INF;
      if (!(j < sink_end || j >= lo) || bj == -ATTN_INF) continue;
      bad |= gauss_nonfinite(bj);
      s[j] = 0.0f;
      n++;
    }
  }
  if (n == 0 || bad) return n == 0 ? 0 : -1;
  rowdot_v8 vz = {0}, vbad = {0};
  int32_t j = 0;
  for (; j + 16 <= hi; j += 16) { /* 16 keys at a time: one broadcast of left[l] per two vectors */
    rowdot_v8 acc0 = {0}, acc1 = {0};
    for (int32_t l = 0; l < m; l++) {
      const float f = left[l];
      const float *bl = c->bm + (int64_t)l * tk + j;
      acc0 += f * ROWDOT_LOAD(bl);
      acc1 += f * ROWDOT_LOAD(bl + 8);
    }
    for (int h = 0; h < 2; h++) {
      rowdot_v8 acc = h ? acc1 : acc0;
      const rowdot_v8i seen = ROWDOT_LOAD(s + j + 8 * h) != -ATTN_INF;
      if (brow) acc = acc * rowdot_vexp(rowdot_select(seen, ROWDOT_LOAD(brow + j + 8 * h), ((rowdot_v8){0})));
      acc = rowdot_select(seen, acc, ((rowdot_v8){0}));
      vbad += acc - acc;
      *(rowdot_v8u *)(w + j + 8 * h) = acc;
      vz += rowdot_select(acc < 0.0f, -acc, acc);
    }
  }
  for (; j + 8 <= hi; j += 8) {
    rowdot_v8 acc = {0};
    for (int32_t l = 0; l < m; l++) acc += left[l] * ROWDOT_LOAD(c->bm + (int64_t)l * tk + j);
    const rowdot_v8i seen = ROWDOT_LOAD(s + j) != -ATTN_INF;
    if (brow) acc = acc * rowdot_vexp(rowdot_select(seen, ROWDOT_LOAD(brow + j), ((rowdot_v8){0})));
    acc = rowdot_select(seen, acc, ((rowdot_v8){0}));
    vbad += acc - acc; /* NaN once an Inf/NaN is seen */
    *(rowdot_v8u *)(w + j) = acc;
    vz += rowdot_select(acc < 0.0f, -acc, acc);
  }
  float zs = rowdot_hsum(vz);
  bad = rowdot_hsum(vbad) != 0.0f;
  for (; j < hi; j++) {
    float x = 0.0f;
    for (int32_t l = 0; l < m; l++) x += left[l] * c->bm[(int64_t)l * tk + j];
    if (s[j] == -ATTN_INF) x = 0.0f;
    else if (brow) x *= attn_expf(brow[j]);
    bad |= gauss_nonfinite(x);
    w[j] = x;
    zs += x < 0.0f ? -x : x;
  }
  *z = zs;
  return bad ? -1 : n;
}

/* left[l] = e^{-|q - L_l|^2 / (2 sqrt d)} of query row qi; returns 1 if an exponent is not finite. */
static inline __attribute__((always_inline)) int nystrom_left(const gauss_ctx *c, const float *qi,
                                                              int32_t d, float *left) {
  int bad = 0;
  for (int32_t l = 0; l < c->np.m; l++) {
    const float e = gauss_exponent(qi, c->lm + (int64_t)l * d, d, c->inv);
    bad |= gauss_nonfinite(e);
    left[l] = attn_expf(e);
  }
  return bad;
}

ROWDOT_CLONES static int gauss_row(const attn_args *a, void *vctx, int32_t h, int32_t i, float *s, float *w,
                     int32_t *end, float *stat_scale) {
  gauss_ctx *c = (gauss_ctx *)vctx;
  const int32_t tk = a->tk, d = a->head_dim, m = c->np.m, slot = c->slot++;
  float *left = c->left + (int64_t)slot * m;
  const int32_t kvh = attn_kv_head(a, h);
  const float *kh = a->k + (int64_t)kvh * tk * d;
  const float *qi = a->q + ((int64_t)h * a->tq + i) * d;
  const float *brow = a->bias
      ? a->bias + ((int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq + i) * tk : 0;
  const int exact = !c->nystrom || (a->instrument && !c->head_exact);
  if (c->nystrom) c->exact_ok[slot] = 0.0f;
  int32_t sink_end, lo, hi;
  attn_row_keys(a, i, &sink_end, &lo, &hi);
  *end = hi;
  if (c->nystrom && !exact) {
    const int lbad = nystrom_left(c, qi, d, left);
    float z = 0.0f;
    const int32_t nv = nystrom_row(c, left, tk, brow, sink_end, lo, hi, lbad, s, w, &z);
    if (nv <= 0) return nv;
    *stat_scale = z > 0.0f ? 1.0f / z : 0.0f;
    return 1;
  }
  int bad = 0;
  int32_t n = 0;
  if (c->nystrom) {
    for (int32_t l = 0; l < m; l++) {
      float e = gauss_exponent(qi, c->lm + (int64_t)l * d, d, c->inv);
      if (gauss_nonfinite(e)) bad = 1;
      left[l] = attn_expf(e);
    }
  }
  float *gw = c->nystrom ? c->gw : w;
  for (int32_t j = 0; j < hi; j++) { /* exponents first (-inf where hidden), e^x 8 at a time below */
    float bj = brow ? brow[j] : 0.0f;
    w[j] = 0.0f;
    gw[j] = -ATTN_INF;
    s[j] = -ATTN_INF;
    if (!(j < sink_end || j >= lo) || bj == -ATTN_INF) continue;
    if (gauss_nonfinite(bj)) bad = 1;
    s[j] = 0.0f;
    n++;
    if (exact) {
      float ge = gauss_exponent(qi, kh + (int64_t)j * d, d, c->inv);
      if (!c->nystrom && gauss_nonfinite(ge)) bad = 1;
      gw[j] = ge + bj;
    }
  }
  if (c->nystrom && n > 0 && !bad) {
    /* w = left^T B over the row's keys, landmark by landmark (contiguous, vectorized), then the
       mask and the bias factor e^bias */
    for (int32_t j = 0; j < hi; j++) w[j] = 0.0f;
    for (int32_t l = 0; l < m; l++) {
      const float f = left[l];
      const float *bl = c->bm + (int64_t)l * tk;
      for (int32_t j = 0; j < hi; j++) w[j] += f * bl[j];
    }
    for (int32_t j = 0; j < hi; j++) {
      if (s[j] == -ATTN_INF) { w[j] = 0.0f; continue; }
      if (brow) w[j] *= attn_expf(brow[j]);
      if (gauss_nonfinite(w[j])) bad = 1;
    }
  }
  if (n == 0) return 0;
  if (bad) return -1;
  if (exact) {
    int32_t j = 0;
    for (; j + 8 <= hi; j += 8) *(rowdot_v8u *)(gw + j) = rowdot_vexp(ROWDOT_LOAD(gw + j));
    for (; j < hi; j++) gw[j] = attn_expf(gw[j]);
  }
  float z = 0.0f;
  for (int32_t j = 0; j < hi; j++) z += w[j] < 0.0f ? -w[j] : w[j];
  *stat_scale = z > 0.0f ? 1.0f / z : 0.0f;
  if (c->nystrom && a->instrument) {
    const int32_t dv = a->head_dim_v;
    rowdot_weighted_values(gw, a->v + (int64_t)kvh * tk * dv, hi, dv, 0, c->o_exact + (int64_t)slot * dv);
    c->exact_ok[slot] = 1.0f;
  }
  return 1;
}

/* Resets the group's row slot; soft-nystrom, instrumenting: approx_error = max |O - O_gauss|. */
static void gauss_after(const attn_args *a, void *vctx, attn_thread *t, int32_t h, int32_t g, int32_t nr) {
  gauss_ctx *c = (gauss_ctx *)vctx;
  const int32_t dv = a->head_dim_v;
  c->slot = 0;
  if (!c->nystrom || !a->instrument) return;
  if (c->head_exact) { /* rows both compute: valid here and in the tiled soft-gauss */
    for (int32_t r = 0; r < nr; r++) {
      if (c->head_invalid[g + r] || a->invalid_rows[(int64_t)h * a->tq + g + r]) continue;
      const float *o = a->out + ((int64_t)h * a->tq + g + r) * dv, *x = c->head_exact + (int64_t)(g + r) * dv;
      for (int32_t u = 0; u < dv; u++) {
        double e = (double)o[u] - (double)x[u];
        e = e < 0.0 ? -e : e;
        if (e > t->approx_error) t->approx_error = e;
      }
    }
    return;
  }
  for (int32_t r = 0; r < nr; r++) {
    if (c->exact_ok[r] == 0.0f || a->invalid_rows[(int64_t)h * a->tq + g + r]) continue;
    const float *o = a->out + ((int64_t)h * a->tq + g + r) * dv;
    for (int32_t x = 0; x < dv; x++) {
      double e = (double)o[x] - (double)c->o_exact[(int64_t)r * dv + x];
      e = e < 0.0 ? -e : e;
      if (e > t->approx_error) t->approx_error = e;
    }
  }
}

/* Advances the prefix sums P of kv head kvh to x keys (restarting from 0 when they belong to
   another head or are past x). */
static inline __attribute__((always_inline)) void nystrom_prefix_to(gauss_ctx *c, const attn_args *a,
                                                                    int32_t kvh, int32_t x) {
  const int32_t tk = a->tk, dv = a->head_dim_v, m = c->np.m;
  if (c->pv_kvh != kvh || c->pv_x > x) {
    for (int64_t e = 0; e < (int64_t)m * dv; e++) c->pv[e] = 0.0f;
    c->pv_kvh = kvh;
    c->pv_x = 0;
  }
  const float *vh = a->v + (int64_t)kvh * tk * dv;
  for (int32_t j = c->pv_x; j < x; j++) {
    const float *vj = vh + (int64_t)j * dv;
    for (int32_t l = 0; l < m; l++) {
      const float b = c->bm[(int64_t)l * tk + j];
      float *p = c->pv + (int64_t)l * dv;
      int32_t u = 0;
      for (; u + 8 <= dv; u += 8) *(rowdot_v8u *)(p + u) = ROWDOT_LOAD(p + u) + b * ROWDOT_LOAD(vj + u);
      for (; u < dv; u++) p[u] += b * vj[u];
    }
  }
  c->pv_x = x;
}

/*
 * Rows [g, g + nr) of head h for soft-nystrom: rowdot_group's steps, except that when every row's
 * keys are a prefix [0, hi) with no bias (and B, V are finite), O = left^T P(hi) with the running
 * prefix sums P instead of W V: m dv per row and key instead of dv per key and row, and W is formed
 * only where something reads it (statistics, a captured map). Rows go in order, so P only advances.
 */
ROWDOT_CLONES static void nystrom_group(const attn_args *a, attn_thread *t, int32_t h, int32_t g,
                                        int32_t nr, float *S, float *W, int32_t *active, gauss_ctx *c) {
  const int32_t tk = a->tk, dv = a->head_dim_v, d = a->head_dim, m = c->np.m, kvh = attn_kv_head(a, h);
  const int capture = a->capture_index && a->capture_index[h] >= 0;
  int prefix = c->prefix_safe && !a->bias;
  for (int32_t r = 0; r < nr && prefix; r++) {
    int32_t se, lo, hi;
    attn_row_keys(a, g + r, &se, &lo, &hi);
    prefix = lo <= se; /* no hidden middle */
  }
  const int need_w = a->instrument || capture || !prefix;
  float scale[ROWDOT_GROUP];
  int valid[ROWDOT_GROUP];
  int32_t end[ROWDOT_GROUP];
  int32_t j1 = 0;
  c->slot = 0;
  for (int32_t r = 0; r < ROWDOT_GROUP; r++) {
    float *w = W + (int64_t)r * tk, *s = S + (int64_t)r * tk;
    end[r] = 0;
    if (r >= nr) { valid[r] = 0; continue; }
    if (need_w) {
      valid[r] = gauss_row(a, c, h, g + r, s, w, &end[r], &scale[r]);
    } else { /* validity as gauss_row finds it: W is finite when left, B are (m max|B| < 1e30) */
      int32_t se, lo, hi;
      attn_row_keys(a, g + r, &se, &lo, &hi);
      const int lbad = nystrom_left(c, a->q + ((int64_t)h * a->tq + g + r) * d, d, c->left + (int64_t)r * m);
      c->slot++;
      end[r] = hi;
      valid[r] = hi == 0 ? 0 : lbad ? -1 : 1;
    }
    a->invalid_rows[(int64_t)h * a->tq + g + r] = (uint8_t)(valid[r] < 0);
    if (valid[r] <= 0) end[r] = 0;
    j1 = end[r] > j1 ? end[r] : j1;
  }
  float *out = a->out + ((int64_t)h * a->tq + g) * dv;
  if (prefix) {
    for (int32_t r = 0; r < nr; r++) {
      float *o = out + (int64_t)r * dv;
      for (int32_t u = 0; u < dv; u++) o[u] = 0.0f;
      if (valid[r] <= 0) continue;
      nystrom_prefix_to(c, a, kvh, end[r]);
      const float *left = c->left + (int64_t)r * m;
      for (int32_t l = 0; l < m; l++) {
        const float f = left[l], *p = c->pv + (int64_t)l * dv;
        for (int32_t u = 0; u < dv; u++) o[u] += f * p[u];
      }
    }
  } else {
    for (int32_t r = 0; r < ROWDOT_GROUP; r++) { /* rows see keys below their end only */
      float *w = W + (int64_t)r * tk;
      for (int32_t j = end[r]; j < j1; j++) w[j] = 0.0f;
    }
    rowdot_weighted_values4(W, tk, nr, a->v + (int64_t)kvh * tk * dv, j1, dv, out, active);
  }
  for (int32_t r = 0; r < nr && need_w; r++) {
    const float *w = W + (int64_t)r * tk, *s = S + (int64_t)r * tk;
    if (capture) {
      float *mr = a->capture + ((int64_t)a->capture_index[h] * a->tq + g + r) * tk;
      for (int32_t j = 0; j < tk; j++) mr[j] = j < end[r] ? w[j] : 0.0f;
    }
    if (a->instrument && valid[r] > 0) rowdot_row_stats(t, h, end[r], tk, s, w, scale[r]);
  }
}

/* prefix_safe for the factors of kv head kvh (see gauss_ctx). */
static int nystrom_prefix_safe(const attn_args *a, const gauss_ctx *c, int32_t kvh) {
  const int32_t tk = a->tk, dv = a->head_dim_v, m = c->np.m;
  float bmax = 0.0f, chk = 0.0f;
  for (int64_t e = 0; e < (int64_t)m * tk; e++) {
    const float b = c->bm[e] < 0.0f ? -c->bm[e] : c->bm[e];
    bmax = b > bmax ? b : bmax;
    chk += c->bm[e] - c->bm[e];
  }
  const float *vh = a->v + (int64_t)kvh * tk * dv;
  for (int64_t e = 0; e < (int64_t)tk * dv; e++) chk += vh[e] - vh[e];
  return chk == 0.0f && bmax * (float)m < 1e30f;
}

ROWDOT_CLONES static int32_t gauss_run(const attn_args *a, attn_thread *t, int32_t begin, int32_t end) {
  const int64_t tk = a->tk, d = a->head_dim;
  const int32_t blocks = (a->tq + a->row_block - 1) / a->row_block;
  gauss_ctx c;
  c.nystrom = a->variant == ATTN_SOFT_NYSTROM;
  if (!c.nystrom && a->variant != ATTN_SOFT_GAUSS) return ATTN_E_VARIANT;
  c.np = (nystrom_params){0, 0, 0, 0.0, 0.0};
  if (c.nystrom) {
    if (a->n_params < 5) return ATTN_E_PARAMS;
    const float *pr = a->params;
    if (!(pr[0] >= 1.0f) || !(pr[1] >= 0.0f && pr[1] <= 100.0f) || !(pr[2] >= 0.0f && pr[2] <= 1.0f) ||
        !(pr[3] >= 0.0f) || pr[3] - pr[3] != 0.0f)
      return ATTN_E_PARAMS;
    c.np.m = gauss_landmarks(a);
    c.np.iters = (int32_t)pr[1];
    c.np.safety = pr[2];
    c.np.reg = pr[3];
    c.np.norm = pr[4] != 0.0f;
  }
  if (t->scratch_len < gauss_scratch(a)) return ATTN_E_SCRATCH;
  const int64_t m = c.np.m;
  c.inv = 0.5f / __builtin_sqrtf((float)d);
  c.wk = (double *)(void *)t->scratch;
  float *rows = c.nystrom ? t->scratch + 10 * m * m : t->scratch;
  float *S = rows, *W = rows + ROWDOT_GROUP * tk;
  int32_t *active = (int32_t *)(void *)(W + ROWDOT_GROUP * tk);
  c.lm = W + (ROWDOT_GROUP + 1) * tk;
  c.bm = c.lm + m * d;
  c.left = c.bm + m * tk;
  c.gw = c.left + ROWDOT_GROUP * m;
  c.o_exact = c.gw + tk;
  c.exact_ok = c.o_exact + ROWDOT_GROUP * (int64_t)a->head_dim_v;
  c.pv = c.exact_ok + ROWDOT_GROUP;
  nystrom_cache *nc = (nystrom_cache *)(void *)(c.pv + m * a->head_dim_v);
  if (c.nystrom && t->scratch_tag != 1) { /* a fresh scratch: nothing cached yet */
    *nc = (nystrom_cache){-1, 0, -1, 0, -1, 0};
    t->scratch_tag = 1;
  }
  if (c.nystrom) {
    c.kvh = nc->factors_kvh;
    c.prefix_safe = nc->prefix_safe;
    c.pv_kvh = nc->pv_kvh;
    c.pv_x = nc->pv_x;
  }
  if (!c.nystrom) c.kvh = -1;
  c.slot = 0;
  c.head_exact = 0;
  c.head_invalid = 0;
  const int tiled = gauss_tiled_exact(a);
  float *exact_out = t->scratch + gauss_rows_scratch(a);
  uint8_t *exact_invalid = (uint8_t *)(void *)(exact_out + ((int64_t)a->tq * a->head_dim_v + 15) / 16 * 16);
  attn_thread et = *t; /* the tiled family's thread: its own scratch; no statistics are taken */
  if (tiled) {
    et.scratch = (float *)(void *)exact_invalid + ((int64_t)a->tq + 63) / 64 * 16;
    et.scratch_len = t->scratch_len - (et.scratch - t->scratch);
  }
  /* the items of one kv head in a row share its factors; with the tiled exact rows, the items of
     one query head in a row share its exact outputs */
  for (int32_t item = begin; item < end;) {
    const int32_t kvh = attn_kv_head(a, item / blocks);
    int32_t stop = item + 1;
    while (stop < end && attn_kv_head(a, stop / blocks) == kvh && (!tiled || stop / blocks == item / blocks))
      stop++;
    if (c.nystrom && kvh != c.kvh) {
      c.kvh = kvh;
      double r = nystrom_factors(a, kvh, &c.np, c.wk, c.lm, c.bm, c.left);
      if (r > t->nr_residual) t->nr_residual = r; /* NaN (Inf keys: rows invalid) is left out */
      c.pv_kvh = -1;
      c.prefix_safe = tiled || !a->instrument ? nystrom_prefix_safe(a, &c, kvh) : 0;
    }
    if (tiled) {
      const int32_t h = item / blocks;
      const attn_args g = gauss_exact_args(a, h, exact_out, exact_invalid);
      et.scratch_tag = nc->exact_kvh == kvh ? nc->exact_tag : 0; /* its key cache: this kv head's? */
      const int32_t status = attn_family_softmax.run(&g, &et, item % blocks, item % blocks + (stop - item));
      if (status != ATTN_OK) return status;
      nc->exact_kvh = kvh;
      nc->exact_tag = et.scratch_tag;
      c.head_exact = exact_out;
      c.head_invalid = exact_invalid;
    }
    if (c.nystrom) {
      for (int32_t it = item; it < stop; it++) {
        const int32_t h = it / blocks, b0 = (it % blocks) * a->row_block;
        const int32_t b1 = b0 + a->row_block < a->tq ? b0 + a->row_block : a->tq;
        for (int32_t g = b0; g < b1; g += ROWDOT_GROUP) {
          const int32_t nr = b1 - g < ROWDOT_GROUP ? b1 - g : ROWDOT_GROUP;
          nystrom_group(a, t, h, g, nr, S, W, active, &c);
          gauss_after(a, &c, t, h, g, nr);
        }
      }
    } else {
      rowdot_items(a, t, item, stop, S, W, active, 0, gauss_row, gauss_after, &c);
    }
    item = stop;
  }
  if (c.nystrom) *nc = (nystrom_cache){c.kvh, c.prefix_safe, c.pv_kvh, c.pv_x, nc->exact_kvh, nc->exact_tag};
  return ATTN_OK;
}

const attn_family attn_family_gauss = {"gauss", gauss_scratch, gauss_run};
