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
 */
#include <stdint.h>

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
