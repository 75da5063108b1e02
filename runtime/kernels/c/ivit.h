/*
 * ivit.h - the I-ViT integer-only attention core (spec 2): int8 symmetric Q, K, V (per tensor or
 * per head), int32 Q.K^T, dyadic requantization of the logits to the Shiftmax input scale,
 * Shiftmax, integer P.V and dequantization of the output. Bit-exact with the TypeScript reference
 * runtime/analysis/quant/ivitAttention.ts: the captured weights, the output and the scales are the
 * same numbers on every backend (the key sums and the entropy are float sums, summed in another
 * order across threads).
 *
 * It takes the attn_args of attn.h (shapes, masks, bias, row_block, capture, invalid_rows) with
 * `variant` ignored and these params (n_params == IVIT_N_PARAMS):
 *   [0] per_head     0: one scale per tensor, 1: one per head (Q, K, V and the logits)
 *   [1] bits         width of Q, K, V (2..8)
 *   [2] logit_bits   width of the requantized logits fed to Shiftmax (2..16)
 *   [3] n            Shiftmax precision shift (1..30; QAT 15, TVM 16)
 *   [4] out_bits     Shiftmax output width (2..16; weights O * 2^-(out_bits-1))
 *   [5] tvm          0: QAT x0 = floor(-1/S) and ShiftExp, 1: TVM x0 = trunc(-1/S - 1) and ShiftExp
 *   [6] half_up      ties of the dyadic requantization: 0 half to even (QAT), 1 half up
 * softcap must be 0 (the integer path has no tanh). A bias is rounded (half up) to the accumulator
 * scale S_q S_k scale; -inf hides a key; NaN or +inf in the bias, or a non-finite Q, K or V value,
 * is IVIT_E_NONFINITE.
 *
 * A call runs in three steps over one `state` buffer of ivit_state_bytes(a) bytes (64-byte
 * aligned) that every thread shares:
 *   ivit_quantize(a, state)             serial, O(size of Q, K, V): scales and int8 tensors
 *   ivit_logit_max(a, state, t, b, e)   work items [b, e) (attn.h split, any threads, disjoint
 *                                       ranges, t for its scratch): the largest |Q.K^T + bias|
 *   ivit_logit_scales(a, state)         serial: the Shiftmax input scale of every head
 *   ivit_run(a, state, t, b, e)         work items [b, e): requantization, Shiftmax, P.V, the
 *                                       output rows, captured maps and t's partial statistics
 * Q.K^T is computed in both item passes (int8 dot products; cheaper than keeping it).
 * The state starts with the scales as doubles: q [q_heads], k [kv_heads], v [kv_heads],
 * logit [q_heads]; ivit_attention() runs all steps on one thread (the wasm entry).
 */
#ifndef ATTN_IVIT_H
#define ATTN_IVIT_H

#include "attn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IVIT_N_PARAMS 7
#define IVIT_E_NONFINITE (-20) /* a Q, K or V value, or a bias, is NaN or +-inf where it counts */
#define IVIT_E_SOFTCAP (-21)   /* softcap > 0: the integer path has no tanh */
#define IVIT_E_RATIO (-22)     /* ivit_dyadic: the ratio is not a positive finite number */

/* Bytes of the shared state (scales, int8 Q/K/V, per-item maxima) for a. */
int64_t ivit_state_bytes(const attn_args *a);
/* Floats of attn_thread.scratch one thread needs for ivit_run. */
int64_t ivit_scratch_floats(const attn_args *a);
/* Checks params, quantizes Q, K, V into the state. Returns ATTN_OK or an error status. */
int32_t ivit_quantize(const attn_args *a, void *state);
/* Largest visible |accumulator| of each work item in [begin, end) (t: scratch only). */
int32_t ivit_logit_max(const attn_args *a, void *state, attn_thread *t, int32_t begin, int32_t end);
/* The Shiftmax input scale of each head (after every item's ivit_logit_max). */
void ivit_logit_scales(const attn_args *a, void *state);
/* Work items [begin, end): output rows, captured maps, invalid flags (always 0) and t's partials. */
int32_t ivit_run(const attn_args *a, void *state, attn_thread *t, int32_t begin, int32_t end);
/* All steps on one thread; t's partials must be zeroed and its scratch ivit_scratch_floats(a) long. */
int32_t ivit_attention(const attn_args *a, void *state, attn_thread *t);
/*
 * Dyadic requantization (spec 2.2), the core's own two steps. ivit_dyadic: ratio = M / 2^k with
 * (mant, exp) = frexp(ratio), M = round_half_up(mant 2^31) in [2^30, 2^31), k = 31 - exp (M = 2^31
 * becomes 2^30, k - 1); subnormal ratios too. Returns ATTN_OK, or IVIT_E_RATIO (m = k = 0) for a
 * ratio that is not positive and finite.
 * ivit_requantize: round(z M / 2^k) exactly for |z| < 2^31, M < 2^31 and k >= 1, ties half up
 * (half_up 1) or to even (0); k <= 0 (ratio >= 2^30) saturates at +-(2^31 - 1) (the core clamps to
 * the logit range anyway).
 */
int32_t ivit_dyadic(double ratio, int64_t *m, int64_t *k);
int64_t ivit_requantize(int64_t z, int64_t m, int64_t k, int32_t half_up);
/* The message of an ivit status (falls back to attn_error_text). */
const char *ivit_error_text(int32_t status);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_IVIT_H */
