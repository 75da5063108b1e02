// fma_peak.cc - the machine's fp32 FMA peak, measured with a register-only loop (no memory traffic):
// the denominator of the benchmark's "% of peak". Same run-time dispatch as the kernels.
#include "fma_peak.h"

#include <immintrin.h>

#include <atomic>
#include <chrono>

#include "pool.h"

namespace {

constexpr int kChains = 12;  // independent accumulators: enough to cover FMA latency x 2 ports

__attribute__((target("avx512f"))) double loopAvx512(long iterations) {
  __m512 acc[kChains];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int c = 0; c < kChains; c++) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  for (long i = 0; i < iterations; i++)
    for (int c = 0; c < kChains; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  float out[16], sink = 0;
  for (int c = 0; c < kChains; c++) { _mm512_storeu_ps(out, acc[c]); for (float x : out) sink += x; }
  return sink;
}

__attribute__((target("avx2,fma"))) double loopAvx2(long iterations) {
  __m256 acc[kChains];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int c = 0; c < kChains; c++) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  for (long i = 0; i < iterations; i++)
    for (int c = 0; c < kChains; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  float out[8], sink = 0;
  for (int c = 0; c < kChains; c++) { _mm256_storeu_ps(out, acc[c]); for (float x : out) sink += x; }
  return sink;
}

double loopScalar(long iterations) {
  float acc[kChains];
  for (int c = 0; c < kChains; c++) acc[c] = static_cast<float>(c);
  for (long i = 0; i < iterations; i++)
    for (int c = 0; c < kChains; c++) acc[c] = acc[c] * 0.999999f + 1e-7f;
  float sink = 0;
  for (float x : acc) sink += x;
  return sink;
}

}  // namespace

FmaPeak measureFmaPeak(int threads, long iterations) {
  __builtin_cpu_init();
  int lanes = 1;
  double (*loop)(long) = loopScalar;
  if (__builtin_cpu_supports("avx512f")) { lanes = 16; loop = loopAvx512; }
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { lanes = 8; loop = loopAvx2; }
  std::atomic<double> sink{0};
  loop(iterations / 10);  // warm up (clock ramp)
  auto t0 = std::chrono::steady_clock::now();
  WorkerPool::instance().run(threads, [&](int) {
    double s = loop(iterations);
    double cur = sink.load();
    while (!sink.compare_exchange_weak(cur, cur + s)) {}
  });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double flops = 2.0 * lanes * kChains * static_cast<double>(iterations) * threads;
  return {flops / seconds / 1e9, lanes, sink.load()};
}
