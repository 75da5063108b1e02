// binding.cc - the Node-API adapter of the attention kernels (no kernel code here).
//
//   run(desc) -> Promise<{ wallMs, recomputedRows, nrResidual, approxError }>
//     desc holds the tensors as typed arrays (outputs preallocated by the caller), the sizes, the
//     variant code and params, and `threads`. The kernel runs off the JS thread (AsyncWorker), or on
//     it with desc.inline (below), on a persistent worker pool split across (head, row-block) work items
//     (handed out by item_queue.h: per-thread segments, then stealing); per-thread partial
//     statistics are added up here. Bad arguments throw TypeError/RangeError synchronously; kernel
//     status codes reject the promise with the kernel's message.
//     With desc.inline true the kernel runs on the calling thread instead (the pool's worker 0) and
//     the returned promise is already settled.
//     With desc.timeline true the result also holds `timeline`, a Float64Array [execStart, execEnd,
//     rowBlock, threads, then per work item: worker, start, end], times in ms on clockMs()'s clock
//     (two clock reads per item; off by default). Worker 0 is the thread that ran the call (the
//     libuv one, or the caller's with inline), workers 1.. the pool's own threads.
//   clockMs() -> number                     steady_clock now in ms (to map timeline onto performance.now())
//   ivit(desc) -> Promise<{ wallMs, ..., scales }>
//     the I-ViT integer core (c/ivit.h) on the same descriptor (params: the 7 ivit params, variant
//     ignored): Q/K/V quantized on the calling worker, then the logit-range pass and the main pass
//     over the work items on the pool; `scales` is a Float64Array of q, k, v and logit scales.
//   iLayerNorm(desc) -> undefined
//     I-ViT's integer LayerNorm (c/ilayernorm.h) on the calling thread (O(rows * channels), about a
//     millisecond for 512 x 768): desc { x: Int32Array [rows * channels], rows, channels, bias:
//     Float64Array [channels] (integer bias_int), out: Float64Array [rows * channels], mean:
//     Int32Array [rows], variance: Float64Array [rows], std: Int32Array [rows] }; throws the
//     kernel's message on a bad status.
//   dyadic(ratio, z, halfUp) -> [m, k, q]
//     the core's dyadic requantization (ivit_dyadic, ivit_requantize of c/ivit.h): ratio = m / 2^k,
//     q = round(z m / 2^k) with ties half up (halfUp true) or to even; z an integer, |z| <= 2^31 - 1.
//     Throws a RangeError for a ratio that is not positive and finite or a z out of range.
//   isa() -> 'avx512+amx' | 'avx512' | 'avx2' | 'sse2'
//                                           the instruction set the softmax family uses here
//                                           (+amx: its products on AMX tiles, c/softmax_amx.h)
//   capIsa(name) -> isa()                   caps it at 'avx512' (no AMX) | 'avx2' | 'sse2', or
//                                           'amx' (AVX-512 with AMX products where permitted) |
//                                           'auto' (the default: AMX only with ATTNSCOPE_AMX=1)
//   variants() -> number[]                  variant codes this build implements
//   fmaPeak(threads, iterations) -> { gflops, lanes }   register-only FMA throughput (bench)
#include <napi.h>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../c/attn.h"
#include "../c/ilayernorm.h"
#include "../c/ivit.h"
#include "fma_peak.h"
#include "item_queue.h"
#include "pool.h"

extern "C" const char *attn_softmax_isa(void);
extern "C" void attn_softmax_cap_isa(int cap);
extern "C" int attn_softmax_enable_amx(int on);
extern "C" int attn_softmax_uses_amx(void);

namespace {

double clockMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Kernel scratch kept across calls. A fresh allocation per thread per call (~0.9 MB at T = 1024)
// is a fresh mapping whose pages fault on first touch inside the kernel, every call. Buffers go
// back here after a call and the next call takes one at least as large; a few are kept, none over
// kScratchKeepBytes.
class ScratchCache {
 public:
  static ScratchCache &instance() {
    static ScratchCache c;
    return c;
  }
  // A 64-byte aligned buffer of at least `bytes` (a multiple of 64); *got: its size. Null on failure.
  float *take(size_t bytes, size_t *got) {
    {
      std::lock_guard<std::mutex> lock(m_);
      size_t best = free_.size();
      for (size_t i = 0; i < free_.size(); i++)
        if (free_[i].second >= bytes && (best == free_.size() || free_[i].second < free_[best].second)) best = i;
      if (best < free_.size()) {
        float *p = free_[best].first;
        *got = free_[best].second;
        free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(best));
        return p;
      }
    }
    *got = bytes;
    return static_cast<float *>(std::aligned_alloc(64, bytes));
  }
  void give(float *p, size_t bytes) {
    if (!p) return;
    std::lock_guard<std::mutex> lock(m_);
    if (bytes > kScratchKeepBytes) { std::free(p); return; }
    free_.emplace_back(p, bytes);
    if (free_.size() > kKeep) { // drop the smallest
      size_t small = 0;
      for (size_t i = 1; i < free_.size(); i++) if (free_[i].second < free_[small].second) small = i;
      std::free(free_[small].first);
      free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(small));
    }
  }

 private:
  static constexpr size_t kScratchKeepBytes = size_t(64) << 20;
  static constexpr size_t kKeep = 8;
  std::mutex m_;
  std::vector<std::pair<float *, size_t>> free_;
};

struct ThreadPartials {
  std::vector<float> key_sum, key_count;
  std::vector<double> entropy_sum, entropy_rows;
  float *scratch = nullptr;
  size_t scratch_bytes = 0;
  attn_thread t{};
  ~ThreadPartials() { ScratchCache::instance().give(scratch, scratch_bytes); }
};

template <typename T>
T *typedData(const Napi::Object &desc, const char *name, napi_typedarray_type type, size_t want,
             bool optional, std::vector<Napi::ObjectReference> &keep) {
  Napi::Value v = desc.Get(name);
  if (optional && (v.IsUndefined() || v.IsNull())) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(desc.Env(), std::string("attention kernel: '") + name +
                                               "' must be a " +
                                               (type == napi_float32_array   ? "Float32Array"
                                                : type == napi_float64_array ? "Float64Array"
                                                : type == napi_int32_array   ? "Int32Array"
                                                                             : "Uint8Array"));
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  if (want != SIZE_MAX && a.ElementLength() != want)
    throw Napi::RangeError::New(desc.Env(), std::string("attention kernel: '") + name + "' has " +
                                                std::to_string(a.ElementLength()) +
                                                " elements, expected " + std::to_string(want));
  keep.push_back(Napi::Persistent(a.As<Napi::Object>()));
  return reinterpret_cast<T *>(static_cast<uint8_t *>(a.ArrayBuffer().Data()) + a.ByteOffset());
}

int32_t intField(const Napi::Object &desc, const char *name, int32_t min) {
  Napi::Value v = desc.Get(name);
  if (!v.IsNumber())
    throw Napi::TypeError::New(desc.Env(), std::string("attention kernel: '") + name + "' must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<int32_t>(d) || d < min)
    throw Napi::RangeError::New(desc.Env(), std::string("attention kernel: '") + name +
                                                "' must be an integer >= " + std::to_string(min));
  return static_cast<int32_t>(d);
}

float floatField(const Napi::Object &desc, const char *name) {
  Napi::Value v = desc.Get(name);
  if (!v.IsNumber())
    throw Napi::TypeError::New(desc.Env(), std::string("attention kernel: '") + name + "' must be a number");
  return v.As<Napi::Number>().FloatValue();
}

// Query rows per work item: a block's logits (rows x tk floats) stay within ~256 KiB of cache,
// and there are enough items to keep every thread busy.
// Rows per work item: multiples of 12 (the register tiles' 6 and 4 rows), or of 16 where the
// softmax family runs its products on AMX (16-row tiles).
int32_t chooseRowBlock(int32_t tq, int32_t tk, int32_t q_heads, int32_t threads, bool amx) {
  const int32_t unit = amx ? 16 : 12;
  int32_t tkp = (tk + 63) / 64 * 64;
  int32_t r = 65536 / tkp;
  if (r > 96) r = 96;
  if (r >= unit) r = r / unit * unit; else r = amx ? 16 : 6;
  while (r > unit && static_cast<int64_t>(q_heads) * ((tq + r - 1) / r) < 4LL * threads) r -= unit;
  return r;
}

// Whether this process may run AMX tiles: the CPU has AMX-TILE and AMX-BF16 and Linux grants the
// tile data state (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA; without it the first tile
// instruction faults).
bool amxPermitted() {
#if defined(__x86_64__) && defined(__linux__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  if (!((d >> 22) & 1u) || !((d >> 24) & 1u)) return false;
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
#else
  return false;
#endif
}

// The AMX products are opt-in: ATTNSCOPE_AMX=1 (or capIsa('amx')). They make softmax ~10 % faster
// here, but not lssa, lssar or softplus-norm (their row passes dominate), so the variants' costs
// relative to softmax grow past what the bench's targets allow; see README, Limits.
bool amxByDefault() {
  const char *env = std::getenv("ATTNSCOPE_AMX");
  return env && std::string(env) == "1" && amxPermitted();
}

class KernelCall : public Napi::AsyncWorker {
 public:
  KernelCall(Napi::Env env, attn_args args, int threads, std::vector<Napi::ObjectReference> keep,
             float *key_sum, float *key_count, float *entropy, std::vector<float> params,
             std::vector<int32_t> capture_index, bool timeline, bool ivit = false)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), args_(args),
        threads_(threads), timeline_(timeline), keep_(std::move(keep)), key_sum_(key_sum), key_count_(key_count),
        entropy_(entropy), params_(std::move(params)), capture_index_(std::move(capture_index)),
        ivit_(ivit) {
    args_.params = params_.empty() ? nullptr : params_.data();
    args_.capture_index = capture_index_.empty() ? nullptr : capture_index_.data();
  }

  ~KernelCall() override { std::free(state_); }

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    auto t0 = std::chrono::steady_clock::now();
    if (timeline_) times_.assign(4, std::chrono::duration<double, std::milli>(t0.time_since_epoch()).count());
    const attn_family *family = ivit_ ? nullptr : attn_family_for(args_.variant);
    if (!ivit_ && !family) { status_ = ATTN_E_VARIANT; return; }
    const int32_t items = attn_items(&args_);
    int n = threads_ < items ? threads_ : items;
    if (n < 1) n = 1;
    const int64_t scratch = ivit_ ? ivit_scratch_floats(&args_) : family->scratch_floats(&args_);
    const size_t kt = static_cast<size_t>(args_.q_heads) * args_.tk;
    std::vector<ThreadPartials> parts(n);
    for (auto &p : parts) {
      p.scratch = ScratchCache::instance().take(static_cast<size_t>((scratch * 4 + 63) / 64) * 64, &p.scratch_bytes);
      if (!p.scratch) { status_ = ATTN_E_SCRATCH; return; }
      if (args_.instrument) {
        p.key_sum.assign(kt, 0.0f);
        p.key_count.assign(kt, 0.0f);
      }
      p.entropy_sum.assign(args_.q_heads, 0.0);
      p.entropy_rows.assign(args_.q_heads, 0.0);
      p.t.key_sum = p.key_sum.data();
      p.t.key_count = p.key_count.data();
      p.t.entropy_sum = p.entropy_sum.data();
      p.t.entropy_rows = p.entropy_rows.data();
      p.t.scratch = p.scratch;
      p.t.scratch_len = scratch;
    }
    // attention items are (head, row block): per head ceil(tq / row_block) of them (item_queue.h)
    ItemQueue queue(items, n, ivit_ ? 1 : (args_.tq + args_.row_block - 1) / args_.row_block);
    std::vector<int32_t> status(n, ATTN_OK);
    std::atomic<bool> failed{false};
    if (ivit_ && !ivitPrepare(parts, n, items)) return;
    if (timeline_) { times_[2] = args_.row_block; times_[3] = n; times_.resize(4 + 3 * static_cast<size_t>(items), -1.0); }
    WorkerPool::instance().run(n, [&](int w) {
      for (;;) {
        const int32_t item = failed.load(std::memory_order_relaxed) ? -1 : queue.next(w);
        if (item < 0) return;
        const double started = timeline_ ? clockMs() : 0.0;
        int32_t s = ivit_ ? ivit_run(&args_, state_, &parts[w].t, item, item + 1)
                          : family->run(&args_, &parts[w].t, item, item + 1);
        if (timeline_) {
          double *slot = &times_[4 + 3 * static_cast<size_t>(item)];
          slot[0] = w; slot[1] = started; slot[2] = clockMs();
        }
        if (s != ATTN_OK) { status[w] = s; failed.store(true); return; }
      }
    });
    for (int32_t s : status) if (s != ATTN_OK) { status_ = s; return; }
    if (ivit_) {
      const double *scales = static_cast<const double *>(state_);
      scales_.assign(scales, scales + 2 * args_.q_heads + 2 * args_.kv_heads);
    }
    // add up the per-thread partials
    if (args_.instrument) {
      std::memset(key_sum_, 0, kt * sizeof(float));
      std::memset(key_count_, 0, kt * sizeof(float));
      for (auto &p : parts)
        for (size_t x = 0; x < kt; x++) { key_sum_[x] += p.key_sum[x]; key_count_[x] += p.key_count[x]; }
    }
    for (int32_t h = 0; h < args_.q_heads; h++) {
      double es = 0, er = 0;
      for (auto &p : parts) { es += p.entropy_sum[h]; er += p.entropy_rows[h]; }
      entropy_[h] = er > 0 ? static_cast<float>(es / er) : 0.0f;
    }
    for (auto &p : parts) {
      recomputed_ += p.t.recomputed_rows;
      if (p.t.nr_residual > nr_residual_) nr_residual_ = p.t.nr_residual;
      if (p.t.approx_error > approx_error_) approx_error_ = p.t.approx_error;
    }
    const auto t1 = std::chrono::steady_clock::now();
    wall_ms_ = std::chrono::duration<double, std::milli>(t1 - t0).count();
    if (timeline_) times_[1] = std::chrono::duration<double, std::milli>(t1.time_since_epoch()).count();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (status_ != ATTN_OK) {
      deferred_.Reject(Napi::Error::New(env, ivit_ ? std::string(ivit_error_text(status_))
                                                   : std::string("attention kernel: ") + attn_error_text(status_)).Value());
      return;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("wallMs", wall_ms_);
    r.Set("recomputedRows", recomputed_);
    r.Set("nrResidual", nr_residual_);
    r.Set("approxError", approx_error_);
    if (timeline_) {
      Napi::Float64Array t = Napi::Float64Array::New(env, times_.size());
      std::memcpy(t.Data(), times_.data(), times_.size() * sizeof(double));
      r.Set("timeline", t);
    }
    if (ivit_) {
      Napi::Float64Array scales = Napi::Float64Array::New(env, scales_.size());
      std::memcpy(scales.Data(), scales_.data(), scales_.size() * sizeof(double));
      r.Set("scales", scales);
    }
    deferred_.Resolve(r);
  }

  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  // ivit steps before the main pass: quantize Q/K/V, the logits' range per work item (on the
  // pool, each thread with its own scratch), then the per-head Shiftmax scales.
  bool ivitPrepare(std::vector<ThreadPartials> &parts, int n, int32_t items) {
    state_ = std::aligned_alloc(64, (ivit_state_bytes(&args_) + 63) / 64 * 64);
    if (!state_) { status_ = ATTN_E_SCRATCH; return false; }
    status_ = ivit_quantize(&args_, state_);
    if (status_ != ATTN_OK) return false;
    std::atomic<int32_t> next{0};
    std::vector<int32_t> status(n, ATTN_OK);
    WorkerPool::instance().run(n, [&](int w) {
      for (;;) {
        int32_t item = next.fetch_add(1);
        if (item >= items) return;
        int32_t s = ivit_logit_max(&args_, state_, &parts[w].t, item, item + 1);
        if (s != ATTN_OK) { status[w] = s; next.store(items); return; }
      }
    });
    for (int32_t s : status) if (s != ATTN_OK) { status_ = s; return false; }
    ivit_logit_scales(&args_, state_);
    return true;
  }

  Napi::Promise::Deferred deferred_;
  attn_args args_;
  int threads_;
  bool timeline_;
  std::vector<double> times_;
  std::vector<Napi::ObjectReference> keep_;
  float *key_sum_, *key_count_, *entropy_;
  std::vector<float> params_;
  std::vector<int32_t> capture_index_;
  bool ivit_;
  void *state_ = nullptr;
  std::vector<double> scales_;
  int32_t status_ = ATTN_OK;
  double wall_ms_ = 0, recomputed_ = 0, nr_residual_ = 0, approx_error_ = 0;
};

// run(desc) and ivit(desc): one descriptor, two kinds of call.
Napi::Value Call(const Napi::CallbackInfo &info, bool ivit) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(env, std::string("attention kernel: ") + (ivit ? "ivit" : "run") + "() takes one descriptor object");
  Napi::Object d = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  attn_args a{};
  a.q_heads = intField(d, "qHeads", 1);
  a.kv_heads = intField(d, "kvHeads", 1);
  a.tq = intField(d, "tq", 1);
  a.tk = intField(d, "tk", 1);
  a.head_dim = intField(d, "headDim", 1);
  a.head_dim_v = intField(d, "headDimV", 1);
  if (a.q_heads % a.kv_heads != 0)
    throw Napi::RangeError::New(env, "attention kernel: qHeads (" + std::to_string(a.q_heads) +
                                         ") must be a multiple of kvHeads (" + std::to_string(a.kv_heads) + ")");
  const size_t qh = a.q_heads, kvh = a.kv_heads, tq = a.tq, tk = a.tk;
  a.q = typedData<float>(d, "q", napi_float32_array, qh * tq * a.head_dim, false, keep);
  a.k = typedData<float>(d, "k", napi_float32_array, kvh * tk * a.head_dim, false, keep);
  a.v = typedData<float>(d, "v", napi_float32_array, kvh * tk * a.head_dim_v, false, keep);
  a.out = typedData<float>(d, "out", napi_float32_array, qh * tq * a.head_dim_v, false, keep);
  a.scale = floatField(d, "scale");
  a.softcap = floatField(d, "softcap");
  a.causal = d.Get("causal").ToBoolean() ? 1 : 0;
  a.bias_heads = 1;
  if (!d.Get("bias").IsUndefined() && !d.Get("bias").IsNull()) {
    a.bias_heads = intField(d, "biasHeads", 1);
    if (a.bias_heads != 1 && a.bias_heads != a.q_heads)
      throw Napi::RangeError::New(env, "attention kernel: biasHeads must be 1 or qHeads");
    a.bias = typedData<float>(d, "bias", napi_float32_array, a.bias_heads * tq * tk, false, keep);
  }
  a.stream_sinks = intField(d, "streamSinks", 0);
  a.stream_window = intField(d, "streamWindow", -1);
  a.variant = intField(d, "variant", 0);
  if (a.variant >= ATTN_VARIANT_COUNT)
    throw Napi::RangeError::New(env, "attention kernel: unknown variant code " + std::to_string(a.variant));
  float *p = typedData<float>(d, "params", napi_float32_array, SIZE_MAX, false, keep);
  size_t np = d.Get("params").As<Napi::TypedArray>().ElementLength();
  if (np > ATTN_MAX_PARAMS) throw Napi::RangeError::New(env, "attention kernel: too many variant params");
  std::vector<float> params(p, p + np);
  a.n_params = static_cast<int32_t>(np);
  a.params = params.empty() ? nullptr : params.data();  // re-pointed at the call's own copy
  a.instrument = d.Get("instrument").ToBoolean() ? 1 : 0;
  int threads = intField(d, "threads", 1);
  const bool timeline = d.Get("timeline").ToBoolean();
  a.invalid_rows = typedData<uint8_t>(d, "invalidRows", napi_uint8_array, qh * tq, false, keep);
  std::vector<int32_t> capture_index;
  int32_t *ci = typedData<int32_t>(d, "captureIndex", napi_int32_array, qh, true, keep);
  if (ci) {
    int32_t n = 0;
    for (size_t h = 0; h < qh; h++) {
      if (ci[h] < -1 || ci[h] >= a.q_heads) throw Napi::RangeError::New(env, "attention kernel: bad captureIndex");
      if (ci[h] >= 0) n++;
    }
    capture_index.assign(ci, ci + qh);
    a.capture = typedData<float>(d, "capture", napi_float32_array, static_cast<size_t>(n) * tq * tk, false, keep);
  }
  float *key_sum = typedData<float>(d, "keySum", napi_float32_array, qh * tk, false, keep);
  float *key_count = typedData<float>(d, "keyCount", napi_float32_array, qh * tk, false, keep);
  float *entropy = typedData<float>(d, "entropy", napi_float32_array, qh, false, keep);
  a.row_block = chooseRowBlock(a.tq, a.tk, a.q_heads, threads,
                               !ivit && attn_softmax_uses_amx() && attn_family_for(a.variant) == &attn_family_softmax);
  int32_t s = attn_check(&a);
  if (s == ATTN_OK && !ivit && attn_family_for(a.variant) == nullptr) s = ATTN_E_VARIANT;
  if (s == ATTN_OK && ivit && np != IVIT_N_PARAMS) s = ATTN_E_PARAMS;
  if (s != ATTN_OK) throw Napi::RangeError::New(env, ivit ? std::string(ivit_error_text(s)) : std::string("attention kernel: ") + attn_error_text(s));
  auto *call = new KernelCall(env, a, threads, std::move(keep), key_sum, key_count, entropy,
                              std::move(params), std::move(capture_index), timeline, ivit);
  Napi::Promise promise = call->promise();
  if (d.Get("inline").ToBoolean()) {
    // On the calling thread (worker 0), the promise already settled: no hand-off to a libuv thread
    // and back, whose two wake-ups cost 0.1 ms on an idle machine and tens of ms on a loaded one.
    call->Execute();
    call->OnOK();
    delete call;
    return promise;
  }
  call->Queue();
  return promise;
}

Napi::Value ClockMs(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), clockMs());
}

Napi::Value Run(const Napi::CallbackInfo &info) { return Call(info, false); }
Napi::Value Ivit(const Napi::CallbackInfo &info) { return Call(info, true); }

Napi::Value ILayerNorm(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(env, "I-LayerNorm: iLayerNorm() takes one descriptor object");
  Napi::Object d = info[0].As<Napi::Object>();
  std::vector<Napi::ObjectReference> keep;
  const int32_t rows = intField(d, "rows", 0), c = intField(d, "channels", 1);
  const size_t n = static_cast<size_t>(rows) * c;
  const int32_t *x = typedData<int32_t>(d, "x", napi_int32_array, n, false, keep);
  const double *bias = typedData<double>(d, "bias", napi_float64_array, c, false, keep);
  double *out = typedData<double>(d, "out", napi_float64_array, n, false, keep);
  int32_t *mean = typedData<int32_t>(d, "mean", napi_int32_array, rows, false, keep);
  double *variance = typedData<double>(d, "variance", napi_float64_array, rows, false, keep);
  int32_t *std_ = typedData<int32_t>(d, "std", napi_int32_array, rows, false, keep);
  const int32_t s = ilayernorm_rows(x, bias, rows, c, out, mean, variance, std_);
  if (s != 0) throw Napi::Error::New(env, ilayernorm_error_text(s));
  return env.Undefined();
}

Napi::Value Dyadic(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsBoolean())
    throw Napi::TypeError::New(env, "dyadic(ratio, z, halfUp) takes two numbers and a boolean");
  const double ratio = info[0].As<Napi::Number>().DoubleValue(), z = info[1].As<Napi::Number>().DoubleValue();
  if (!(z >= -2147483647.0 && z <= 2147483647.0) || z != static_cast<double>(static_cast<int64_t>(z)))
    throw Napi::RangeError::New(env, "dyadic: z must be an integer with |z| <= 2^31 - 1");
  int64_t m = 0, k = 0;
  const int32_t s = ivit_dyadic(ratio, &m, &k);
  if (s != 0) throw Napi::RangeError::New(env, ivit_error_text(s));
  const int64_t q = ivit_requantize(static_cast<int64_t>(z), m, k, info[2].As<Napi::Boolean>().Value() ? 1 : 0);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, static_cast<double>(m));
  out.Set(1u, static_cast<double>(k));
  out.Set(2u, static_cast<double>(q));
  return out;
}

Napi::Value Isa(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), attn_softmax_isa());
}

Napi::Value CapIsa(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  const int cap = name == "auto" || name == "amx" ? 0 : name == "avx512" ? 1 : name == "avx2" ? 2 : name == "sse2" ? 3 : -1;
  if (cap < 0) throw Napi::RangeError::New(env, "capIsa: name must be auto, amx, avx512, avx2 or sse2");
  attn_softmax_cap_isa(cap);
  attn_softmax_enable_amx(name == "amx" ? amxPermitted() : amxByDefault());
  return Napi::String::New(env, attn_softmax_isa());
}

Napi::Value Variants(const Napi::CallbackInfo &info) {
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t n = 0;
  for (int32_t v = 0; v < ATTN_VARIANT_COUNT; v++)
    if (attn_family_for(v)) out.Set(n++, v);
  return out;
}

Napi::Value FmaPeakJs(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "fmaPeak(threads, iterations) takes two numbers");
  int threads = info[0].As<Napi::Number>().Int32Value();
  long iterations = static_cast<long>(info[1].As<Napi::Number>().DoubleValue());
  if (threads < 1 || threads > 256 || iterations < 1)
    throw Napi::RangeError::New(env, "fmaPeak: threads must be 1..256 and iterations >= 1");
  FmaPeak p = measureFmaPeak(threads, iterations);
  Napi::Object r = Napi::Object::New(env);
  r.Set("gflops", p.gflops);
  r.Set("lanes", p.lanes);
  r.Set("check", p.sink);
  return r;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  attn_softmax_enable_amx(amxByDefault() ? 1 : 0);
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeakJs));
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("ivit", Napi::Function::New(env, Ivit));
  exports.Set("iLayerNorm", Napi::Function::New(env, ILayerNorm));
  exports.Set("dyadic", Napi::Function::New(env, Dyadic));
  exports.Set("isa", Napi::Function::New(env, Isa));
  exports.Set("clockMs", Napi::Function::New(env, ClockMs));
  exports.Set("capIsa", Napi::Function::New(env, CapIsa));
  exports.Set("variants", Napi::Function::New(env, Variants));
  return exports;
}

}  // namespace

NODE_API_MODULE(attnscope_kernels, Init)
