/*
 * cpu_time_bench.c - thread CPU time of every kernel variant on one thread, against softmax, at the
 * shape of issue 3's variant target (T = 1024, H = 12, d = 64, causal, fp32, instrumented). Wall
 * times (npm run bench) are noisy when others share the machine; CPU time of the calling thread is
 * far less so. Calls the families through the C ABI (attn.h) as the addon does, one thread, the
 * addon's row block for T = 1024. Not a test and not part of the addon build. Build and run from
 * the repository root:
 *   gcc -O3 -ffp-contract=fast -fno-strict-aliasing -std=gnu11 -Iruntime/kernels/c \
 *     runtime/kernels/native/tools/cpu_time_bench.c runtime/kernels/c/[a-vx-z]*.c \
 *     -o /tmp/cpu_time_bench -lm && /tmp/cpu_time_bench [reps (default 5)] [variant filter]
 * (runtime/kernels/c/[a-vx-z]*.c: every family and the registry, not wasm_entry.c.) Prints the
 * minimum over the reps per variant and of softmax's reps run alternately with them, the ratio of
 * the two, and an output checksum.
 */
#include "attn.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double thread_cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct bench_variant {
  const char *id;
  int32_t code;
  int32_t n_params;
  float params[6]; /* as runtime/kernels/variants.ts resolves the defaults (NaN: 'auto') */
} bench_variant;

/* One variant's call: its args and one thread's partials and scratch. */
typedef struct bench_run {
  attn_args a;
  const attn_family *family;
  attn_thread t;
} bench_run;

static int bench_setup(bench_run *br) {
  const int64_t floats = br->family->scratch_floats(&br->a);
  const size_t keys = (size_t)br->a.q_heads * br->a.tk;
  memset(&br->t, 0, sizeof br->t);
  br->t.key_sum = calloc(keys, 4);
  br->t.key_count = calloc(keys, 4);
  br->t.entropy_sum = calloc(br->a.q_heads, 8);
  br->t.entropy_rows = calloc(br->a.q_heads, 8);
  br->t.scratch = aligned_alloc(64, (size_t)(floats * 4 + 63) / 64 * 64);
  br->t.scratch_len = floats;
  return br->t.key_sum && br->t.key_count && br->t.entropy_sum && br->t.entropy_rows && br->t.scratch ? 0 : -1;
}

/* Runs every work item of the call on this thread; *seconds gets its thread CPU time. */
static int32_t bench_once(bench_run *br, double *seconds) {
  br->t.scratch_tag = 0;
  const double c0 = thread_cpu_seconds();
  const int32_t status = br->family->run(&br->a, &br->t, 0, attn_items(&br->a));
  *seconds = thread_cpu_seconds() - c0;
  return status;
}

int main(int argc, char **argv) {
  const int32_t T = 1024, H = 12, D = 64;
  const int reps = argc > 1 ? atoi(argv[1]) : 5;
  const char *filter = argc > 2 ? argv[2] : 0;
  const size_t n = (size_t)H * T * D;
  float *q = malloc(n * 4), *k = malloc(n * 4), *v = malloc(n * 4), *o = malloc(n * 4);
  uint8_t *invalid = malloc((size_t)H * T);
  if (!q || !k || !v || !o || !invalid || reps < 1) { fprintf(stderr, "cpu_time_bench: out of memory or reps < 1\n"); return 1; }
  srand(1);
  for (size_t i = 0; i < n; i++) {
    q[i] = rand() / (float)RAND_MAX * 2 - 1;
    k[i] = rand() / (float)RAND_MAX * 2 - 1;
    v[i] = rand() / (float)RAND_MAX * 2 - 1;
  }
  const float nan = __builtin_nanf("");
  const bench_variant variants[] = {
    {"softmax", ATTN_SOFTMAX, 0, {0}},
    {"sigmoid", ATTN_SIGMOID, 1, {nan}},
    {"elu1", ATTN_ELU1, 1, {0}},
    {"sigmoid-norm", ATTN_SIGMOID_NORM, 0, {0}},
    {"softplus-norm", ATTN_SOFTPLUS_NORM, 1, {0}},
    {"lssa", ATTN_LSSA, 1, {nan}},
    {"lssar", ATTN_LSSAR, 3, {nan, 15, 3}},
    {"soft-gauss", ATTN_SOFT_GAUSS, 0, {0}},
    {"soft-nystrom", ATTN_SOFT_NYSTROM, 5, {16, 20, 0.9f, 0.01f, 0}},
    {"shiftmax", ATTN_SHIFTMAX, 6, {nan, 15, 8, 0, 0, 31}},
  };
  const int32_t row_block = 65536 / T / 12 * 12; /* chooseRowBlock of binding.cc for one thread */
  bench_run runs[sizeof variants / sizeof variants[0]];
  for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
    bench_run *br = &runs[vi];
    memset(&br->a, 0, sizeof br->a);
    attn_args *a = &br->a;
    a->q = q; a->k = k; a->v = v; a->out = o;
    a->q_heads = H; a->kv_heads = H; a->tq = T; a->tk = T; a->head_dim = D; a->head_dim_v = D;
    a->scale = 0.125f; a->causal = 1; a->stream_window = -1;
    a->variant = variants[vi].code; a->params = variants[vi].params; a->n_params = variants[vi].n_params;
    a->row_block = row_block; a->instrument = 1; a->invalid_rows = invalid;
    br->family = attn_family_for(a->variant);
    if (br->family && bench_setup(br) != 0) { fprintf(stderr, "cpu_time_bench: out of memory\n"); return 1; }
  }
  /* each variant's reps alternate with softmax's (ABAB), so a load change hits both alike */
  for (size_t vi = 1; vi < sizeof variants / sizeof variants[0]; vi++) {
    const bench_variant *bv = &variants[vi];
    if (filter && !strstr(filter, bv->id)) continue;
    if (!runs[vi].family) { printf("%-14s not in this build\n", bv->id); continue; }
    double best_v = 1e30, best_s = 1e30;
    int32_t status = ATTN_OK;
    for (int r = 0; r < reps && status == ATTN_OK; r++) {
      double c;
      status = bench_once(&runs[0], &c);
      if (c < best_s) best_s = c;
      if (status == ATTN_OK) status = bench_once(&runs[vi], &c);
      if (c < best_v) best_v = c;
    }
    if (status != ATTN_OK) { printf("%-14s %s\n", bv->id, attn_error_text(status)); continue; }
    double checksum = 0.0;
    for (size_t i = 0; i < n; i++) checksum += o[i];
    printf("%-14s %8.2f ms  softmax %6.2f ms  %5.2fx  (output sum %.6g)\n", bv->id, best_v * 1e3,
           best_s * 1e3, best_v / best_s, checksum);
  }
  return 0;
}
