// fma_peak.h - register-only FMA throughput (see fma_peak.cc).
#pragma once

struct FmaPeak {
  double gflops;  // fp32 GFLOP/s over all threads (an FMA counts 2)
  int lanes;      // fp32 lanes per FMA instruction used (16 AVX-512, 8 AVX2, 1 scalar)
  double sink;    // the loop's result, kept so the compiler cannot drop the loop
};

FmaPeak measureFmaPeak(int threads, long iterations);
