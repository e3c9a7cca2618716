/* cuda_fixture.c - a hand-written stand-in for a CUDA artifact's library.
 *
 * What `loomc --target=cuda` will emit, reduced to its contract with the
 * runtime (docs/cuda.md): entry points `void loom_F(void **slots)`, a data
 * symbol `loom_hook_H` per runtime function H it calls (null until the
 * runtime sets it), and loom_cuda_load / loom_cuda_unload for its kernel
 * module. The CUDA tests (CudaRuntimeTest.cpp) pair it with manifests they
 * write and run it on the stand-in driver test/unit/fake_cuda, where
 * kernels do not run but memsets and copies do:
 *
 *   scale:      slots = [w: f32[4] param, x: f32[2, 4] input,
 *                        y: f32[2, 4] output, arena]
 *               launches scale_rows(w, x, y) on a 2x1x1 grid of 4x1x1
 *               blocks, then touch(arena), the way generated code does:
 *               GetFunction, StreamCreate, LaunchKernel, StreamSynchronize,
 *               StreamDestroy per launch.
 *   fill:       slots = [y: f32[4] output, arena]
 *               y = 3.5 through a device buffer: MemAlloc, Memset32,
 *               Memcpy, MemFree, plus a touch(arena) launch.
 *   train_step: slots = [w: f32[4] param (updated in place), tokens,
 *                        targets: i32[2, 4] input, optim.lr, optim.step:
 *                        f32[] input, loss, optim.grad_norm: f32[] output,
 *                        arena]
 *               loss = 1.5, grad_norm = 0.25 (memsets), and an sgd(w, lr)
 *               launch: enough for `loom train` to run it.
 *
 * FIXTURE_CUDA_IMAGE picks what loom_cuda_load loads: unset, a fake cubin
 * (ELF magic) through mgpuModuleLoad; "ptx", PTX text through
 * mgpuModuleLoadJIT; "bad" and "badptx", garbage through either.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *(*loom_hook_mgpuModuleLoad)(void *data, int64_t size);
void *(*loom_hook_mgpuModuleLoadJIT)(void *data, int32_t optLevel);
void (*loom_hook_mgpuModuleUnload)(void *module);
void *(*loom_hook_mgpuModuleGetFunction)(void *module, const char *name);
void (*loom_hook_mgpuLaunchKernel)(void *function, int64_t gx, int64_t gy, int64_t gz,
                                   int64_t bx, int64_t by, int64_t bz, int32_t smem,
                                   void *stream, void **params, void **extra,
                                   int64_t paramsCount);
void *(*loom_hook_mgpuStreamCreate)(void);
void (*loom_hook_mgpuStreamSynchronize)(void *stream);
void (*loom_hook_mgpuStreamDestroy)(void *stream);
void *(*loom_hook_mgpuMemAlloc)(uint64_t bytes, void *stream, _Bool isHostShared);
void (*loom_hook_mgpuMemFree)(void *ptr, void *stream);
void (*loom_hook_mgpuMemset32)(void *dst, uint32_t value, size_t count, void *stream);
void (*loom_hook_mgpuMemcpy)(void *dst, void *src, size_t bytes, void *stream);

#define KERNELS                                                                        \
  ".entry scale_rows(.param .u64 w, .param .u64 x, .param .u64 y)\n"                  \
  ".entry touch(.param .u64 p)\n"                                                      \
  ".entry sgd(.param .u64 w, .param .u64 lr)\n"

static char kCubin[] = "\x7f" "ELF fake cubin\n" KERNELS;
static char kPtx[] = ".version 8.0\n.target sm_90\n.address_size 64\n" KERNELS;
static char kGarbage[] = "not a kernel image";

static void *module;

void loom_cuda_load(void) {
  const char *image = getenv("FIXTURE_CUDA_IMAGE");
  if (!image)
    module = loom_hook_mgpuModuleLoad(kCubin, sizeof kCubin);
  else if (!strcmp(image, "ptx"))
    module = loom_hook_mgpuModuleLoadJIT(kPtx, 2);
  else if (!strcmp(image, "badptx"))
    module = loom_hook_mgpuModuleLoadJIT(kGarbage, 2);
  else
    module = loom_hook_mgpuModuleLoad(kGarbage, sizeof kGarbage);
}

void loom_cuda_unload(void) {
  loom_hook_mgpuModuleUnload(module);
  module = 0;
}

/* One launch as MLIR's gpu-to-llvm lowering emits it. */
static void launch(const char *name, int64_t grid, int64_t block, void **params,
                   int64_t count) {
  void *function = loom_hook_mgpuModuleGetFunction(module, name);
  void *stream = loom_hook_mgpuStreamCreate();
  loom_hook_mgpuLaunchKernel(function, grid, 1, 1, block, 1, 1, 0, stream, params, 0, count);
  loom_hook_mgpuStreamSynchronize(stream);
  loom_hook_mgpuStreamDestroy(stream);
}

void loom_scale(void **slots) {
  void *params[] = {&slots[0], &slots[1], &slots[2]};
  launch("scale_rows", 2, 4, params, 3);
  void *arena[] = {&slots[3]};
  launch("touch", 1, 32, arena, 1);
}

void loom_fill(void **slots) {
  void *stream = loom_hook_mgpuStreamCreate();
  void *buffer = loom_hook_mgpuMemAlloc(4 * sizeof(float), stream, 0);
  float value = 3.5f;
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  loom_hook_mgpuMemset32(buffer, bits, 4, stream);
  loom_hook_mgpuMemcpy(slots[0], buffer, 4 * sizeof(float), stream);
  loom_hook_mgpuMemFree(buffer, stream);
  loom_hook_mgpuStreamSynchronize(stream);
  loom_hook_mgpuStreamDestroy(stream);
  void *arena[] = {&slots[1]};
  launch("touch", 1, 32, arena, 1);
}

static uint32_t bitsOf(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return bits;
}

void loom_train_step(void **slots) {
  void *stream = loom_hook_mgpuStreamCreate();
  loom_hook_mgpuMemset32(slots[5], bitsOf(1.5f), 1, stream);
  loom_hook_mgpuMemset32(slots[6], bitsOf(0.25f), 1, stream);
  loom_hook_mgpuStreamDestroy(stream);
  void *params[] = {&slots[0], &slots[3]};
  launch("sgd", 1, 4, params, 2);
}
