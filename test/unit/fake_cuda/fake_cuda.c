/* fake_cuda.c - a stand-in for libcuda.so.1 in the CUDA layer's tests.
 *
 * It exports every driver-API entry point runtime/cuda/driver.cpp resolves,
 * with the driver's C signatures, and behaves as environment variables say:
 *   FAKE_CUDA unset    devices "Fake H200": sm_90, 132 multiprocessors,
 *                      141 GiB, managed memory; driver version 13000
 *             "stub"   cuInit returns CUDA_ERROR_STUB_LIBRARY (34), as the
 *                      toolkit's stubs/libcuda.so does
 *             "nodev"  cuInit returns CUDA_ERROR_NO_DEVICE (100)
 *             "zero"   cuInit succeeds, cuDeviceGetCount reports 0
 *             "nomanaged"  the devices cannot allocate managed memory
 *   FAKE_CUDA_DEVICES=N  N devices (default 1)
 *   FAKE_CUDA_CC=M.m     their compute capability (default 9.0)
 *   FAKE_CUDA_FAIL_LAUNCH=1   cuLaunchKernel returns CUDA_ERROR_LAUNCH_FAILED
 *   FAKE_CUDA_FAIL_CAPTURE=1  cuStreamBeginCapture returns _NOT_SUPPORTED
 *   FAKE_CUDA_TRACE=FILE      what runs is appended to FILE, a line each:
 *       launch NAME grid=X,Y,Z block=X,Y,Z params=N
 *       graph-launch N kernels
 * so the refusals and the runtime's use of the driver can be tested on
 * machines without a GPU.
 *
 * Memory is malloc'd (managed memory filled with 0xA5, as real managed
 * memory is not zeroed); memcpy and memsets run on the host. Kernels do not
 * run: a module is an image that starts with the ELF magic or is PTX text
 * (contains ".version"), else CUDA_ERROR_INVALID_IMAGE. A real cubin's
 * kernels are read from its ELF sections (so loomc's artifacts load here);
 * otherwise they are the PTX-style declarations ".entry NAME(.param ...,
 * .param ...)" in its text. Either gives each kernel's parameter count. Stream capture records launches,
 * memsets and copies into a graph, and a graph launch runs them. Calls
 * that need a current context fail without one. Not thread-safe: the
 * tests use it from one thread. fake_cuda_count() reports what is live,
 * for leak checks, and counts launches, syncs and prefetches.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long CUdeviceptr;

enum {
  SUCCESS = 0,
  INVALID_VALUE = 1,
  OUT_OF_MEMORY = 2,
  STUB_LIBRARY = 34,
  NO_DEVICE = 100,
  INVALID_DEVICE = 101,
  INVALID_IMAGE = 200,
  INVALID_CONTEXT = 201,
  INVALID_PTX = 218,
  INVALID_HANDLE = 400,
  NOT_FOUND = 500,
  LAUNCH_FAILED = 719,
  NOT_SUPPORTED = 801,
  CAPTURE_UNSUPPORTED = 900,
  CAPTURE_INVALIDATED = 901,
};

static const char *mode(void) {
  const char *m = getenv("FAKE_CUDA");
  return m ? m : "";
}

static int flag(const char *name) {
  const char *v = getenv(name);
  return v && !strcmp(v, "1");
}

static int device_count(void) {
  const char *n = getenv("FAKE_CUDA_DEVICES");
  if (!strcmp(mode(), "zero"))
    return 0;
  return n ? atoi(n) : 1;
}

static void trace(const char *line) {
  const char *path = getenv("FAKE_CUDA_TRACE");
  if (!path)
    return;
  FILE *f = fopen(path, "a");
  if (!f)
    return;
  fputs(line, f);
  fputc('\n', f);
  fclose(f);
}

/* ---- what is live ---------------------------------------------------- */

static int retained, allocations, managed, streams, modules, events, graphs,
    execs, prefetches, launches, syncs;
/* The depth of the context stack: one for the process, not per thread
 * (thread-local storage in a dlopened library trips LeakSanitizer). */
static int current;

int fake_cuda_count(const char *what) {
  if (!strcmp(what, "contexts")) return retained;
  if (!strcmp(what, "current")) return current;
  if (!strcmp(what, "allocations")) return allocations;
  if (!strcmp(what, "managed")) return managed;
  if (!strcmp(what, "streams")) return streams;
  if (!strcmp(what, "modules")) return modules;
  if (!strcmp(what, "events")) return events;
  if (!strcmp(what, "graphs")) return graphs;
  if (!strcmp(what, "execs")) return execs;
  if (!strcmp(what, "prefetches")) return prefetches;
  if (!strcmp(what, "launches")) return launches;
  if (!strcmp(what, "syncs")) return syncs;
  return -1;
}

/* ---- devices ----------------------------------------------------------- */

int cuInit(unsigned flags) {
  (void)flags;
  if (!strcmp(mode(), "stub"))
    return STUB_LIBRARY;
  if (!strcmp(mode(), "nodev"))
    return NO_DEVICE;
  return SUCCESS;
}

int cuDriverGetVersion(int *v) {
  *v = 13000;
  return SUCCESS;
}

int cuDeviceGetCount(int *n) {
  *n = device_count();
  return SUCCESS;
}

int cuDeviceGet(int *dev, int ordinal) {
  if (ordinal < 0 || ordinal >= device_count())
    return INVALID_DEVICE;
  *dev = ordinal;
  return SUCCESS;
}

int cuDeviceGetName(char *name, int len, int dev) {
  (void)dev;
  strncpy(name, "Fake H200", (size_t)len);
  return SUCCESS;
}

int cuDeviceGetAttribute(int *value, int attribute, int dev) {
  const char *cc = getenv("FAKE_CUDA_CC");
  if (dev < 0 || dev >= device_count())
    return INVALID_DEVICE;
  switch (attribute) {
  case 16: *value = 132; return SUCCESS; /* multiprocessors */
  case 75: *value = cc ? atoi(cc) : 9; return SUCCESS; /* compute capability */
  case 76: *value = cc && strchr(cc, '.') ? atoi(strchr(cc, '.') + 1) : 0; return SUCCESS;
  case 83: *value = strcmp(mode(), "nomanaged") != 0; return SUCCESS; /* managed memory */
  case 89: *value = 1; return SUCCESS; /* concurrent managed access */
  default: return INVALID_VALUE;
  }
}

int cuDeviceTotalMem_v2(size_t *bytes, int dev) {
  (void)dev;
  *bytes = (size_t)141 << 30;
  return SUCCESS;
}

int cuGetErrorName(int error, const char **name) {
  switch (error) {
  case STUB_LIBRARY: *name = "CUDA_ERROR_STUB_LIBRARY"; break;
  case NO_DEVICE: *name = "CUDA_ERROR_NO_DEVICE"; break;
  case INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; break;
  case OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; break;
  case INVALID_IMAGE: *name = "CUDA_ERROR_INVALID_IMAGE"; break;
  case INVALID_CONTEXT: *name = "CUDA_ERROR_INVALID_CONTEXT"; break;
  case INVALID_PTX: *name = "CUDA_ERROR_INVALID_PTX"; break;
  case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; break;
  case LAUNCH_FAILED: *name = "CUDA_ERROR_LAUNCH_FAILED"; break;
  case NOT_SUPPORTED: *name = "CUDA_ERROR_NOT_SUPPORTED"; break;
  case CAPTURE_UNSUPPORTED: *name = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"; break;
  case CAPTURE_INVALIDATED: *name = "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"; break;
  default: *name = "CUDA_ERROR_UNKNOWN";
  }
  return SUCCESS;
}

int cuGetErrorString(int error, const char **text) {
  switch (error) {
  case NO_DEVICE: *text = "no CUDA-capable device is detected"; break;
  case INVALID_IMAGE: *text = "device kernel image is invalid"; break;
  case LAUNCH_FAILED: *text = "unspecified launch failure"; break;
  case NOT_FOUND: *text = "named symbol not found"; break;
  default: *text = "fake error";
  }
  return SUCCESS;
}

/* ---- contexts ---------------------------------------------------------- */

static int primary[16]; /* a context handle per device: &primary[dev] */

int cuDevicePrimaryCtxRetain(void **ctx, int dev) {
  if (dev < 0 || dev >= device_count() || dev >= 16)
    return INVALID_DEVICE;
  *ctx = &primary[dev];
  ++primary[dev];
  ++retained;
  return SUCCESS;
}

int cuDevicePrimaryCtxRelease_v2(int dev) {
  if (dev < 0 || dev >= 16 || primary[dev] == 0)
    return INVALID_CONTEXT;
  --primary[dev];
  --retained;
  return SUCCESS;
}

int cuCtxPushCurrent_v2(void *ctx) {
  if (!ctx)
    return INVALID_CONTEXT;
  ++current;
  return SUCCESS;
}

int cuCtxPopCurrent_v2(void **ctx) {
  if (current == 0)
    return INVALID_CONTEXT;
  --current;
  if (ctx)
    *ctx = &primary[0];
  return SUCCESS;
}

int cuCtxSynchronize(void) { return current ? SUCCESS : INVALID_CONTEXT; }

/* ---- memory ------------------------------------------------------------- */

struct allocation {
  void *p;
  int managed;
  struct allocation *next;
};
static struct allocation *live;

static int allocate(CUdeviceptr *out, size_t bytes, int is_managed) {
  if (!current)
    return INVALID_CONTEXT;
  if (bytes == 0)
    return INVALID_VALUE;
  void *p = aligned_alloc(256, (bytes + 255) / 256 * 256);
  struct allocation *a = malloc(sizeof *a);
  if (!p || !a) {
    free(p);
    free(a);
    return OUT_OF_MEMORY;
  }
  memset(p, 0xA5, bytes);
  a->p = p;
  a->managed = is_managed;
  a->next = live;
  live = a;
  ++allocations;
  managed += is_managed;
  *out = (CUdeviceptr)(uintptr_t)p;
  return SUCCESS;
}

int cuMemAlloc_v2(CUdeviceptr *out, size_t bytes) { return allocate(out, bytes, 0); }

int cuMemAllocManaged(CUdeviceptr *out, size_t bytes, unsigned flags) {
  if (flags != 1) /* CU_MEM_ATTACH_GLOBAL */
    return INVALID_VALUE;
  return allocate(out, bytes, 1);
}

int cuMemFree_v2(CUdeviceptr d) {
  if (!current)
    return INVALID_CONTEXT;
  for (struct allocation **a = &live; *a; a = &(*a)->next)
    if ((*a)->p == (void *)(uintptr_t)d) {
      struct allocation *gone = *a;
      *a = gone->next;
      --allocations;
      managed -= gone->managed;
      free(gone->p);
      free(gone);
      return SUCCESS;
    }
  return INVALID_VALUE;
}

int cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
  *total = (size_t)141 << 30;
  *free_bytes = *total - (size_t)allocations * 4096;
  return current ? SUCCESS : INVALID_CONTEXT;
}

/* CUmemLocation, passed by value (one register on x86-64). */
struct location {
  int type, id;
};

int cuMemPrefetchAsync_v2(CUdeviceptr d, size_t bytes, struct location to, unsigned flags,
                          void *stream) {
  (void)d, (void)bytes, (void)flags, (void)stream;
  if (to.type != 1 || to.id < 0 || to.id >= device_count()) /* CU_MEM_LOCATION_TYPE_DEVICE */
    return INVALID_VALUE;
  ++prefetches;
  return SUCCESS;
}

/* ---- modules ------------------------------------------------------------ */

struct kernel {
  char name[128];
  int params; /* -1: unknown */
};
struct module {
  struct kernel *kernels;
  int count;
};

static struct kernel *add_kernel(struct module *m, const char *name, size_t n) {
  struct kernel *grown = realloc(m->kernels, sizeof *grown * (size_t)(m->count + 1));
  if (!grown)
    return NULL;
  m->kernels = grown;
  struct kernel *k = &m->kernels[m->count++];
  if (n >= sizeof k->name)
    n = sizeof k->name - 1;
  memcpy(k->name, name, n);
  k->name[n] = 0;
  k->params = 0;
  return k;
}

/* The ".entry NAME(.param ...)" declarations of TEXT (PTX, or the tests'
 * stand-in cubins). */
static void find_entries(const char *text, struct module *m) {
  for (const char *at = strstr(text, ".entry "); at; at = strstr(at + 1, ".entry ")) {
    const char *name = at + 7;
    struct kernel *k = add_kernel(m, name, strcspn(name, "( \n"));
    if (!k)
      return;
    const char *open = strchr(name, '('), *close = open ? strchr(open, ')') : NULL;
    for (const char *p = open ? strstr(open, ".param") : NULL; p && p < close;
         p = strstr(p + 1, ".param"))
      ++k->params;
  }
}

/* A real cubin (64-bit ELF for EM_CUDA, 190, as ptxas writes it): its
 * kernels are the sections ".text.NAME", and their parameters the
 * EIATTR_KPARAM_INFO records (attribute 0x17) of ".nv.info.NAME". */
static int find_cubin_kernels(const unsigned char *image, struct module *m) {
  Elf64_Ehdr eh;
  memcpy(&eh, image, sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != 190)
    return 0;
  Elf64_Shdr *sh = malloc(sizeof *sh * eh.e_shnum);
  if (!sh)
    return 0;
  memcpy(sh, image + eh.e_shoff, sizeof *sh * eh.e_shnum);
  const char *names = (const char *)image + sh[eh.e_shstrndx].sh_offset;
  for (int i = 0; i < eh.e_shnum; ++i) {
    const char *name = names + sh[i].sh_name;
    if (strncmp(name, ".text.", 6) != 0)
      continue;
    struct kernel *k = add_kernel(m, name + 6, strlen(name + 6));
    if (!k)
      break;
    k->params = -1;
    for (int j = 0; j < eh.e_shnum; ++j) {
      const char *info = names + sh[j].sh_name;
      if (strncmp(info, ".nv.info.", 9) != 0 || strcmp(info + 9, k->name) != 0)
        continue;
      /* Records: format, attribute, then by format nothing (1), 2 bytes
       * (2, 3) or a 16-bit size and that many bytes (4). */
      const unsigned char *d = image + sh[j].sh_offset;
      size_t at = 0, size = sh[j].sh_size;
      k->params = 0;
      while (at + 2 <= size) {
        unsigned format = d[at], attribute = d[at + 1];
        if (format == 4 && at + 4 <= size) {
          k->params += attribute == 0x17;
          at += 4 + (size_t)(d[at + 2] | d[at + 3] << 8);
        } else {
          at += format == 1 ? 2 : 4;
        }
      }
    }
  }
  free(sh);
  return 1;
}

static int load(void **out, const void *image, int ptx_only, char *log, size_t log_size) {
  if (!current)
    return INVALID_CONTEXT;
  const char *text = image;
  int elf = !ptx_only && !memcmp(text, "\x7f" "ELF", 4);
  if (!elf && !strstr(text, ".version")) {
    if (log && log_size)
      snprintf(log, log_size, "ptxas fatal: fake: the image is not PTX\n");
    return ptx_only ? INVALID_PTX : INVALID_IMAGE;
  }
  struct module *m = calloc(1, sizeof *m);
  if (!m)
    return OUT_OF_MEMORY;
  if (!elf || !find_cubin_kernels(image, m))
    find_entries(text + (elf ? 4 : 0), m);
  ++modules;
  *out = m;
  return SUCCESS;
}

int cuModuleLoadData(void **module, const void *image) {
  return load(module, image, 0, NULL, 0);
}

int cuModuleLoadDataEx(void **module, const void *image, unsigned n, int *options,
                       void **values) {
  char *log = NULL;
  size_t log_size = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (options[i] == 5) /* CU_JIT_ERROR_LOG_BUFFER */
      log = values[i];
    else if (options[i] == 6) /* ..._SIZE_BYTES */
      log_size = (size_t)(uintptr_t)values[i];
    else if (options[i] != 7) /* CU_JIT_OPTIMIZATION_LEVEL */
      return INVALID_VALUE;
  }
  return load(module, image, 1, log, log_size);
}

int cuModuleUnload(void *module) {
  struct module *m = module;
  if (!current)
    return INVALID_CONTEXT;
  if (!m)
    return INVALID_HANDLE;
  free(m->kernels);
  free(m);
  --modules;
  return SUCCESS;
}

int cuModuleGetFunction(void **function, void *module, const char *name) {
  struct module *m = module;
  if (!m)
    return INVALID_HANDLE;
  for (int i = 0; i < m->count; ++i)
    if (!strcmp(m->kernels[i].name, name)) {
      *function = &m->kernels[i];
      return SUCCESS;
    }
  return NOT_FOUND;
}

/* ---- streams, graphs, launches ------------------------------------------ */

enum op_kind { OP_LAUNCH, OP_MEMSET, OP_MEMCPY };
struct op {
  enum op_kind kind;
  struct kernel *kernel;
  unsigned dims[6];
  void *dst;
  const void *src;
  unsigned value, width; /* memset: value, bytes per element */
  size_t count;          /* memset: elements; memcpy: bytes */
};
struct oplist {
  struct op *ops;
  int count;
};
struct stream {
  int capturing, invalidated;
  struct oplist captured;
};

static int append(struct oplist *l, const struct op *o) {
  struct op *grown = realloc(l->ops, sizeof *o * (size_t)(l->count + 1));
  if (!grown)
    return OUT_OF_MEMORY;
  l->ops = grown;
  l->ops[l->count++] = *o;
  return SUCCESS;
}

static void run(const struct op *o, int traced) {
  char line[256];
  switch (o->kind) {
  case OP_LAUNCH:
    ++launches;
    if (traced) {
      snprintf(line, sizeof line, "launch %s grid=%u,%u,%u block=%u,%u,%u params=%d",
               o->kernel->name, o->dims[0], o->dims[1], o->dims[2], o->dims[3], o->dims[4],
               o->dims[5], o->kernel->params);
      trace(line);
    }
    break;
  case OP_MEMSET:
    for (size_t i = 0; i < o->count; ++i)
      memcpy((char *)o->dst + i * o->width, &o->value, o->width); /* little-endian */
    break;
  case OP_MEMCPY:
    memmove(o->dst, o->src, o->count);
    break;
  }
}

/* Runs O now, or records it if STREAM is capturing. */
static int submit(void *stream, const struct op *o) {
  struct stream *s = stream;
  if (!current)
    return INVALID_CONTEXT;
  if (s && s->capturing)
    return s->invalidated ? CAPTURE_INVALIDATED : append(&s->captured, o);
  run(o, 1);
  return SUCCESS;
}

int cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  if (!current)
    return INVALID_CONTEXT;
  struct stream *s = calloc(1, sizeof *s);
  if (!s)
    return OUT_OF_MEMORY;
  ++streams;
  *stream = s;
  return SUCCESS;
}

int cuStreamDestroy_v2(void *stream) {
  struct stream *s = stream;
  if (!s)
    return INVALID_HANDLE;
  free(s->captured.ops);
  free(s);
  --streams;
  return SUCCESS;
}

int cuStreamSynchronize(void *stream) {
  struct stream *s = stream;
  if (s && s->capturing) {
    s->invalidated = 1;
    return CAPTURE_UNSUPPORTED;
  }
  ++syncs;
  return current ? SUCCESS : INVALID_CONTEXT;
}

int cuStreamWaitEvent(void *stream, void *event, unsigned flags) {
  (void)stream, (void)flags;
  return event ? SUCCESS : INVALID_HANDLE;
}

int cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                   unsigned by, unsigned bz, unsigned smem, void *stream, void **params,
                   void **extra) {
  (void)smem, (void)extra;
  struct kernel *k = function;
  if (!k)
    return INVALID_HANDLE;
  if (flag("FAKE_CUDA_FAIL_LAUNCH"))
    return LAUNCH_FAILED;
  for (int i = 0; i < k->params; ++i) /* the parameters' values are there */
    if (!params || !params[i])
      return INVALID_VALUE;
  struct op o = {OP_LAUNCH, k, {gx, gy, gz, bx, by, bz}, NULL, NULL, 0, 0, 0};
  return submit(stream, &o);
}

int cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void *stream) {
  struct op o = {OP_MEMCPY, NULL, {0}, (void *)(uintptr_t)dst, (const void *)(uintptr_t)src,
                 0, 0, bytes};
  return submit(stream, &o);
}

static int memset_op(CUdeviceptr dst, unsigned value, unsigned width, size_t count,
                     void *stream) {
  struct op o = {OP_MEMSET, NULL, {0}, (void *)(uintptr_t)dst, NULL, value, width, count};
  return submit(stream, &o);
}

int cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, void *stream) {
  return memset_op(dst, v, 1, n, stream);
}

int cuMemsetD16Async(CUdeviceptr dst, unsigned short v, size_t n, void *stream) {
  return memset_op(dst, v, 2, n, stream);
}

int cuMemsetD32Async(CUdeviceptr dst, unsigned v, size_t n, void *stream) {
  return memset_op(dst, v, 4, n, stream);
}

int cuStreamBeginCapture_v2(void *stream, int mode) {
  struct stream *s = stream;
  (void)mode;
  if (flag("FAKE_CUDA_FAIL_CAPTURE"))
    return NOT_SUPPORTED;
  if (!s || s->capturing)
    return INVALID_VALUE;
  s->capturing = 1;
  s->invalidated = 0;
  s->captured.count = 0;
  return SUCCESS;
}

int cuStreamEndCapture(void *stream, void **graph) {
  struct stream *s = stream;
  if (!s || !s->capturing)
    return INVALID_VALUE;
  s->capturing = 0;
  *graph = NULL;
  if (s->invalidated)
    return CAPTURE_INVALIDATED;
  struct oplist *g = calloc(1, sizeof *g);
  if (!g)
    return OUT_OF_MEMORY;
  *g = s->captured;
  s->captured.ops = NULL;
  s->captured.count = 0;
  ++graphs;
  *graph = g;
  return SUCCESS;
}

int cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long flags) {
  struct oplist *g = graph, *e;
  (void)flags;
  if (!g)
    return INVALID_HANDLE;
  e = calloc(1, sizeof *e);
  if (!e || (g->count && !(e->ops = malloc(sizeof *g->ops * (size_t)g->count)))) {
    free(e);
    return OUT_OF_MEMORY;
  }
  if (g->count)
    memcpy(e->ops, g->ops, sizeof *g->ops * (size_t)g->count);
  e->count = g->count;
  ++execs;
  *exec = e;
  return SUCCESS;
}

int cuGraphLaunch(void *exec, void *stream) {
  struct oplist *e = exec;
  struct stream *s = stream;
  char line[64];
  int kernels = 0;
  if (!e)
    return INVALID_HANDLE;
  if (!current)
    return INVALID_CONTEXT;
  if (s && s->capturing)
    return NOT_SUPPORTED;
  for (int i = 0; i < e->count; ++i) {
    run(&e->ops[i], 0);
    kernels += e->ops[i].kind == OP_LAUNCH;
  }
  snprintf(line, sizeof line, "graph-launch %d kernels", kernels);
  trace(line);
  return SUCCESS;
}

int cuGraphExecDestroy(void *exec) {
  struct oplist *e = exec;
  if (!e)
    return INVALID_HANDLE;
  free(e->ops);
  free(e);
  --execs;
  return SUCCESS;
}

int cuGraphDestroy(void *graph) {
  struct oplist *g = graph;
  if (!g)
    return INVALID_HANDLE;
  free(g->ops);
  free(g);
  --graphs;
  return SUCCESS;
}

/* ---- events --------------------------------------------------------------- */

int cuEventCreate(void **event, unsigned flags) {
  (void)flags;
  if (!current)
    return INVALID_CONTEXT;
  *event = malloc(1);
  if (!*event)
    return OUT_OF_MEMORY;
  ++events;
  return SUCCESS;
}

int cuEventRecord(void *event, void *stream) {
  (void)stream;
  return event ? SUCCESS : INVALID_HANDLE;
}

int cuEventSynchronize(void *event) { return event ? SUCCESS : INVALID_HANDLE; }

int cuEventDestroy_v2(void *event) {
  if (!event)
    return INVALID_HANDLE;
  free(event);
  --events;
  return SUCCESS;
}
