/*
 * softmax_tile.h - the body of the softmax family, included once per instruction set by softmax.c
 * with these macros defined:
 *   SFX(name)  suffixes a function name (name##_avx512, ...)
 *   VW         floats per SIMD vector (16 AVX-512, 8 AVX2, 4 SSE/wasm simd128)
 *   RT, NV     register tile: RT query rows x NV vectors of keys (or value columns)
 * Everything here is static; softmax.c picks one instantiation at run time.
 *
 * Per work item (head h, rows [i0, i1)), two phases over the block, both inside this call:
 *   1. S = Q_blk K^T over the key tiles some row of the block can see (K transposed into a
 *      64-key tile in scratch; fully hidden tiles - the causal upper triangle, the middle of a
 *      streaming window - are skipped), then per row: masks, softcap, bias, max, invalid check;
 *   2. per row: P = exp(S - m), its sum l (plus the variant's extra slot), then O = P V / l and,
 *      when instrumenting, the key sums, counts and entropy on the final weights P / l.
 */

typedef float SFX(vf) __attribute__((vector_size(VW * 4)));
typedef float SFX(vfu) __attribute__((vector_size(VW * 4), aligned(4)));

/*
 * C[r][0..NV*VW) (ldc) = sum_kk A[r][kk] (lda) * B[kk][0..NV*VW) (ldb), r < RT, kk < kdim.
 * Rows of A beyond the block are zero padding, so all RT rows are always computed.
 */
static inline void SFX(tile_gemm)(const float *A, int64_t lda, const float *B, int64_t ldb,
                                  int32_t kdim, float *C, int64_t ldc, int accumulate) {
  SFX(vf) acc[RT][NV];
  for (int r = 0; r < RT; r++)
    for (int v = 0; v < NV; v++)
      acc[r][v] = accumulate ? *(const SFX(vfu) *)(C + r * ldc + v * VW) : (SFX(vf)){0};
  for (int32_t kk = 0; kk < kdim; kk++) {
    SFX(vf) b[NV];
    for (int v = 0; v < NV; v++) b[v] = *(const SFX(vfu) *)(B + kk * ldb + v * VW);
    for (int r = 0; r < RT; r++) {
      float a = A[r * lda + kk];
      for (int v = 0; v < NV; v++) acc[r][v] += a * b[v];
    }
  }
  for (int r = 0; r < RT; r++)
    for (int v = 0; v < NV; v++) *(SFX(vfu) *)(C + r * ldc + v * VW) = acc[r][v];
}

static int32_t SFX(softmax_items)(const attn_args *a, attn_thread *t, int32_t begin, int32_t end,
                                  const softmax_plan *pl) {
  const int32_t d = a->head_dim, dv = a->head_dim_v, tk = a->tk, tq = a->tq;
  const int32_t R = a->row_block, Rp = pl->rows_padded, tkp = pl->keys_padded;
  const int32_t blocks = (tq + R - 1) / R;
  const int32_t TW = NV * VW; /* columns per register tile */
  float *Qs = t->scratch;                   /* [Rp, d] scaled query rows, zero padded */
  float *S = Qs + (int64_t)Rp * d;          /* [Rp, tkp] logits, then unnormalized weights */
  float *Kt = S + (int64_t)Rp * tkp;        /* [d, 64] one transposed key tile */
  float *O = Kt + (int64_t)d * 64;          /* [Rp, dvp] output accumulator */
  const int32_t dvp = (dv + TW - 1) / TW * TW;
  float *rowm = O + (int64_t)Rp * dvp;      /* [Rp] row max used for exp */
  float *rowinv = rowm + Rp;                /* [Rp] 1 / l (0 for empty or invalid rows) */
  int32_t *rse = (int32_t *)(rowinv + Rp);  /* [Rp] sink end, lo, hi of each row */
  int32_t *rlo = rse + Rp, *rhi = rlo + Rp;
  float *rmax = (float *)(rhi + Rp);        /* [Rp] the row's own max (unified-max recompute) */
  float *Vp = rmax + Rp;                    /* [64, dvp] value tile padded when dv % TW != 0 */

  for (int32_t item = begin; item < end; item++) {
    const int32_t h = item / blocks, i0 = (item % blocks) * R;
    const int32_t i1 = i0 + R < tq ? i0 + R : tq, nr = i1 - i0;
    const int32_t nrp = (nr + RT - 1) / RT * RT;
    const int32_t kvh = attn_kv_head(a, h);
    const float *kh = a->k + (int64_t)kvh * tk * d;
    const float *vh = a->v + (int64_t)kvh * tk * dv;
    const float *bh = a->bias ? a->bias + (int64_t)(a->bias_heads == 1 ? 0 : h) * tq * tk : 0;

    /* rows of the block: scaled Q copy and visible key ranges */
    int32_t se_max = 0, lo_min = tk, hi_max = 0;
    const float qscale = a->softcap > 0.0f ? 1.0f : a->scale; /* softcap needs s unscaled first */
    for (int32_t r = 0; r < nrp; r++) {
      float *qs = Qs + (int64_t)r * d;
      if (r < nr) {
        const float *qi = a->q + ((int64_t)h * tq + i0 + r) * d;
        for (int32_t c = 0; c < d; c++) qs[c] = qi[c] * qscale;
        attn_row_keys(a, i0 + r, &rse[r], &rlo[r], &rhi[r]);
        if (rse[r] > se_max) se_max = rse[r];
        if (rhi[r] > rlo[r]) {
          if (rlo[r] < lo_min) lo_min = rlo[r];
          if (rhi[r] > hi_max) hi_max = rhi[r];
        }
      } else {
        for (int32_t c = 0; c < d; c++) qs[c] = 0.0f;
      }
    }
    /* phase 1: logits of the key tiles the block needs */
    const int32_t ntiles = (tk + 63) / 64;
    for (int32_t jt = 0; jt < ntiles; jt++) {
      const int32_t j0 = jt * 64, jn = tk - j0 < 64 ? tk - j0 : 64;
      if (!(j0 < se_max || (j0 + 64 > lo_min && j0 < hi_max))) continue;
      for (int32_t c = 0; c < d; c++) {
        float *kt = Kt + (int64_t)c * 64;
        for (int32_t j = 0; j < jn; j++) kt[j] = kh[(int64_t)(j0 + j) * d + c];
        for (int32_t j = jn; j < 64; j++) kt[j] = 0.0f;
      }
      for (int32_t r = 0; r < nrp; r += RT)
        for (int32_t c0 = 0; c0 < 64; c0 += TW)
          SFX(tile_gemm)(Qs + (int64_t)r * d, d, Kt + c0, 64, d, S + (int64_t)r * tkp + j0 + c0,
                         tkp, 0);
    }
    /* phase 1, per row: masks, softcap, bias; max; invalid rows */
    for (int32_t r = 0; r < nr; r++) {
      float *s = S + (int64_t)r * tkp;
      const int32_t i = i0 + r, se = rse[r], lo = rlo[r], hi = rhi[r];
      const float *brow = bh ? bh + (int64_t)i * tk : 0;
      float m = -ATTN_INF;
      int bad = 0;
      for (int32_t j = 0; j < hi; j++) {
        if (!(j < se || j >= lo)) { s[j] = -ATTN_INF; continue; }
        float x = s[j];
        if (a->softcap > 0.0f) x = a->softcap * attn_tanhf(x * a->scale / a->softcap);
        if (brow) x += brow[j];
        bad |= (x != x) | (x == ATTN_INF);
        m = x > m ? x : m;
        s[j] = x;
      }
      a->invalid_rows[(int64_t)h * tq + i] = (uint8_t)bad;
      float extra = 0.0f; /* the extra slot's logit (softmax1: 0, sink-logit: sigma) */
      int has_extra = a->variant == ATTN_SOFTMAX1 || a->variant == ATTN_SINK_LOGIT;
      if (a->variant == ATTN_SINK_LOGIT) extra = a->params[h];
      if (bad || m == -ATTN_INF) { rowm[r] = -ATTN_INF; rowinv[r] = 0.0f; continue; }
      if (has_extra && extra > m) m = extra;
      rmax[r] = m;
      if (a->variant == ATTN_UNIFIED_MAX) {
        const float phi = a->params[0], ga = a->params[1], gb = a->params[2];
        int out = 0;
        for (int32_t j = 0; j < hi; j++) {
          float x = s[j] - phi;
          out |= (s[j] != -ATTN_INF) & ((x <= ga) | (x >= gb));
        }
        if (out) t->recomputed_rows += 1.0; else m = phi; /* rmax keeps the row max */
      }
      rowm[r] = m;
      rowinv[r] = has_extra ? attn_expf(extra - m) : 0.0f; /* holds the extra term for now */
    }
    /* phase 2, per row: unnormalized weights, their sum, counts and the entropy term */
    const int instr = a->instrument;
    for (int32_t r = 0; r < nrp; r++) {
      float *s = S + (int64_t)r * tkp;
      const int32_t hi = r < nr ? rhi[r] : 0;
      const int32_t hi_tiles = (hi_max + 63) / 64 * 64 < tkp ? (hi_max + 63) / 64 * 64 : tkp;
      if (r >= nr || rowm[r] == -ATTN_INF) {
        for (int32_t j = 0; j < hi_tiles; j++) s[j] = 0.0f;
        if (r < nr) rowinv[r] = 0.0f;
        continue;
      }
      float l = 0.0f, ps = 0.0f;
      float *kc = t->key_count + (int64_t)h * tk;
      int async = a->variant == ATTN_UNIFIED_MAX && rowm[r] == a->params[0];
      if (async) {
        /* asynchronous softmax with the fixed phi: no counts yet, the row may still fall back */
        const int32_t split = (int32_t)a->params[3];
        for (int32_t j0 = 0; j0 < hi; j0 += split) {
          const int32_t j1 = j0 + split < hi ? j0 + split : hi;
          float part = 0.0f;
          for (int32_t j = j0; j < j1; j++) part += attn_expf(s[j] - a->params[0]);
          l += part;
        }
        if (!(l > 0.0f && l < ATTN_INF)) { /* the sum under/overflowed: synchronized softmax */
          t->recomputed_rows += 1.0;
          async = 0;
        }
        l = 0.0f;
      }
      const float m = async ? a->params[0] : rmax[r];
      rowm[r] = m;
      if (async) {
        /* asynchronous softmax: independent partial sums per split of keys, added at the end */
        const int32_t split = (int32_t)a->params[3];
        for (int32_t j0 = 0; j0 < hi; j0 += split) {
          const int32_t j1 = j0 + split < hi ? j0 + split : hi;
          float part = 0.0f;
          for (int32_t j = j0; j < j1; j++) {
            float x = s[j];
            float p = attn_expf(x - m);
            if (instr) { kc[j] += x != -ATTN_INF ? 1.0f : 0.0f; ps += x != -ATTN_INF ? p * (x - m) : 0.0f; }
            s[j] = p;
            part += p;
          }
          l += part;
        }
      } else if (instr) {
        for (int32_t j = 0; j < hi; j++) {
          float x = s[j];
          float p = attn_expf(x - m);
          kc[j] += x != -ATTN_INF ? 1.0f : 0.0f;
          ps += x != -ATTN_INF ? p * (x - m) : 0.0f;
          s[j] = p;
          l += p;
        }
      } else {
        for (int32_t j = 0; j < hi; j++) {
          float p = attn_expf(s[j] - m);
          s[j] = p;
          l += p;
        }
      }
      for (int32_t j = hi; j < hi_tiles; j++) s[j] = 0.0f;
      l += rowinv[r]; /* the extra slot */
      const float inv = 1.0f / l;
      rowinv[r] = inv;
      if (instr) {
        /* H = -sum w log w with w = p / l: = (sum w) log l - sum w (s - m) */
        float wsum = 0.0f;
        for (int32_t j = 0; j < hi; j++) wsum += s[j];
        wsum *= inv;
        t->entropy_sum[h] += (double)(wsum * attn_logf(l) - ps * inv);
        t->entropy_rows[h] += 1.0;
        float *ks = t->key_sum + (int64_t)h * tk;
        for (int32_t j = 0; j < hi; j++) ks[j] += s[j] * inv;
      }
    }
    /* phase 2: O = P V over the needed key range, then scaled by 1 / l */
    for (int32_t r = 0; r < nrp; r++)
      for (int32_t c = 0; c < dvp; c++) O[(int64_t)r * dvp + c] = 0.0f;
    for (int32_t j0 = 0; j0 < hi_max; j0 += 64) {
      if (!(j0 < se_max || (j0 + 64 > lo_min && j0 < hi_max))) continue;
      const int32_t jn = hi_max - j0 < 64 ? hi_max - j0 : 64;
      const float *B = vh + (int64_t)j0 * dv;
      int64_t ldb = dv;
      if (dv % TW != 0) { /* pad the value tile to whole register tiles */
        for (int32_t j = 0; j < jn; j++)
          for (int32_t c = 0; c < dvp; c++) Vp[(int64_t)j * dvp + c] = c < dv ? B[(int64_t)j * dv + c] : 0.0f;
        B = Vp;
        ldb = dvp;
      }
      for (int32_t r = 0; r < nrp; r += RT)
        for (int32_t c0 = 0; c0 < dvp; c0 += TW)
          SFX(tile_gemm)(S + (int64_t)r * tkp + j0, tkp, B + c0, ldb, jn, O + (int64_t)r * dvp + c0,
                         dvp, 1);
    }
    for (int32_t r = 0; r < nr; r++) {
      float *o = a->out + ((int64_t)h * tq + i0 + r) * dv;
      const float inv = rowinv[r];
      for (int32_t c = 0; c < dv; c++) o[c] = O[(int64_t)r * dvp + c] * inv;
      if (a->capture_index && a->capture_index[h] >= 0) {
        float *mrow = a->capture + ((int64_t)a->capture_index[h] * tq + i0 + r) * tk;
        const float *s = S + (int64_t)r * tkp;
        const int32_t hi = rowm[r] == -ATTN_INF ? 0 : rhi[r];
        for (int32_t j = 0; j < tk; j++) mrow[j] = j < hi ? s[j] * inv : 0.0f;
      }
    }
  }
  return ATTN_OK;
}
