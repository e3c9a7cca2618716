/* fake_cuda.c - a stand-in for libcuda.so.1 in the CUDA layer's tests.
 *
 * It exports the driver-API entry points runtime/cuda/driver.cpp resolves,
 * with the driver's C signatures, and behaves as FAKE_CUDA (an environment
 * variable) says:
 *   unset    one device: "Fake H200", sm_90, 132 multiprocessors, 141 GiB,
 *            driver version 13000
 *   "stub"   cuInit returns CUDA_ERROR_STUB_LIBRARY (34), as the toolkit's
 *            stubs/libcuda.so does
 *   "nodev"  cuInit returns CUDA_ERROR_NO_DEVICE (100)
 *   "zero"   cuInit succeeds, cuDeviceGetCount reports 0
 * so the refusals can be tested on machines without a GPU.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *mode(void) {
  const char *m = getenv("FAKE_CUDA");
  return m ? m : "";
}

int cuInit(unsigned flags) {
  (void)flags;
  if (!strcmp(mode(), "stub"))
    return 34;
  if (!strcmp(mode(), "nodev"))
    return 100;
  return 0;
}

int cuDriverGetVersion(int *v) {
  *v = 13000;
  return 0;
}

int cuDeviceGetCount(int *n) {
  *n = !strcmp(mode(), "zero") ? 0 : 1;
  return 0;
}

int cuDeviceGet(int *dev, int ordinal) {
  if (ordinal != 0)
    return 101; /* CUDA_ERROR_INVALID_DEVICE */
  *dev = 0;
  return 0;
}

int cuDeviceGetName(char *name, int len, int dev) {
  (void)dev;
  strncpy(name, "Fake H200", (size_t)len);
  return 0;
}

int cuDeviceGetAttribute(int *value, int attribute, int dev) {
  (void)dev;
  switch (attribute) {
  case 16: *value = 132; return 0; /* multiprocessors */
  case 75: *value = 9; return 0;   /* compute capability major */
  case 76: *value = 0; return 0;   /* minor */
  default: return 1;               /* CUDA_ERROR_INVALID_VALUE */
  }
}

int cuDeviceTotalMem_v2(size_t *bytes, int dev) {
  (void)dev;
  *bytes = (size_t)141 << 30;
  return 0;
}

int cuGetErrorName(int error, const char **name) {
  *name = error == 34    ? "CUDA_ERROR_STUB_LIBRARY"
          : error == 100 ? "CUDA_ERROR_NO_DEVICE"
                         : "CUDA_ERROR_UNKNOWN";
  return 0;
}

int cuGetErrorString(int error, const char **text) {
  *text = error == 100 ? "no CUDA-capable device is detected" : "unknown error";
  return 0;
}
