/*
 * rownorm.c - the row-normalized non-softmax family (spec 1.3, 5), rows in groups (rowdot.h):
 *   sigmoid-norm  w_j = sigmoid(s_j) / (sum_k sigmoid(s_k) + 1e-8)              (Gu et al. #3)
 *                 params: none
 *   lssa          a_j = softplus(lambda * cos(q, k_j) + bias_j), lambda = ln d * ln N (N = keys
 *                 the row sees), A_j = a_j / (sum a + 1e-8)                    (spec 5.1)
 *                 params: [0] d (NaN: head_dim)
 *   lssar         LSSA, then u_j = relu(A_j N - O) / max_k relu(A_k N - O), w_j = u_j^p / sum u^p,
 *                 O = 0 on sequence rows 0..warm-1 (0-based), else 1 (overflow-safe form, 5.3)
 *                 params: [0] d (NaN: head_dim), [1] p, [2] warm
 *   softplus-norm w_j = softplus(s_j) / (sum_k softplus(s_k) + eps)  (Softplus -> ReduceSum -> Div
 *                 of models trained with it; torch's threshold 20 is exact here: above it
 *                 x + log1p(e^-x) rounds to x in float32)
 *                 params: [0] eps (>= 0; 0 = the exported graphs, which add no epsilon)
 * sigmoid-norm and softplus-norm take the scaled, softcapped, biased logit s_j of attn.h. A row
 * whose denominator is 0 (every visible softplus underflowed, eps = 0) outputs 0 instead of 0/0.
 * lssa/lssar use the cosine, not the scaled logit: scale and softcap do not apply; -inf bias and
 * the causal/streaming masks hide keys; a finite bias adds to the softplus argument. A row whose
 * Q.K, |q|^2 or |k|^2 is not finite, or whose bias is NaN/+inf, is invalid. Rows sum to 1 (or 0
 * for an LSSAR row that the ReLU empties), so the statistics use the weights as they are.
 * Oracle: runtime/kernels/reference/{elementwise,lssa,softplusNorm}.ts.
 * The registry routes these variants to the tiled kernel (softmax.c), which computes the same rows
 * from its Q K^T tiles; this row form stays as its cross-check.
 */
#include "attn.h"
#include "math.h"
#include "rowdot.h"

#define ROWNORM_EPS 1e-8f

/* ln(1 + y) for y >= 0: a series where 1 + y would round y away, attn_logf elsewhere. */
static inline float rownorm_log1p(float y) {
  if (y < 1e-3f) return y * (1.0f - y * (0.5f - y * (1.0f / 3.0f)));
  return attn_logf(1.0f + y);
}

/* softplus(x) = ln(1 + e^x) without overflow. */
static inline float rownorm_softplus(float x) {
  return x > 0.0f ? x + rownorm_log1p(attn_expf(-x)) : rownorm_log1p(attn_expf(x));
}

/* Nonzero when x is NaN or +-inf (x - x is 0 only for finite x). */
static inline int rownorm_nonfinite(float x) {
  return x - x != 0.0f;
}

/*
 * Turns c[0..end) from the raw dot products q.k_j (rowdot_group_dots) into the cosines of row i of
 * head h (-inf where hidden) and fills b[0..end) with its bias, given kk[j] = |k_j|^2 of the head's
 * keys. Returns 1 when the row is invalid; *n_visible gets N, *end the row's key end.
 */
ROWDOT_INLINE int rownorm_cosines(const attn_args *a, int32_t h, int32_t i, const float *kk, float *c,
                           float *b, int32_t *n_visible, int32_t *end) {
  const int32_t d = a->head_dim, tk = a->tk;
  const float *qi = a->q + ((int64_t)h * a->tq + i) * d;
  const float *brow = a->bias
      ? a->bias + ((int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq + i) * tk : 0;
  int32_t sink_end, lo, hi;
  attn_row_keys(a, i, &sink_end, &lo, &hi);
  *end = hi;
  const float qq = rowdot_dot(qi, qi, d);
  const float qn = __builtin_sqrtf(qq);
  for (int32_t j = sink_end; j < lo; j++) c[j] = -ATTN_INF;
  int bad = rownorm_nonfinite(qq);
  int32_t n = 0;
  for (int32_t j = 0; j < hi; j++) {
    float bj = brow ? brow[j] : 0.0f;
    b[j] = bj;
    if (!(j < sink_end || j >= lo)) continue;
    if (bj == -ATTN_INF) { c[j] = -ATTN_INF; continue; }
    const float dot = c[j];
    if (rownorm_nonfinite(dot) || rownorm_nonfinite(kk[j]) || rownorm_nonfinite(bj)) bad = 1;
    c[j] = qq > 0.0f && kk[j] > 0.0f ? dot / (qn * __builtin_sqrtf(kk[j])) : 0.0f;
    n++;
  }
  if (n == 0) bad = 0; /* a fully hidden row is not invalid, whatever its query holds */
  *n_visible = n;
  return bad;
}

static int64_t rownorm_scratch(const attn_args *a) {
  /* logits/cosines and weights of a row group, the bias row, |k_j|^2 of one kv head, the group's
     active keys, the transposed keys */
  return (2 * ROWDOT_GROUP + 3) * (int64_t)a->tk + rowdot_keys_floats(a);
}

/* LSSAR's second stage in place on w[0..tk), overflow-safe (divide by the largest term first). */
ROWDOT_INLINE void rownorm_reweight(float *w, int32_t tk, float n, float offset, float power) {
  float max = 0.0f;
  for (int32_t j = 0; j < tk; j++) {
    float r = w[j] * n - offset;
    w[j] = r > 0.0f ? r : 0.0f;
    max = w[j] > max ? w[j] : max;
  }
  float total = 0.0f;
  int32_t j = 0;
  rowdot_v8 acc = {0};
  const float inv_max = max > 0.0f ? 1.0f / max : 0.0f;
  for (; j + 8 <= tk; j += 8) { /* u^p = e^{p ln u} for u > 0 (u below 1.2e-38 taken as 1.2e-38) */
    const rowdot_v8 u = ROWDOT_LOAD(w + j) * inv_max;
    const rowdot_v8 un = rowdot_select(u < 1.1754944e-38f, ((rowdot_v8){0} + 1.1754944e-38f), u);
    const rowdot_v8 r = rowdot_select(u > 0.0f, rowdot_vexp(power * rowdot_vlog(un)), ((rowdot_v8){0}));
    *(rowdot_v8u *)(w + j) = r;
    acc += r;
  }
  total = rowdot_hsum(acc);
  for (; j < tk; j++) {
    w[j] = w[j] > 0.0f ? attn_expf(power * attn_logf(w[j] * inv_max)) : 0.0f;
    total += w[j];
  }
  const float inv = total > 0.0f ? 1.0f / total : 0.0f;
  for (int32_t j = 0; j < tk; j++) w[j] *= inv;
}

typedef struct rownorm_ctx {
  int lssa, lssar;
  float ln_d, power;
  int softplus;      /* softplus of the argument (lssa, lssar, softplus-norm); else sigmoid */
  float eps;         /* added to the row sum before dividing */
  int32_t warm;
  float *bias_row, *kk;
  int32_t kk_head; /* the kv head whose |k_j|^2 kk holds, -1 none */
} rownorm_ctx;

ROWDOT_CLONES static int rownorm_row(const attn_args *a, void *vctx, int32_t h, int32_t i, float *s, float *w,
                       int32_t *end, float *stat_scale) {
  rownorm_ctx *c = (rownorm_ctx *)vctx;
  const int32_t tk_all = a->tk;
  int32_t n, tk; /* tk: this row's key end (it sees no key past it) */
  int bad;
  if (c->lssa) {
    const int32_t kvh = attn_kv_head(a, h);
    if (kvh != c->kk_head) {
      const int32_t d = a->head_dim;
      const float *kh = a->k + (int64_t)kvh * tk_all * d;
      for (int32_t j = 0; j < tk_all; j++) c->kk[j] = rowdot_dot(kh + (int64_t)j * d, kh + (int64_t)j * d, d);
      c->kk_head = kvh;
    }
    bad = rownorm_cosines(a, h, i, c->kk, s, c->bias_row, &n, &tk);
  } else {
    bad = rowdot_logits_from_dots(a, h, i, s, &n, &tk);
  }
  *end = tk;
  if (bad) return -1;
  if (n == 0) return 0;
  const float lambda = c->ln_d * attn_logf((float)n);
  float sum = 0.0f;
  int32_t j = 0;
  rowdot_v8 acc = {0};
  for (; j + 8 <= tk; j += 8) { /* 8 keys at a time: the vector exp/log of rowdot.h */
    const rowdot_v8 x = ROWDOT_LOAD(s + j);
    const rowdot_v8i seen = x != -ATTN_INF;
    rowdot_v8 wv;
    if (c->softplus) {
      const rowdot_v8 arg = c->lssa ? lambda * x + ROWDOT_LOAD(c->bias_row + j) : x;
      const rowdot_v8 t = rowdot_vexp(-rowdot_select(arg < 0.0f, -arg, arg)); /* e^-|arg| in (0, 1] */
      const rowdot_v8 series = t * (1.0f - t * (0.5f - t * (1.0f / 3.0f)));
      const rowdot_v8 l1p = rowdot_select(t < 1e-3f, series, rowdot_vlog(1.0f + t));
      wv = rowdot_select(arg > 0.0f, arg, ((rowdot_v8){0})) + l1p;
    } else {
      wv = 1.0f / (1.0f + rowdot_vexp(-x));
    }
    wv = rowdot_select(seen, wv, ((rowdot_v8){0}));
    *(rowdot_v8u *)(w + j) = wv;
    acc += wv;
  }
  sum = rowdot_hsum(acc);
  for (; j < tk; j++) {
    float x = s[j], wj = 0.0f;
    if (x != -ATTN_INF) {
      wj = c->lssa ? rownorm_softplus(lambda * x + c->bias_row[j])
                   : c->softplus ? rownorm_softplus(x) : attn_sigmoidf(x);
    }
    w[j] = wj;
    sum += wj;
  }
  if (rownorm_nonfinite(sum)) return -1;
  const float den = sum + c->eps;
  const float inv = den > 0.0f ? 1.0f / den : 0.0f;
  for (int32_t j = 0; j < tk; j++) w[j] *= inv;
  if (c->lssar) rownorm_reweight(w, tk, (float)n, i + (tk_all - a->tq) < c->warm ? 0.0f : 1.0f, c->power);
  *stat_scale = 1.0f;
  return 1;
}

ROWDOT_CLONES static int32_t rownorm_run(const attn_args *a, attn_thread *t, int32_t begin, int32_t end) {
  const int64_t tk = a->tk;
  if (t->scratch_len < rownorm_scratch(a)) return ATTN_E_SCRATCH;
  const int softplus_norm = a->variant == ATTN_SOFTPLUS_NORM;
  rownorm_ctx c = {a->variant == ATTN_LSSA || a->variant == ATTN_LSSAR, a->variant == ATTN_LSSAR,
                   0.0f, 0.0f, 0, ROWNORM_EPS, 0, t->scratch + 2 * ROWDOT_GROUP * tk,
                   t->scratch + (2 * ROWDOT_GROUP + 1) * tk, -1};
  if (!c.lssa && !softplus_norm && a->variant != ATTN_SIGMOID_NORM) return ATTN_E_VARIANT;
  c.softplus = c.lssa || softplus_norm;
  if (softplus_norm) {
    if (a->n_params < 1 || !(a->params[0] >= 0.0f) || rownorm_nonfinite(a->params[0])) return ATTN_E_PARAMS;
    c.eps = a->params[0];
  }
  float dim = (float)a->head_dim;
  if (c.lssa) {
    if (a->n_params < (c.lssar ? 3 : 1)) return ATTN_E_PARAMS;
    if (a->params[0] == a->params[0]) dim = a->params[0];
    if (!(dim >= 1.0f)) return ATTN_E_PARAMS;
  }
  if (c.lssar) {
    c.power = a->params[1];
    if (!(c.power >= 0.0f) || !(a->params[2] >= 0.0f) || a->params[2] > 2147483647.0f) return ATTN_E_PARAMS;
    c.warm = (int32_t)a->params[2];
  }
  c.ln_d = attn_logf(dim);
  rowdot_keys keys = {t->scratch + (2 * ROWDOT_GROUP + 3) * tk, -1};
  rowdot_items(a, t, begin, end, t->scratch, t->scratch + ROWDOT_GROUP * tk,
               (int32_t *)(void *)(t->scratch + (2 * ROWDOT_GROUP + 2) * tk), &keys, rownorm_row, 0, &c);
  return ATTN_OK;
}

const attn_family attn_family_rownorm = {"rownorm", rownorm_scratch, rownorm_run};
