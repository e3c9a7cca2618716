/* fixture.c - a hand-written stand-in for a compiled artifact's library.
 *
 * The runtime tests pair it with manifests they write themselves, so the
 * calling convention of docs/artifact.md is exercised before the compiler
 * emits real libraries:
 *
 *   forward: slots = [a: f32[4] param, b: f32[4] param, x: f32[2, 4] input,
 *                     y: f32[2, 4] output, arena (>= 32 bytes)]
 *            y[i, j] = a[j] * x[i, j] + b[j], with a * x staged in the arena
 *            so that a missing or short arena shows up.
 *   stats:   slots = [x: f32[2, 4] input, sum: f32[] output,
 *                     aligned: i32[] output, arena]
 *            sum = sum of x; aligned = 1 iff every slot is 64-byte aligned.
 *   state_sum: slots = [m: f32[4] state, total: f32[] output, arena]
 *            total = sum of m (used with a manifest that declares state).
 *   threads: slots = [hits: i32[1000] output, overlapped: i32[] output, arena]
 *            splits 1000 iterations through loom_parallel_for_hook as
 *            compiled kernels do (loom-dispatch-kernels); hits[i] counts
 *            the runs of iteration i, and overlapped = 1 iff the range that
 *            starts at 0 saw another range start while it ran (it waits up
 *            to 10 s for one: only a pool of >= 2 threads gets there).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define ALIGNED(p) (((uintptr_t)(p) & 63u) == 0)

void loom_forward(void **slots) {
  const float *a = (const float *)slots[0];
  const float *b = (const float *)slots[1];
  const float *x = (const float *)slots[2];
  float *y = (float *)slots[3];
  float *scratch = (float *)slots[4];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      scratch[i * 4 + j] = a[j] * x[i * 4 + j];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      y[i * 4 + j] = scratch[i * 4 + j] + b[j];
}

void loom_stats(void **slots) {
  const float *x = (const float *)slots[0];
  float sum = 0;
  for (int i = 0; i < 8; ++i)
    sum += x[i];
  *(float *)slots[1] = sum;
  int aligned = 1;
  for (int i = 0; i < 4; ++i)
    aligned &= ALIGNED(slots[i]);
  *(int32_t *)slots[2] = aligned;
}

typedef void (*loom_range_fn)(void *slots, int64_t begin, int64_t end);

static void serial_for(int64_t n, loom_range_fn fn, void *slots) {
  fn(slots, 0, n);
}

/* The runtime overwrites it when it opens the library. */
void (*loom_parallel_for_hook)(int64_t, loom_range_fn, void *) = serial_for;

struct threads_ctx {
  int32_t *hits;
  atomic_int started;
  int overlapped;
};

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void threads_range(void *p, int64_t begin, int64_t end) {
  struct threads_ctx *ctx = (struct threads_ctx *)p;
  atomic_fetch_add(&ctx->started, 1);
  if (begin == 0) {
    double deadline = now_seconds() + 10;
    while (atomic_load(&ctx->started) < 2 && now_seconds() < deadline)
      ;
    ctx->overlapped = atomic_load(&ctx->started) >= 2;
  }
  for (int64_t i = begin; i < end; ++i)
    ctx->hits[i] += 1;
}

void loom_threads(void **slots) {
  struct threads_ctx ctx;
  ctx.hits = (int32_t *)slots[0];
  for (int i = 0; i < 1000; ++i)
    ctx.hits[i] = 0;
  atomic_init(&ctx.started, 0);
  ctx.overlapped = 0;
  loom_parallel_for_hook(1000, threads_range, &ctx);
  *(int32_t *)slots[1] = ctx.overlapped;
}

/* state_sum: slots = [m: f32[4] state, total: f32[] output, arena]
 *            total = sum of m (the runtime tests' optimizer-state stand-in). */
void loom_state_sum(void **slots) {
  const float *m = (const float *)slots[0];
  float total = 0;
  for (int i = 0; i < 4; ++i)
    total += m[i];
  *(float *)slots[1] = total;
}
