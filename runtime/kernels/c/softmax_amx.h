/*
 * softmax_amx.h - the Q K^T and P V products of softmax_tile.h on AMX tiles (Intel Advanced Matrix
 * Extensions: TDPBF16PS, bf16 pairs multiplied and summed into fp32), included by softmax_tile.h in
 * its AVX-512 instantiation when the compiler has AMX. softmax.c turns the path on only where the
 * CPU has AMX-BF16 and the OS let the process use the tile registers (attn_softmax_enable_amx).
 *
 * fp32 from bf16 products, "bf16x6": each fp32 operand x is split into three bf16 parts: x1 and x2
 * its top bits, truncated (x1 = x with the low 16 bits cleared, x2 likewise of x - x1), x3 = x - x1 -
 * x2 rounded to the nearest bf16 (the subtractions are exact): |x2| < 2^-7 |x|, |x3| < 2^-14 |x|,
 * and |x - x1 - x2 - x3| <= 2^-23 |x|. Of the nine part products of x y the six largest are summed,
 * x1 y1 + x1 y2 + x2 y1 + x1 y3 + x2 y2 + x3 y1; the three left out are below 2^-21 |x y| together,
 * and x3, y3 (rounded) take either sign, so the omissions do not add up along a dot product. A
 * bf16 product is exact in fp32 and TDPBF16PS adds it into the fp32 accumulator rounding to nearest:
 * a dot product comes out within a few fp32 roundings (parity tests: the FMA tiles' tolerances).
 * AMX treats bf16 subnormals as 0: parts below ~1e-38 are dropped (< 1e-38 per term).
 *
 * Layouts (bf16 as uint16_t; each array holds its three parts, `part` elements apart):
 *   A operands, row-major: Q rows [row][d] (the block's query rows), P rows [row][keys] (16 rows);
 *     a tile is 16 rows x 32 bf16.
 *   B operands, pairs interleaved (what TDPBF16PS multiplies a row's elements 2k, 2k + 1 with):
 *     K of a kv head [d / 2][keys][2] from the scaled transpose Kt; V [keys / 2][dv][2]; a tile is
 *     16 pairs x 16 columns x 2.
 * Tiles: 0-3 accumulate up to four 16 x 16 fp32 outputs, 4-6 hold the three parts of the A tile,
 * 7 one part of the B tile in turn.
 */

/* The tile configuration of every call: palette 1, eight tiles of 16 rows x 64 bytes. */
typedef struct SFX(amx_config) {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} SFX(amx_config);

static void SFX(amx_begin)(void) {
  SFX(amx_config) c;
  uint8_t *z = (uint8_t *)&c;
  for (unsigned i = 0; i < sizeof c; i++) z[i] = 0;
  c.palette = 1;
  for (int t = 0; t < 8; t++) { c.colsb[t] = 64; c.rows[t] = 16; }
  _tile_loadconfig(&c);
}

/* The fp32 bits of b rounded to the nearest bf16, ties to even, low 16 bits 0. */
static inline __m512i SFX(amx_round)(__m512i b) {
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  const __m512i up = _mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
  return _mm512_and_si512(up, _mm512_set1_epi32((int)0xffff0000u));
}

/* The first two parts of 16 floats (their top 16 bits: exact bf16) and the rest r2 = x - x1 - x2
   (exact), whose bf16 rounded to nearest is the third part. */
static inline void SFX(amx_split2)(__m512 x, __m512 *x1, __m512 *x2, __m512 *r2) {
  const __m512i top = _mm512_set1_epi32((int)0xffff0000u);
  *x1 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), top));
  const __m512 r1 = _mm512_sub_ps(x, *x1);
  *x2 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(r1), top));
  *r2 = _mm512_sub_ps(r1, *x2);
}

/* The three parts of 16 floats, as fp32 bit patterns with their low 16 bits 0. */
static inline void SFX(amx_split)(__m512 x, __m512i p[3]) {
  __m512 x1, x2, r2;
  SFX(amx_split2)(x, &x1, &x2, &r2);
  p[0] = _mm512_castps_si512(x1);
  p[1] = _mm512_castps_si512(x2);
  p[2] = SFX(amx_round)(_mm512_castps_si512(r2));
}

/* The parts of 32 floats (x0, then x1) as 32 bf16 each at dst, dst + part, dst + 2 part, through
   VCVTNE2PS2BF16 (exact on the first two parts, rounding to nearest on the third; the instruction
   flushes subnormals, which AMX drops anyway). */
static inline void SFX(amx_put32)(__m512 x0, __m512 x1, uint16_t *dst, int64_t part) {
  __m512 a1, a2, a3, b1, b2, b3;
  SFX(amx_split2)(x0, &a1, &a2, &a3);
  SFX(amx_split2)(x1, &b1, &b2, &b3);
  _mm512_storeu_si512(dst, (__m512i)_mm512_cvtne2ps_pbh(b1, a1));
  _mm512_storeu_si512(dst + part, (__m512i)_mm512_cvtne2ps_pbh(b2, a2));
  _mm512_storeu_si512(dst + 2 * part, (__m512i)_mm512_cvtne2ps_pbh(b3, a3));
}

/* A operand: the parts of x[0..n) (n a multiple of 32; x null: zeros) into dst, dst + part, dst +
   2 part. */
static void SFX(amx_pack_row)(const float *x, int32_t n, uint16_t *dst, int64_t part) {
  for (int32_t j = 0; j < n; j += 32)
    SFX(amx_put32)(x ? _mm512_loadu_ps(x + j) : _mm512_setzero_ps(),
                   x ? _mm512_loadu_ps(x + j + 16) : _mm512_setzero_ps(), dst + j, part);
}

/* B operand: 16 columns of two rows x0 (element 2k) and x1 (2k + 1; null: zeros) as 16 pairs. */
static inline void SFX(amx_pack_pairs)(const float *x0, const float *x1, uint16_t *dst, int64_t part) {
  __m512i p0[3], p1[3];
  SFX(amx_split)(x0 ? _mm512_loadu_ps(x0) : _mm512_setzero_ps(), p0);
  SFX(amx_split)(x1 ? _mm512_loadu_ps(x1) : _mm512_setzero_ps(), p1);
  for (int k = 0; k < 3; k++)
    _mm512_storeu_si512(dst + k * part, _mm512_or_si512(p1[k], _mm512_srli_epi32(p0[k], 16)));
}

/* K of a kv head from its transpose Kt [d, ldk] (scaled, zero past tk): Kb [d / 2][kp][2]. */
static void SFX(amx_pack_k)(const float *Kt, int64_t ldk, int32_t d, int32_t kp, uint16_t *Kb, int64_t part) {
  for (int32_t p = 0; p < d / 2; p++)
    for (int32_t j = 0; j < kp; j += 16)
      SFX(amx_pack_pairs)(Kt + 2 * p * ldk + j, Kt + (2 * p + 1) * ldk + j, Kb + ((int64_t)p * kp + j) * 2, part);
}

/* V of a kv head [tk, dv] (dv a multiple of 16): Vb [kp / 2][dv][2], keys past tk zero. */
static void SFX(amx_pack_v)(const float *v, int32_t tk, int32_t dv, int32_t kp, uint16_t *Vb, int64_t part) {
  for (int32_t p = 0; p < kp / 2; p++)
    for (int32_t c = 0; c < dv; c += 16)
      SFX(amx_pack_pairs)(2 * p < tk ? v + (int64_t)2 * p * dv + c : 0,
                          2 * p + 1 < tk ? v + (int64_t)(2 * p + 1) * dv + c : 0,
                          Vb + ((int64_t)p * dv + c) * 2, part);
}

/* The six part products of one output tile c (0-3) with A's parts in tiles 4-6: B's parts at b,
   b + part, b + 2 part (stride bytes). */
#define SOFTMAX_AMX_SIX(c, b, part, stride)                                                         \
  do {                                                                                              \
    _tile_loadd(7, (b), (stride));                                                                  \
    _tile_dpbf16ps(c, 4, 7); _tile_dpbf16ps(c, 5, 7); _tile_dpbf16ps(c, 6, 7);                      \
    _tile_loadd(7, (b) + (part), (stride));                                                         \
    _tile_dpbf16ps(c, 4, 7); _tile_dpbf16ps(c, 5, 7);                                               \
    _tile_loadd(7, (b) + 2 * (part), (stride));                                                     \
    _tile_dpbf16ps(c, 4, 7);                                                                        \
  } while (0)

/*
 * S[16 rows][nt * 16 keys] (lds floats) = the 16 Q rows at Qa (Qb layout, d a multiple of 32) times
 * key tiles jt0 .. jt0 + nt - 1 (nt <= 4) of Kb.
 */
static void SFX(amx_qk)(const uint16_t *Qa, int64_t qpart, int32_t d, const uint16_t *Kb, int64_t kpart,
                        int32_t kp, int32_t jt0, int nt, float *S, int64_t lds) {
  _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
  for (int32_t dc = 0; dc < d; dc += 32) {
    _tile_loadd(4, Qa + dc, d * 2);
    _tile_loadd(5, Qa + qpart + dc, d * 2);
    _tile_loadd(6, Qa + 2 * qpart + dc, d * 2);
    const uint16_t *b = Kb + ((int64_t)(dc / 2) * kp + jt0 * 16) * 2;
    const int64_t stride = (int64_t)kp * 4;
    SOFTMAX_AMX_SIX(0, b, kpart, stride);
    if (nt > 1) SOFTMAX_AMX_SIX(1, b + 32, kpart, stride);
    if (nt > 2) SOFTMAX_AMX_SIX(2, b + 64, kpart, stride);
    if (nt > 3) SOFTMAX_AMX_SIX(3, b + 96, kpart, stride);
  }
  _tile_stored(0, S, lds * 4);
  if (nt > 1) _tile_stored(1, S + 16, lds * 4);
  if (nt > 2) _tile_stored(2, S + 32, lds * 4);
  if (nt > 3) _tile_stored(3, S + 48, lds * 4);
}

/*
 * O[16 rows][nt * 16 columns] (ldo floats) = the 16 P rows at Pa (row stride pld bf16) over keys
 * [0, 32 kchunks) times value columns (ct0 + c) 16 of Vb (nt <= 4).
 */
static void SFX(amx_pv)(const uint16_t *Pa, int64_t ppart, int32_t pld, int32_t kchunks, const uint16_t *Vb,
                        int64_t vpart, int32_t dv, int32_t ct0, int nt, float *O, int64_t ldo) {
  _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
  const int64_t stride = (int64_t)dv * 4;
  for (int32_t kc = 0; kc < kchunks; kc++) {
    _tile_loadd(4, Pa + kc * 32, pld * 2);
    _tile_loadd(5, Pa + ppart + kc * 32, pld * 2);
    _tile_loadd(6, Pa + 2 * ppart + kc * 32, pld * 2);
    const uint16_t *b = Vb + ((int64_t)kc * 16 * dv + ct0 * 16) * 2;
    SOFTMAX_AMX_SIX(0, b, vpart, stride);
    if (nt > 1) SOFTMAX_AMX_SIX(1, b + 32, vpart, stride);
    if (nt > 2) SOFTMAX_AMX_SIX(2, b + 64, vpart, stride);
    if (nt > 3) SOFTMAX_AMX_SIX(3, b + 96, vpart, stride);
  }
  _tile_stored(0, O + ct0 * 16, ldo * 4);
  if (nt > 1) _tile_stored(1, O + (ct0 + 1) * 16, ldo * 4);
  if (nt > 2) _tile_stored(2, O + (ct0 + 2) * 16, ldo * 4);
  if (nt > 3) _tile_stored(3, O + (ct0 + 3) * 16, ldo * 4);
}
#undef SOFTMAX_AMX_SIX

/* The first 16 lanes of n past j0 (n - j0 lanes when fewer remain, none past n). */
static inline __mmask16 SFX(amx_lanes)(int32_t j0, int32_t n) {
  return j0 + 16 <= n ? (__mmask16)0xffff : j0 < n ? (__mmask16)((1u << (n - j0)) - 1u) : (__mmask16)0;
}

/*
 * The 16 rows of P (ldp floats) over keys [0, 32 kc) into the A operand Pb (row stride pld, parts
 * `part` apart), and with ks, in the same pass, the key sums ks[j] += w[r] P[r][j] in row order for
 * j < n. Every row holds finite weights up to 32 kc (0 past its keys; all 0 for a padding, empty or
 * invalid row, whose w is 0).
 */
static void SFX(amx_pack_p)(const float *P, int64_t ldp, int32_t kc, uint16_t *Pb, int32_t pld, int64_t part,
                            const float *w, int32_t n, float *ks) {
  for (int32_t j = 0; j < 32 * kc; j += 32) {
    const __mmask16 m0 = SFX(amx_lanes)(j, n), m1 = SFX(amx_lanes)(j + 16, n);
    __m512 k0 = _mm512_maskz_loadu_ps(m0, ks ? ks + j : 0), k1 = _mm512_maskz_loadu_ps(m1, ks ? ks + j + 16 : 0);
    for (int32_t r = 0; r < 16; r++) {
      const __m512 x0 = _mm512_loadu_ps(P + r * ldp + j), x1 = _mm512_loadu_ps(P + r * ldp + j + 16);
      if (ks) {
        k0 = _mm512_fmadd_ps(_mm512_set1_ps(w[r]), x0, k0);
        k1 = _mm512_fmadd_ps(_mm512_set1_ps(w[r]), x1, k1);
      }
      SFX(amx_put32)(x0, x1, Pb + (int64_t)r * pld + j, part);
    }
    if (ks) {
      _mm512_mask_storeu_ps(ks + j, m0, k0);
      _mm512_mask_storeu_ps(ks + j + 16, m1, k1);
    }
  }
}
