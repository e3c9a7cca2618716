// C ABI wrappers around the Halide kernels: check the arguments, turn
// pointers and extents into halide_buffer_t descriptors, and route Halide's
// parallel loops to loom's thread pool.
#include "loom_kernels.h"

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "loom_halide_attention_any.h"
#include "loom_halide_attention_d64.h"
#include "loom_halide_attention_d64_small.h"
#include "loom_halide_layer_norm.h"
#include "loom_halide_layer_norm_nobeta.h"
#include "loom_halide_matmul_nn.h"
#include "loom_halide_matmul_nt.h"
#include "loom_halide_matmul_small_nn.h"
#include "loom_halide_matmul_small_nt.h"
#include "loom_halide_softmax_rows.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <vector>

//===----------------------------------------------------------------------===//
// Parallel loops
//===----------------------------------------------------------------------===//
//
// Work goes to loom's thread pool through `loom_parallel_for_hook`, which a
// compiled model library defines (and the runtime points at its pool). Here
// it is a weak reference: in a program that links this library into a model
// it resolves to the model's variable; in one that defines none (the unit
// tests) its address is null. runTasks(n, ...) hands [0, n) to the hook when
// there is one (and it is not null), else runs the tasks in order on the
// calling thread: a kernel never starts threads of its own next to the
// runtime's pool. Tasks started from inside a task (a nested parallel loop)
// also run serially, so the pool is never re-entered from its own workers.
//
// Two kinds of loops use it:
//  * Halide's parallel loops. All of them call halide_do_par_for (checked on
//    the generated objects: none uses halide_do_parallel_tasks); the Halide
//    runtime forwards that call to a handler we install once, loomDoParFor.
//  * Loops of the wrappers themselves (attention: one Halide call per
//    (slice, query block) task).

typedef void (*loom_range_fn)(void *slots, int64_t begin, int64_t end);
extern "C" __attribute__((weak)) void (*loom_parallel_for_hook)(
    int64_t n, loom_range_fn fn, void *slots);

namespace {

// Runs task i of [0, n): returns 0 or an error code.
typedef int (*TaskFn)(void *context, int64_t i);

struct TaskJob {
  TaskFn run;
  void *context;
  std::atomic<int> result{0};
};

thread_local bool inTask = false;

// fn of the hook: runs tasks [begin, end); the first failure is kept and the
// remaining tasks of every range are skipped.
void runTaskRange(void *slots, int64_t begin, int64_t end) {
  TaskJob &job = *static_cast<TaskJob *>(slots);
  const bool outer = inTask;
  inTask = true;
  for (int64_t i = begin; i < end; ++i) {
    if (job.result.load(std::memory_order_relaxed) != 0)
      break;
    if (int r = job.run(job.context, i)) {
      int expected = 0;
      job.result.compare_exchange_strong(expected, r);
      break;
    }
  }
  inTask = outer;
}

int runTasks(int64_t n, TaskFn run, void *context) {
  if (n <= 0)
    return 0;
  void (*hook)(int64_t, loom_range_fn, void *) =
      &loom_parallel_for_hook ? loom_parallel_for_hook : nullptr;
  if (!hook || n == 1 || inTask) {
    for (int64_t i = 0; i < n; ++i)
      if (int r = run(context, i))
        return r;
    return 0;
  }
  TaskJob job;
  job.run = run;
  job.context = context;
  hook(n, &runTaskRange, &job);
  return job.result.load();
}

struct HalideLoop {
  void *userContext;
  halide_task_t task;
  int min;
  uint8_t *closure;
};

int runHalideTask(void *context, int64_t i) {
  HalideLoop &loop = *static_cast<HalideLoop *>(context);
  return loop.task(loop.userContext, loop.min + static_cast<int>(i),
                   loop.closure);
}

int loomDoParFor(void *userContext, halide_task_t task, int min, int size,
                 uint8_t *closure) {
  HalideLoop loop{userContext, task, min, closure};
  return runTasks(size, &runHalideTask, &loop);
}

//===----------------------------------------------------------------------===//
// Scratch memory
//===----------------------------------------------------------------------===//
//
// The kernels allocate per-task scratch through halide_malloc: a matmul
// task's packed B panel (K x 48 floats), an attention task's score and
// probability blocks (64 x tk floats each) and its q and output blocks.
// glibc serves the large ones with mmap (or trims them back to the system on
// free), so every task paid page faults: attention at T = 1024 spent more
// time in the kernel's page-fault handler than in arithmetic. Blocks of at
// least kMinCached bytes are therefore kept, on free, in a small cache of
// the freeing thread and reused (best fit) by its next allocation; the cache
// holds at most kCacheSlots blocks and kMaxCachedBytes, and is released when
// the thread exits. Smaller blocks go straight to malloc and free.
//
// Block layout (what halide_malloc promises): the pointer returned is 64-byte
// aligned, and at least 8 bytes before it and after its end are readable.
// The two words before it hold the block's capacity and the malloc pointer.

constexpr size_t kAlignment = 64;
constexpr size_t kMinCached = 4 * 1024;
constexpr size_t kMaxCachedBytes = 64 * 1024 * 1024;
constexpr int kCacheSlots = 8;

struct ScratchCache {
  void *blocks[kCacheSlots] = {};
  size_t bytes = 0;
  ~ScratchCache();
};

size_t &blockCapacity(void *p) { return static_cast<size_t *>(p)[-2]; }
void *&blockOrigin(void *p) { return static_cast<void **>(p)[-1]; }

void releaseBlock(void *p) { std::free(blockOrigin(p)); }

ScratchCache::~ScratchCache() {
  for (void *&b : blocks)
    if (b)
      releaseBlock(b);
}

thread_local ScratchCache scratchCache;

void *loomMalloc(void *, size_t size) {
  if (size >= kMinCached) {
    // Best fit among this thread's cached blocks.
    ScratchCache &cache = scratchCache;
    int best = -1;
    for (int i = 0; i < kCacheSlots; ++i)
      if (cache.blocks[i] && blockCapacity(cache.blocks[i]) >= size &&
          (best < 0 || blockCapacity(cache.blocks[i]) <
                           blockCapacity(cache.blocks[best])))
        best = i;
    if (best >= 0) {
      void *p = cache.blocks[best];
      cache.blocks[best] = nullptr;
      cache.bytes -= blockCapacity(p);
      return p;
    }
  }
  // Room for the header before and 8 readable bytes after the block.
  void *origin = std::malloc(size + 2 * kAlignment);
  if (!origin)
    return nullptr;
  uintptr_t at = (reinterpret_cast<uintptr_t>(origin) + 2 * sizeof(void *) +
                  kAlignment - 1) &
                 ~static_cast<uintptr_t>(kAlignment - 1);
  void *p = reinterpret_cast<void *>(at);
  blockCapacity(p) = size;
  blockOrigin(p) = origin;
  return p;
}

void loomFree(void *, void *p) {
  if (!p)
    return;
  const size_t capacity = blockCapacity(p);
  if (capacity >= kMinCached) {
    ScratchCache &cache = scratchCache;
    // An empty slot, else the one with the smallest block (dropped if it is
    // smaller than this one).
    int slot = 0;
    for (int i = 0; i < kCacheSlots; ++i) {
      if (!cache.blocks[i]) {
        slot = i;
        break;
      }
      if (blockCapacity(cache.blocks[i]) < blockCapacity(cache.blocks[slot]))
        slot = i;
    }
    void *victim = cache.blocks[slot];
    if (victim && blockCapacity(victim) >= capacity) {
      releaseBlock(p);
      return;
    }
    size_t bytes = cache.bytes - (victim ? blockCapacity(victim) : 0);
    if (bytes + capacity <= kMaxCachedBytes) {
      if (victim)
        releaseBlock(victim);
      cache.blocks[slot] = p;
      cache.bytes = bytes + capacity;
      return;
    }
  }
  releaseBlock(p);
}

// Installs the handlers the first time any wrapper runs (thread-safe: a
// function-local static).
void installRuntimeHandlers() {
  static const bool installed = [] {
    halide_set_custom_do_par_for(&loomDoParFor);
    halide_set_custom_malloc(&loomMalloc);
    halide_set_custom_free(&loomFree);
    return true;
  }();
  (void)installed;
}

constexpr int64_t kMaxElements = std::numeric_limits<int32_t>::max();

// Halide buffers use int32 extents and strides, and index with int32.
bool validExtent(int64_t n) { return n > 0 && n <= kMaxElements; }
bool validMatrix(int64_t rows, int64_t cols) {
  return validExtent(rows) && validExtent(cols) && rows <= kMaxElements / cols;
}

// A dense row-major [rows, cols] matrix as a Halide buffer (col, row).
Halide::Runtime::Buffer<float> matrix(const float *p, int64_t rows,
                                      int64_t cols) {
  return Halide::Runtime::Buffer<float>(const_cast<float *>(p),
                                        static_cast<int>(cols),
                                        static_cast<int>(rows));
}

} // namespace

extern "C" int loom_kernel_softmax_rows_f32(const float *in, float *out,
                                            int64_t rows, int64_t cols) {
  if (!in || !out || !validMatrix(rows, cols))
    return -1;
  installRuntimeHandlers();
  // Halide buffers index dim 0 fastest: (col, row).
  Halide::Runtime::Buffer<float> input = matrix(in, rows, cols);
  Halide::Runtime::Buffer<float> output = matrix(out, rows, cols);
  return loom_halide_softmax_rows(input, output);
}

// The register tile of the matmul generator (its tile_x and tile_y
// GeneratorParams, set in CMakeLists.txt): the tiled kernel needs at least
// one full tile.
static constexpr int64_t kMatmulTileX = LOOM_MATMUL_TILE_X,
                         kMatmulTileY = LOOM_MATMUL_TILE_Y;

extern "C" int loom_kernel_matmul_f32(const float *a, const float *b, float *c,
                                      int64_t m, int64_t k, int64_t n,
                                      int b_transposed) {
  if (!a || !b || !c || (b_transposed != 0 && b_transposed != 1) ||
      !validMatrix(m, k) || !validMatrix(k, n) || !validMatrix(m, n))
    return -1;
  installRuntimeHandlers();
  Halide::Runtime::Buffer<float> A = matrix(a, m, k);
  Halide::Runtime::Buffer<float> B =
      b_transposed ? matrix(b, n, k) : matrix(b, k, n);
  Halide::Runtime::Buffer<float> C = matrix(c, m, n);
  const bool tiled = m >= kMatmulTileY && n >= kMatmulTileX;
  if (b_transposed)
    return tiled ? loom_halide_matmul_nt(A, B, C)
                 : loom_halide_matmul_small_nt(A, B, C);
  return tiled ? loom_halide_matmul_nn(A, B, C)
               : loom_halide_matmul_small_nn(A, B, C);
}

extern "C" int loom_kernel_layer_norm_f32(const float *x, const float *gamma,
                                          const float *beta, float *y,
                                          int64_t rows, int64_t cols,
                                          float eps) {
  if (!x || !gamma || !y || !validMatrix(rows, cols) || !(eps >= 0.0f))
    return -1;
  installRuntimeHandlers();
  Halide::Runtime::Buffer<float> X = matrix(x, rows, cols);
  Halide::Runtime::Buffer<float> Y = matrix(y, rows, cols);
  Halide::Runtime::Buffer<float> G(const_cast<float *>(gamma),
                                   static_cast<int>(cols));
  if (!beta)
    return loom_halide_layer_norm_nobeta(X, G, eps, Y);
  Halide::Runtime::Buffer<float> B(const_cast<float *>(beta),
                                   static_cast<int>(cols));
  return loom_halide_layer_norm(X, G, B, eps, Y);
}

namespace {

// Queries per task of the attention pipelines (their q_block, set in
// CMakeLists.txt). The small block serves causal d = 64 up to
// kSmallBlockMaxT queries: there a causal block computes its whole diagonal
// square, half of it masked, and 32 x 32 wastes less than 64 x 64 (measured
// +10-20% at T = 64 and 128); longer sequences run better in 64-query blocks.
constexpr int64_t kAttentionBlock = LOOM_ATTENTION_BLOCK;
constexpr int64_t kAttentionSmallBlock = LOOM_ATTENTION_SMALL_BLOCK;
constexpr int64_t kSmallBlockMaxT = 256;

struct AttentionCall {
  const float *q, *k, *v;
  float *o, *lse;
  int64_t bh, tq, tk, d, block, blocks;
  float scale;
  bool causal;
};

// Task i: block i % blocks of slice i / blocks.
int attentionTask(void *context, int64_t i) {
  const AttentionCall &c = *static_cast<const AttentionCall *>(context);
  const int64_t slice = i / c.blocks, start = (i % c.blocks) * c.block;
  const int rows = static_cast<int>(std::min(c.block, c.tq - start));
  const int d = static_cast<int>(c.d);
  auto input = [&](const float *base, int64_t t) {
    return Halide::Runtime::Buffer<float>(
        const_cast<float *>(base + slice * t * c.d), d, static_cast<int>(t), 1);
  };
  Halide::Runtime::Buffer<float> Q = input(c.q, c.tq), K = input(c.k, c.tk),
                                 V = input(c.v, c.tk);
  Halide::Runtime::Buffer<float> O(c.o + (slice * c.tq + start) * c.d, d, rows,
                                   1);
  Halide::Runtime::Buffer<float> L(c.lse + slice * c.tq + start, rows, 1);
  const int first = static_cast<int>(start);
  if (c.d != 64)
    return loom_halide_attention_any(Q, K, V, c.scale, c.causal, first, O, L);
  if (c.block == kAttentionSmallBlock)
    return loom_halide_attention_d64_small(Q, K, V, c.scale, c.causal, first,
                                           O, L);
  return loom_halide_attention_d64(Q, K, V, c.scale, c.causal, first, O, L);
}

} // namespace

extern "C" int loom_kernel_attention_f32(const float *q, const float *k,
                                         const float *v, float *o, float *lse,
                                         int64_t bh, int64_t tq, int64_t tk,
                                         int64_t d, float scale, int causal) {
  if (!q || !k || !v || !o || (causal != 0 && causal != 1) ||
      (causal && tq != tk) || !std::isfinite(scale) || !validExtent(bh) ||
      !validMatrix(bh, tq) || !validMatrix(bh * tq, d) ||
      !validMatrix(bh, tk) || !validMatrix(bh * tk, d))
    return -1;
  installRuntimeHandlers();
  // The pipeline always produces lse; without a destination it goes to a
  // scratch buffer (bh * tq floats, small next to the work).
  std::vector<float> scratch;
  if (!lse) {
    scratch.resize(static_cast<size_t>(bh * tq));
    lse = scratch.data();
  }
  const int64_t block = d == 64 && causal && tq <= kSmallBlockMaxT
                            ? kAttentionSmallBlock
                            : kAttentionBlock;
  AttentionCall call{q,     k,     v,  o,     lse,
                     bh,    tq,    tk, d,     block,
                     (tq + block - 1) / block, scale, causal != 0};
  return runTasks(bh * call.blocks, &attentionTask, &call);
}
