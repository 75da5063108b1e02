/*
 * registry.c - which family implements which variant, and the checks shared by all families.
 * A family source that is not in this build leaves its weak symbol NULL: its variants then report
 * ATTN_E_VARIANT instead of failing to link.
 */
#include "attn.h"

extern const attn_family attn_family_softmax __attribute__((weak));
extern const attn_family attn_family_rownorm __attribute__((weak));
extern const attn_family attn_family_gauss __attribute__((weak));
extern const attn_family attn_family_integer __attribute__((weak));

const attn_family *attn_family_for(int32_t variant) {
  switch (variant) {
    case ATTN_SOFTMAX: case ATTN_SOFTMAX1: case ATTN_SINK_LOGIT: case ATTN_UNIFIED_MAX:
    case ATTN_SIGMOID: case ATTN_ELU1: case ATTN_SIGMOID_NORM: case ATTN_SOFTPLUS_NORM:
    case ATTN_SHIFTMAX: case ATTN_LSSA: case ATTN_LSSAR: case ATTN_SOFT_GAUSS:
      return &attn_family_softmax;
    case ATTN_SOFT_NYSTROM:
      return &attn_family_gauss;
    default:
      return 0;
  }
}

int32_t attn_check(const attn_args *a) {
  if (!a) return ATTN_E_POINTER;
  if (a->q_heads <= 0 || a->kv_heads <= 0 || a->tq <= 0 || a->tk <= 0 || a->head_dim <= 0 ||
      a->head_dim_v <= 0 || a->row_block <= 0 || a->q_heads % a->kv_heads != 0)
    return ATTN_E_SHAPE;
  if (a->bias && a->bias_heads != 1 && a->bias_heads != a->q_heads) return ATTN_E_SHAPE;
  if (!a->q || !a->k || !a->v || !a->out || !a->invalid_rows) return ATTN_E_POINTER;
  if (a->capture_index && !a->capture) return ATTN_E_POINTER;
  if (a->n_params < 0 || a->n_params > ATTN_MAX_PARAMS || (a->n_params > 0 && !a->params))
    return ATTN_E_PARAMS;
  return ATTN_OK;
}

int32_t attn_items(const attn_args *a) {
  return a->q_heads * ((a->tq + a->row_block - 1) / a->row_block);
}

const char *attn_error_text(int32_t status) {
  switch (status) {
    case ATTN_OK: return "ok";
    case ATTN_E_SHAPE: return "bad shape: sizes must be > 0, q_heads a multiple of kv_heads, bias_heads 1 or q_heads";
    case ATTN_E_POINTER: return "a required tensor buffer is missing";
    case ATTN_E_VARIANT: return "this variant is not implemented by the kernels in this build";
    case ATTN_E_PARAMS: return "bad variant parameters: wrong count or out of range";
    case ATTN_E_SCRATCH: return "kernel scratch buffer too small";
    case ATTN_E_RANGE: return "work item range out of bounds";
    default: return "unknown kernel status";
  }
}
