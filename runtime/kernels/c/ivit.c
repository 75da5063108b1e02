/*
 * ivit.c - the I-ViT integer-only attention core (spec 2.1-2.3); the contract is in ivit.h, the
 * readable reference is runtime/analysis/quant/ivitAttention.ts (same steps, same order).
 *
 * Exactness: after the quantization everything is integer arithmetic: |Q.K^T| <= 128 * 128 *
 * head_dim fits int32, the accumulator (+ bias) is clamped to +-(2^31 - 1), the dyadic product
 * z * M < 2^62 fits int64, ShiftExp is shiftexp.h's (|x0| <= 2^23 + 1 as the logit scale is at
 * least 2^-23, so E < 2^55), O <= 2^(out_bits-1) unless sum E was clamped at 2^31 - 1 (then
 * O < 2^31), and P.V sums O * V_int in int64 (< 2^53, so its double is exact). The doubles (scales, x / S before rounding,
 * -1/S, frexp) are single correctly rounded operations in the reference's order, never a
 * multiply feeding an add (so -ffp-contract cannot fuse them). Right shifts touch non-negative
 * values only (integer_floor_shift).
 */
#include "ivit.h"
#include "math.h"
#include "shiftexp.h"

#define IVIT_ALIGN(x) (((x) + 63) & ~(int64_t)63)
#define IVIT_INT31 2147483647LL
#define IVIT_LUT 2048 /* ShiftExp table entries: used when the logits have at most 10 bits */

typedef struct ivit_cfg {
  int per_head, bits, logit_bits, n, out_bits, tvm, half_up;
  int64_t top; /* 2^(logit_bits - 1) - 1 */
} ivit_cfg;

/* The state buffer: scales first (the caller reads them), then the integer tensors. */
typedef struct ivit_layout {
  int64_t scales, acc_scale, dy_m, dy_k, x0, item_max, qi, ki, vi, total;
} ivit_layout;

static ivit_layout ivit_layout_of(const attn_args *a) {
  const int64_t qh = a->q_heads, kvh = a->kv_heads;
  ivit_layout L;
  int64_t at = 0;
  L.scales = at; at = IVIT_ALIGN(at + 8 * (2 * qh + 2 * kvh));
  L.acc_scale = at; at = IVIT_ALIGN(at + 8 * qh);
  L.dy_m = at; at = IVIT_ALIGN(at + 8 * qh);
  L.dy_k = at; at = IVIT_ALIGN(at + 8 * qh);
  L.x0 = at; at = IVIT_ALIGN(at + 8 * qh);
  L.item_max = at; at = IVIT_ALIGN(at + 8 * (int64_t)attn_items(a));
  L.qi = at; at = IVIT_ALIGN(at + qh * a->tq * a->head_dim);
  L.ki = at; at = IVIT_ALIGN(at + kvh * a->tk * a->head_dim);
  L.vi = at; at = IVIT_ALIGN(at + kvh * a->tk * a->head_dim_v);
  L.total = at;
  return L;
}

#define IVIT_AT(state, off, type) ((type *)(void *)((unsigned char *)(state) + (off)))

int64_t ivit_state_bytes(const attn_args *a) { return ivit_layout_of(a).total; }

/* Per thread: E (int64), accumulators then logits (int32), outputs O (int64), visibility (bytes),
   P.V (int64), the ShiftExp table (int64). */
int64_t ivit_scratch_floats(const attn_args *a) {
  const int64_t tk = a->tk;
  return (2 * IVIT_ALIGN(8 * tk) + IVIT_ALIGN(4 * tk) + IVIT_ALIGN(tk) + IVIT_ALIGN(8 * (int64_t)a->head_dim_v) +
          8 * IVIT_LUT) / 4;
}

static int ivit_cfg_of(const attn_args *a, ivit_cfg *c) {
  if (a->n_params != IVIT_N_PARAMS || !a->params) return 0;
  const float *p = a->params;
  for (int x = 0; x < IVIT_N_PARAMS; x++) /* small integers only; the range test first, as */
    if (!(p[x] >= -64.0f && p[x] <= 64.0f) || p[x] != (float)(int32_t)p[x]) return 0; /* NaN -> int traps on wasm */
  c->per_head = (int)p[0]; c->bits = (int)p[1]; c->logit_bits = (int)p[2]; c->n = (int)p[3];
  c->out_bits = (int)p[4]; c->tvm = (int)p[5]; c->half_up = (int)p[6];
  if ((c->per_head != 0 && c->per_head != 1) || c->bits < 2 || c->bits > 8 || c->logit_bits < 2 ||
      c->logit_bits > 16 || c->n < 1 || c->n > 30 || c->out_bits < 2 || c->out_bits > 16 ||
      (c->tvm != 0 && c->tvm != 1) || (c->half_up != 0 && c->half_up != 1))
    return 0;
  c->top = ((int64_t)1 << (c->logit_bits - 1)) - 1;
  return 1;
}

/* round(x) with ties to even (torch.round), for |x| < 2^62, by the reference's floor steps. */
static int64_t ivit_round_half_even(double x) {
  int64_t f = integer_floor(x);
  double r = x - (double)f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return (f & 1) ? f + 1 : f;
}

/* Symmetric scale of values [from, to): max|x| / (2^(bits-1) - 1), at least float32 eps. */
static int ivit_scale(const float *x, int64_t from, int64_t to, int bits, double *scale) {
  float max = 0.0f;
  for (int64_t i = from; i < to; i++) {
    float v = x[i] < 0.0f ? -x[i] : x[i];
    if (!(v <= 3.4028234663852886e38f)) return 0; /* NaN or inf */
    max = v > max ? v : max;
  }
  double s = (double)max / (double)(((int64_t)1 << (bits - 1)) - 1);
  *scale = s > INTEGER_MIN_SCALE ? s : INTEGER_MIN_SCALE;
  return 1;
}

/* Quantizes a [heads, per_head] tensor: scales[heads] out, ints clamped to the signed width. */
static int ivit_quantize_tensor(const float *x, int64_t heads, int64_t per_head, const ivit_cfg *c,
                                double *scales, int8_t *ints) {
  const int64_t hi = ((int64_t)1 << (c->bits - 1)) - 1, lo = -hi - 1;
  double shared = 0.0;
  if (!c->per_head && !ivit_scale(x, 0, heads * per_head, c->bits, &shared)) return 0;
  for (int64_t h = 0; h < heads; h++) {
    if (c->per_head) {
      if (!ivit_scale(x, h * per_head, (h + 1) * per_head, c->bits, &scales[h])) return 0;
    } else {
      scales[h] = shared;
    }
    const double s = scales[h];
    for (int64_t i = h * per_head; i < (h + 1) * per_head; i++) {
      int64_t v = ivit_round_half_even((double)x[i] / s);
      ints[i] = (int8_t)(v < lo ? lo : v > hi ? hi : v);
    }
  }
  return 1;
}

int32_t ivit_quantize(const attn_args *a, void *state) {
  ivit_cfg c;
  if (!ivit_cfg_of(a, &c)) return ATTN_E_PARAMS;
  if (a->softcap > 0.0f) return IVIT_E_SOFTCAP;
  const ivit_layout L = ivit_layout_of(a);
  const int64_t qh = a->q_heads, kvh = a->kv_heads;
  double *sq = IVIT_AT(state, L.scales, double), *sk = sq + qh, *sv = sk + kvh;
  if (!ivit_quantize_tensor(a->q, qh, (int64_t)a->tq * a->head_dim, &c, sq, IVIT_AT(state, L.qi, int8_t)) ||
      !ivit_quantize_tensor(a->k, kvh, (int64_t)a->tk * a->head_dim, &c, sk, IVIT_AT(state, L.ki, int8_t)) ||
      !ivit_quantize_tensor(a->v, kvh, (int64_t)a->tk * a->head_dim_v, &c, sv, IVIT_AT(state, L.vi, int8_t)))
    return IVIT_E_NONFINITE;
  double *acc_scale = IVIT_AT(state, L.acc_scale, double);
  for (int32_t h = 0; h < a->q_heads; h++) acc_scale[h] = sq[h] * sk[attn_kv_head(a, h)] * (double)a->scale;
  return ATTN_OK;
}

/* The accumulator of a bias: round half up of bias / acc_scale, clamped far outside +-2^31. */
static int64_t ivit_bias_int(float bias, double acc_scale) {
  double r = (double)bias / acc_scale;
  if (r >= 4294967296.0) return 4294967296LL;
  if (r <= -4294967296.0) return -4294967296LL;
  int64_t f = integer_floor(r);
  return r - (double)f >= 0.5 ? f + 1 : f;
}

/*
 * The accumulators of row i of head h: acc[j] = clamp(Q_i.K_j + bias, +-(2^31-1)), vis[j] = 1 for
 * visible keys (causal, streaming, bias != -inf), 0 otherwise (acc 0). Returns the largest visible
 * |acc|, or -1 for a NaN / +inf bias.
 */
static int64_t ivit_row_acc(const attn_args *a, const void *state, const ivit_layout *L, int32_t h,
                            int32_t i, int32_t *acc, uint8_t *vis) {
  const int32_t tk = a->tk, d = a->head_dim, kvh = attn_kv_head(a, h);
  const int8_t *q = IVIT_AT(state, L->qi, const int8_t) + ((int64_t)h * a->tq + i) * d;
  const int8_t *kbase = IVIT_AT(state, L->ki, const int8_t) + (int64_t)kvh * tk * d;
  const double acc_scale = IVIT_AT(state, L->acc_scale, const double)[h];
  const float *bias = a->bias ? a->bias + (((int64_t)(a->bias_heads == 1 ? 0 : h) * a->tq + i) * tk) : 0;
  int32_t se, lo, hi;
  attn_row_keys(a, i, &se, &lo, &hi);
  int64_t max = 0;
  for (int32_t j = 0; j < tk; j++) {
    acc[j] = 0;
    vis[j] = (uint8_t)(j < se || (j >= lo && j < hi));
  }
  for (int32_t j = 0; j < tk; j++) {
    if (!vis[j]) continue;
    int64_t b = 0;
    if (bias) {
      float x = bias[j];
      if (x == -ATTN_INF) { vis[j] = 0; continue; }
      if (!(x <= 3.4028234663852886e38f)) return -1; /* NaN or +inf */
      b = ivit_bias_int(x, acc_scale);
    }
    const int8_t *k = kbase + (int64_t)j * d;
    int32_t dot = 0;
    for (int32_t c = 0; c < d; c++) dot += (int32_t)q[c] * (int32_t)k[c];
    int64_t s = (int64_t)dot + b;
    s = s > IVIT_INT31 ? IVIT_INT31 : s < -IVIT_INT31 ? -IVIT_INT31 : s;
    acc[j] = (int32_t)s;
    int64_t m = s < 0 ? -s : s;
    max = m > max ? m : max;
  }
  return max;
}

static int32_t ivit_item_rows(const attn_args *a, int32_t item, int32_t *h, int32_t *i0, int32_t *i1) {
  const int32_t blocks = (a->tq + a->row_block - 1) / a->row_block;
  if (item < 0 || item >= a->q_heads * blocks) return 0;
  *h = item / blocks;
  *i0 = (item % blocks) * a->row_block;
  *i1 = *i0 + a->row_block < a->tq ? *i0 + a->row_block : a->tq;
  return 1;
}

/* The scratch regions of a thread: E, accumulators/logits, outputs, visibility, P.V, table. */
typedef struct ivit_scratch {
  int64_t *e, *o, *pv, *lut;
  int32_t *acc;
  uint8_t *vis;
} ivit_scratch;

static ivit_scratch ivit_scratch_of(const attn_args *a, attn_thread *t) {
  const int64_t tk = a->tk;
  unsigned char *at = (unsigned char *)t->scratch;
  ivit_scratch s;
  s.e = (int64_t *)(void *)at; at += IVIT_ALIGN(8 * tk);
  s.acc = (int32_t *)(void *)at; at += IVIT_ALIGN(4 * tk);
  s.o = (int64_t *)(void *)at; at += IVIT_ALIGN(8 * tk);
  s.vis = at; at += IVIT_ALIGN(tk);
  s.pv = (int64_t *)(void *)at; at += IVIT_ALIGN(8 * (int64_t)a->head_dim_v);
  s.lut = (int64_t *)(void *)at;
  return s;
}

int32_t ivit_logit_max(const attn_args *a, void *state, attn_thread *t, int32_t begin, int32_t end) {
  if (t->scratch_len < ivit_scratch_floats(a)) return ATTN_E_SCRATCH;
  const ivit_layout L = ivit_layout_of(a);
  const ivit_scratch s = ivit_scratch_of(a, t);
  int64_t *item_max = IVIT_AT(state, L.item_max, int64_t);
  for (int32_t item = begin; item < end; item++) {
    int32_t h, i0, i1;
    if (!ivit_item_rows(a, item, &h, &i0, &i1)) return ATTN_E_RANGE;
    int64_t max = 0;
    for (int32_t i = i0; i < i1; i++) {
      int64_t m = ivit_row_acc(a, state, &L, h, i, s.acc, s.vis);
      if (m < 0) return IVIT_E_NONFINITE;
      max = m > max ? m : max;
    }
    item_max[item] = max;
  }
  return ATTN_OK;
}

/* frexp of a positive finite double: x = mant * 2^exp, mant in [0.5, 1). */
static double ivit_frexp(double x, int32_t *exp) {
  union { double d; uint64_t u; } v;
  int32_t shift = 0;
  v.d = x;
  if (((v.u >> 52) & 0x7ff) == 0) { v.d = x * 18014398509481984.0; shift = 54; } /* subnormal: x 2^54 */
  const int32_t e = (int32_t)((v.u >> 52) & 0x7ff);
  *exp = e - 1022 - shift;
  v.u = (v.u & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1022 << 52);
  return v.d;
}

int32_t ivit_dyadic(double ratio, int64_t *m, int64_t *k) {
  if (!(ratio > 0.0) || ratio > 1.7976931348623157e308) { *m = 0; *k = 0; return IVIT_E_RATIO; }
  /* spec 2.2: (mant, exp) = frexp(ratio), M = round_half_up(mant 2^31), k = 31 - exp */
  int32_t e;
  const double mant = ivit_frexp(ratio, &e);
  int64_t mm = integer_floor(mant * 2147483648.0 + 0.5);
  int64_t kk = 31 - e;
  if (mm == 2147483648LL) { mm = 1073741824LL; kk -= 1; }
  *m = mm;
  *k = kk;
  return ATTN_OK;
}

void ivit_logit_scales(const attn_args *a, void *state) {
  ivit_cfg c;
  if (!ivit_cfg_of(a, &c)) return;
  const ivit_layout L = ivit_layout_of(a);
  const int32_t qh = a->q_heads, blocks = (a->tq + a->row_block - 1) / a->row_block;
  double *logit = IVIT_AT(state, L.scales, double) + qh + 2 * a->kv_heads;
  const double *acc_scale = IVIT_AT(state, L.acc_scale, const double);
  const int64_t *item_max = IVIT_AT(state, L.item_max, const int64_t);
  int64_t *dy_m = IVIT_AT(state, L.dy_m, int64_t), *dy_k = IVIT_AT(state, L.dy_k, int64_t);
  int64_t *x0 = IVIT_AT(state, L.x0, int64_t);
  double tensor_max = 0.0;
  for (int32_t h = 0; h < qh; h++) {
    int64_t m = 0;
    for (int32_t b = 0; b < blocks; b++) m = item_max[h * blocks + b] > m ? item_max[h * blocks + b] : m;
    logit[h] = (double)m * acc_scale[h]; /* the head's largest |logit| as a real */
    tensor_max = logit[h] > tensor_max ? logit[h] : tensor_max;
  }
  for (int32_t h = 0; h < qh; h++) {
    double s = (c.per_head ? logit[h] : tensor_max) / (double)c.top;
    logit[h] = s > INTEGER_MIN_SCALE ? s : INTEGER_MIN_SCALE;
    ivit_dyadic(acc_scale[h] / logit[h], &dy_m[h], &dy_k[h]); /* acc_scale / logit scale > 0, finite */
    x0[h] = c.tvm ? (int64_t)(-1.0 / logit[h] - 1.0) : integer_floor(-1.0 / logit[h]);
  }
}

int64_t ivit_requantize(int64_t z, int64_t m, int64_t k, int32_t half_up) {
  const int64_t p = z * m;
  if (k <= 0) return p > 0 ? IVIT_INT31 : p < 0 ? -IVIT_INT31 : 0; /* |p| >= 2^30: saturates */
  if (k >= 63) return 0;                                            /* |p| < 2^62 <= 2^k / 2 */
  const int64_t q = integer_floor_shift(p, (int)k);
  const int64_t r = p - q * ((int64_t)1 << k);
  const int64_t half = (int64_t)1 << (k - 1);
  if (r > half) return q + 1;
  if (r < half) return q;
  return half_up || (q & 1) ? q + 1 : q;
}

int32_t ivit_run(const attn_args *a, void *state, attn_thread *t, int32_t begin, int32_t end) {
  ivit_cfg c;
  if (!ivit_cfg_of(a, &c)) return ATTN_E_PARAMS;
  if (t->scratch_len < ivit_scratch_floats(a)) return ATTN_E_SCRATCH;
  const ivit_layout L = ivit_layout_of(a);
  const int32_t tk = a->tk, tq = a->tq, dv = a->head_dim_v, qh = a->q_heads;
  const double *sv = IVIT_AT(state, L.scales, const double) + qh + a->kv_heads;
  const int64_t *dy_m = IVIT_AT(state, L.dy_m, const int64_t), *dy_k = IVIT_AT(state, L.dy_k, const int64_t);
  const int64_t *x0s = IVIT_AT(state, L.x0, const int64_t);
  const ivit_scratch s = ivit_scratch_of(a, t);
  int64_t *e = s.e, *lut = s.lut, *o = s.o, *pv = s.pv;
  int32_t *acc = s.acc;
  uint8_t *vis = s.vis;
  const shiftmax_cfg sm = {c.n, c.out_bits, c.tvm, c.tvm, 31};
  const int64_t top31 = IVIT_INT31, shift = 31 - (c.out_bits - 1), span = 2 * c.top + 1;
  const double unit = 1.0 / (double)((int64_t)1 << (c.out_bits - 1));
  const int use_lut = span < IVIT_LUT;
  for (int32_t item = begin; item < end; item++) {
    int32_t h, i0, i1;
    if (!ivit_item_rows(a, item, &h, &i0, &i1)) return ATTN_E_RANGE;
    const int32_t kvh = attn_kv_head(a, h);
    const int8_t *vbase = IVIT_AT(state, L.vi, const int8_t) + (int64_t)kvh * tk * dv;
    const double out_unit = unit * sv[kvh];
    const int64_t x0 = x0s[h];
    if (use_lut)
      for (int64_t d = 0; d <= span; d++) lut[d] = integer_shift_exp(-d, x0, &sm);
    float *cap = 0;
    if (a->capture_index && a->capture_index[h] >= 0)
      cap = a->capture + (int64_t)a->capture_index[h] * tq * tk;
    for (int32_t i = i0; i < i1; i++) {
      float *out = a->out + ((int64_t)h * tq + i) * dv;
      float *caprow = cap ? cap + (int64_t)i * tk : 0;
      a->invalid_rows[(int64_t)h * tq + i] = 0;
      if (ivit_row_acc(a, state, &L, h, i, acc, vis) < 0) return IVIT_E_NONFINITE;
      int32_t any = 0;
      int64_t m = -c.top - 1;
      for (int32_t j = 0; j < tk; j++) {
        if (!vis[j]) { acc[j] = 0; continue; }
        int64_t v = ivit_requantize(acc[j], dy_m[h], dy_k[h], c.half_up);
        v = v > c.top ? c.top : v < -c.top - 1 ? -c.top - 1 : v;
        acc[j] = (int32_t)v; /* now the Shiftmax input I_j */
        m = v > m ? v : m;
        any = 1;
      }
      for (int32_t x = 0; x < dv; x++) out[x] = 0.0f;
      if (caprow)
        for (int32_t j = 0; j < tk; j++) caprow[j] = 0.0f;
      if (!any) continue;
      int64_t sum = 0;
      for (int32_t j = 0; j < tk; j++) {
        e[j] = !vis[j] ? 0 : use_lut ? lut[m - acc[j]] : integer_shift_exp(acc[j] - m, x0, &sm);
        sum += e[j];
        if (sum > top31) sum = top31; /* the reference clamps the total: same value */
      }
      const int64_t f = top31 / sum;
      int64_t row_sum = 0;
      for (int32_t j = 0; j < tk; j++) {
        o[j] = (e[j] * f) >> shift; /* non-negative; beyond 2^(out_bits-1) only when sum E was clamped */
        row_sum += o[j];
      }
      for (int32_t x = 0; x < dv; x++) pv[x] = 0;
      double ent = 0.0;
      for (int32_t j = 0; j < tk; j++) {
        if (!vis[j]) continue;
        const int64_t p = o[j];
        if (p > 0) {
          const int8_t *v = vbase + (int64_t)j * dv;
          for (int32_t x = 0; x < dv; x++) pv[x] += p * (int64_t)v[x];
          const float w = (float)p / (float)row_sum;
          ent -= (double)w * (double)attn_logf(w);
        }
        const float weight = (float)((double)p * unit);
        if (a->instrument) {
          t->key_sum[(int64_t)h * tk + j] += weight;
          t->key_count[(int64_t)h * tk + j] += 1.0f;
        }
        if (caprow) caprow[j] = weight;
      }
      for (int32_t x = 0; x < dv; x++) out[x] = (float)((double)pv[x] * out_unit);
      t->entropy_sum[h] += ent;
      t->entropy_rows[h] += 1.0;
    }
  }
  return ATTN_OK;
}

int32_t ivit_attention(const attn_args *a, void *state, attn_thread *t) {
  int32_t s = ivit_quantize(a, state);
  if (s != ATTN_OK) return s;
  s = ivit_logit_max(a, state, t, 0, attn_items(a));
  if (s != ATTN_OK) return s;
  ivit_logit_scales(a, state);
  return ivit_run(a, state, t, 0, attn_items(a));
}

const char *ivit_error_text(int32_t status) {
  switch (status) {
    case IVIT_E_NONFINITE: return "ivit: a Q, K or V value or a bias is NaN or infinite; the fp32 run already overflowed";
    case IVIT_E_SOFTCAP: return "ivit: the integer path has no tanh softcap; run this model with the fp32 variants or the int8 fake-quant path";
    case IVIT_E_RATIO: return "dyadic: the scale ratio must be a positive finite number; check both scales";
    case ATTN_E_PARAMS: return "ivit: bad parameters (per_head 0|1, bits 2..8, logit bits 2..16, n 1..30, out bits 2..16, tvm 0|1, half_up 0|1)";
    default: return attn_error_text(status);
  }
}
