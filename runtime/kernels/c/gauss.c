/*
 * gauss.c - the Gaussian-kernel family of SOFT (spec 3). Rows in groups (rowdot.h):
 *   soft-gauss    w_j = exp(-|q - k_j|^2 / (2 sqrt(d)) + bias_j), unnormalized; params: none
 *   soft-nystrom  W = S(Q, L) X S(L, K): m landmarks L = averages of m consecutive segments of the
 *                 head's keys, X = Newton-Raphson inverse of P = S(L, L) + reg I with
 *                 X0 = alpha P, alpha = safety * 2 / (max row sum of S(L, L))^2, X <- 2X - X P X;
 *                 norm = 1 rescales X by D^-1/2 on both sides, D = diag(S(L, L) 1) (SOFT-Norm's
 *                 code form). The map is masked like every variant (hidden keys 0, a finite bias
 *                 multiplies by e^bias), so unmasked W V is the paper's K1 X (K1^T V).
 *                 params: [0] m, [1] iters, [2] safety, [3] reg, [4] norm, [5] errorRows (n)
 *                 stats: nr_residual = max over finite kv heads of |I - P X|_1 (max column abs sum),
 *                 approx_error = max |O - O_soft-gauss| over the SAMPLED rows of every head (only
 *                 when instrumenting): all rows when n = 0 or tq <= n, else the n rows
 *                 floor(k (tq - 1) / (n - 1)), k = 0..n-1 (first and last included; n = 1: the last
 *                 row), the same in every head (nystrom_error_row; the reference's
 *                 nystromErrorRow). Each sampled row's exact soft-gauss output is computed here
 *                 (exact differences, 4 sampled rows of a work item at a time: nystrom_error),
 *                 and rows invalid in either are left out. errorRows = 0 compares every row
 *                 (2.5x the instrumented time at T = 1024, H = 12; the default 128 adds ~28 %).
 * The input's scale and softcap do not apply (the kernel has its own 1/(2 sqrt d)). Weights do not
 * sum to 1 (and W may be negative): the statistics use the proxy map |w| / sum |w|. The m x m
 * Newton-Raphson and B = X S(L, K) run in double. Oracle: runtime/kernels/reference/{gauss,nystrom}.ts.
 * The registry routes soft-gauss to the tiled kernel (softmax.c); its row form here stays as the
 * cross-check.
 * soft-nystrom's rows: groups of ROWDOT_GROUP rows; when they see a key prefix [0, hi) with no bias
 * (causal or full, no streaming window), W comes from 4 rows x 16 keys register tiles of
 * left^T B (kdim m) and the statistics from one pass over the group's W (nystrom_group_w,
 * nystrom_group_stats); other masks go row by row (nystrom_row, rowdot_row_stats). Outputs come
 * from running prefix sums of B V (nystrom_prefix_to: advanced once per row group, restored from
 * checkpoints every 64 keys when rows come out of order) where the keys are a prefix and B, V are
 * finite, else W V. Rows of B, S and W are tk + 16 (rounded) floats
 * apart, never a multiple of 4 KiB (a load 4 KiB from a pending store stalls on x86).
 */
#include "attn.h"
#include "math.h"
#include "rowdot.h"

/* rowdot.h's run-time dispatch plus an AVX-512 (x86-64-v4) clone: the 8-lane vectors then use
   EVEX forms (broadcast FMA operands, 32 registers for the register tiles). */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define GAUSS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GAUSS_CLONES
#endif

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

/* The stride of the group rows S, W and of B: tk rounded up to 16 (register tiles of 16 keys), plus
   16, so that rows are never a multiple of 4 KiB apart (a load 4 KiB from a pending store stalls). */
static inline int64_t gauss_ld(const attn_args *a) {
  return ((int64_t)a->tk + 15) / 16 * 16 + 16;
}

/* approx_error's sample size n (params[5]; 128 when absent). */
static inline int32_t gauss_error_rows(const attn_args *a) {
  return a->n_params >= 6 ? (int32_t)a->params[5] : 128;
}

/*
 * 1 when query row i (0-based, of every head) is one of approx_error's sampled rows: all rows when
 * n <= 0 or tq <= n, else the rows floor(k (tq - 1) / (n - 1)) for k = 0..n-1 (n distinct rows,
 * the first and the last among them; n = 1: the last row only).
 */
static inline int nystrom_error_row(int32_t tq, int32_t n, int32_t i) {
  if (n <= 0 || tq <= n) return 1;
  if (n == 1) return i == tq - 1;
  /* the first k whose row floor(k (tq-1) / (n-1)) is >= i, then whether that row is i */
  const int64_t k = ((int64_t)i * (n - 1) + (tq - 2)) / (tq - 1);
  return k * (tq - 1) / (n - 1) == i;
}

/* Keys between checkpoints of the prefix sums: 64, doubled until they take at most 4 Mi floats. */
static inline int32_t gauss_ck_keys(const attn_args *a, int64_t m) {
  int64_t ck = 64;
  while ((a->tk / ck + 1) * m * a->head_dim_v > ((int64_t)1 << 22) && ck < a->tk) ck *= 2;
  return (int32_t)ck;
}

/*
 * Floats of one thread's scratch. S and W (ROWDOT_GROUP rows, ld apart), the active keys (tk);
 * soft-nystrom adds, 16-float aligned: the doubles (K2, P, X, T1, T2: 5 m^2, 2 floats each),
 * landmarks m d, B m ld, S(L, K) m ld (the factors' work area), left of each row of a group,
 * the exact gauss outputs of 4 rows dv, the prefix sums P m dv, the thread's cache (16), the
 * checkpoints of P ((tk / ck + 1) m dv).
 */
#define GAUSS_A16(n) (((n) + 15) / 16 * 16)
static int64_t gauss_scratch(const attn_args *a) {
  const int64_t tk = a->tk, m = gauss_landmarks(a), d = a->head_dim, dv = a->head_dim_v, ld = gauss_ld(a);
  const int64_t rows = 2 * ROWDOT_GROUP * ld + GAUSS_A16(tk);
  if (a->variant != ATTN_SOFT_NYSTROM) return rows;
  return GAUSS_A16(10 * m * m) + rows + GAUSS_A16(m * d) + 2 * m * ld + GAUSS_A16(ROWDOT_GROUP * m) +
         GAUSS_A16(ROWDOT_GROUP * dv) + GAUSS_A16(m * dv) + 16 + (tk / gauss_ck_keys(a, m) + 1) * m * dv;
}

/* out = x y for n x n doubles. */
ROWDOT_INLINE void gauss_matmul(const double *x, const double *y, double *out, int32_t n) {
  for (int32_t r = 0; r < n; r++) {
    for (int32_t c = 0; c < n; c++) out[r * n + c] = 0.0;
    for (int32_t k = 0; k < n; k++) {
      const double xr = x[r * n + k];
      for (int32_t c = 0; c < n; c++) out[r * n + c] += xr * y[k * n + c];
    }
  }
}

/*
 * e[j] = -|x - k_j|^2 * inv for the keys j in [j0, j1) of kh (d apart); four keys at a time, each
 * distance summed per lane over c in order, then the lanes as rowdot_hsum4 adds them.
 */
ROWDOT_INLINE void gauss_exponents(const float *x, const float *kh, int32_t d, int32_t j0, int32_t j1,
                                   float inv, float *e) {
  int32_t j = j0;
  for (; j + 4 <= j1; j += 4) {
    const float *k = kh + (int64_t)j * d;
    rowdot_v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int32_t c = 0;
    for (; c + 8 <= d; c += 8) {
      const rowdot_v8 xv = ROWDOT_LOAD(x + c);
      const rowdot_v8 t0 = xv - ROWDOT_LOAD(k + c), t1 = xv - ROWDOT_LOAD(k + d + c);
      const rowdot_v8 t2 = xv - ROWDOT_LOAD(k + 2 * d + c), t3 = xv - ROWDOT_LOAD(k + 3 * d + c);
      a0 += t0 * t0; a1 += t1 * t1; a2 += t2 * t2; a3 += t3 * t3;
    }
    float h[4];
    rowdot_hsum4(&a0, &a1, &a2, &a3, h);
    for (; c < d; c++) {
      for (int u = 0; u < 4; u++) {
        const float t = x[c] - k[u * d + c];
        h[u] += t * t;
      }
    }
    for (int u = 0; u < 4; u++) e[j + u] = -h[u] * inv;
  }
  for (; j < j1; j++) e[j] = -rowdot_dist2(x, kh + (int64_t)j * d, d) * inv;
}

/* 1 when one of e[j0..j1) is not finite. */
ROWDOT_INLINE int gauss_any_nonfinite(const float *e, int32_t j0, int32_t j1) {
  rowdot_v8 vbad = {0};
  int32_t j = j0;
  for (; j + 8 <= j1; j += 8) vbad += ROWDOT_LOAD(e + j) - ROWDOT_LOAD(e + j);
  int bad = rowdot_hsum(vbad) != 0.0f;
  for (; j < j1; j++) bad |= gauss_nonfinite(e[j]);
  return bad;
}

/* e[0..n) = e^e per lane (attn_expf's steps), in place. */
ROWDOT_INLINE void gauss_exp_row(float *e, int32_t n) {
  int32_t j = 0;
  for (; j + 8 <= n; j += 8) *(rowdot_v8u *)(e + j) = rowdot_vexp(ROWDOT_LOAD(e + j));
  for (; j < n; j++) e[j] = attn_expf(e[j]);
}

typedef struct nystrom_params {
  int32_t m, iters, norm, error_rows;
  double safety, reg;
} nystrom_params;

typedef double gauss_d4 __attribute__((vector_size(32)));
typedef float gauss_f4 __attribute__((vector_size(16)));
typedef float gauss_f4u __attribute__((vector_size(16), aligned(4)));

ROWDOT_INLINE void gauss_exponents4(const float *const *q, const float *kh, int32_t d, int32_t j1, float inv,
                                    float *E, int64_t ld);

/*
 * The factors of kv head kvh: landmarks lm [m, d] and B = X S(L, K) [m, ld] (floats, zero past tk),
 * from the double work area wk (5 m^2) and the float work area g [m, ld]. Returns the
 * Newton-Raphson residual |I - P X|_1.
 */
GAUSS_CLONES static double nystrom_factors(const attn_args *a, int32_t kvh, const nystrom_params *np,
                                            double *wk, float *lm, float *bm, float *g) {
  const int32_t tk = a->tk, d = a->head_dim, m = np->m;
  const int64_t ld = gauss_ld(a);
  const float inv = 0.5f / __builtin_sqrtf((float)d);
  const float *kh = a->k + (int64_t)kvh * tk * d;
  double *k2 = wk, *p = wk + m * m, *x = wk + 2 * m * m, *t1 = wk + 3 * m * m, *t2 = wk + 4 * m * m;
  for (int32_t l = 0; l < m; l++) { /* each column sums its segment's keys in key order */
    const int32_t from = (int32_t)(((int64_t)l * tk) / m), to = (int32_t)(((int64_t)(l + 1) * tk) / m);
    float *ll = lm + (int64_t)l * d;
    for (int32_t c = 0; c < d; c++) ll[c] = 0.0f;
    for (int32_t j = from; j < to; j++) {
      const float *kj = kh + (int64_t)j * d;
      for (int32_t c = 0; c < d; c++) ll[c] += kj[c];
    }
    for (int32_t c = 0; c < d; c++) ll[c] /= (float)(to - from);
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
  /* g = S(L, K) [m, ld] (4 landmarks at a time: each key loaded once for four), then B = X g in
     double, 8 landmarks x 4 keys at a time */
  int32_t r = 0;
  for (; r + 4 <= m; r += 4) {
    const float *q4[4] = {lm + (int64_t)r * d, lm + (int64_t)(r + 1) * d, lm + (int64_t)(r + 2) * d,
                          lm + (int64_t)(r + 3) * d};
    gauss_exponents4(q4, kh, d, tk, inv, g + (int64_t)r * ld, ld);
  }
  for (; r < m; r++) gauss_exponents(lm + (int64_t)r * d, kh, d, 0, tk, inv, g + (int64_t)r * ld);
  for (r = 0; r < m; r++) {
    float *gr = g + (int64_t)r * ld;
    gauss_exp_row(gr, tk);
    for (int64_t j = tk; j < ld; j++) gr[j] = 0.0f;
  }
  int32_t l = 0;
  for (; l + 8 <= m; l += 8) {
    const double *xl = x + (int64_t)l * m;
    for (int64_t j = 0; j < ld; j += 4) {
      gauss_d4 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0}, s5 = {0}, s6 = {0}, s7 = {0};
      for (int32_t q = 0; q < m; q++) {
        const gauss_d4 gv = __builtin_convertvector((gauss_f4) * (const gauss_f4u *)(g + (int64_t)q * ld + j), gauss_d4);
        s0 += xl[q] * gv; s1 += xl[m + q] * gv; s2 += xl[2 * m + q] * gv; s3 += xl[3 * m + q] * gv;
        s4 += xl[4 * m + q] * gv; s5 += xl[5 * m + q] * gv; s6 += xl[6 * m + q] * gv; s7 += xl[7 * m + q] * gv;
      }
      float *bj = bm + (int64_t)l * ld + j;
      *(gauss_f4u *)bj = __builtin_convertvector(s0, gauss_f4);
      *(gauss_f4u *)(bj + ld) = __builtin_convertvector(s1, gauss_f4);
      *(gauss_f4u *)(bj + 2 * ld) = __builtin_convertvector(s2, gauss_f4);
      *(gauss_f4u *)(bj + 3 * ld) = __builtin_convertvector(s3, gauss_f4);
      *(gauss_f4u *)(bj + 4 * ld) = __builtin_convertvector(s4, gauss_f4);
      *(gauss_f4u *)(bj + 5 * ld) = __builtin_convertvector(s5, gauss_f4);
      *(gauss_f4u *)(bj + 6 * ld) = __builtin_convertvector(s6, gauss_f4);
      *(gauss_f4u *)(bj + 7 * ld) = __builtin_convertvector(s7, gauss_f4);
    }
  }
  for (; l < m; l++) {
    const double *xl = x + (int64_t)l * m;
    float *bl = bm + (int64_t)l * ld;
    for (int64_t j = 0; j < ld; j += 4) {
      gauss_d4 s = {0};
      for (int32_t q = 0; q < m; q++)
        s += xl[q] * __builtin_convertvector((gauss_f4) * (const gauss_f4u *)(g + (int64_t)q * ld + j), gauss_d4);
      *(gauss_f4u *)(bl + j) = __builtin_convertvector(s, gauss_f4);
    }
  }
  return residual;
}

/*
 * What a thread's scratch holds across the calls (one work item each) of one kernel call, valid
 * while attn_thread.scratch_tag is 1: whose factors lm, bm are, whether prefix sums are safe for
 * them, whose prefix sums P.
 */
typedef struct nystrom_cache {
  int32_t factors_kvh, prefix_safe, pv_kvh, pv_x;
} nystrom_cache;

typedef struct gauss_ctx {
  int nystrom;
  float inv; /* 1 / (2 sqrt d) */
  int64_t ld; /* the stride of S, W and B */
  nystrom_params np;
  double *wk;
  float *lm, *bm, *gk, *left, *o_exact; /* o_exact: 4 rows' exact outputs [4, dv] */
  float *pv;                     /* P(x) = sum_{j < x} B[:, j] v_j^T [m, dv] of kv head pv_kvh */
  int32_t pv_kvh, pv_x;          /* (-1: none) */
  float *ck;                     /* checkpoints of P every ck_keys keys (nystrom_checkpoints) */
  int32_t ck_keys;
  int prefix_safe;               /* B and V of the factors' kv head are finite and m max|B| < 1e30 */
  int32_t kvh;  /* the kv head whose factors lm, bm hold, -1 none */
  int32_t slot; /* soft-nystrom, row by row: the group row gauss_row computes (its left) */
} gauss_ctx;

/*
 * A soft-nystrom row without the exact Gaussian weights: s[0..hi) gets 0 where the row sees the key
 * and -inf where it does not, w the masked weights left^T B (times e^bias), 8 keys at a time with
 * the m landmark rows summed in registers; bad: left already failed.
 * Returns the visible key count, or -1 (invalid).
 */
static inline __attribute__((always_inline)) int32_t nystrom_row(const gauss_ctx *c, const float *left,
    const float *brow, int32_t sink_end, int32_t lo, int32_t hi, int bad, float *s, float *w, float *z) {
  const int32_t m = c->np.m;
  const int64_t ld = c->ld;
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
      const float *bl = c->bm + (int64_t)l * ld + j;
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
    for (int32_t l = 0; l < m; l++) acc += left[l] * ROWDOT_LOAD(c->bm + (int64_t)l * ld + j);
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
    for (int32_t l = 0; l < m; l++) x += left[l] * c->bm[(int64_t)l * ld + j];
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
  gauss_exponents(qi, c->lm, d, 0, c->np.m, c->inv, left); /* four landmarks at a time */
  const int bad = gauss_any_nonfinite(left, 0, c->np.m);
  gauss_exp_row(left, c->np.m);
  return bad;
}

/* A row of the family (rowdot_row_fn): soft-gauss exactly, soft-nystrom through nystrom_row. */
GAUSS_CLONES static int gauss_row(const attn_args *a, void *vctx, int32_t h, int32_t i, float *s, float *w,
                     int32_t *end, float *stat_scale) {
  gauss_ctx *c = (gauss_ctx *)vctx;
  const int32_t tk = a->tk, d = a->head_dim;
  const int32_t kvh = attn_kv_head(a, h);
  const float *kh = a->k + (int64_t)kvh * tk * d;
  const float *qi = a->q + ((int64_t)h * a->tq + i) * d;
  const float *brow = a->bias
      ? a->bias + ((int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq + i) * tk : 0;
  int32_t sink_end, lo, hi;
  attn_row_keys(a, i, &sink_end, &lo, &hi);
  *end = hi;
  if (c->nystrom) {
    float *left = c->left + (int64_t)c->slot * c->np.m;
    const int lbad = nystrom_left(c, qi, d, left);
    float z = 0.0f;
    const int32_t nv = nystrom_row(c, left, brow, sink_end, lo, hi, lbad, s, w, &z);
    if (nv <= 0) return nv;
    *stat_scale = z > 0.0f ? 1.0f / z : 0.0f;
    return 1;
  }
  int bad = 0;
  int32_t n = 0;
  for (int32_t j = 0; j < hi; j++) { /* exponents first (-inf where hidden), e^x 8 at a time below */
    float bj = brow ? brow[j] : 0.0f;
    w[j] = -ATTN_INF;
    s[j] = -ATTN_INF;
    if (!(j < sink_end || j >= lo) || bj == -ATTN_INF) continue;
    if (gauss_nonfinite(bj)) bad = 1;
    s[j] = 0.0f;
    n++;
    float ge = gauss_exponent(qi, kh + (int64_t)j * d, d, c->inv);
    if (gauss_nonfinite(ge)) bad = 1;
    w[j] = ge + bj;
  }
  if (n == 0) return 0;
  if (bad) return -1;
  gauss_exp_row(w, hi);
  float z = 0.0f;
  for (int32_t j = 0; j < hi; j++) z += w[j];
  *stat_scale = z > 0.0f ? 1.0f / z : 0.0f;
  return 1;
}

/*
 * e_r[j] = -|q_r - k_j|^2 * inv for 4 query rows q_r (d floats each) and the keys j in [0, j1) of kh,
 * into E (rows ld apart): 4 rows x 2 keys per register tile, so each key is loaded once for the
 * four rows; each distance summed per lane over c in order, then as rowdot_hsum4 adds lanes.
 */
ROWDOT_INLINE void gauss_exponents4(const float *const *q, const float *kh, int32_t d, int32_t j1, float inv,
                                    float *E, int64_t ld) {
  const float *q0 = q[0], *q1 = q[1], *q2 = q[2], *q3 = q[3];
  int32_t j = 0;
  for (; j + 2 <= j1; j += 2) {
    const float *k0 = kh + (int64_t)j * d, *k1 = k0 + d;
    rowdot_v8 a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0}, a30 = {0}, a31 = {0};
    int32_t c = 0;
    for (; c + 8 <= d; c += 8) {
      const rowdot_v8 x0 = ROWDOT_LOAD(k0 + c), x1 = ROWDOT_LOAD(k1 + c);
      rowdot_v8 qv = ROWDOT_LOAD(q0 + c), t0 = qv - x0, t1 = qv - x1;
      a00 += t0 * t0; a01 += t1 * t1;
      qv = ROWDOT_LOAD(q1 + c); t0 = qv - x0; t1 = qv - x1;
      a10 += t0 * t0; a11 += t1 * t1;
      qv = ROWDOT_LOAD(q2 + c); t0 = qv - x0; t1 = qv - x1;
      a20 += t0 * t0; a21 += t1 * t1;
      qv = ROWDOT_LOAD(q3 + c); t0 = qv - x0; t1 = qv - x1;
      a30 += t0 * t0; a31 += t1 * t1;
    }
    float h0[4], h1[4];
    rowdot_hsum4(&a00, &a10, &a20, &a30, h0);
    rowdot_hsum4(&a01, &a11, &a21, &a31, h1);
    for (; c < d; c++) {
      for (int r = 0; r < 4; r++) {
        const float u0 = q[r][c] - k0[c], u1 = q[r][c] - k1[c];
        h0[r] += u0 * u0;
        h1[r] += u1 * u1;
      }
    }
    for (int r = 0; r < 4; r++) {
      E[r * ld + j] = -h0[r] * inv;
      E[r * ld + j + 1] = -h1[r] * inv;
    }
  }
  for (; j < j1; j++)
    for (int r = 0; r < 4; r++) E[r * ld + j] = -rowdot_dist2(q[r], kh + (int64_t)j * d, d) * inv;
}

/*
 * O_r = sum_j w_r[j] v_j for 4 weight rows (ld apart, over keys [0, j1)) and V finite (no key is
 * skipped): 4 rows x 16 columns per register tile, each column summed in key order.
 */
ROWDOT_INLINE void gauss_values4(const float *Wt, int64_t ld, const float *vh, int32_t j1, int32_t dv, float *O) {
  const float *w0 = Wt, *w1 = Wt + ld, *w2 = Wt + 2 * ld, *w3 = Wt + 3 * ld;
  int32_t c = 0;
  for (; c + 16 <= dv; c += 16) {
    const rowdot_tile4 x = rowdot_tile4x16(w0, w1, w2, w3, vh + c, dv, j1);
    const rowdot_v8 a00 = x.t[0], a01 = x.t[1], a10 = x.t[2], a11 = x.t[3];
    const rowdot_v8 a20 = x.t[4], a21 = x.t[5], a30 = x.t[6], a31 = x.t[7];
    *(rowdot_v8u *)(O + c) = a00; *(rowdot_v8u *)(O + c + 8) = a01;
    *(rowdot_v8u *)(O + dv + c) = a10; *(rowdot_v8u *)(O + dv + c + 8) = a11;
    *(rowdot_v8u *)(O + 2 * dv + c) = a20; *(rowdot_v8u *)(O + 2 * dv + c + 8) = a21;
    *(rowdot_v8u *)(O + 3 * dv + c) = a30; *(rowdot_v8u *)(O + 3 * dv + c + 8) = a31;
  }
  for (int r = 0; r < 4; r++) rowdot_weighted_values(Wt + r * ld, vh, j1, dv, c, O + (int64_t)r * dv);
}

/*
 * Row i of head h's exact soft-gauss weights in place of its exponents e[0..j1) (computed for
 * every key below j1): hidden keys get 0, a finite bias adds before e^x; keys in [hi, j1) get 0.
 * Returns 1 for a valid row that sees a key, else 0 (the rules of the tiled soft-gauss and the
 * reference: a visible key whose exponent or bias is not finite makes the row invalid).
 */
ROWDOT_INLINE int gauss_exact_weights(const attn_args *a, int32_t h, int32_t i, float *e, int32_t j1) {
  const float *brow = a->bias
      ? a->bias + ((int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq + i) * a->tk : 0;
  int32_t sink_end, lo, hi;
  attn_row_keys(a, i, &sink_end, &lo, &hi);
  const int32_t mid = lo > sink_end ? (lo < hi ? lo : hi) : sink_end; /* keys [sink_end, mid) hidden */
  int32_t n = 0;
  int bad = 0;
  if (!brow) {
    bad = gauss_any_nonfinite(e, 0, sink_end) | gauss_any_nonfinite(e, mid, hi);
    n = sink_end + (hi - mid);
    for (int32_t j = sink_end; j < mid; j++) e[j] = -ATTN_INF;
  } else {
    for (int32_t j = 0; j < hi; j++) {
      const float bj = brow[j];
      if (!(j < sink_end || j >= lo) || bj == -ATTN_INF) { e[j] = -ATTN_INF; continue; }
      bad |= gauss_nonfinite(bj) | gauss_nonfinite(e[j]);
      e[j] += bj;
      n++;
    }
  }
  for (int32_t j = hi; j < j1; j++) e[j] = -ATTN_INF;
  if (n == 0 || bad) return 0;
  gauss_exp_row(e, j1);
  return 1;
}

/*
 * approx_error over the sampled rows of [b0, b1) of head h that are valid in the output: their
 * exact soft-gauss outputs, 4 rows at a time (exponents into E, 4 rows ld apart; outputs into
 * c->o_exact, 4 x dv), against the outputs written.
 */
ROWDOT_INLINE void nystrom_error(const attn_args *a, gauss_ctx *c, attn_thread *t, int32_t h, int32_t b0,
                                 int32_t b1, float *E) {
  const int32_t tk = a->tk, d = a->head_dim, dv = a->head_dim_v, kvh = attn_kv_head(a, h);
  const int64_t ld = c->ld;
  const float *kh = a->k + (int64_t)kvh * tk * d, *vh = a->v + (int64_t)kvh * tk * dv;
  int32_t rows[4];
  int nr = 0;
  for (int32_t i = b0; i <= b1; i++) {
    if (i < b1) {
      if (!nystrom_error_row(a->tq, c->np.error_rows, i) || a->invalid_rows[(int64_t)h * a->tq + i]) continue;
      int32_t se, lo, hi;
      attn_row_keys(a, i, &se, &lo, &hi);
      if (hi == 0) continue;
      rows[nr++] = i;
      if (nr < 4) continue;
    }
    if (nr == 0) break;
    const float *q[4];
    int32_t j1 = 0;
    for (int r = 0; r < 4; r++) {
      const int32_t ir = rows[r < nr ? r : 0];
      int32_t se, lo, hi;
      attn_row_keys(a, ir, &se, &lo, &hi);
      j1 = hi > j1 ? hi : j1;
      q[r] = a->q + ((int64_t)h * a->tq + ir) * d;
    }
    gauss_exponents4(q, kh, d, j1, c->inv, E, ld);
    int ok[4];
    for (int r = 0; r < 4; r++) {
      ok[r] = r < nr && gauss_exact_weights(a, h, rows[r], E + r * ld, j1);
      if (!ok[r]) for (int32_t j = 0; j < j1; j++) E[r * ld + j] = 0.0f;
    }
    if (c->prefix_safe) { /* V finite: no key skipped */
      gauss_values4(E, ld, vh, j1, dv, c->o_exact);
    } else {
      for (int r = 0; r < 4; r++) rowdot_weighted_values(E + r * ld, vh, j1, dv, 0, c->o_exact + (int64_t)r * dv);
    }
    double worst = t->approx_error;
    for (int r = 0; r < nr; r++) {
      if (!ok[r]) continue;
      const float *o = a->out + ((int64_t)h * a->tq + rows[r]) * dv, *x = c->o_exact + (int64_t)r * dv;
      for (int32_t u = 0; u < dv; u++) {
        double e = (double)o[u] - (double)x[u];
        e = e < 0.0 ? -e : e;
        worst = e > worst ? e : worst;
      }
    }
    t->approx_error = worst;
    nr = 0;
  }
}

/* Advances the prefix sums P (of kv head kvh, at pv_x keys) to x >= pv_x keys. */
static inline __attribute__((always_inline)) void nystrom_prefix_advance(gauss_ctx *c, const attn_args *a,
                                                                         int32_t kvh, int32_t x) {
  const int32_t tk = a->tk, dv = a->head_dim_v, m = c->np.m;
  const float *vh = a->v + (int64_t)kvh * tk * dv;
  int32_t j = c->pv_x;
  if (dv == 64) { /* up to 8 keys at a time, each row of P in registers across them */
    for (; j < x; j += 8) {
      const int32_t n = x - j < 8 ? x - j : 8;
      const float *vj = vh + (int64_t)j * dv;
      for (int32_t l = 0; l < m; l++) {
        const float *bl = c->bm + (int64_t)l * c->ld + j;
        float *p = c->pv + (int64_t)l * dv;
        rowdot_v8 p0 = ROWDOT_LOAD(p), p1 = ROWDOT_LOAD(p + 8), p2 = ROWDOT_LOAD(p + 16), p3 = ROWDOT_LOAD(p + 24);
        rowdot_v8 p4 = ROWDOT_LOAD(p + 32), p5 = ROWDOT_LOAD(p + 40), p6 = ROWDOT_LOAD(p + 48), p7 = ROWDOT_LOAD(p + 56);
        for (int32_t u = 0; u < n; u++) {
          const float b = bl[u], *v = vj + (int64_t)u * dv;
          p0 += b * ROWDOT_LOAD(v); p1 += b * ROWDOT_LOAD(v + 8);
          p2 += b * ROWDOT_LOAD(v + 16); p3 += b * ROWDOT_LOAD(v + 24);
          p4 += b * ROWDOT_LOAD(v + 32); p5 += b * ROWDOT_LOAD(v + 40);
          p6 += b * ROWDOT_LOAD(v + 48); p7 += b * ROWDOT_LOAD(v + 56);
        }
        *(rowdot_v8u *)p = p0; *(rowdot_v8u *)(p + 8) = p1; *(rowdot_v8u *)(p + 16) = p2; *(rowdot_v8u *)(p + 24) = p3;
        *(rowdot_v8u *)(p + 32) = p4; *(rowdot_v8u *)(p + 40) = p5; *(rowdot_v8u *)(p + 48) = p6; *(rowdot_v8u *)(p + 56) = p7;
      }
    }
    j = x;
  }
  for (; j < x; j++) {
    const float *vj = vh + (int64_t)j * dv;
    for (int32_t l = 0; l < m; l++) {
      const float b = c->bm[(int64_t)l * c->ld + j];
      float *p = c->pv + (int64_t)l * dv;
      int32_t u = 0;
      for (; u + 8 <= dv; u += 8) *(rowdot_v8u *)(p + u) = ROWDOT_LOAD(p + u) + b * ROWDOT_LOAD(vj + u);
      for (; u < dv; u++) p[u] += b * vj[u];
    }
  }
  c->pv_x = x;
}

/*
 * Puts the prefix sums P of kv head kvh (whose factors and checkpoints the context holds) at x
 * keys: from where P is when that is at most x and less than a checkpoint interval behind, else
 * from the checkpoint at or below x (items may come in any order: the addon takes a head's row
 * blocks last to first).
 */
static inline __attribute__((always_inline)) void nystrom_prefix_to(gauss_ctx *c, const attn_args *a,
                                                                    int32_t kvh, int32_t x) {
  const int64_t mdv = (int64_t)c->np.m * a->head_dim_v;
  if (c->pv_kvh != kvh || c->pv_x > x || x - c->pv_x >= c->ck_keys) {
    const int32_t k = x / c->ck_keys;
    const float *from = c->ck + k * mdv;
    for (int64_t e = 0; e < mdv; e++) c->pv[e] = from[e];
    c->pv_kvh = kvh;
    c->pv_x = k * c->ck_keys;
  }
  nystrom_prefix_advance(c, a, kvh, x);
}

/* The checkpoints of P for the factors' kv head kvh: ck[k] = P(k ck_keys), k <= tk / ck_keys. */
static inline __attribute__((always_inline)) void nystrom_checkpoints(gauss_ctx *c, const attn_args *a,
                                                                      int32_t kvh) {
  const int64_t mdv = (int64_t)c->np.m * a->head_dim_v;
  for (int64_t e = 0; e < mdv; e++) c->pv[e] = 0.0f;
  c->pv_kvh = kvh;
  c->pv_x = 0;
  for (int32_t k = 0; k <= a->tk / c->ck_keys; k++) {
    nystrom_prefix_advance(c, a, kvh, k * c->ck_keys);
    float *to = c->ck + k * mdv;
    for (int64_t e = 0; e < mdv; e++) to[e] = c->pv[e];
  }
}

/*
 * W of a group whose rows see the keys [0, end[r]) (no bias): W[r][j] = left_r^T B[:, j] for
 * j < end[r], 0 from there to the 16-key block past j1 = max end; 4 rows x 16 keys per register
 * tile, summed over the m landmarks in order. z[r] = sum_j |W[r][j]|; bad[r] = 1 when one is not
 * finite. Rows past nr have end 0.
 */
ROWDOT_INLINE void nystrom_group_w(const gauss_ctx *c, const float *left, const int32_t *end, int32_t j1,
                                   float *W, float *z, int *bad) {
  const int32_t m = c->np.m;
  const int64_t ld = c->ld;
  const float *l0 = left, *l1 = left + m, *l2 = left + 2 * m, *l3 = left + 3 * m;
  float *w0 = W, *w1 = W + ld, *w2 = W + 2 * ld, *w3 = W + 3 * ld;
  const rowdot_v8i e0 = (rowdot_v8i){0} + end[0], e1 = (rowdot_v8i){0} + end[1];
  const rowdot_v8i e2 = (rowdot_v8i){0} + end[2], e3 = (rowdot_v8i){0} + end[3];
  rowdot_v8 z0 = {0}, z1 = {0}, z2 = {0}, z3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
  for (int32_t j = 0; j < j1; j += 16) {
    const rowdot_tile4 x = rowdot_tile4x16(l0, l1, l2, l3, c->bm + j, ld, m);
    const rowdot_v8 a00 = x.t[0], a01 = x.t[1], a10 = x.t[2], a11 = x.t[3];
    const rowdot_v8 a20 = x.t[4], a21 = x.t[5], a30 = x.t[6], a31 = x.t[7];
    const rowdot_v8i j0 = (rowdot_v8i){0, 1, 2, 3, 4, 5, 6, 7} + j, j8 = j0 + 8;
#define NYS_W_OUT(x, jv, ev, wr, zr, br, off)                     \
    do {                                                          \
      const rowdot_v8 y_ = rowdot_select((jv) < (ev), (x), ((rowdot_v8){0})); \
      *(rowdot_v8u *)((wr) + j + (off)) = y_;                     \
      zr += rowdot_select(y_ < 0.0f, -y_, y_);                    \
      br += y_ - y_;                                              \
    } while (0)
    NYS_W_OUT(a00, j0, e0, w0, z0, b0, 0); NYS_W_OUT(a01, j8, e0, w0, z0, b0, 8);
    NYS_W_OUT(a10, j0, e1, w1, z1, b1, 0); NYS_W_OUT(a11, j8, e1, w1, z1, b1, 8);
    NYS_W_OUT(a20, j0, e2, w2, z2, b2, 0); NYS_W_OUT(a21, j8, e2, w2, z2, b2, 8);
    NYS_W_OUT(a30, j0, e3, w3, z3, b3, 0); NYS_W_OUT(a31, j8, e3, w3, z3, b3, 8);
#undef NYS_W_OUT
  }
  z[0] = rowdot_hsum(z0); z[1] = rowdot_hsum(z1); z[2] = rowdot_hsum(z2); z[3] = rowdot_hsum(z3);
  bad[0] = rowdot_hsum(b0) != 0.0f; bad[1] = rowdot_hsum(b1) != 0.0f;
  bad[2] = rowdot_hsum(b2) != 0.0f; bad[3] = rowdot_hsum(b3) != 0.0f;
}

/*
 * The statistics of a group's valid rows that see the keys [0, end[r]) (end 0 and a zero W row for
 * the others): key_sum[j] += |W[r][j]| scale[r] row by row, key_count[j] += the rows that see j,
 * and each valid row's entropy -sum p ln p (p = |w| scale), one pass over the group's W.
 */
ROWDOT_INLINE void nystrom_group_stats(const gauss_ctx *c, const attn_args *a, attn_thread *t, int32_t h,
                                       const float *W, const int32_t *end, const float *scale,
                                       const int *valid) {
  const int32_t tk = a->tk;
  const int64_t ld = c->ld;
  float *ks = t->key_sum + (int64_t)h * tk, *kc = t->key_count + (int64_t)h * tk;
  const float *w0 = W, *w1 = W + ld, *w2 = W + 2 * ld, *w3 = W + 3 * ld;
  const float s0 = scale[0], s1 = scale[1], s2 = scale[2], s3 = scale[3];
  const rowdot_v8i e0 = (rowdot_v8i){0} + end[0], e1 = (rowdot_v8i){0} + end[1];
  const rowdot_v8i e2 = (rowdot_v8i){0} + end[2], e3 = (rowdot_v8i){0} + end[3];
  int32_t jmax = 0, jmin = tk;
  for (int r = 0; r < ROWDOT_GROUP; r++) {
    if (valid[r] <= 0) continue;
    jmax = end[r] > jmax ? end[r] : jmax;
    jmin = end[r] < jmin ? end[r] : jmin;
  }
  const float nvalid = (float)((valid[0] > 0) + (valid[1] > 0) + (valid[2] > 0) + (valid[3] > 0));
  rowdot_v8 h0 = {0}, h1 = {0}, h2 = {0}, h3 = {0};
  const rowdot_v8 one = (rowdot_v8){0} + 1.0f, none = {0};
  int32_t j = 0;
#define NYS_P(wr, sr) __extension__({ const rowdot_v8 w_ = ROWDOT_LOAD((wr) + j); rowdot_select(w_ < 0.0f, -w_, w_) * (sr); })
#define NYS_STATS_BODY(COUNT)                                            \
    do {                                                               \
      const rowdot_v8 p0 = NYS_P(w0, s0), p1 = NYS_P(w1, s1), p2 = NYS_P(w2, s2), p3 = NYS_P(w3, s3); \
      *(rowdot_v8u *)(ks + j) = (((ROWDOT_LOAD(ks + j) + p0) + p1) + p2) + p3; \
      *(rowdot_v8u *)(kc + j) = ROWDOT_LOAD(kc + j) + (COUNT);          \
      rowdot_add_plogp(&h0, &p0); rowdot_add_plogp(&h1, &p1);          \
      rowdot_add_plogp(&h2, &p2); rowdot_add_plogp(&h3, &p3);          \
    } while (0)
  for (; j + 8 <= jmin; j += 8) NYS_STATS_BODY(one * nvalid); /* every valid row sees these keys */
  for (; j < jmax && j + 8 <= tk; j += 8) { /* past a row's end: w = 0 and no count */
    const rowdot_v8i jv = (rowdot_v8i){0, 1, 2, 3, 4, 5, 6, 7} + j;
    NYS_STATS_BODY(((rowdot_select(jv < e0, one, none) + rowdot_select(jv < e1, one, none)) +
                    (rowdot_select(jv < e2, one, none) + rowdot_select(jv < e3, one, none))));
  }
#undef NYS_STATS_BODY
#undef NYS_P
  float ent[4] = {-rowdot_hsum(h0), -rowdot_hsum(h1), -rowdot_hsum(h2), -rowdot_hsum(h3)};
  const float *wr[4] = {w0, w1, w2, w3};
  for (; j < jmax; j++) {
    for (int r = 0; r < ROWDOT_GROUP; r++) {
      if (j >= end[r]) continue;
      const float p = (wr[r][j] < 0.0f ? -wr[r][j] : wr[r][j]) * scale[r];
      ks[j] += p;
      kc[j] += 1.0f;
      if (p > 0.0f) ent[r] -= p * attn_logf(p);
    }
  }
  for (int r = 0; r < ROWDOT_GROUP; r++) {
    if (valid[r] <= 0) continue;
    t->entropy_sum[h] += ent[r];
    t->entropy_rows[h] += 1.0;
  }
}

/*
 * Rows [g, g + nr) of head h for soft-nystrom. When every row's keys are a prefix [0, hi) with no
 * bias (and B, V are finite), O = left^T P(hi) with the running prefix sums P instead of W V: m dv
 * per row and key instead of dv per key and row, and W is formed only where something reads it
 * (statistics, a captured map). Rows go in order, so P only advances.
 */
ROWDOT_INLINE void nystrom_group(const attn_args *a, attn_thread *t, int32_t h, int32_t g, int32_t nr,
                                 float *S, float *W, int32_t *active, gauss_ctx *c) {
  const int32_t tk = a->tk, dv = a->head_dim_v, d = a->head_dim, m = c->np.m, kvh = attn_kv_head(a, h);
  const int64_t ld = c->ld;
  const int capture = a->capture_index && a->capture_index[h] >= 0;
  int plain = !a->bias; /* every row sees a key prefix */
  for (int32_t r = 0; r < nr && plain; r++) {
    int32_t se, lo, hi;
    attn_row_keys(a, g + r, &se, &lo, &hi);
    plain = lo <= se; /* no hidden middle */
  }
  const int prefix = c->prefix_safe && plain;
  const int need_w = a->instrument || capture || !prefix;
  float scale[ROWDOT_GROUP];
  int valid[ROWDOT_GROUP];
  int32_t end[ROWDOT_GROUP];
  int32_t j1 = 0;
  if (plain) { /* left, validity, and W in register tiles when read */
    int lbad[ROWDOT_GROUP];
    for (int32_t r = 0; r < ROWDOT_GROUP; r++) {
      end[r] = 0;
      lbad[r] = 0;
      if (r >= nr) { /* zero left: the tiles multiply it (and mask the products) */
        for (int32_t l = 0; l < m; l++) c->left[(int64_t)r * m + l] = 0.0f;
        continue;
      }
      int32_t se, lo, hi;
      attn_row_keys(a, g + r, &se, &lo, &hi);
      lbad[r] = nystrom_left(c, a->q + ((int64_t)h * a->tq + g + r) * d, d, c->left + (int64_t)r * m);
      end[r] = hi;
      j1 = hi > j1 ? hi : j1;
    }
    float z[ROWDOT_GROUP];
    int wbad[ROWDOT_GROUP] = {0, 0, 0, 0};
    if (need_w) nystrom_group_w(c, c->left, end, j1, W, z, wbad);
    j1 = 0;
    for (int32_t r = 0; r < ROWDOT_GROUP; r++) {
      valid[r] = end[r] == 0 ? 0 : lbad[r] || wbad[r] ? -1 : 1;
      scale[r] = 0.0f;
      if (r < nr) a->invalid_rows[(int64_t)h * a->tq + g + r] = (uint8_t)(valid[r] < 0);
      if (valid[r] <= 0) {
        if (need_w) for (int32_t j = 0; j < end[r]; j++) W[r * ld + j] = 0.0f;
        end[r] = 0;
        continue;
      }
      if (need_w) scale[r] = z[r] > 0.0f ? 1.0f / z[r] : 0.0f;
      j1 = end[r] > j1 ? end[r] : j1;
    }
  } else {
    for (int32_t r = 0; r < ROWDOT_GROUP; r++) {
      float *w = W + (int64_t)r * ld, *s = S + (int64_t)r * ld;
      end[r] = 0;
      scale[r] = 0.0f;
      if (r >= nr) { valid[r] = 0; continue; }
      c->slot = r;
      valid[r] = gauss_row(a, c, h, g + r, s, w, &end[r], &scale[r]);
      a->invalid_rows[(int64_t)h * a->tq + g + r] = (uint8_t)(valid[r] < 0);
      if (valid[r] <= 0) end[r] = 0;
      j1 = end[r] > j1 ? end[r] : j1;
    }
  }
  float *out = a->out + ((int64_t)h * a->tq + g) * dv;
  if (prefix) { /* P advanced once to the group's first end e0, then O_r = left_r^T P(e0) +
                   sum over the row's keys j in [e0, end) of w_j v_j */
    int32_t e0 = tk;
    for (int32_t r = 0; r < nr; r++) e0 = valid[r] > 0 && end[r] < e0 ? end[r] : e0;
    if (e0 < tk || j1 > 0) nystrom_prefix_to(c, a, kvh, e0);
    const float *vh = a->v + (int64_t)kvh * tk * dv;
    for (int32_t r = 0; r < nr; r++) {
      float *o = out + (int64_t)r * dv;
      for (int32_t u = 0; u < dv; u++) o[u] = 0.0f;
      if (valid[r] <= 0) continue;
      const float *left = c->left + (int64_t)r * m;
      int32_t u = 0;
      for (; u + 32 <= dv; u += 32) { /* o in registers across the m rows of P */
        rowdot_v8 o0 = {0}, o1 = {0}, o2 = {0}, o3 = {0};
        for (int32_t l = 0; l < m; l++) {
          const float f = left[l], *p = c->pv + (int64_t)l * dv + u;
          o0 += f * ROWDOT_LOAD(p); o1 += f * ROWDOT_LOAD(p + 8);
          o2 += f * ROWDOT_LOAD(p + 16); o3 += f * ROWDOT_LOAD(p + 24);
        }
        *(rowdot_v8u *)(o + u) = o0; *(rowdot_v8u *)(o + u + 8) = o1;
        *(rowdot_v8u *)(o + u + 16) = o2; *(rowdot_v8u *)(o + u + 24) = o3;
      }
      for (int32_t l = 0; l < m; l++) {
        const float f = left[l], *p = c->pv + (int64_t)l * dv;
        for (int32_t x = u; x < dv; x++) o[x] += f * p[x];
      }
      for (int32_t j = e0; j < end[r]; j++) {
        float w = 0.0f;
        if (need_w) {
          w = W[r * ld + j];
        } else {
          for (int32_t l = 0; l < m; l++) w += left[l] * c->bm[(int64_t)l * ld + j];
        }
        const float *vj = vh + (int64_t)j * dv;
        for (int32_t x = 0; x < dv; x++) o[x] += w * vj[x];
      }
    }
  } else {
    for (int32_t r = 0; r < ROWDOT_GROUP; r++) { /* rows see keys below their end only */
      float *w = W + (int64_t)r * ld;
      for (int32_t j = end[r]; j < j1; j++) w[j] = 0.0f;
    }
    const float *vh = a->v + (int64_t)kvh * tk * dv;
    if (c->prefix_safe) { /* V finite: a row's weight 0 may meet a key another row sees */
      rowdot_weighted_values4(W, (int32_t)ld, nr, vh, j1, dv, out, active);
    } else { /* an Inf/NaN in V (or a huge B): each row over its own nonzero weights, as the reference */
      for (int32_t r = 0; r < nr; r++)
        rowdot_weighted_values(W + (int64_t)r * ld, vh, end[r], dv, 0, out + (int64_t)r * dv);
    }
  }
  if (capture) {
    for (int32_t r = 0; r < nr; r++) {
      const float *w = W + (int64_t)r * ld;
      float *mr = a->capture + ((int64_t)a->capture_index[h] * a->tq + g + r) * tk;
      for (int32_t j = 0; j < tk; j++) mr[j] = j < end[r] ? w[j] : 0.0f;
    }
  }
  if (!a->instrument) return;
  if (plain) {
    nystrom_group_stats(c, a, t, h, W, end, scale, valid);
  } else {
    for (int32_t r = 0; r < nr; r++)
      if (valid[r] > 0) rowdot_row_stats(t, h, end[r], tk, S + (int64_t)r * ld, W + (int64_t)r * ld, scale[r]);
  }
}

/* prefix_safe for the factors of kv head kvh (see gauss_ctx). */
ROWDOT_INLINE int nystrom_prefix_safe(const attn_args *a, const gauss_ctx *c, int32_t kvh) {
  const int32_t tk = a->tk, dv = a->head_dim_v, m = c->np.m;
  rowdot_v8 vmax = {0}, vchk = {0};
  for (int32_t l = 0; l < m; l++) {
    const float *bl = c->bm + (int64_t)l * c->ld;
    for (int64_t j = 0; j < c->ld; j += 8) { /* B rows are padded to ld with zeros */
      const rowdot_v8 b = ROWDOT_LOAD(bl + j), ab = rowdot_select(b < 0.0f, -b, b);
      vmax = rowdot_select(ab > vmax, ab, vmax);
      vchk += b - b;
    }
  }
  const float *vh = a->v + (int64_t)kvh * tk * dv;
  const int64_t n = (int64_t)tk * dv;
  int64_t e = 0;
  for (; e + 8 <= n; e += 8) vchk += ROWDOT_LOAD(vh + e) - ROWDOT_LOAD(vh + e);
  float chk = rowdot_hsum(vchk), bmax = 0.0f;
  for (; e < n; e++) chk += vh[e] - vh[e];
  for (int u = 0; u < 8; u++) bmax = vmax[u] > bmax ? vmax[u] : bmax;
  return chk == 0.0f && bmax * (float)m < 1e30f;
}

GAUSS_CLONES static int32_t gauss_run(const attn_args *a, attn_thread *t, int32_t begin, int32_t end) {
  const int64_t tk = a->tk, d = a->head_dim, dv = a->head_dim_v;
  gauss_ctx c;
  c.nystrom = a->variant == ATTN_SOFT_NYSTROM;
  if (!c.nystrom && a->variant != ATTN_SOFT_GAUSS) return ATTN_E_VARIANT;
  c.np = (nystrom_params){0, 0, 0, 0, 0.0, 0.0};
  if (c.nystrom) {
    if (a->n_params < 5) return ATTN_E_PARAMS;
    const float *pr = a->params;
    if (!(pr[0] >= 1.0f) || !(pr[1] >= 0.0f && pr[1] <= 100.0f) || !(pr[2] >= 0.0f && pr[2] <= 1.0f) ||
        !(pr[3] >= 0.0f) || pr[3] - pr[3] != 0.0f)
      return ATTN_E_PARAMS;
    if (a->n_params >= 6 && !(pr[5] >= 0.0f && pr[5] <= 1e9f)) return ATTN_E_PARAMS;
    c.np.m = gauss_landmarks(a);
    c.np.iters = (int32_t)pr[1];
    c.np.safety = pr[2];
    c.np.reg = pr[3];
    c.np.norm = pr[4] != 0.0f;
    c.np.error_rows = gauss_error_rows(a);
  }
  if (t->scratch_len < gauss_scratch(a)) return ATTN_E_SCRATCH;
  const int64_t m = c.np.m, ld = gauss_ld(a);
  c.inv = 0.5f / __builtin_sqrtf((float)d);
  c.ld = ld;
  c.wk = (double *)(void *)t->scratch;
  float *S = c.nystrom ? t->scratch + GAUSS_A16(10 * m * m) : t->scratch;
  float *W = S + ROWDOT_GROUP * ld;
  int32_t *active = (int32_t *)(void *)(W + ROWDOT_GROUP * ld);
  c.lm = (float *)(void *)active + GAUSS_A16(tk);
  c.bm = c.lm + GAUSS_A16(m * d);
  c.gk = c.bm + m * ld;
  c.left = c.gk + m * ld;
  c.o_exact = c.left + GAUSS_A16(ROWDOT_GROUP * m);
  c.pv = c.o_exact + GAUSS_A16(ROWDOT_GROUP * dv);
  nystrom_cache *nc = (nystrom_cache *)(void *)(c.pv + GAUSS_A16(m * dv));
  c.ck = c.pv + GAUSS_A16(m * dv) + 16;
  c.ck_keys = c.nystrom ? gauss_ck_keys(a, m) : 64;
  c.kvh = -1;
  c.prefix_safe = 0;
  c.pv_kvh = -1;
  c.pv_x = 0;
  if (!c.nystrom) {
    c.left = c.o_exact = c.pv = c.lm = c.bm = c.gk = c.ck = 0;
    rowdot_items(a, t, begin, end, S, W, active, 0, gauss_row, 0, &c);
    return ATTN_OK;
  }
  if (t->scratch_tag != 1) { /* a fresh scratch: nothing cached yet */
    *nc = (nystrom_cache){-1, 0, -1, 0};
    t->scratch_tag = 1;
  }
  c.kvh = nc->factors_kvh;
  c.prefix_safe = nc->prefix_safe;
  c.pv_kvh = nc->pv_kvh;
  c.pv_x = nc->pv_x;
  const int32_t blocks = (a->tq + a->row_block - 1) / a->row_block;
  for (int32_t item = begin; item < end; item++) {
    const int32_t h = item / blocks, kvh = attn_kv_head(a, h), b0 = (item % blocks) * a->row_block;
    const int32_t b1 = b0 + a->row_block < a->tq ? b0 + a->row_block : a->tq;
    if (kvh != c.kvh) {
      c.kvh = kvh;
      double r = nystrom_factors(a, kvh, &c.np, c.wk, c.lm, c.bm, c.gk);
      if (r > t->nr_residual) t->nr_residual = r; /* NaN (Inf keys: rows invalid) is left out */
      c.pv_kvh = -1;
      c.prefix_safe = nystrom_prefix_safe(a, &c, kvh);
      if (c.prefix_safe) nystrom_checkpoints(&c, a, kvh);
    }
    for (int32_t g = b0; g < b1; g += ROWDOT_GROUP) {
      const int32_t nr = b1 - g < ROWDOT_GROUP ? b1 - g : ROWDOT_GROUP;
      nystrom_group(a, t, h, g, nr, S, W, active, &c);
    }
    if (a->instrument) nystrom_error(a, &c, t, h, b0, b1, S);
  }
  *nc = (nystrom_cache){c.kvh, c.prefix_safe, c.pv_kvh, c.pv_x};
  return ATTN_OK;
}

const attn_family attn_family_gauss = {"gauss", gauss_scratch, gauss_run};
