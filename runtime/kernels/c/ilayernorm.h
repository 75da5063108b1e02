/*
 * ilayernorm.h - I-ViT's integer-only LayerNorm (spec 2.5) over rows of int32 activations, as the
 * released QAT code computes it; bit-exact with runtime/analysis/quant/iLayerNorm.ts:
 *   mean = round(sum I / C), ties to even (torch.round)
 *   y    = I - mean;  var = sum y^2 (a sum, not a mean; 64-bit)
 *   std  = 2^16, then 10 times std = (std + var / std) >> 1 (integer Newton, no early stop)
 *   f    = (2^31 - 1) / std;  O = floor(y * f / 2) + bias[c]
 * bias[c] is the offline constant floor((beta_c / gamma_c) / (sqrt(C) / 2^30)), computed by the
 * caller (the same float operations on every backend) and passed as integer-valued doubles; the
 * outputs are exact integers stored as doubles (|O| < 2^53; the real value is O * gamma_c * sqrt(C) / 2^30).
 * Freestanding: no libc.
 */
#ifndef ATTN_ILAYERNORM_H
#define ATTN_ILAYERNORM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ILN_E_SHAPE (-30)    /* rows < 0 or channels < 1 */
#define ILN_E_VARIANCE (-31) /* a row's sum of squared deviations passes 2^53 - 1 */
#define ILN_E_BIAS (-32)     /* a bias is not an integer in [-2^52, 2^52] */

/*
 * x [rows * c] row-major int32; bias [c]; out [rows * c]; per row: mean, var (exact integer as a
 * double) and std. Returns 0 or an ILN_E_* status (then the outputs are partly written).
 */
int32_t ilayernorm_rows(const int32_t *x, const double *bias, int32_t rows, int32_t c, double *out,
                        int32_t *mean, double *var, int32_t *std);
/* The message of a status. */
const char *ilayernorm_error_text(int32_t status);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_ILAYERNORM_H */
