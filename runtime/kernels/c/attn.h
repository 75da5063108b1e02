/*
 * attn.h - the C ABI every attention kernel family implements.
 *
 * One call computes one attention core of one prompt (batch 1), or a part of it. The contract
 * mirrors runtime/kernels/types.ts (AttentionInput / AttentionRequest / AttentionStats):
 *
 *   Q [q_heads, tq, head_dim]   K [kv_heads, tk, head_dim]   V [kv_heads, tk, head_dim_v]
 *   O [q_heads, tq, head_dim_v]  row-major, contiguous, fp32.
 *   Query head h reads key/value head h / (q_heads / kv_heads) (GQA/MQA, no copy).
 *   Query row i sits at key position i + (tk - tq) (past keys first).
 *
 * Logit of row i, key j:  s = scale * (q_i . k_j); if softcap > 0: s = softcap * tanh(s / softcap);
 *   then s += bias[(bh * tq + i) * tk + j] (bh = 0 when bias_heads == 1, else h).
 * A key is hidden (weight exactly 0, not counted anywhere) when the causal mask or the streaming
 * window hides it, or its bias is -inf. A row where scale * (q_i . k_j) is not finite for a visible
 * key (Inf/NaN in Q or K), or whose visible logits hold NaN or +inf after the bias, is INVALID:
 * its output is 0, invalid_rows[h * tq + i] = 1, and it contributes nothing to the statistics.
 * A fully hidden row outputs 0 and is neither invalid nor counted in the statistics.
 *
 * WORK SPLIT. The core is cut into work items: item = h * n_blocks + b, n_blocks =
 * ceil(tq / row_block), item (h, b) owns query rows [b * row_block, min(tq, (b+1) * row_block)) of
 * head h. A call `run(args, thread, begin, end)` computes items [begin, end). Any number of threads
 * may call `run` concurrently on disjoint item ranges of the same args, each with its OWN
 * attn_thread: everything a row owns (its output, its invalid flag, its captured map row) is written
 * by exactly one item, and everything summed across rows (key sums, counts, entropy, counters) goes
 * to the caller's per-thread attn_thread partials, which the binding adds up after all threads
 * finish. So threads never race and nothing needs atomics.
 *
 * INSTRUMENTATION is computed inside the kernel while it computes the core (never a second pass
 * over Q/K). Families that need a row's final normalizer before they know its weights (softmax and
 * friends) process a row block in two phases inside the same work item: phase 1 computes the
 * block's logits into the thread's scratch (row_block x tk floats, sized by the binding to stay in
 * cache) and each row's max; phase 2 turns them into weights (exp, row sum) and then accumulates the
 * output (P V, scaled by 1/sum) and the key statistics on the exact final weights. Q K^T is computed
 * once; the statistics add one pass over the cached block. (Online softmax, which rescales a running
 * output per key tile, is not used: it cannot give exact per-key weights without a second Q K^T.)
 * Statistics are taken on the weights as the variant produces them, except for variants whose rows
 * do not sum to a fixed total (sigmoid, unnormalized elu1, ...): those use the proxy map of spec
 * section 1.1, w / sum(w) over the row (|w| / sum|w| if w can be negative).
 * Entropy is -sum(p log p) over the same (normalized or proxy) weights, in nats.
 *
 * FREESTANDING. Family sources include only this header and math.h (no libc); the same source is
 * compiled natively (with run-time SIMD dispatch inside the family) and to wasm32 + simd128.
 */
#ifndef ATTN_H
#define ATTN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Variant codes: the index of the id in VARIANT_IDS of runtime/kernels/types.ts (same order). */
enum attn_variant {
  ATTN_SOFTMAX = 0,
  ATTN_SOFTMAX1 = 1,
  ATTN_SINK_LOGIT = 2,
  ATTN_UNIFIED_MAX = 3,
  ATTN_SIGMOID = 4,
  ATTN_SIGMOID_NORM = 5,
  ATTN_ELU1 = 6,
  ATTN_LSSA = 7,
  ATTN_LSSAR = 8,
  ATTN_SOFT_GAUSS = 9,
  ATTN_SOFT_NYSTROM = 10,
  ATTN_SHIFTMAX = 11,
  ATTN_SOFTPLUS_NORM = 12,
  ATTN_VARIANT_COUNT = 13
};

/* Return codes of every entry point (0 = success). attn_error_text() gives the message. */
enum attn_status {
  ATTN_OK = 0,
  ATTN_E_SHAPE = -1,     /* a size is <= 0, or q_heads is not a multiple of kv_heads */
  ATTN_E_POINTER = -2,   /* a required buffer is NULL */
  ATTN_E_VARIANT = -3,   /* no family implements this variant (in this build) */
  ATTN_E_PARAMS = -4,    /* too few or out-of-range variant parameters */
  ATTN_E_SCRATCH = -5,   /* the attn_thread scratch is smaller than family->scratch_floats() */
  ATTN_E_RANGE = -6      /* item range outside [0, attn_items()] */
};

/*
 * Variant parameters, params[0..n_params), in this order (the TS glue resolves defaults first):
 *   softmax, softmax1          none
 *   sink-logit                 [h] the sink logit of query head h, n_params == q_heads (one extra
 *                              logit per row, not scaled, its weight dropped)
 *   every other variant        its parameters in the order of its registry entry (VARIANTS in
 *                              runtime/kernels/variants.ts), NaN where the registry leaves an 'auto'
 *                              parameter unset (the kernel derives it from the input); the family
 *                              file's header restates them. E.g.:
 *   unified-max                [0] phi, [1] guard low a_g, [2] guard high b_g: a row recomputes with
 *                              the synchronized softmax when any visible s - phi <= a_g or >= b_g
 *                              (strict window, spec 4.1) or its sum is not finite and > 0;
 *                              [3] keys per partial split (>= 1)
 *   sigmoid                    [0] b (NaN means -ln(tk), Apple's default)
 *   elu1                       [0] normalize (0: elu(s)+1 as is, 1: divided by the row sum + 1e-8)
 *   softplus-norm              [0] eps (>= 0) added to the row sum of softplus(s) before dividing
 */
#define ATTN_MAX_PARAMS 4096

/*
 * Everything a call reads, plus the row-owned outputs. On wasm32 every field is 4 bytes wide, so
 * the WASM glue writes this struct as an array of 4-byte slots in field order: keep it that way
 * (no 64-bit fields here).
 */
typedef struct attn_args {
  const float *q;
  const float *k;
  const float *v;
  float *out;               /* [q_heads, tq, head_dim_v], fully written (hidden/invalid rows: 0) */
  int32_t q_heads, kv_heads, tq, tk, head_dim, head_dim_v;
  float scale;
  float softcap;            /* 0 = off */
  int32_t causal;           /* nonzero: row i sees keys j <= i + (tk - tq) */
  const float *bias;        /* NULL or [bias_heads, tq, tk]; -inf hides a key */
  int32_t bias_heads;       /* 1 or q_heads (ignored when bias is NULL) */
  int32_t stream_sinks;     /* streaming window (StreamingLLM): keep keys j < stream_sinks and */
  int32_t stream_window;    /*   j > last - stream_window (last = i + tk - tq if causal, else tk-1); */
                            /*   stream_window < 0 means no streaming mask */
  int32_t variant;          /* enum attn_variant */
  const float *params;      /* see the table above */
  int32_t n_params;
  int32_t row_block;        /* query rows per work item (> 0) */
  int32_t instrument;       /* 0: skip key sums/counts/entropy (overhead measurements only) */
  uint8_t *invalid_rows;    /* [q_heads * tq], written for every row of the items run: 1 = invalid */
  const int32_t *capture_index; /* NULL or [q_heads]: -1, or the slot of this head in capture */
  float *capture;           /* [n_captured, tq, tk]: the head's weights as the variant produced them */
} attn_args;

/* Per-thread partial statistics and scratch. Zero the partials before the first item. */
typedef struct attn_thread {
  float *key_sum;           /* [q_heads * tk]: += weight (or proxy weight) each key receives */
  float *key_count;         /* [q_heads * tk]: += 1 for each valid row that sees the key */
  double *entropy_sum;      /* [q_heads]: += row entropy of each valid row */
  double *entropy_rows;     /* [q_heads]: += 1 for each valid row */
  double recomputed_rows;   /* unified-max: rows recomputed with the synchronized softmax */
  double nr_residual;       /* soft-nystrom: max over items of the Newton-Raphson residual */
  double approx_error;      /* soft-nystrom: max |O_nystrom - O_gauss| */
  float *scratch;           /* scratch_floats(args) floats, 64-byte aligned, owned by this thread */
  int64_t scratch_len;      /* its length in floats */
  int32_t scratch_tag;      /* 0 when the scratch is fresh; a family may cache per-thread data in */
                            /*   the scratch across the items of one call and tag it here */
} attn_thread;

/*
 * A kernel family: one C source (c/<family>.c) implementing one or more variants.
 *   scratch_floats(a)    floats of attn_thread.scratch one thread needs for args a
 *   run(a, t, b, e)      computes work items [b, e) of a; returns an attn_status
 * Families check only what is specific to them (params); attn_check() has checked the rest.
 */
typedef struct attn_family {
  const char *name;
  int64_t (*scratch_floats)(const attn_args *a);
  int32_t (*run)(const attn_args *a, attn_thread *t, int32_t item_begin, int32_t item_end);
} attn_family;

/* The families (defined in c/<name>.c; the registry in c/registry.c maps variants to them). */
extern const attn_family attn_family_softmax;     /* softmax, softmax1, sink-logit, unified-max, */
                                                  /*   and the elementwise sigmoid, elu1, */
                                                  /*   sigmoid-norm, softplus-norm, shiftmax, */
                                                  /*   lssa, lssar, soft-gauss (tiled) */
extern const attn_family attn_family_rownorm;     /* sigmoid-norm, lssa, lssar, softplus-norm row */
                                                  /*   by row (the registry routes them to the */
                                                  /*   tiled family; kept as its cross-check) */
extern const attn_family attn_family_gauss;       /* soft-nystrom (and soft-gauss row by row, */
                                                  /*   its cross-check; the registry routes */
                                                  /*   soft-gauss to the tiled family) */
extern const attn_family attn_family_integer;     /* shiftmax row by row (the registry routes */
                                                  /*   shiftmax to the tiled family) */

/* The family that implements `variant` in this build, or NULL. */
const attn_family *attn_family_for(int32_t variant);

/* Validates shapes and pointers (not params); returns an attn_status. */
int32_t attn_check(const attn_args *a);

/* Number of work items of a: q_heads * ceil(tq / row_block). */
int32_t attn_items(const attn_args *a);

/* A one-line English message for an attn_status. */
const char *attn_error_text(int32_t status);

/* ---- helpers for family sources (static inline, no linkage) ---- */

/* The key/value head that query head h reads. */
static inline int32_t attn_kv_head(const attn_args *a, int32_t h) {
  return h / (a->q_heads / a->kv_heads);
}

/* Visible key range of row i before the bias: keys [0, *sink_end) and [*lo, *hi). */
static inline void attn_row_keys(const attn_args *a, int32_t i, int32_t *sink_end, int32_t *lo,
                                 int32_t *hi) {
  int32_t pos = i + (a->tk - a->tq);
  int32_t last = a->causal ? pos : a->tk - 1;
  if (last > a->tk - 1) last = a->tk - 1;
  int32_t end = last + 1; /* keys < end pass the causal mask */
  if (end < 0) end = 0;
  if (a->stream_window < 0) {
    *sink_end = 0; *lo = 0; *hi = end;
    return;
  }
  int32_t from = last - a->stream_window + 1; /* recent keys: j > last - window */
  if (from < 0) from = 0;
  int32_t se = a->stream_sinks < from ? a->stream_sinks : from;
  if (se > end) se = end;
  if (se < 0) se = 0;
  *sink_end = se; *lo = from; *hi = end;
}

#ifdef __cplusplus
}
#endif

#endif /* ATTN_H */
