/*
 * integer.c - the integer-only family: I-ViT Shiftmax (spec 2.3, 2.8), bit-exact with the TS
 * reference (runtime/kernels/reference/shiftmax.ts) for the same float logits.
 *   shiftmax  I_j = clamp(round_half_even(s_j / S), -128, 127) over the visible keys, then
 *             E_j = ShiftExp(I_j - max I), f = (2^M - 1) / min(sum E, 2^M - 1),
 *             O_j = (E_j * f) >> (M - (bits - 1)),  w_j = O_j * 2^-(bits - 1).
 *   params: [0] S (NaN or <= 0: per row, max |s| / 127; always >= 2^-23), [1] n (1..30),
 *           [2] bits (8 or 16), [3] x0 convention (0 QAT floor(-1/S), 1 TVM trunc(-1/S - 1)),
 *           [4] ShiftExp form (0 QAT floor((r/2 - x0) 2^(n-q)), 1 TVM ((r >> 1) - x0) << (n-q)),
 *           [5] M, bits of the reciprocal (16..52; QAT 31).
 * Everything after the quantization is exact int64 arithmetic: |x0| <= 2^23 + 1, so E < 2^55 and
 * E * f <= 2^M. Only non-negative values are shifted (a right shift of a negative integer is
 * implementation-defined in C): floors of negative ones go through ~a. The scale S and the
 * quantization divide in double, as the reference does. Rows sum to about 1, not exactly: the
 * statistics use the dequantized weights as they are.
 * The registry routes shiftmax to the tiled kernel (softmax.c), which shares shiftexp.h and gives
 * the same weights bit for bit from the same logits; this row form stays as its cross-check.
 */
#include "attn.h"
#include "math.h"
#include "rowdot.h"
#include "shiftexp.h"

static int64_t integer_scratch(const attn_args *a) {
  /* logits and weights of a row group, then E (tk int64, 2 floats each), the ShiftExp table (256
     int64), I (tk int32), the group's active keys (tk int32), the transposed keys */
  return (2 * ROWDOT_GROUP + 4) * (int64_t)a->tk + 512 + rowdot_keys_floats(a);
}

typedef struct integer_ctx {
  shiftmax_cfg c;
  double fixed_scale; /* 0: per row */
  int64_t top;
  int shift; /* O = (E f) >> shift */
  float unit;
  int64_t *e, *lut;
  int32_t *iq;
} integer_ctx;

ROWDOT_CLONES static int integer_row(const attn_args *a, void *vctx, int32_t h, int32_t i, float *s, float *w,
                       int32_t *end, float *stat_scale) {
  integer_ctx *x = (integer_ctx *)vctx;
  int32_t n, tk;
  int64_t *e = x->e;
  if (rowdot_logits_from_dots(a, h, i, s, &n, &tk)) return -1; /* tk: this row's key end */
  *end = tk;
  if (n == 0) return 0;
  double scale = x->fixed_scale;
  if (scale == 0.0) {
    float max_abs = 0.0f;
    for (int32_t j = 0; j < tk; j++) {
      float v = s[j] < 0.0f ? -s[j] : s[j];
      if (s[j] != -ATTN_INF && v > max_abs) max_abs = v;
    }
    scale = (double)max_abs / 127.0;
    if (scale < INTEGER_MIN_SCALE) scale = INTEGER_MIN_SCALE;
  }
  const int64_t x0 = x->c.x0_tvm ? (int64_t)(-1.0 / scale - 1.0) : integer_floor(-1.0 / scale);
  /* I_j = clamp(round_half_even(s_j / S), -128, 127): adding and subtracting 1.5 * 2^52 rounds a
     double of magnitude < 2^51 to the nearest integer, ties to even (IEEE default rounding), with
     no branch, so this loop vectorizes. Hidden keys get -128 and are masked below. */
  int32_t m = -128;
  int32_t *iq = x->iq;
  for (int32_t j = 0; j < tk; j++) {
    double r = (double)s[j] / scale;
    r = r < -129.0 ? -129.0 : r;
    r = r > 128.0 ? 128.0 : r;
    int32_t v = (int32_t)((r + 6755399441055744.0) - 6755399441055744.0);
    v = v < -128 ? -128 : v;
    v = v > 127 ? 127 : v;
    iq[j] = v;
    m = s[j] != -ATTN_INF && v > m ? v : m;
  }
  /* ShiftExp depends only on d = I - max I in [-255, 0]: on long rows, a table of those 256 */
  int64_t sum = 0;
  if (n > 256) {
    int64_t *lut = x->lut;
    for (int32_t d = 0; d <= 255; d++) lut[d] = integer_shift_exp(-d, x0, &x->c);
    for (int32_t j = 0; j < tk; j++) {
      e[j] = s[j] == -ATTN_INF ? 0 : lut[m - iq[j]];
      sum += e[j];
      if (sum > x->top) sum = x->top; /* clamp as we go: no int64 overflow on long rows */
    }
  } else {
    for (int32_t j = 0; j < tk; j++) {
      e[j] = s[j] == -ATTN_INF ? 0 : integer_shift_exp(iq[j] - m, x0, &x->c);
      sum += e[j];
      if (sum > x->top) sum = x->top;
    }
  }
  const int64_t f = x->top / sum;
  for (int32_t j = 0; j < tk; j++) w[j] = (float)((e[j] * f) >> x->shift) * x->unit;
  *stat_scale = 1.0f;
  return 1;
}

ROWDOT_CLONES static int32_t integer_run(const attn_args *a, attn_thread *t, int32_t begin, int32_t end) {
  const int64_t tk = a->tk;
  if (a->variant != ATTN_SHIFTMAX) return ATTN_E_VARIANT;
  if (t->scratch_len < integer_scratch(a)) return ATTN_E_SCRATCH;
  if (a->n_params < 6) return ATTN_E_PARAMS;
  const float *pr = a->params;
  integer_ctx x;
  x.c = (shiftmax_cfg){(int32_t)pr[1], (int32_t)pr[2], pr[3] != 0.0f, pr[4] != 0.0f, (int32_t)pr[5]};
  if (!(pr[1] >= 1.0f && pr[1] <= 30.0f) || (x.c.bits != 8 && x.c.bits != 16) ||
      !(pr[5] >= 16.0f && pr[5] <= 52.0f))
    return ATTN_E_PARAMS;
  x.fixed_scale = pr[0] > 0.0f
      ? ((double)pr[0] > INTEGER_MIN_SCALE ? (double)pr[0] : INTEGER_MIN_SCALE) : 0.0;
  x.top = ((int64_t)1 << x.c.div) - 1;
  x.shift = x.c.div - (x.c.bits - 1);
  x.unit = 1.0f / (float)(1 << (x.c.bits - 1));
  x.e = (int64_t *)(void *)(t->scratch + 2 * ROWDOT_GROUP * tk); /* 64-byte aligned scratch */
  x.lut = x.e + tk;
  x.iq = (int32_t *)(void *)(x.lut + 256);
  rowdot_keys keys = {(float *)(void *)(x.iq + 2 * tk), -1};
  rowdot_items(a, t, begin, end, t->scratch, t->scratch + ROWDOT_GROUP * tk, x.iq + tk, &keys, integer_row, 0, &x);
  return ATTN_OK;
}

const attn_family attn_family_integer = {"integer", integer_scratch, integer_run};
