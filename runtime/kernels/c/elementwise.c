/*
 * elementwise.c - the elementwise family: weights need no row reduction.
 *   sigmoid   w_j = sigmoid(s_j + b), b = params[0] (NaN: -ln tk)             (spec 6.3)
 *   elu1      w_j = elu(s_j) + 1 = (s_j > 0 ? s_j + 1 : e^{s_j}); params[0] = 1 divides by the
 *             row sum + 1e-8 (Gu et al.'s code)                               (spec 1.3 #4)
 * Hidden keys weigh 0. Rows do not sum to 1, so the statistics use the proxy map w / sum(w)
 * (spec 1.1); elu1 normalized already sums to 1 and its proxy map is itself.
 * Works a row at a time (logits.h): simple and the compiler vectorizes its inner loops.
 */
#include "attn.h"
#include "logits.h"
#include "math.h"

static int64_t elementwise_scratch(const attn_args *a) {
  return 2 * (int64_t)a->tk; /* logits row + weights row */
}

static int32_t elementwise_run(const attn_args *a, attn_thread *t, int32_t begin, int32_t end) {
  const int32_t tk = a->tk, blocks = (a->tq + a->row_block - 1) / a->row_block;
  if (t->scratch_len < elementwise_scratch(a)) return ATTN_E_SCRATCH;
  float b = 0.0f;
  int normalize = 0;
  if (a->variant == ATTN_SIGMOID) {
    if (a->n_params < 1) return ATTN_E_PARAMS;
    b = a->params[0];
    if (b != b) b = -attn_logf((float)tk);
  } else if (a->variant == ATTN_ELU1) {
    if (a->n_params < 1) return ATTN_E_PARAMS;
    normalize = a->params[0] != 0.0f;
  } else {
    return ATTN_E_VARIANT;
  }
  float *s = t->scratch, *w = t->scratch + tk;
  for (int32_t item = begin; item < end; item++) {
    int32_t h = item / blocks, b0 = (item % blocks) * a->row_block;
    int32_t b1 = b0 + a->row_block < a->tq ? b0 + a->row_block : a->tq;
    for (int32_t i = b0; i < b1; i++) {
      int32_t n;
      int bad = attn_row_logits(a, h, i, s, &n);
      a->invalid_rows[(int64_t)h * a->tq + i] = (uint8_t)bad;
      if (bad || n == 0) {
        attn_zero_row(a, h, i);
        if (a->capture_index && a->capture_index[h] >= 0) {
          float *m = a->capture + ((int64_t)a->capture_index[h] * a->tq + i) * tk;
          for (int32_t j = 0; j < tk; j++) m[j] = 0.0f;
        }
        continue;
      }
      float sum = 0.0f;
      for (int32_t j = 0; j < tk; j++) {
        float x = s[j], wj;
        if (a->variant == ATTN_SIGMOID) wj = x == -ATTN_INF ? 0.0f : attn_sigmoidf(x + b);
        else wj = x == -ATTN_INF ? 0.0f : (x > 0.0f ? x + 1.0f : attn_expf(x));
        w[j] = wj;
        sum += wj;
      }
      float stat_scale = sum > 0.0f ? 1.0f / sum : 0.0f;
      if (normalize) {
        const float inv = 1.0f / (sum + 1e-8f);
        for (int32_t j = 0; j < tk; j++) w[j] *= inv;
        stat_scale = 1.0f;
      }
      attn_finish_row(a, t, h, i, w, s, stat_scale);
    }
  }
  return ATTN_OK;
}

const attn_family attn_family_elementwise = {"elementwise", elementwise_scratch, elementwise_run};
