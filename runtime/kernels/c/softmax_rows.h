/*
 * softmax_rows.h - the variants' own row passes of phase 2 (softmax_tile.h's phase 1 and P V are
 * shared): the elementwise maps (sigmoid, elu1, sigmoid-norm, softplus-norm), shiftmax's integer
 * steps and its ShiftExp tables, lssa/lssar's softplus rows and LSSAR's re-weighting, soft-gauss's
 * row. Included by softmax_tile.h once per instruction set, after its vector helpers (vexp, vlog,
 * row_put, wlogw); everything here is static and suffixed by SFX like the rest of the tile body.
 */

/*
 * Row pass of phase 2 for the elementwise variants on s[0..j1): s <- w = f(s) (0 where hidden),
 * f by `map` (enum softmax_map: elu(s) + 1, sigmoid(s + b), softplus(s)); returns sum w. With kc,
 * counts the visible keys into kc; with wl, adds sum w ln w to *wl.
 */
static inline float SFX(row_elementwise)(float *s, int32_t j1, int map, float b, float *kc, float *wl) {
  VF vl = SPLAT(0), vwl = SPLAT(0);
  for (int32_t j = 0; j < j1; j += VW) {
    const int tail = j + VW > j1;
    VF x = SPLAT(-ATTN_INF);
    if (!tail) x = LOADU(s + j);
    else for (int u = 0; u < j1 - j; u++) x[u] = s[j + u]; /* the tail as one vector, hidden past j1 */
    VI seen = x != SPLAT(-ATTN_INF);
    VF w;
    if (map == SOFTMAX_MAP_SIGMOID) {
      /* u = e^-|y| in [0, 1], y = x + b: sigmoid(y) = (y >= 0 ? 1 : u) / (1 + u), and
         ln sigmoid(y) = -(max(-y, 0) + ln(1 + u)) by the polynomial: no log for the entropy */
      const VF y = x + b;
      const VF u = SFX(vexp)(SPLAT(0) - (VF)((VI)y & ((VI){0} + 0x7fffffff)));
      const VF r = 1.0f / (1.0f + u);
      w = (VF)((VI)SFX(vsel)(y >= SPLAT(0), r, u * r) & seen);
      if (wl) {
        const VF lw = SPLAT(0) - (SFX(vmax)(SPLAT(0) - y, SPLAT(0)) + SFX(vlog1p01)(u));
        vwl += (VF)((VI)(w * lw) & seen);
      }
      vl += w;
      SFX(row_put)(s, kc, j, j1, w, seen);
      continue;
    } else if (map == SOFTMAX_MAP_SOFTPLUS) { /* rownorm.c's steps: x+ + ln(1 + e^-|x|) */
      const VF t = SFX(vexp)(SFX(vsel)(x < SPLAT(0), x, SPLAT(0) - x)); /* e^-|x| in [0, 1] */
      w = SFX(vsel)(x > SPLAT(0), x, SPLAT(0)) + SFX(vlog1p01)(t);
    } else {
      w = SFX(vsel)(x > SPLAT(0), x + 1.0f, SFX(vexp)(x));
    }
    w = (VF)((VI)w & seen);
    if (wl) vwl += SFX(wlogw)(w);
    vl += w;
    SFX(row_put)(s, kc, j, j1, w, seen);
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

static float SFX(row_wlogw)(const float *s, int32_t hi);

/*
 * Row pass of phase 2 for shiftmax on s[0..hi) (-inf where hidden, at least one key visible):
 * s <- the dequantized weights, integer.c's steps bit for bit. The quantization divides s by the
 * scale in double; here a float product with the reciprocal (within 1.6e-5 of the quotient for
 * |s / S| <= 129) decides, except for lanes whose product lies within 2e-5 of a half-integer:
 * those take the double division. The sum is min(2^M - 1, sum E), exactly what clamping after
 * every key gives (E >= 0), taken 128 keys at a time (each E < 2^55: no int64 overflow). With kc,
 * counts the visible keys; with wl, adds sum w ln w.
 */
static void SFX(row_shiftmax)(float *s, int32_t hi, softmax_shift *x, int32_t *iq, float *kc,
                              float *wl) {
  double scale = x->fixed_scale;
  if (scale == 0.0) {
    VF vm = SPLAT(0);
    int32_t j = 0;
    for (; j + VW <= hi; j += VW) {
      const VF v = LOADU(s + j);
      const VF av = SFX(vsel)(v != SPLAT(-ATTN_INF), (VF)((VI)v & ((VI){0} + 0x7fffffff)), SPLAT(0));
      vm = SFX(vmax)(vm, av);
    }
    float max_abs = SFX(hmax)(vm);
    for (; j < hi; j++) {
      float v = s[j] < 0.0f ? -s[j] : s[j];
      v = s[j] != -ATTN_INF ? v : 0.0f;
      max_abs = v > max_abs ? v : max_abs;
    }
    scale = (double)max_abs / 127.0;
    if (scale < INTEGER_MIN_SCALE) scale = INTEGER_MIN_SCALE;
  }
  const int64_t x0 = x->c.x0_tvm ? (int64_t)(-1.0 / scale - 1.0) : integer_floor(-1.0 / scale);
  /* I_j = clamp(round_half_even(s_j / S), -128, 127): adding and subtracting 1.5 * 2^23 rounds a
     float below 2^22 to the nearest integer, ties to even; hidden keys get SOFTMAX_SHIFT_HIDDEN */
  const float invf = (float)(1.0 / scale);
  VI vmi = (VI){0} - 128, vnear = (VI){0};
  int32_t j = 0;
  for (; j + VW <= hi; j += VW) {
    const VF xs = LOADU(s + j);
    VF r = xs * invf;
    r = SFX(vmax)(r, SPLAT(-129.0f));
    r = SFX(vsel)(r > SPLAT(128.0f), SPLAT(128.0f), r);
    const VF rr = (r + 12582912.0f) - 12582912.0f;
    const VF off = r - rr;
    const VI near = (off > SPLAT(0.49998f)) | (off < SPLAT(-0.49998f));
    VI v = __builtin_convertvector(rr, VI);
    v = (VI)SFX(vsel)(v < (VI){0} - 128, (VF)((VI){0} - 128), (VF)v);
    v = (VI)SFX(vsel)(v > (VI){0} + 127, (VF)((VI){0} + 127), (VF)v);
    vnear |= near & (xs != SPLAT(-ATTN_INF));
    v = (VI)SFX(vsel)(xs != SPLAT(-ATTN_INF), (VF)v, (VF)((VI){0} + SOFTMAX_SHIFT_HIDDEN));
    vmi = (VI)SFX(vsel)(v > vmi, (VF)v, (VF)vmi);
    STOREU((float *)(void *)(iq + j), (VF)v); /* the bits of I, unaligned */
  }
  int32_t m = -128, near = 0;
  for (int u = 0; u < VW; u++) { m = vmi[u] > m ? vmi[u] : m; near |= vnear[u]; }
  if (near) { /* some product lay near a rounding edge: there the quotient decides */
    for (int32_t k = 0; k < j; k++) {
      if (s[k] == -ATTN_INF) continue;
      float r = s[k] * invf;
      r = r < -129.0f ? -129.0f : r > 128.0f ? 128.0f : r;
      const float off = r - ((r + 12582912.0f) - 12582912.0f);
      if (!(off > 0.49998f || off < -0.49998f)) continue;
      double q = (double)s[k] / scale;
      q = q < -129.0 ? -129.0 : q;
      q = q > 128.0 ? 128.0 : q;
      const int32_t v = (int32_t)((q + 6755399441055744.0) - 6755399441055744.0);
      iq[k] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
    m = -128;
    for (int32_t k = 0; k < j; k++) m = iq[k] > m ? iq[k] : m;
  }
  for (; j < hi; j++) {
    if (s[j] == -ATTN_INF) { iq[j] = SOFTMAX_SHIFT_HIDDEN; continue; }
    double q = (double)s[j] / scale;
    q = q < -129.0 ? -129.0 : q;
    q = q > 128.0 ? 128.0 : q;
    int32_t v = (int32_t)((q + 6755399441055744.0) - 6755399441055744.0);
    v = v < -128 ? -128 : v > 127 ? 127 : v;
    iq[j] = v;
    m = v > m ? v : m;
  }
  const int64_t *lut = SFX(shift_lut)(x, x0);
  /* iq <- the table index min(m - I_j, 256); E_j = lut[index]; sum E */
  for (int32_t k = 0; k < hi; k++) {
    const int32_t d = m - iq[k];
    iq[k] = d < 256 ? d : 256;
  }
  const int32_t *__restrict idx = iq;
  int64_t sum = 0;
  for (int32_t j0 = 0; j0 < hi; j0 += 128) {
    const int32_t j1 = j0 + 128 < hi ? j0 + 128 : hi;
    int64_t part = 0;
    for (int32_t k = j0; k < j1; k++) part += lut[idx[k]];
    sum += part;
    if (sum > x->top) sum = x->top;
  }
  const int64_t f = x->top / sum;
  const int shift = x->shift;
  const float unit = x->unit;
  if (lut[0] <= (((int64_t)1 << 52) - 1) / f) {
    /* every E (<= lut[0]), f and E f (< 2^52) are exact doubles: the double product is exact, so
       is its scaling by 2^-shift, and floor gives (E f) >> shift. A table of the 257 weights of
       this row, then one lookup per key. */
    float *wt = (float *)(void *)(iq + x->iq_len);
    const double fs = (double)f * x->inv_pow_shift;
    for (int32_t d = 0; d < 257; d++) {
      const double p = (double)lut[d] * fs; /* in [0, 2^52): floor by the magic constant */
      double fl = (p + 4503599627370496.0) - 4503599627370496.0;
      fl = fl > p ? fl - 1.0 : fl;
      wt[d] = (float)fl * unit;
    }
    const float *__restrict wtr = wt;
    float *__restrict out = s;
    for (int32_t k = 0; k < hi; k++) out[k] = wtr[idx[k]];
  } else {
    for (int32_t k = 0; k < hi; k++) s[k] = (float)(int32_t)((lut[idx[k]] * f) >> shift) * unit;
  }
  if (kc)
    for (int32_t k = 0; k < hi; k++) kc[k] += idx[k] != 256 ? 1.0f : 0.0f;
  if (wl) *wl += SFX(row_wlogw)(s, hi);
}

/* sum w ln w over the normal positive w of s[0..hi). */
static float SFX(row_wlogw)(const float *s, int32_t hi) {
  VF vwl = SPLAT(0);
  for (int32_t k = 0; k < hi; k += VW) {
    VF w;
    if (k + VW <= hi) w = LOADU(s + k);
    else { /* the tail as one vector, zero past hi */
      w = SPLAT(0);
      for (int u = 0; u < hi - k; u++) w[u] = s[k + u];
    }
    vwl += SFX(wlogw)(w);
  }
  return SFX(hsum)(vwl);
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
 * lssa weights of a row into w[0..hi) from the raw dots s (-inf where hidden): a_j =
 * softplus(lambda cos_j + b_j), cos_j = dot / (|q| |k_j|) (0 when |q| or |k_j| is 0), taken as
 * (dot / |q|) * rkn_j with rkn_j = 1 / |k_j| (no division per key); returns sum a (the steps of
 * rownorm.c). With kc, counts the visible keys; with wl, adds sum a ln a.
 */
static float SFX(lssa_row)(const float *s, float *w, int32_t hi, const float *brow, const float *kk,
                           const float *rkn, float qq, float lambda, float *kc, float *wl) {
  const float rqn = qq > 0.0f ? 1.0f / __builtin_sqrtf(qq) : 0.0f;
  VF vl = SPLAT(0), vwl = SPLAT(0);
  int32_t j = 0;
  for (; j < hi; j += VW) {
    VF x, kkj, knj, bj = SPLAT(0);
    const int tail = j + VW > hi;
    if (!tail) {
      x = LOADU(s + j); kkj = LOADU(kk + j); knj = LOADU(rkn + j);
      if (brow) bj = LOADU(brow + j);
    } else { /* the tail as one vector, hidden past hi */
      x = SPLAT(-ATTN_INF); kkj = SPLAT(0); knj = SPLAT(0);
      for (int u = 0; u < hi - j; u++) {
        x[u] = s[j + u]; kkj[u] = kk[j + u]; knj[u] = rkn[j + u];
        if (brow) bj[u] = brow[j + u];
      }
    }
    const VI seen = x != SPLAT(-ATTN_INF);
    const VI pos = (kkj > SPLAT(0)) & (qq > 0.0f ? ((VI){0} - 1) : (VI){0});
    const VF c = SFX(vsel)(pos, (x * rqn) * knj, SPLAT(0));
    VF arg = lambda * c;
    if (brow) arg += SFX(vsel)(seen, bj, SPLAT(0));
    const VF t = SFX(vexp)(SFX(vsel)(arg < SPLAT(0), arg, SPLAT(0) - arg)); /* e^-|arg| */
    VF a = SFX(vsel)(arg > SPLAT(0), arg, SPLAT(0)) + SFX(vlog1p01)(t);
    a = (VF)((VI)a & seen);
    vl += a;
    if (wl) vwl += SFX(wlogw)(a);
    SFX(row_put)(w, kc, j, hi, a, seen);
  }
  if (wl) *wl += SFX(hsum)(vwl);
  return SFX(hsum)(vl);
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
 * leaves r and returns sum r (the
 * caller scales by its inverse). With wl, adds sum r p ln u_j: with W = r / sum r,
 * sum W ln W = (sum r p ln u) / sum r - ln sum r, no second log per key.
 */
static float SFX(lssar_reweight)(float *w, int32_t hi, float an, float offset, float power, float *wl) {
  VF vmax = SPLAT(0);
  int32_t j0 = 0;
  for (; j0 + VW <= hi; j0 += VW) {
    const VF r = LOADU(w + j0) * an - offset;
    const VF u = SFX(vsel)(r > SPLAT(0), r, SPLAT(0));
    STOREU(w + j0, u);
    vmax = SFX(vmax)(vmax, u);
  }
  float max = SFX(hmax)(vmax);
  for (; j0 < hi; j0++) {
    const float r = w[j0] * an - offset;
    w[j0] = r > 0.0f ? r : 0.0f;
    max = w[j0] > max ? w[j0] : max;
  }
  const float inv_max = max > 0.0f ? 1.0f / max : 0.0f;
  /* an integer p up to 64 (the paper's 15, 3): u^p by squaring, 0 where e^{p ln u} would be (p ln u
     below -87.3, so no product goes subnormal); u^0 = 1 */
  const int ip = power <= 64.0f && power == (float)(int32_t)power ? (int32_t)power : -1;
  const float u_min = ip > 0 ? attn_expf(-87.3f / (float)ip) : 0.0f;
  VF acc = SPLAT(0), accl = SPLAT(0);
  for (int32_t j = 0; j < hi; j += VW) { /* u^p = e^{p ln u} for u > 0 (u below 1.2e-38 taken as 1.2e-38) */
    const int tail = j + VW > hi;
    VF u = SPLAT(0);
    if (!tail) u = LOADU(w + j);
    else for (int k = 0; k < hi - j; k++) u[k] = w[j + k];
    u *= inv_max;
    const VI keep = u > SPLAT(0);
    const VF un = SFX(vsel)(u < SPLAT(1.1754944e-38f), SPLAT(1.1754944e-38f), u);
    VF pl = SPLAT(0), r;
    if (ip >= 0) {
      VF b = SFX(vmax)(u, SPLAT(u_min)), pw = SPLAT(1.0f);
      for (int32_t e = ip; e; e >>= 1) {
        if (e & 1) pw *= b;
        if (e > 1) b *= b;
      }
      r = (VF)((VI)pw & (ip > 0 ? u >= SPLAT(u_min) : keep));
      if (wl) pl = power * SFX(vlog)(un);
    } else {
      pl = power * SFX(vlog)(un);
      r = (VF)((VI)SFX(vexp)(pl) & keep);
    }
    if (!tail) STOREU(w + j, r);
    else for (int k = 0; k < hi - j; k++) w[j + k] = r[k];
    acc += r;
    if (wl) accl += r * pl;
  }
  if (wl) *wl += SFX(hsum)(accl);
  return SFX(hsum)(acc);
}
