/*
 * softmax.c - the tiled family: weights e^{s_j - m} / l over a row, computed tile by tile, and the
 * elementwise weights that share its tiles.
 *   softmax       l = sum_j e^{s_j - m}, m = row max                               (spec 7)
 *   softmax1      an extra slot of logit 0 and value 0: m = max(0, max s)          (spec 6.2)
 *   sink-logit    an extra slot of logit params[h] (head h, not scaled), value 0    (spec 6.4)
 *   unified-max   m = phi (params[0]) fixed, per-split partial sums (split = params[3] keys)
 *                 added at the end; a row with any visible s - phi <= a_g (params[1]) or
 *                 >= b_g (params[2]), or whose sum is not finite and > 0, is recomputed with
 *                 its own max and counted                                         (spec 4.1)
 *   sigmoid       w_j = sigmoid(s_j + b), b = params[0] (NaN: -ln tk), no normalizer (spec 6.3)
 *   elu1          w_j = elu(s_j) + 1 (s_j > 0 ? s_j + 1 : e^{s_j}); params[0] = 1 divides by the
 *                 row sum + 1e-8 (Gu et al.'s code)                                (spec 1.3 #4)
 *   sigmoid-norm  w_j = sigmoid(s_j) / (sum_k sigmoid(s_k) + 1e-8)                 (Gu et al. #3)
 *   softplus-norm w_j = softplus(s_j) / (sum_k softplus(s_k) + eps), eps = params[0] >= 0; a row
 *                 whose denominator is 0 outputs 0, one whose float32 sum is not finite is invalid
 *                 (torch's threshold 20 is exact here: above it x + log1p(e^-x) rounds to x)
 *   shiftmax      I-ViT integer Shiftmax on the tile's logits (integer.c's header gives the steps
 *                 and params), bit-exact: int8 quantization, ShiftExp through a table of the 256
 *                 possible I - max I per x0 (cached per thread), integer division; only P V is float
 *   lssa, lssar   rownorm.c's rows (its header gives the formulas and params) on the tile's raw
 *                 Q K^T: cos = q.k / (|q| |k|) with |k| per key of the cached kv head, lambda per
 *                 row, the bias added to the softplus argument; LSSAR re-weights the row after
 *                 (scale and softcap do not apply to these two)
 *   soft-gauss    gauss.c's map e^{-|q - k|^2 / (2 sqrt d) + bias}, unnormalized, with
 *                 |q - k|^2 = |q|^2 + |k|^2 - 2 q.k from the raw tile (rows whose |q|^2 or |k|^2
 *                 reach 1e30 take the exact difference); statistics on the proxy map
 * The statistics use the weights as produced (softmax1/sink-logit rows sum to < 1), except for
 * sigmoid and unnormalized elu1, whose rows have no fixed sum: those use the proxy map w / sum(w)
 * of spec 1.1. Oracles: runtime/kernels/reference/{softmax,elementwise,softplusNorm,
 * lssa,shiftmax}.ts.
 *
 * Native builds carry three instantiations of softmax_tile.h (AVX-512, AVX2+FMA, SSE2) and pick one
 * at run time with __builtin_cpu_supports; the WASM build carries one (simd128).
 */
#include "attn.h"
#include "math.h"
#include "shiftexp.h"

/* Block geometry shared by scratch_floats() and the tile bodies. */
typedef struct softmax_plan {
  int32_t rows_padded; /* room for row_block rounded up to the register tile rows */
  int32_t keys_padded; /* tk rounded up to 64 */
} softmax_plan;

/* The elementwise maps of phase 2 (softmax_tile.h row_elementwise). */
enum softmax_map { SOFTMAX_MAP_ELU1 = 0, SOFTMAX_MAP_SIGMOID = 1, SOFTMAX_MAP_SOFTPLUS = 2 };

/* ln(1 + y) for y >= 0: a series where 1 + y would round y away, attn_logf elsewhere. */
static inline float softmax_log1p(float y) {
  if (y < 1e-3f) return y * (1.0f - y * (0.5f - y * (1.0f / 3.0f)));
  return attn_logf(1.0f + y);
}

/* softplus(x) = ln(1 + e^x) without overflow (the steps of rownorm.c). */
static inline float softmax_softplus(float x) {
  return x > 0.0f ? x + softmax_log1p(attn_expf(-x)) : softmax_log1p(attn_expf(x));
}

/* shiftmax: ShiftExp tables cached per thread across the work items of a call, one per x0
   (direct-mapped on x0; per-row scales give a few hundred x0 values per head at T = 1024) */
#define SOFTMAX_SHIFT_SLOTS 128
#define SOFTMAX_SHIFT_HIDDEN (-1000) /* I of a hidden key: max I - I > 255 -> table entry 256 (0) */

/* Shiftmax's parameters as integers, and the thread's table cache (in its scratch). */
typedef struct softmax_shift {
  shiftmax_cfg c;
  double fixed_scale; /* 0: per row, max |s| / 127 */
  int64_t top;        /* 2^M - 1 */
  int shift;          /* O = (E f) >> shift */
  float unit;         /* 2^-(bits - 1) */
  double inv_pow_shift; /* 2^-shift */
  int32_t iq_len;     /* floats of the row's I before the row's weight table (257 floats) */
  int64_t *lut;       /* [SOFTMAX_SHIFT_SLOTS][257]: ShiftExp(-d) for d = max I - I in 0..255, */
                      /*   then 0 (hidden keys) */
  int64_t *lut_x0;    /* [SOFTMAX_SHIFT_SLOTS]: the x0 of each table (0: empty; x0 <= -1) */
} softmax_shift;

/* Reads shiftmax's params (checked by softmax_run); the cache lives at `mem` (8-byte aligned) and
   is emptied when the scratch is fresh (else it holds this call's tables: same params). */
static void softmax_shift_init(softmax_shift *x, const attn_args *a, int64_t *mem, int fresh) {
  const float *pr = a->params;
  x->c = (shiftmax_cfg){(int32_t)pr[1], (int32_t)pr[2], pr[3] != 0.0f, pr[4] != 0.0f, (int32_t)pr[5]};
  x->fixed_scale = pr[0] > 0.0f
      ? ((double)pr[0] > INTEGER_MIN_SCALE ? (double)pr[0] : INTEGER_MIN_SCALE) : 0.0;
  x->top = ((int64_t)1 << x->c.div) - 1;
  x->shift = x->c.div - (x->c.bits - 1);
  x->unit = 1.0f / (float)(1 << (x->c.bits - 1));
  x->inv_pow_shift = 1.0;
  for (int i = 0; i < x->shift; i++) x->inv_pow_shift *= 0.5;
  x->iq_len = (a->tk + 63) / 64 * 64 + 16;
  x->lut = mem;
  x->lut_x0 = mem + SOFTMAX_SHIFT_SLOTS * 257;
  if (fresh)
    for (int i = 0; i < SOFTMAX_SHIFT_SLOTS; i++) x->lut_x0[i] = 0;
}

#define SOFTMAX_RT_MAX 8
#define SOFTMAX_TW_MAX 64

static softmax_plan softmax_plan_for(const attn_args *a) {
  softmax_plan p;
  p.rows_padded = a->row_block + 16; /* >= row_block rounded up to any RT <= 8, or to 16 (AMX) */
  p.keys_padded = (a->tk + 63) / 64 * 64;
  return p;
}

/* AMX: 1 while calls use softmax_amx.h's products: the binding has the OS's permission for the
   tile registers on a CPU with AMX-BF16 (attn_softmax_enable_amx) and the instruction set is not
   capped (attn_softmax_cap_isa). Read by the AVX-512 instantiation. */
static int softmax_amx_use = 0;

static int64_t softmax_scratch(const attn_args *a) {
  softmax_plan p = softmax_plan_for(a);
  int64_t dvp = (a->head_dim_v + SOFTMAX_TW_MAX - 1) / SOFTMAX_TW_MAX * SOFTMAX_TW_MAX;
  return (int64_t)a->head_dim * (p.keys_padded + 16) + (int64_t)p.rows_padded * a->head_dim +
         (int64_t)p.rows_padded * (p.keys_padded + 16) + (int64_t)p.rows_padded * dvp +
         13 * (int64_t)p.rows_padded + (p.keys_padded + 17) + 64 * dvp + 16 +
         /* shiftmax: I of a row (int32), then the table cache (int64, 8-byte aligned) */
         (p.keys_padded + 16) + 528 + 2 * (SOFTMAX_SHIFT_SLOTS * 258) + 2 +
         /* lssa: |k_j|^2 and |k_j| of the cached kv head */
         2 * (int64_t)(p.keys_padded + 16) +
         /* AMX (softmax_amx.h), only while it is on: the three bf16 parts of K and V of the cached
            kv head, of the block's Q rows and of 16 rows of P, 64-byte aligned */
         (softmax_amx_use ? (3 * (int64_t)p.keys_padded * (a->head_dim + a->head_dim_v) +
                             3 * (int64_t)p.rows_padded * a->head_dim + 3 * 16 * (int64_t)(p.keys_padded + 32)) / 2 + 64
                          : 0);
}

#if defined(__x86_64__) && !defined(__wasm__)

#include <immintrin.h> /* compiler intrinsics (no libc): max/min and scalef where they fit */

#if (defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11)
#define SOFTMAX_HAVE_AMX 1 /* the compiler has the AMX intrinsics */
#endif

#define SFX(name) name##_avx512
#define VW 16
#define RT 6
#define NV 4
#pragma GCC push_options
#ifdef SOFTMAX_HAVE_AMX
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx512bf16,avx2,fma,amx-tile,amx-bf16")
#else
#pragma GCC target("avx512f,avx512vl,avx512dq,avx2,fma")
#endif
#include "softmax_tile.h"
#pragma GCC pop_options
#undef SFX
#undef VW
#undef RT
#undef NV

#define SFX(name) name##_avx2
#define VW 8
#define RT 6
#define NV 2
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "softmax_tile.h"
#pragma GCC pop_options
#undef SFX
#undef VW
#undef RT
#undef NV

#define SFX(name) name##_sse
#define VW 4
#define RT 4
#define NV 2
#include "softmax_tile.h"
#undef SFX
#undef VW
#undef RT
#undef NV

typedef int32_t (*softmax_items_fn)(const attn_args *, attn_thread *, int32_t, int32_t,
                                     const softmax_plan *);

/* 0: the best the CPU has; 1, 2, 3: at most AVX-512 (FMA tiles, no AMX), AVX2, SSE2 (tests run
   every path). */
static int softmax_isa_cap = 0;

static softmax_items_fn softmax_pick(void) {
  __builtin_cpu_init();
  if (softmax_isa_cap <= 1 && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return softmax_items_avx512;
  if (softmax_isa_cap <= 2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return softmax_items_avx2;
  return softmax_items_sse;
}

static int softmax_amx_on = 0; /* the binding's permission (attn_softmax_enable_amx) */

/* 1 when calls use the AMX products (softmax_amx.h) for the variants and shapes they take. */
static int softmax_amx_active(void) { return softmax_amx_use; }

static void softmax_amx_update(void) {
#ifdef SOFTMAX_HAVE_AMX
  softmax_amx_use = softmax_amx_on && softmax_isa_cap == 0 && __builtin_cpu_supports("avx512bw") &&
                    __builtin_cpu_supports("avx512bf16") &&
                    softmax_pick() == softmax_items_avx512;
#endif
}

/* Told by the binding once the process may use the AMX tile registers (Linux: arch_prctl
   ARCH_REQ_XCOMP_PERM granted) on a CPU with AMX-TILE and AMX-BF16; on = 0 turns the path off.
   Returns whether calls now use it. Not thread-safe: set it between calls. */
int attn_softmax_enable_amx(int on) {
  softmax_amx_on = on != 0;
  softmax_amx_update();
  return softmax_amx_active();
}

/* Whether calls use AMX now (the binding picks row blocks of 16-row multiples then). */
int attn_softmax_uses_amx(void) { return softmax_amx_active(); }

/* The instruction set the native build uses on this CPU (for the bench and the notice). */
const char *attn_softmax_isa(void) {
  softmax_items_fn f = softmax_pick();
  if (f == softmax_items_avx512) return softmax_amx_active() ? "avx512+amx" : "avx512";
  return f == softmax_items_avx2 ? "avx2" : "sse2";
}

/* Caps the instruction set (see softmax_isa_cap); not thread-safe: set it between calls. */
void attn_softmax_cap_isa(int cap) {
  softmax_isa_cap = cap;
  softmax_amx_update();
}

#else /* wasm32 (+simd128) or another architecture: one portable instantiation */

#if defined(__wasm_simd128__)
#include <wasm_simd128.h> /* compiler intrinsics (no libc): pmax/pmin and bitselect */
#endif

#define SFX(name) name##_portable
#define VW 4
#ifndef ATTN_PORTABLE_RT /* register tile of the portable build; -D overrides for experiments */
#define ATTN_PORTABLE_RT 4
#define ATTN_PORTABLE_NV 2
#endif
#define RT ATTN_PORTABLE_RT
#define NV ATTN_PORTABLE_NV
#include "softmax_tile.h"
#undef SFX
#undef VW
#undef RT
#undef NV
#define softmax_pick() softmax_items_portable

const char *attn_softmax_isa(void) { return "simd128"; }
int attn_softmax_enable_amx(int on) { (void)on; return 0; }
int attn_softmax_uses_amx(void) { return 0; }

#endif

static int32_t softmax_run(const attn_args *a, attn_thread *t, int32_t begin, int32_t end) {
  switch (a->variant) {
    case ATTN_SOFTMAX: case ATTN_SOFTMAX1: break;
    case ATTN_SINK_LOGIT: if (a->n_params != a->q_heads) return ATTN_E_PARAMS; break;
    case ATTN_UNIFIED_MAX:
      if (a->n_params < 4 || !(a->params[1] < a->params[2]) || !(a->params[3] >= 1.0f))
        return ATTN_E_PARAMS;
      break;
    case ATTN_SIGMOID: case ATTN_ELU1: if (a->n_params < 1) return ATTN_E_PARAMS; break;
    case ATTN_SIGMOID_NORM: case ATTN_SOFT_GAUSS: break;
    case ATTN_LSSA: case ATTN_LSSAR: {
      const int lssar = a->variant == ATTN_LSSAR;
      if (a->n_params < (lssar ? 3 : 1)) return ATTN_E_PARAMS;
      const float dim = a->params[0] == a->params[0] ? a->params[0] : (float)a->head_dim;
      if (!(dim >= 1.0f)) return ATTN_E_PARAMS;
      if (lssar && (!(a->params[1] >= 0.0f) || !(a->params[2] >= 0.0f) || a->params[2] > 2147483647.0f))
        return ATTN_E_PARAMS;
      break;
    }
    case ATTN_SHIFTMAX:
      if (a->n_params < 6 || !(a->params[1] >= 1.0f && a->params[1] <= 30.0f) ||
          ((int32_t)a->params[2] != 8 && (int32_t)a->params[2] != 16) ||
          !(a->params[5] >= 16.0f && a->params[5] <= 52.0f))
        return ATTN_E_PARAMS;
      break;
    case ATTN_SOFTPLUS_NORM:
      if (a->n_params < 1 || !(a->params[0] >= 0.0f) || a->params[0] - a->params[0] != 0.0f)
        return ATTN_E_PARAMS;
      break;
    default: return ATTN_E_VARIANT;
  }
  if (t->scratch_len < softmax_scratch(a)) return ATTN_E_SCRATCH;
  softmax_plan p = softmax_plan_for(a);
  return softmax_pick()(a, t, begin, end, &p);
}

const attn_family attn_family_softmax = {"softmax", softmax_scratch, softmax_run};
