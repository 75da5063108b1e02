/*
 * softmax_rows.h - the variants' own row passes of phase 2 (softmax_tile.h's phase 1 and P V are
 * shared): the elementwise maps (sigmoid, elu1, sigmoid-norm, softplus-norm), shiftmax's integer
 * steps and its ShiftExp tables, lssa/lssar's softplus rows and LSSAR's re-weighting, soft-gauss's
 * row. Included by softmax_tile.h once per instruction set, after its vector helpers (vexp, vlog,
 * row_put, wlogw); everything here is static and suffixed by SFX like the rest of the tile body.
 */

/*
 * e^x for x <= 0 or -inf (x = -|y|): vexp's steps and numbers without the upper clamp (-inf and
 * anything below -87.3 give 0).
 */
static inline __attribute__((always_inline)) VF SFX(vexp_neg)(VF x) {
  const VI keep = x >= SPLAT(-87.3f);
  VF t, fn;
  const VF p = SFX(vexp_reduced)(SFX(vmax)(x, SPLAT(-87.3f)), &t, &fn);
#if VW == 16 && defined(__AVX512F__)
  return (VF)((VI)_mm512_scalef_ps((__m512)p, (__m512)fn) & keep);
#else
  VI n = (VI)t - 0x4B400000;
  VI n1 = n >> 1;
  VI n2 = n - n1;
  return (VF)((VI)(p * (VF)((n1 + 127) << 23) * (VF)((n2 + 127) << 23)) & keep);
#endif
}

/* softplus(x) = max(x, 0) + ln(1 + e^-|x|) (rownorm.c's steps); 0 for x = -inf (hidden). */
static inline __attribute__((always_inline)) VF SFX(vsoftplus)(VF x) {
  const VF t = SFX(vexp_neg)((VF)((VI)x | ((VI){0} + (int32_t)0x80000000))); /* e^-|x| */
  return SFX(vmax)(x, SPLAT(0)) + SFX(vlog1p01)(t);
}

/*
 * softplus for lssa's rows, rownorm.c's steps (x = -inf gives a finite value: callers mask hidden
 * keys). With AVX-512, e^-|x| takes vexp_neg's reduction with x clamped at -150 (which still
 * gives 0 through the scaling) instead of a mask, and a degree-5 polynomial for e^r on
 * |r| <= ln2 / 2, fitted to its relative error (9.2e-8; vexp's degree-6 Taylor series: 1.2e-7),
 * measured within 2.0 ulp of e^x over [-30, 0] in float32 (vexp: 2.6): 12 vector operations
 * instead of 15. Elsewhere vsoftplus.
 */
static inline __attribute__((always_inline)) VF SFX(vsoftplus_lssa)(VF x) {
#if VW == 16 && defined(__AVX512F__)
  const VF xn = SFX(vmax)((VF)((VI)x | ((VI){0} + (int32_t)0x80000000)), SPLAT(-150.0f)); /* -|x| */
  const VF tt = xn * 1.4426950408889634f + 12582912.0f;
  const VF fn = tt - 12582912.0f;
  VF r = xn - fn * 0.693145751953125f;
  r = r - fn * 1.428606765330187e-06f;
  VF p = r * 8.290296949e-03f + 4.189791274e-02f;
  p = p * r + 1.666763629e-01f;
  p = p * r + 4.999914966e-01f;
  p = p * r + 9.999997072e-01f;
  p = p * r + 1.0f;
  const VF t = (VF)_mm512_scalef_ps((__m512)p, (__m512)fn); /* e^-|x| */
  return SFX(vmax)(x, SPLAT(0)) + SFX(vlog1p01)(t);
#else
  return SFX(vsoftplus)(x);
#endif
}

/*
 * ln x for positive normal x (callers mask 0 and subnormals), for the statistics' w ln w: with
 * AVX-512, a table of 32 (1/c, ln c) over z in [0.7, 1.4) (x = z 2^k, from the bits as in ARM's
 * optimized-routines logf; the interval holding 1 has c = 1) and ln(1 + r), r = z / c - 1,
 * |r| < 0.024, by its degree-4 series r (1 + r (-1/2 + r (1/3 - r/4))): within 2.1 ulp of ln x
 * (measured over [1e-30, 3e30] in float32; vlog: 0.83) in about 15 operations instead of 27.
 * Elsewhere vlog.
 */
#if VW == 16 && defined(__AVX512F__)
static const float SFX(log_invc)[32] = {1.4143647f, 1.38378382f, 1.35449731f, 1.32642484f, 1.29949236f, 1.27363181f, 1.24878049f, 1.22488034f, 1.20187795f, 1.1797235f, 1.15837109f, 1.13777781f, 1.11790395f, 1.09871244f, 1.08016872f, 1.06224072f, 1.04489791f, 1.02811241f, 1.01185775f, 1.0f, 0.962406039f, 0.934306562f, 0.90780139f, 0.882758617f, 0.859060407f, 0.836601317f, 0.815286636f, 0.795031071f, 0.775757551f, 0.75739646f, 0.739884377f, 0.723163843f};
static const float SFX(log_logc)[32] = {-0.346680462f, -0.324821651f, -0.303430408f, -0.282487243f, -0.261973709f, -0.241872519f, -0.222167462f, -0.202843159f, -0.183885291f, -0.165280089f, -0.147014782f, -0.129077062f, -0.111455455f, -0.0941389874f, -0.0771172568f, -0.0603805631f, -0.0439191908f, -0.0277245101f, -0.0117879957f, 0.0f, 0.0383188389f, 0.0679506734f, 0.0967296585f, 0.124703482f, 0.151916042f, 0.178407639f, 0.204215527f, 0.229374081f, 0.25391525f, 0.27786845f, 0.301261365f, 0.324119478f};
#endif
static inline __attribute__((always_inline)) VF SFX(vlog_fast)(VF x) {
#if VW == 16 && defined(__AVX512F__)
  const VI tmp = (VI)x - 0x3f330000;
  const VF z = (VF)((VI)x - (tmp & (int32_t)0xff800000));
  const __m512i idx = (__m512i)(tmp >> 18); /* the low 5 bits pick the entry */
  const VF invc = (VF)_mm512_permutex2var_ps(_mm512_loadu_ps(SFX(log_invc)), idx,
                                             _mm512_loadu_ps(SFX(log_invc) + 16));
  const VF logc = (VF)_mm512_permutex2var_ps(_mm512_loadu_ps(SFX(log_logc)), idx,
                                             _mm512_loadu_ps(SFX(log_logc) + 16));
  const VF r = z * invc - 1.0f; /* one rounding (fma) */
  const VF k = __builtin_convertvector(tmp >> 23, VF);
  VF p = r * -0.25f + (1.0f / 3.0f);
  p = p * r - 0.5f;
  p = p * r + 1.0f;
  const VF hi = k * 0.693359375f + logc;
  return p * r + (k * -2.12194440e-4f + hi);
#else
  return SFX(vlog)(x);
#endif
}

/* w ln w per lane where w is a normal positive float, else 0 (wlogw with vlog_fast). */
static inline __attribute__((always_inline)) VF SFX(wlogw_fast)(VF w) {
  const VI pos = w > SPLAT(1.17549435e-38f);
  return (VF)((VI)(w * SFX(vlog_fast)(SFX(vsel)(pos, w, SPLAT(1.0f)))) & pos);
}

/* w ln w per lane for w >= 0 (never NaN): no mask. vlog_fast is finite on 0 and on subnormals
   (about -88 to -104 there), so w = 0 gives 0 and a subnormal w a term below 1e-36 in size. */
static inline __attribute__((always_inline)) VF SFX(wlogw_nonneg)(VF w) {
  return w * SFX(vlog_fast)(w);
}

/*
 * One vector of row_elementwise: w = f(x) (0 where hidden, -inf), and with wl, w ln w into *vwl.
 * For sigmoid, u = e^-|y| in [0, 1], y = x + b: sigmoid(y) = (y >= 0 ? 1 : u) / (1 + u), and
 * ln sigmoid(y) = -(max(-y, 0) + ln(1 + u)) by the polynomial: no log for the entropy. Softplus
 * takes rownorm.c's steps, x+ + ln(1 + e^-|x|).
 */
static inline __attribute__((always_inline)) VF SFX(elementwise_step)(VF x, int map, float b, int wl,
                                                                    VF *vwl) {
  const VI seen = x != SPLAT(-ATTN_INF);
  VF w;
  if (map == SOFTMAX_MAP_SIGMOID) {
    const VF y = x + b;
    const VF u = SFX(vexp)(SPLAT(0) - (VF)((VI)y & ((VI){0} + 0x7fffffff)));
    const VF r = 1.0f / (1.0f + u);
    w = (VF)((VI)SFX(vsel)(y >= SPLAT(0), r, u * r) & seen);
    if (wl) {
      const VF lw = SPLAT(0) - (SFX(vmax)(SPLAT(0) - y, SPLAT(0)) + SFX(vlog1p01)(u));
      *vwl += (VF)((VI)(w * lw) & seen);
    }
    return w;
  }
  if (map == SOFTMAX_MAP_SOFTPLUS) {
    w = SFX(vsoftplus)(x); /* 0 where hidden */
    if (wl) *vwl += SFX(wlogw_nonneg)(w); /* softplus >= 0 */
    return w;
  } else {
    w = SFX(vsel)(x > SPLAT(0), x + 1.0f, SFX(vexp)(x));
  }
  w = (VF)((VI)w & seen);
  if (wl) *vwl += SFX(wlogw_nonneg)(w); /* elu + 1 > 0, or 0 */
  return w;
}

/*
 * Row pass of phase 2 for the elementwise variants on s[0..j1): s <- w = f(s) (0 where hidden),
 * f by `map` (enum softmax_map: elu(s) + 1, sigmoid(s + b), softplus(s)); returns sum w. With kc,
 * counts the visible keys into kc; with wl, adds sum w ln w to *wl. Two vectors per step (two
 * independent chains of exp/log latency), summed in key order as one vector at a time would.
 */
static inline float SFX(row_elementwise)(float *s, int32_t j1, int map, float b, float *kc, float *wl) {
  VF vl = SPLAT(0), vwl = SPLAT(0);
  int32_t j = 0;
  for (; j + 2 * VW <= j1; j += 2 * VW) {
    const VF x0 = LOADU(s + j), x1 = LOADU(s + j + VW);
    VF l0 = SPLAT(0), l1 = SPLAT(0);
    const VF w0 = SFX(elementwise_step)(x0, map, b, wl != 0, &l0);
    const VF w1 = SFX(elementwise_step)(x1, map, b, wl != 0, &l1);
    vl += w0;
    vl += w1;
    vwl += l0;
    vwl += l1;
    SFX(row_put)(s, kc, j, j1, w0, x0 != SPLAT(-ATTN_INF));
    SFX(row_put)(s, kc, j + VW, j1, w1, x1 != SPLAT(-ATTN_INF));
  }
  for (; j < j1; j += VW) {
    VF x = SPLAT(-ATTN_INF);
    if (j + VW <= j1) x = LOADU(s + j);
    else for (int u = 0; u < j1 - j; u++) x[u] = s[j + u]; /* the tail as one vector, hidden past j1 */
    VF l0 = SPLAT(0);
    const VF w = SFX(elementwise_step)(x, map, b, wl != 0, &l0);
    vl += w;
    vwl += l0;
    SFX(row_put)(s, kc, j, j1, w, x != SPLAT(-ATTN_INF));
  }
  if (wl) *wl += SFX(hsum)(vwl);
  return SFX(hsum)(vl);
}

/*
 * lut[d] = ShiftExp(-d) (shiftexp.h) for d in 0..255, branch-free so that it vectorizes: for d >= 0,
 * floor(-d / 2) = -((d + 1) >> 1) and floor(-d / 16) = -((d + 15) >> 4); the rest is shiftexp.h's
 * steps with selects. x0 <= -1; 0 <= q <= n, so every shift count is in [0, 30].
 */
static void SFX(shift_lut_build)(int64_t *lut, int64_t x0, const shiftmax_cfg *c) {
  const int64_t n = c->n, floor_p = n * x0;
  const double dx0 = (double)x0;
  for (int64_t d = 0; d < 256; d++) {
    int64_t p = -d - ((d + 1) >> 1) + ((d + 15) >> 4);
    p = p < floor_p ? floor_p : p;
    int64_t q = (int64_t)((double)p / dx0);
    int64_t r = p - q * x0;
    const int64_t up = r > 0, down = r <= x0;
    q = q - up + down;
    r = r + (up ? x0 : 0) - (down ? x0 : 0);
    const int64_t sh = n - q;
    int64_t e;
    if (c->exp_tvm) e = (-((1 - r) >> 1) - x0) << sh; /* floor(r / 2) = -((-r + 1) >> 1), r <= 0 */
    else {
      e = ((r - 2 * x0) << sh) >> 1;
      e = e > 0 ? e : 0;
    }
    lut[d] = e;
  }
}

/* The ShiftExp table of x0 (entry 256: 0, for hidden keys), from the cache or built in its slot. */
static const int64_t *SFX(shift_lut)(softmax_shift *x, int64_t x0) {
  const int slot = (int)(x0 & (SOFTMAX_SHIFT_SLOTS - 1));
  int64_t *lut = x->lut + slot * 257;
  if (x->lut_x0[slot] == x0) return lut;
  SFX(shift_lut_build)(lut, x0, &x->c);
  lut[256] = 0;
  x->lut_x0[slot] = x0;
  return lut;
}

/* 1 when some lane of m is set (m: a comparison's lanes, 0 or -1). */
static inline __attribute__((always_inline)) int SFX(vany)(VI m) {
#if VW == 16 && defined(__AVX512F__)
  return _mm512_test_epi32_mask((__m512i)m, (__m512i)m) != 0;
#elif VW == 8 && defined(__AVX__)
  return _mm256_movemask_ps((__m256)m) != 0;
#elif VW == 4 && defined(__SSE__)
  return _mm_movemask_ps((__m128)m) != 0;
#elif VW == 4 && defined(__wasm_simd128__)
  return wasm_v128_any_true((v128_t)m);
#else
  int any = 0;
  for (int u = 0; u < VW; u++) any |= m[u] != 0;
  return any;
#endif
}

/* The lanes of m (a comparison's lanes, 0 or -1) as bits, lane u in bit u. */
static inline __attribute__((always_inline)) uint32_t SFX(vbits)(VI m) {
#if VW == 16 && defined(__AVX512F__)
  return _mm512_test_epi32_mask((__m512i)m, (__m512i)m);
#elif VW == 8 && defined(__AVX__)
  return (uint32_t)_mm256_movemask_ps((__m256)m);
#elif VW == 4 && defined(__SSE__)
  return (uint32_t)_mm_movemask_ps((__m128)m);
#elif VW == 4 && defined(__wasm_simd128__)
  return wasm_i32x4_bitmask((v128_t)m);
#else
  uint32_t b = 0;
  for (int u = 0; u < VW; u++) b |= (uint32_t)(m[u] != 0) << u;
  return b;
#endif
}

/*
 * o[0..nv VW) = sum over the keys k of keys[0..n) (in order) of s[k] v[k ldv ...], alternate keys
 * into two sets of accumulators (two chains of FMA latency), added at the end.
 */
static inline __attribute__((always_inline)) void SFX(pv_list_cols)(const float *s, const int32_t *keys,
                                                                int32_t n, const float *v, int64_t ldv,
                                                                float *o, const int nv) {
  VF a[4], b[4];
  for (int c = 0; c < nv; c++) a[c] = b[c] = SPLAT(0);
  int32_t i = 0;
  for (; i + 2 <= n; i += 2) {
    const int32_t k0 = keys[i], k1 = keys[i + 1];
    const float *v0 = v + (int64_t)k0 * ldv, *v1 = v + (int64_t)k1 * ldv;
    for (int c = 0; c < nv; c++) a[c] += s[k0] * LOADU(v0 + c * VW);
    for (int c = 0; c < nv; c++) b[c] += s[k1] * LOADU(v1 + c * VW);
  }
  if (i < n) {
    const float *v0 = v + (int64_t)keys[i] * ldv;
    for (int c = 0; c < nv; c++) a[c] += s[keys[i]] * LOADU(v0 + c * VW);
  }
  for (int c = 0; c < nv; c++) STOREU(o + c * VW, a[c] + b[c]);
}

/* shiftmax rows whose P V row_shiftmax computes itself (from its list of nonzero weights): at
   most a quarter of the keys nonzero, dv whole vectors. shiftmax_pv skips them. */
static inline int SFX(shift_row_pv)(int32_t nonzero, int32_t hi, int32_t dv) {
  return dv % VW == 0 && 4 * (int64_t)nonzero <= hi;
}

/* I = clamp(round_half_even(v / scale), -128, 127) in double, as integer.c quantizes. */
static inline int32_t SFX(shift_quantize)(float v, double scale) {
  double q = (double)v / scale;
  q = q < -129.0 ? -129.0 : q;
  q = q > 128.0 ? 128.0 : q;
  const int32_t i = (int32_t)((q + 6755399441055744.0) - 6755399441055744.0);
  return i < -128 ? -128 : i > 127 ? 127 : i;
}

/*
 * Row pass of phase 2 for shiftmax on s[0..hi) (-inf where hidden, at least one key visible):
 * s <- the dequantized weights, integer.c's steps bit for bit; returns how many are not 0.
 *   1. the largest visible s and |s| (the row's scale S unless fixed);
 *   2. I_j = clamp(round_half_even(s_j / S), -128, 127): the quantization divides by S in double;
 *      here a float product with the reciprocal (within 1.6e-5 of the quotient for |s / S| <= 129)
 *      decides, except for lanes within 2e-5 of a half-integer, which take the double division.
 *      Quantization is monotone, so max I is the I of the largest s. Per key the table index
 *      D = max I - I_j (256 where hidden) goes to iq and E_j = ShiftExp(-D) = lut[D] into the sum,
 *      min(2^M - 1, sum E): exactly what clamping after every key gives (E >= 0), taken 128 keys
 *      at a time (each E < 2^55: no int64 overflow);
 *   3. the weight w(D) = ((lut[D] f) >> shift) 2^-(bits - 1) of the D that occur. ShiftExp(-D) is
 *      non-increasing in D (p = d + floor(d/2) - floor(d/16) is non-decreasing in d = -D, and
 *      both forms grow with r and at each step down of q), so w(D) is too: the table stops at the
 *      first zero weight, d_cut, and keys with D >= d_cut get exactly 0 (on long rows with 8-bit
 *      output, most keys; vectors of them are stored as zeros with no lookup);
 *   4. the weights into s, the keys of the nonzero ones listed;
 *   5. with o (V in v, dv columns): for a row with few nonzero weights (shift_row_pv), its P V
 *      o[0..dv) = sum of w_k V_k over them (the reference skips zero weights too).
 * With kc, counts the visible keys; with ks, adds the weights to the key sums ks[0..hi); with wl,
 * adds sum w ln w (the same per-lane sums as over every key: zero vectors add nothing).
 */
static int32_t SFX(row_shiftmax)(float *s, int32_t hi, softmax_shift *x, int32_t *iq, float *kc,
                                 float *ks, float *wl, const float *v, int32_t dv, float *o) {
  /* 1. */
  VF vmax = SPLAT(-ATTN_INF), vabs = SPLAT(0);
  int32_t j = 0;
  for (; j + VW <= hi; j += VW) {
    const VF v = LOADU(s + j);
    vmax = SFX(vmax)(vmax, v);
    vabs = SFX(vmax)(vabs, SFX(vsel)(v != SPLAT(-ATTN_INF), (VF)((VI)v & ((VI){0} + 0x7fffffff)), SPLAT(0)));
  }
  float max_s = SFX(hmax)(vmax), max_abs = SFX(hmax)(vabs);
  for (; j < hi; j++) {
    const float v = s[j], av = v < 0.0f ? -v : v;
    max_s = v > max_s ? v : max_s;
    max_abs = v != -ATTN_INF && av > max_abs ? av : max_abs;
  }
  double scale = x->fixed_scale;
  if (scale == 0.0) {
    scale = (double)max_abs / 127.0;
    if (scale < INTEGER_MIN_SCALE) scale = INTEGER_MIN_SCALE;
  }
  const int64_t x0 = x->c.x0_tvm ? (int64_t)(-1.0 / scale - 1.0) : integer_floor(-1.0 / scale);
  const int32_t m = SFX(shift_quantize)(max_s, scale);
  const int64_t *lut = SFX(shift_lut)(x, x0);
  /* 2. adding and subtracting 1.5 * 2^23 rounds a float below 2^22 to the nearest integer, ties
     to even */
  const float invf = (float)(1.0 / scale);
  int64_t sum = 0;
  for (int32_t j0 = 0; j0 < hi; j0 += 128) {
    const int32_t j1 = j0 + 128 < hi ? j0 + 128 : hi;
#if VW == 16 && defined(__AVX512F__)
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
#else
    int64_t part = 0;
#endif
    for (j = j0; j < j1; j += VW) {
      VF xs;
      if (j + VW <= j1) xs = LOADU(s + j);
      else { /* the tail as one vector, hidden past hi */
        xs = SPLAT(-ATTN_INF);
        for (int u = 0; u < j1 - j; u++) xs[u] = s[j + u];
      }
      const VI seen = xs != SPLAT(-ATTN_INF);
      /* clamping to the integer bounds before rounding is clamping after; hidden: -128 */
      const VF r = SFX(vmin)(SFX(vmax)(xs * invf, SPLAT(-128.0f)), SPLAT(127.0f));
      const VF t = r + 12582912.0f; /* round(r), ties to even, in the low bits */
      const VF off = r - (t - 12582912.0f);
      VI v = (VI)t - 0x4B400000;
      const VI near = (VF)((VI)off & ((VI){0} + 0x7fffffff)) > SPLAT(0.49998f);
      if (__builtin_expect(SFX(vany)(near), 0)) /* near a rounding edge: the quotient decides */
        for (int u = 0; u < VW; u++)
          if (near[u]) v[u] = SFX(shift_quantize)(xs[u], scale);
      const VI dd = (VI)SFX(vsel)(seen, (VF)(m - v), (VF)((VI){0} + 256));
      STOREU((float *)(void *)(iq + j), (VF)dd); /* the bits of D, unaligned (iq has room) */
      if (kc) {
        if (j + VW <= hi) STOREU(kc + j, LOADU(kc + j) + (VF)((VI)SPLAT(1.0f) & seen));
        else for (int u = 0; u < hi - j; u++) kc[j + u] += seen[u] ? 1.0f : 0.0f;
      }
#if VW == 16 && defined(__AVX512F__)
      const __m512i di = (__m512i)dd;
      acc0 = _mm512_add_epi64(acc0, _mm512_i32gather_epi64(_mm512_castsi512_si256(di), lut, 8));
      acc1 = _mm512_add_epi64(acc1, _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(di, 1), lut, 8));
#else
      for (int u = 0; u < VW; u++) part += lut[dd[u]];
#endif
    }
#if VW == 16 && defined(__AVX512F__)
    const int64_t part = _mm512_reduce_add_epi64(_mm512_add_epi64(acc0, acc1));
#endif
    sum += part;
    if (sum > x->top) sum = x->top;
  }
  /* 3. f = floor((2^M - 1) / sum): the double quotient (both below 2^53) corrected by one step
     where it rounded across an integer (no int64 division) */
  const int64_t top = x->top;
  int64_t f = (int64_t)((double)top / (double)sum);
  f -= f * sum > top;
  f += (f + 1) * sum <= top;
  const int shift = x->shift;
  const float unit = x->unit;
  float *wt = (float *)(void *)(iq + x->iq_len);
  /* every E f <= max(2^M - 1, lut[0]): the key of max I has E = lut[0], so sum >= lut[0] unless
     the sum was clamped, and then f = 1 */
  const int exact = lut[0] < ((int64_t)1 << 52);
  /* the weights of D = 0, 1, ... 8 at a time, up to the block holding the first 0 (lut[256] = 0:
     none before it, d_cut = 256) */
  int32_t d_cut = 256;
  typedef double v8d __attribute__((vector_size(64)));
  typedef int64_t v8l __attribute__((vector_size(64)));
  typedef int64_t v8lu __attribute__((vector_size(64), aligned(8)));
  typedef float v8f __attribute__((vector_size(32)));
  typedef float v8fu __attribute__((vector_size(32), aligned(4)));
  const double fs = (double)f * x->inv_pow_shift;
  for (int32_t d0 = 0; d0 < 256; d0 += 8) {
    const v8l e = *(const v8lu *)(lut + d0);
    v8f w8;
    if (exact) {
      /* every E (<= lut[0]), f and E f (< 2^52, M <= 52) are exact doubles: the double product
         is exact, so is its scaling by 2^-shift, and floor gives (E f) >> shift */
      const v8d p = __builtin_convertvector(e, v8d) * fs; /* in [0, 2^52): floor by the magic constant */
      v8d fl = (p + 4503599627370496.0) - 4503599627370496.0;
      fl -= (v8d)((v8l)(v8d){1, 1, 1, 1, 1, 1, 1, 1} & (fl > p));
      w8 = __builtin_convertvector(fl, v8f) * unit;
    } else {
      w8 = __builtin_convertvector((e * f) >> shift, v8f) * unit; /* E f <= 2^M */
    }
    *(v8fu *)(wt + d0) = w8;
    if (w8[7] == 0.0f) {
      d_cut = d0;
      while (wt[d_cut] != 0.0f) d_cut++;
      break;
    }
  }
  if (d_cut == 0) { /* every weight is 0 */
    for (j = 0; j + VW <= hi; j += VW) STOREU(s + j, SPLAT(0));
    for (; j < hi; j++) s[j] = 0.0f;
    if (o && SFX(shift_row_pv)(0, hi, dv))
      for (int32_t c = 0; c < dv; c++) o[c] = 0.0f;
    return 0;
  }
#if VW == 16 && defined(__AVX512F__)
  for (int32_t d = d_cut; d < 32; d++) wt[d] = 0.0f; /* the permute tables' unused entries */
  const __m512 t0 = _mm512_loadu_ps(wt), t1 = _mm512_loadu_ps(wt + 16);
#endif
  /* 4. the weights, and the keys of the nonzero ones listed in iq[0..nz) (each entry written
     after the D it replaces was read); their value rows prefetched for the P V below */
  VF vwl = SPLAT(0);
  int32_t nz = 0;
  for (j = 0; j < hi; j += VW) {
    const VI dd = (VI)LOADU((const float *)(const void *)(iq + j));
    const VI live = dd < (VI){0} + d_cut;
    VF w = SPLAT(0);
    if (SFX(vany)(live)) {
#if VW == 16 && defined(__AVX512F__)
      const __mmask16 lm = _mm512_test_epi32_mask((__m512i)live, (__m512i)live);
      if (d_cut <= 32) w = (VF)_mm512_maskz_permutex2var_ps(lm, t0, (__m512i)dd, t1);
      else w = (VF)_mm512_mask_i32gather_ps(_mm512_setzero_ps(), lm, (__m512i)dd, wt, 4);
#else
      for (int u = 0; u < VW; u++) w[u] = live[u] ? wt[dd[u]] : 0.0f;
#endif
      if (wl) vwl += SFX(wlogw_fast)(w);
      if (ks) {
        if (j + VW <= hi) STOREU(ks + j, LOADU(ks + j) + w);
        else for (int u = 0; u < hi - j; u++) ks[j + u] += w[u];
      }
      for (uint32_t bits = SFX(vbits)(w != SPLAT(0)); bits; bits &= bits - 1) {
        const int32_t k = j + __builtin_ctz(bits);
        iq[nz++] = k;
        if (o)
          for (int32_t c = 0; c < dv; c += 16) __builtin_prefetch(v + (int64_t)k * dv + c);
      }
    }
    if (j + VW <= hi) STOREU(s + j, w);
    else for (int u = 0; u < hi - j; u++) s[j + u] = w[u];
  }
  if (wl) *wl += SFX(hsum)(vwl);
  /* 5. a sparse row's P V: o = sum of w_k V_k over the listed keys (shiftmax_pv skips the row) */
  if (o && SFX(shift_row_pv)(nz, hi, dv)) {
    int32_t c0 = 0;
    for (; c0 + 4 * VW <= dv; c0 += 4 * VW) SFX(pv_list_cols)(s, iq, nz, v + c0, dv, o + c0, 4);
    for (; c0 < dv; c0 += VW) SFX(pv_list_cols)(s, iq, nz, v + c0, dv, o + c0, 1);
  }
  return nz;
}

/* Correctly rounded square root per lane (as __builtin_sqrtf). */
static inline __attribute__((always_inline)) VF SFX(vsqrt)(VF x) {
#if VW == 16 && defined(__AVX512F__)
  return (VF)_mm512_sqrt_ps((__m512)x);
#elif VW == 8 && defined(__AVX__)
  return (VF)_mm256_sqrt_ps((__m256)x);
#elif VW == 4 && defined(__SSE__)
  return (VF)_mm_sqrt_ps((__m128)x);
#elif VW == 4 && defined(__wasm_simd128__)
  return (VF)wasm_f32x4_sqrt((v128_t)x);
#else
  for (int u = 0; u < VW; u++) x[u] = __builtin_sqrtf(x[u]);
  return x;
#endif
}

/*
 * lssa, soft-gauss: kk[j] = |k_j|^2 and rkn[j] = 1 / |k_j| (0 when |k_j| = 0) for j < tk from the
 * transposed keys Kt [d, ld] (scale 1), VW keys at a time; returns 1 if some |k_j|^2 is not
 * below 1e30 (or not finite).
 */
static int SFX(key_norms)(const float *Kt, int64_t ld, int32_t tk, int32_t d, float *kk, float *rkn) {
  VI huge = (VI){0};
  for (int32_t j = 0; j < tk; j += VW) { /* Kt is zero past tk up to a whole 64 keys */
    VF acc = SPLAT(0);
    for (int32_t c = 0; c < d; c++) {
      const VF x = LOADU(Kt + c * ld + j);
      acc += x * x;
    }
    const VI pos = acc > SPLAT(0);
    const VF r = SFX(vsel)(pos, 1.0f / SFX(vsqrt)(SFX(vsel)(pos, acc, SPLAT(1.0f))), SPLAT(0));
    huge |= ~(acc < SPLAT(1e30f));
    if (j + VW <= tk) {
      STOREU(kk + j, acc);
      STOREU(rkn + j, r);
    } else {
      for (int u = 0; u < tk - j; u++) {
        kk[j + u] = acc[u];
        rkn[j + u] = r[u];
      }
    }
  }
  return SFX(vany)(huge);
}

/* sum of x[c]^2 for c < n, VW at a time in lane sums, then across the lanes. */
static inline float SFX(sumsq)(const float *x, int32_t n) {
  VF acc = SPLAT(0);
  int32_t c = 0;
  for (; c + VW <= n; c += VW) {
    const VF v = LOADU(x + c);
    acc += v * v;
  }
  float s = SFX(hsum)(acc);
  for (; c < n; c++) s += x[c] * x[c];
  return s;
}

/*
 * Phase 1 of lssa/lssar on row s[0..hi) of raw dot products, whose masks show keys [0, se) and
 * [lo, hi), as rownorm.c defines the row: keys whose bias is -inf become hidden (-inf, as the
 * masked ones are where phase 2 reads them); the row is invalid
 * when a visible key's dot, |k|^2 or bias is not finite, or |q|^2 is not (a row with no visible key
 * is hidden, never invalid). *n_visible gets N; *bmax the largest visible bias (0 without bias).
 */
static int SFX(lssa_row_check)(float *s, int32_t se, int32_t lo, int32_t hi, const float *brow,
                               const float *kk, float qq, int32_t *n_visible, float *bmax) {
  int bad = qq - qq != 0.0f;
  int32_t n = 0;
  float bm = 0.0f;
  if (!brow) { /* visible: [0, se) and [lo, hi), se <= lo <= hi */
    for (int32_t j = se; j < lo; j++) s[j] = -ATTN_INF;
    for (int part = 0; part < 2; part++) {
      const int32_t j0 = part ? lo : 0, j1 = part ? hi : se;
      int b = 0;
      for (int32_t j = j0; j < j1; j++) b |= (s[j] - s[j] != 0.0f) | (kk[j] - kk[j] != 0.0f);
      bad |= b;
    }
    n = se + hi - lo;
    *n_visible = n;
    *bmax = 0.0f;
    return n > 0 && bad;
  }
  for (int32_t j = 0; j < hi; j++) {
    if (j >= se && j < lo) { s[j] = -ATTN_INF; continue; }
    const float b = brow ? brow[j] : 0.0f;
    if (b == -ATTN_INF) { s[j] = -ATTN_INF; continue; }
    bad |= (s[j] - s[j] != 0.0f) | (kk[j] - kk[j] != 0.0f) | (b - b != 0.0f);
    bm = b > bm ? b : bm;
    n++;
  }
  *n_visible = n;
  *bmax = bm;
  return n > 0 && bad;
}

/*
 * One vector of lssa_row: a = softplus((x rqn) knj + b), rqn = lambda / |q| (0 where hidden, x =
 * -inf; b only with has_b, 0 where hidden), and with wl, a ln a added into *vwl.
 */
static inline __attribute__((always_inline)) VF SFX(lssa_step)(VF x, VF knj, VF bj, float rqn,
                                                              const int has_b, const int wl, VF *vwl) {
  const VI seen = x != SPLAT(-ATTN_INF);
  VF arg = (x * rqn) * knj; /* rqn: lambda / |q| */
  if (has_b) arg += SFX(vsel)(seen, bj, SPLAT(0));
  const VF a = (VF)((VI)SFX(vsoftplus_lssa)(arg) & seen);
  if (wl) *vwl += SFX(wlogw_nonneg)(a); /* softplus >= 0 */
  return a;
}

/* lssa_row's body, specialized on has_b (brow != 0) and mode (1: wl, 2: amax, 0: neither): no
   tests in the loop. */
static inline __attribute__((always_inline)) float SFX(lssa_row_in)(
    const float *s, float *w, int32_t hi, const float *brow, const float *rkn, float rqn,
    float *kc, float *wl, float *amax, const int has_b, const int mode) {
  VF vl = SPLAT(0), vwl = SPLAT(0), vam = SPLAT(0);
  for (int32_t j = 0; j < hi; j += VW) {
    VF x, knj, bj = SPLAT(0);
    if (j + VW <= hi) {
      x = LOADU(s + j); knj = LOADU(rkn + j);
      if (has_b) bj = LOADU(brow + j);
    } else { /* the tail as one vector, hidden past hi */
      x = SPLAT(-ATTN_INF); knj = SPLAT(0);
      for (int u = 0; u < hi - j; u++) {
        x[u] = s[j + u]; knj[u] = rkn[j + u];
        if (has_b) bj[u] = brow[j + u];
      }
    }
    VF l0 = SPLAT(0);
    const VF a = SFX(lssa_step)(x, knj, bj, rqn, has_b, mode == 1, &l0);
    vl += a;
    if (mode == 1) vwl += l0;
    if (mode == 2) vam = SFX(vmax)(vam, a);
    SFX(row_put)(w, kc, j, hi, a, x != SPLAT(-ATTN_INF));
  }
  if (mode == 1) *wl += SFX(hsum)(vwl);
  if (mode == 2) *amax = SFX(hmax)(vam);
  return SFX(hsum)(vl);
}

/*
 * lssa weights of a row into w[0..hi) from the raw dots s (-inf where hidden): a_j =
 * softplus(lambda cos_j + b_j), cos_j = dot / (|q| |k_j|) (0 when |q| or |k_j| is 0), taken as
 * (dot lambda / |q|) * rkn_j with rkn_j = 1 / |k_j| (no division per key); returns sum a (the steps
 * of rownorm.c). With kc, counts the visible keys; with wl, adds sum a ln a; else with amax, gets
 * max a.
 */
static float SFX(lssa_row)(const float *s, float *w, int32_t hi, const float *brow, const float *rkn,
                           float qq, float lambda, float *kc, float *wl, float *amax) {
  /* rqn or rkn_j is 0 where |q| or |k_j| is: the product is then 0 for a visible key (finite s);
     hidden keys are masked after */
  const float rqn = qq > 0.0f ? lambda / __builtin_sqrtf(qq) : 0.0f; /* lambda folded in */
  const int mode = wl ? 1 : amax ? 2 : 0;
  if (brow) {
    if (mode == 1) return SFX(lssa_row_in)(s, w, hi, brow, rkn, rqn, kc, wl, amax, 1, 1);
    if (mode == 2) return SFX(lssa_row_in)(s, w, hi, brow, rkn, rqn, kc, wl, amax, 1, 2);
    return SFX(lssa_row_in)(s, w, hi, brow, rkn, rqn, kc, wl, amax, 1, 0);
  }
  if (mode == 1) return SFX(lssa_row_in)(s, w, hi, 0, rkn, rqn, kc, wl, amax, 0, 1);
  if (mode == 2) return SFX(lssa_row_in)(s, w, hi, 0, rkn, rqn, kc, wl, amax, 0, 2);
  return SFX(lssa_row_in)(s, w, hi, 0, rkn, rqn, kc, wl, amax, 0, 0);
}

/*
 * soft-gauss weights of a row in place on s[0..hi) (-inf where hidden): w_j = e^{x_j + b_j} with
 * x_j = -(|q|^2 + |k_j|^2 - 2 q.k_j) / (2 sqrt d) from the raw dots, or, when `exact`, s already
 * holds gauss.c's exact-difference exponents; returns sum w. With kc, counts the visible keys;
 * with wl, adds sum w ln w, taking ln w as the exponent itself (as vexp clamps it at 88.7): no log.
 */
static float SFX(gauss_row)(float *s, int32_t hi, const float *brow, const float *kk, float qq,
                            float inv, int exact, float *kc, float *wl) {
  VF vl = SPLAT(0), vwl = SPLAT(0);
  for (int32_t j = 0; j < hi; j += VW) {
    VF x, kkj = SPLAT(0), bj = SPLAT(0);
    const int tail = j + VW > hi;
    if (!tail) {
      x = LOADU(s + j); kkj = LOADU(kk + j);
      if (brow) bj = LOADU(brow + j);
    } else { /* the tail as one vector, hidden past hi */
      x = SPLAT(-ATTN_INF);
      for (int u = 0; u < hi - j; u++) {
        x[u] = s[j + u]; kkj[u] = kk[j + u];
        if (brow) bj[u] = brow[j + u];
      }
    }
    const VI seen = x != SPLAT(-ATTN_INF);
    VF e = exact ? x : SPLAT(0) - ((qq + kkj) - 2.0f * x) * inv;
    if (brow) e += SFX(vsel)(seen, bj, SPLAT(0));
    const VF w = (VF)((VI)SFX(vexp)(e) & seen);
    if (wl) {
      const VI pos = w > SPLAT(1.17549435e-38f);
      vwl += (VF)((VI)(w * SFX(vmin)(e, SPLAT(88.7f))) & pos);
    }
    vl += w;
    SFX(row_put)(s, kc, j, hi, w, seen);
  }
  if (wl) *wl += SFX(hsum)(vwl);
  return SFX(hsum)(vl);
}

/*
 * LSSAR's second stage in place on the LSSA weights a[0..hi) of a row, overflow-safe (rownorm.c's
 * rownorm_reweight): u_j = ReLU(a_j * an - offset) / max_k ReLU(...), with an = N / (sum a + 1e-8)
 * (the LSSA normalization folded in), r_j = u_j^p (= e^{p ln u_j}; by squaring for an integer p);
 * leaves r and returns sum r (the caller scales by its inverse); amax: the largest a (lssa_row's).
 * With wl, adds sum r p ln u_j: with W = r / sum r, sum W ln W = (sum r p ln u) / sum r - ln sum r,
 * no second log per key.
 */
static inline __attribute__((always_inline)) float SFX(lssar_reweight_in)(
    float *w, int32_t hi, float an, float offset, float power, float inv_max, const int ip,
    float u_min, const int wlon, float *wl) {
  VF acc = SPLAT(0), accl = SPLAT(0);
  for (int32_t j = 0; j < hi; j += VW) { /* u^p = e^{p ln u} for u > 0 (u below 1.2e-38 taken as 1.2e-38) */
    const int tail = j + VW > hi;
    VF a = SPLAT(0);
    if (!tail) a = LOADU(w + j);
    else for (int k = 0; k < hi - j; k++) a[k] = w[j + k];
    /* u before the ReLU: every use below maps u <= 0 as it maps 0 (keep and the u_min mask are
       off, un and b are clamped up) */
    const VF u = (a * an - offset) * inv_max;
    const VI keep = u > SPLAT(0);
    const VF un = SFX(vmax)(u, SPLAT(1.1754944e-38f));
    VF pl = SPLAT(0), r;
    if (ip >= 0) {
      VF b = SFX(vmax)(u, SPLAT(u_min)), pw = SPLAT(1.0f);
      for (int32_t e = ip; e; e >>= 1) {
        if (e & 1) pw *= b;
        if (e > 1) b *= b;
      }
      r = (VF)((VI)pw & (ip > 0 ? u >= SPLAT(u_min) : keep));
      if (wlon) pl = SFX(vlog_fast)(un); /* ln u, for the entropy only */
    } else {
      pl = SFX(vlog)(un);
      r = (VF)((VI)SFX(vexp)(power * pl) & keep);
    }
    if (!tail) STOREU(w + j, r);
    else for (int k = 0; k < hi - j; k++) w[j + k] = r[k];
    acc += r;
    if (wlon) accl += r * pl; /* p sum r ln u: p applied once, at the end */
  }
  if (wlon) *wl += power * SFX(hsum)(accl);
  return SFX(hsum)(acc);
}

/* the vector loop of lssar_reweight specialized on the integer power ip (the paper's 15 and 3:
   the squarings unrolled) and on wl; a function of its own, so its loop keeps its constants in
   registers */
static __attribute__((noinline)) float SFX(lssar_reweight)(float *w, int32_t hi, float an, float offset,
                                                         float power, float amax, float *wl) {
  /* max_j ReLU(a_j an - offset) = ReLU(max a an - offset): the map is non-decreasing (an >= 0),
     and so is its rounding; computed with the same vector step as the keys' */
  const float rm = (SPLAT(amax) * an - offset)[0];
  const float max = rm > 0.0f ? rm : 0.0f;
  const float inv_max = max > 0.0f ? 1.0f / max : 0.0f;
  /* an integer p up to 64 (the paper's 15, 3): u^p by squaring, 0 where e^{p ln u} would be (p ln u
     below -87.3, so no product goes subnormal); u^0 = 1 */
  const int ip = power <= 64.0f && power == (float)(int32_t)power ? (int32_t)power : -1;
  const float u_min = ip > 0 ? attn_expf(-87.3f / (float)ip) : 0.0f;
#define LSSAR_RW(IP, WL) SFX(lssar_reweight_in)(w, hi, an, offset, power, inv_max, IP, u_min, WL, wl)
  if (wl) {
    if (ip == 15) return LSSAR_RW(15, 1);
    if (ip == 3) return LSSAR_RW(3, 1);
    return LSSAR_RW(ip, 1);
  }
  if (ip == 15) return LSSAR_RW(15, 0);
  if (ip == 3) return LSSAR_RW(3, 0);
  return LSSAR_RW(ip, 0);
#undef LSSAR_RW
}

/*
 * o[0..nv VW) = sum over the nonzero weights w_j of s[0..hi) of w_j v[j ldv ...], keys in order,
 * alternate ones into two sets of accumulators (two chains of FMA latency), added at the end.
 */
static inline __attribute__((always_inline)) void SFX(pv_nonzero_cols)(const float *s, int32_t hi,
                                                                   const float *v, int64_t ldv,
                                                                   float *o, const int nv) {
  VF a[4], b[4];
  for (int c = 0; c < nv; c++) a[c] = b[c] = SPLAT(0);
  for (int32_t j = 0; j < hi; j += VW) {
    VF w = SPLAT(0);
    if (j + VW <= hi) w = LOADU(s + j);
    else for (int u = 0; u < hi - j; u++) w[u] = s[j + u];
    uint32_t bits = SFX(vbits)(w != SPLAT(0));
    while (bits) {
      const int32_t k0 = j + __builtin_ctz(bits);
      bits &= bits - 1;
      const float *v0 = v + (int64_t)k0 * ldv;
      for (int c = 0; c < nv; c++) a[c] += s[k0] * LOADU(v0 + c * VW);
      if (!bits) break;
      const int32_t k1 = j + __builtin_ctz(bits);
      bits &= bits - 1;
      const float *v1 = v + (int64_t)k1 * ldv;
      for (int c = 0; c < nv; c++) b[c] += s[k1] * LOADU(v1 + c * VW);
    }
  }
  for (int c = 0; c < nv; c++) STOREU(o + c * VW, a[c] + b[c]);
}

/*
 * shiftmax's P V, called from one branch at the start of softmax_items' P V phase: 8-bit weights
 * of long rows are mostly exactly 0 (row_shiftmax returns how many are not, kept in nnz[r]), and
 * the reference skips zero weights too. When at most half of the block's visible weights are
 * nonzero and dv is whole vectors: O[r][0..dv) = sum of w_j V_j over the nonzero w_j of each row
 * (0 for an empty or invalid row, rowm -inf; rows shift_row_pv picks were done by row_shiftmax),
 * and returns 1; else returns 0 and the dense tiles run (and overwrite those rows). The same
 * products as the tiles, summed in another order (two chains), within fp32 rounding.
 */
static int SFX(shiftmax_pv)(const float *S, int64_t tkp, const float *rowm, const int32_t *rhi,
                            const float *nnz, int32_t nr, const float *vh, int32_t dv, float *O,
                            int64_t ldo) {
  if (dv % VW != 0) return 0;
  double nonzero = 0.0, keys = 0.0;
  for (int32_t r = 0; r < nr; r++) {
    if (rowm[r] == -ATTN_INF) continue;
    nonzero += nnz[r];
    keys += rhi[r];
  }
  if (2.0 * nonzero > keys) return 0;
  for (int32_t r = 0; r < nr; r++) {
    float *o = O + (int64_t)r * ldo;
    if (rowm[r] == -ATTN_INF) {
      for (int32_t c = 0; c < dv; c++) o[c] = 0.0f;
      continue;
    }
    if (SFX(shift_row_pv)((int32_t)nnz[r], rhi[r], dv)) continue; /* done by row_shiftmax */
    const float *s = S + (int64_t)r * tkp;
    int32_t c0 = 0;
    for (; c0 + 4 * VW <= dv; c0 += 4 * VW) SFX(pv_nonzero_cols)(s, rhi[r], vh + c0, dv, o + c0, 4);
    for (; c0 < dv; c0 += VW) SFX(pv_nonzero_cols)(s, rhi[r], vh + c0, dv, o + c0, 1);
  }
  return 1;
}
