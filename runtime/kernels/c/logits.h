/*
 * logits.h - one row of logits, masks applied: the simple building block for families that work a
 * row at a time (the softmax family has its own tiled path). Freestanding, static inline.
 */
#ifndef ATTN_LOGITS_H
#define ATTN_LOGITS_H

#include "attn.h"
#include "math.h"

/*
 * Fills s[0..tk) with the logits of row i of query head h (scale, softcap, bias applied; -inf where
 * a mask or the bias hides the key). Returns 1 when the row is INVALID (a visible logit is NaN or
 * +inf), 0 otherwise. *n_visible receives the number of keys whose logit is not -inf.
 */
static inline int attn_row_logits(const attn_args *a, int32_t h, int32_t i, float *s,
                                  int32_t *n_visible) {
  const int32_t d = a->head_dim, tk = a->tk;
  const float *qi = a->q + ((int64_t)h * a->tq + i) * d;
  const float *kh = a->k + (int64_t)attn_kv_head(a, h) * tk * d;
  const float *brow = a->bias
      ? a->bias + ((int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq + i) * tk : 0;
  int32_t sink_end, lo, hi;
  attn_row_keys(a, i, &sink_end, &lo, &hi);
  int bad = 0;
  int32_t n = 0;
  for (int32_t j = 0; j < tk; j++) {
    if (!(j < sink_end || (j >= lo && j < hi))) { s[j] = -ATTN_INF; continue; }
    const float *kj = kh + (int64_t)j * d;
    float dot = 0.0f;
    for (int32_t c = 0; c < d; c++) dot += qi[c] * kj[c];
    float x = dot * a->scale;
    if ((x - x) != 0.0f) bad = 1; /* Inf/NaN in Q.K: an invalid row, never a hidden key */
    if (a->softcap > 0.0f) x = a->softcap * attn_tanhf(x / a->softcap);
    if (brow) x += brow[j];
    if (x != x || x == ATTN_INF) bad = 1;
    if (x != -ATTN_INF) n++;
    s[j] = x;
  }
  *n_visible = n;
  return bad;
}

/* Zeroes output row i of head h. */
static inline void attn_zero_row(const attn_args *a, int32_t h, int32_t i) {
  float *o = a->out + ((int64_t)h * a->tq + i) * a->head_dim_v;
  for (int32_t c = 0; c < a->head_dim_v; c++) o[c] = 0.0f;
}

/*
 * Finishes row i of head h from its weights w[0..tk) (0 where hidden): output = sum_j w_j v_j,
 * the captured map row if requested, and (when instrumenting) the key statistics on the map
 * p_j = w_j * stat_scale (stat_scale = 1 for normalized variants, 1 / sum(w) for the proxy map).
 * s[j] (the row's logits) says which keys the row sees: those whose logit is not -inf.
 */
static inline void attn_finish_row(const attn_args *a, attn_thread *t, int32_t h, int32_t i,
                                   const float *w, const float *s, float stat_scale) {
  const int32_t tk = a->tk, dv = a->head_dim_v;
  const float *vh = a->v + (int64_t)attn_kv_head(a, h) * tk * dv;
  float *o = a->out + ((int64_t)h * a->tq + i) * dv;
  for (int32_t c = 0; c < dv; c++) o[c] = 0.0f;
  for (int32_t j = 0; j < tk; j++) {
    float wj = w[j];
    if (wj == 0.0f) continue;
    const float *vj = vh + (int64_t)j * dv;
    for (int32_t c = 0; c < dv; c++) o[c] += wj * vj[c];
  }
  if (a->capture_index && a->capture_index[h] >= 0) {
    float *m = a->capture + ((int64_t)a->capture_index[h] * a->tq + i) * tk;
    for (int32_t j = 0; j < tk; j++) m[j] = w[j];
  }
  if (!a->instrument) return;
  float *ks = t->key_sum + (int64_t)h * tk;
  float *kc = t->key_count + (int64_t)h * tk;
  float ent = 0.0f;
  for (int32_t j = 0; j < tk; j++) {
    if (s[j] == -ATTN_INF) continue;
    float p = w[j] * stat_scale;
    ks[j] += p;
    kc[j] += 1.0f;
    if (p > 0.0f) ent -= p * attn_logf(p);
  }
  t->entropy_sum[h] += ent;
  t->entropy_rows[h] += 1.0;
}

#endif /* ATTN_LOGITS_H */
