/* loom/runtime.h - C ABI of the loom runtime.
 *
 * The runtime opens a compiled artifact (docs/artifact.md: manifest.json plus
 * a shared library exporting `void loom_F(void **slots)` per graph function),
 * owns parameter, input, output and arena memory, and calls the functions.
 * It has no MLIR/LLVM dependency: C++17, nlohmann/json and libdl only.
 *
 * Typical use:
 *
 *   loom_artifact *a;  loom_session *s;
 *   if (loom_artifact_open("out/tiny_gpt", &a) != LOOM_OK)
 *     fprintf(stderr, "%s\n", loom_last_error());
 *   loom_session_create(a, &s);
 *   loom_load_weights(s, "w.safetensors", 0);   // or loom_init_params(s, seed)
 *   loom_set_input(s, "tokens", LOOM_DTYPE_I32, shape, 2, tokens, nbytes);
 *   loom_run(s, "forward");
 *   loom_get_output(s, "forward", "logits", &info, &logits);
 *   loom_session_destroy(s);  loom_artifact_close(a);
 *
 * Errors: every function that can fail returns a loom_status; on failure
 * loom_last_error() holds a message naming the file, tensor or function.
 * No function aborts, throws or exits on bad input.
 *
 * Memory: every parameter, input and output tensor is its own allocation,
 * 64-byte aligned and zero-initialized. Each session allocates one arena (the
 * largest `arena_bytes` of its artifact's functions) when it is created;
 * loom_run allocates nothing.
 *
 * Threads: artifacts are immutable after opening and may be shared. A session
 * is used by one thread at a time (its arena is not re-entrant); use one
 * session per thread. Each session owns a pool of worker threads that its
 * kernels split their work across (loom_session_set_threads).
 * loom_last_error() is per thread.
 */
#ifndef LOOM_RUNTIME_H
#define LOOM_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define LOOM_RT_API
#else
#define LOOM_RT_API __attribute__((visibility("default")))
#endif

/* In C++ the enums get `int` as their fixed underlying type (what a C
 * compiler uses for them anyway), so that any value a C caller passes is a
 * valid value and the runtime can reject it instead of invoking undefined
 * behavior. */
#ifdef __cplusplus
#define LOOM_RT_ENUM_TYPE : int
#else
#define LOOM_RT_ENUM_TYPE
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum loom_status LOOM_RT_ENUM_TYPE {
  LOOM_OK = 0,
  LOOM_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, index out of range, bad flag */
  LOOM_ERR_IO = 2,               /* a file cannot be opened, read or written */
  LOOM_ERR_MANIFEST = 3,         /* manifest.json is malformed or inconsistent */
  LOOM_ERR_LIBRARY = 4,          /* dlopen failed, a symbol is missing, or (CUDA)
                                    no device, or the driver failed a call */
  LOOM_ERR_FORMAT = 5,           /* a safetensors or .npy file is malformed */
  LOOM_ERR_MISMATCH = 6,         /* names, dtypes or shapes differ from the manifest */
  LOOM_ERR_NOT_FOUND = 7,        /* no such function, input, output or parameter */
  LOOM_ERR_STATE = 8,            /* parameters or an input not set, output before run */
  LOOM_ERR_OUT_OF_MEMORY = 9,
  LOOM_ERR_INTERNAL = 10
} loom_status;

/* Element types, spelled as in the manifest. LOOM_DTYPE_I1 is one byte per
 * element (0 or 1). */
typedef enum loom_dtype LOOM_RT_ENUM_TYPE {
  LOOM_DTYPE_F32 = 0,
  LOOM_DTYPE_F16 = 1,
  LOOM_DTYPE_BF16 = 2,
  LOOM_DTYPE_I32 = 3,
  LOOM_DTYPE_I64 = 4,
  LOOM_DTYPE_I1 = 5
} loom_dtype;

/* Bits of loom_load_weights' `flags`. */
enum {
  /* Tensors of the file that name no parameter are ignored instead of being
   * an error. */
  LOOM_LOAD_ALLOW_EXTRA = 1u,
  /* The file must hold the artifact's optimizer state (a resumed training
   * run); without the flag, a file without any state zeroes it (a fresh
   * optimizer on given weights). */
  LOOM_LOAD_REQUIRE_STATE = 2u,
  /* loom_import_weights: parameters the checkpoint lacks keep their current
   * values (set by loom_init_params first) instead of being an error. */
  LOOM_LOAD_ALLOW_MISSING = 4u
};

typedef struct loom_artifact loom_artifact;
typedef struct loom_session loom_session;

/* A tensor's description. `name` and `shape` point into the artifact and stay
 * valid until it is closed and its last session destroyed. */
typedef struct loom_tensor_info {
  const char *name;
  loom_dtype dtype;
  int32_t rank;          /* 0 for a scalar */
  const int64_t *shape;  /* `rank` dims */
  int64_t numel;         /* product of the dims (1 for a scalar) */
  uint64_t nbytes;       /* numel * loom_dtype_size(dtype) */
} loom_tensor_info;

/* The message of the latest failed call on this thread ("" if none). Valid
 * until the next failing call on this thread. */
LOOM_RT_API const char *loom_last_error(void);
/* "LOOM_OK", "LOOM_ERR_IO", ...; "unknown" for other values. */
LOOM_RT_API const char *loom_status_name(loom_status status);
/* "f32", "f16", "bf16", "i32", "i64", "i1"; NULL for other values. */
LOOM_RT_API const char *loom_dtype_name(loom_dtype dtype);
/* Bytes per element; 0 for other values. */
LOOM_RT_API size_t loom_dtype_size(loom_dtype dtype);

/* ---- artifacts ----------------------------------------------------------- */

/* Reads and validates DIR/manifest.json (format "loom-artifact", version 1),
 * dlopens its library (RTLD_NOW | RTLD_LOCAL) and resolves every function's
 * symbol. An artifact of `loomc --target=cuda` runs on CUDA device
 * LOOM_CUDA_DEVICE (default 0): see loom_artifact_open_device. */
LOOM_RT_API loom_status loom_artifact_open(const char *dir, loom_artifact **out);
/* loom_artifact_open on DEVICE: "cpu", "cuda" (device LOOM_CUDA_DEVICE,
 * else 0), "cuda:N", or NULL / "" for the target the artifact was compiled
 * for. An artifact runs on its own target only (LOOM_ERR_MISMATCH
 * otherwise). A CUDA artifact loads the NVIDIA driver (libcuda.so.1, or
 * the file LOOM_CUDA_DRIVER names) and its kernels on the device; without
 * a driver or device, or on a device its kernels were not built for, it
 * fails with LOOM_ERR_LIBRARY saying why. Its sessions keep every tensor
 * in CUDA managed memory, so the data pointers of this API are valid on
 * the host as on the CPU; loom_run returns once the GPU is done
 * (docs/cuda.md). */
LOOM_RT_API loom_status loom_artifact_open_device(const char *dir, const char *device,
                                                  loom_artifact **out);
/* The manifest's "target": "cpu" or "cuda". */
LOOM_RT_API const char *loom_artifact_target(const loom_artifact *artifact);
/* What its sessions run on: "cpu" or "cuda:N". */
LOOM_RT_API const char *loom_artifact_device(const loom_artifact *artifact);
/* Releases the caller's reference; sessions keep the artifact alive. NULL is
 * ignored. */
LOOM_RT_API void loom_artifact_close(loom_artifact *artifact);
/* The manifest's "model" ("" if absent). */
LOOM_RT_API const char *loom_artifact_model(const loom_artifact *artifact);
/* The tokenizer kind the spec names (`tokenizer bpe`): "bytes", "bpe",
 * "wordpiece", or "" when it names none. */
LOOM_RT_API const char *loom_artifact_tokenizer(const loom_artifact *artifact);

LOOM_RT_API size_t loom_artifact_num_params(const loom_artifact *artifact);
LOOM_RT_API loom_status loom_artifact_param(const loom_artifact *artifact,
                                            size_t index, loom_tensor_info *out);
LOOM_RT_API size_t loom_artifact_num_inputs(const loom_artifact *artifact);
LOOM_RT_API loom_status loom_artifact_input(const loom_artifact *artifact,
                                            size_t index, loom_tensor_info *out);
/* The valid values of integer input INDEX, as the spec implies them (the
 * rows of the embedding table it indexes, the classes of a cross-entropy):
 * lo <= v < hi; `ignore` (may be NULL) gets the one other valid value, a
 * cross-entropy's ignore_index, or INT64_MIN when there is none.
 * LOOM_ERR_NOT_FOUND when nothing bounds the input. loom_set_input refuses
 * values outside it. */
LOOM_RT_API loom_status loom_artifact_input_range(const loom_artifact *artifact,
                                                  size_t index, int64_t *lo,
                                                  int64_t *hi, int64_t *ignore);
LOOM_RT_API size_t loom_artifact_num_functions(const loom_artifact *artifact);
/* The function's manifest name ("forward"); NULL if index is out of range. */
LOOM_RT_API const char *loom_artifact_function_name(const loom_artifact *artifact,
                                                    size_t index);
LOOM_RT_API loom_status loom_artifact_num_outputs(const loom_artifact *artifact,
                                                  const char *function,
                                                  size_t *count);
LOOM_RT_API loom_status loom_artifact_output(const loom_artifact *artifact,
                                             const char *function, size_t index,
                                             loom_tensor_info *out);

/* ---- sessions ------------------------------------------------------------ */

/* Allocates every buffer the artifact's functions need. Parameters start
 * unset: loom_run refuses until loom_init_params or loom_load_weights. */
LOOM_RT_API loom_status loom_session_create(const loom_artifact *artifact,
                                            loom_session **out);
LOOM_RT_API void loom_session_destroy(loom_session *session);
/* Threads the session's compiled kernels run on, the calling thread included
 * (1 to 1024). A new session uses LOOM_NUM_THREADS if set (a value that is
 * not a count makes loom_session_create fail), else every hardware thread.
 * Results do not depend on it: kernels split only independent iterations.
 * Idle workers sleep after ~100 us. */
LOOM_RT_API loom_status loom_session_set_threads(loom_session *session,
                                                 int32_t threads);
LOOM_RT_API int32_t loom_session_threads(const loom_session *session);

/* Initializes every parameter from its manifest `init` (normal, uniform,
 * zeros, ones, constant). Reproducible: the same seed gives the same bytes on
 * any machine. Parameter NAME's values come from its own counter-based
 * splitmix64 stream, base = mix64(fnv1a64(NAME) ^ mix64(seed)), draw n =
 * mix64(base + (n + 1) * 0x9E3779B97F4A7C15); uniforms take the top 53 bits;
 * normals use Box-Muller on draws (2k, 2k+1) for elements (2k, 2k+1) with
 * log/sin/cos evaluated by fixed series in IEEE double (no libm), rounded to
 * the dtype to nearest-even. Adding or reordering parameters does not change
 * the others. */
LOOM_RT_API loom_status loom_init_params(loom_session *session, uint64_t seed);
/* Loads every parameter from a safetensors file, by name or alias. Every
 * tensor's dtype and shape must match the manifest. Missing, extra (unless
 * LOOM_LOAD_ALLOW_EXTRA) and misshaped tensors are reported together, by
 * name, and nothing is loaded. */
LOOM_RT_API loom_status loom_load_weights(loom_session *session, const char *path,
                                          uint32_t flags);
/* Loads parameters from another framework's checkpoint: a safetensors file,
 * a directory holding model.safetensors, or a sharded checkpoint's
 * model.safetensors.index.json (or its directory). The spec's checkpoint map
 * MAP (NULL or "": the first the spec declares; none: names as they are)
 * renames the checkpoint's tensors: a name is tried as it is and without
 * each prefix a `strip` rule names; an `ignore` rule that matches drops the
 * tensor; per name, the renaming rules are tried in order and one applies
 * when the new name is a parameter or alias; else the name is looked up as
 * it is (docs/checkpoints.md). F64, F32, F16 and BF16 tensors are converted
 * to the parameter's dtype and transposed where a rule says so. Missing (unless LOOM_LOAD_ALLOW_MISSING),
 * extra (unless LOOM_LOAD_ALLOW_EXTRA) and misshaped tensors are reported
 * together and nothing is loaded. On success the optimizer state is zeroed
 * and *REPORT (may be NULL; valid until the next call on this thread) says
 * what was imported, renamed, transposed, converted, ignored and missing. */
LOOM_RT_API loom_status loom_import_weights(loom_session *session, const char *path,
                                            const char *map, uint32_t flags,
                                            const char **report);
/* Writes every parameter under its manifest name. Atomic: a temporary file in
 * the same directory is written, fsynced and renamed over PATH. */
LOOM_RT_API loom_status loom_save_weights(const loom_session *session,
                                          const char *path);
/* Parameters and optimizer state (the manifest's "state": AdamW moments,
 * SGD momentum) in one safetensors file, plus COUNT metadata entries
 * (keys[i] -> values[i]; "producer" and "model" are reserved). Atomic like
 * loom_save_weights: a kill during the write leaves the previous file. A
 * checkpoint loads with loom_load_weights: state tensors ("optim.*") are
 * restored when the artifact has state and ignored when it has none; a file
 * without state leaves the state at zero. */
LOOM_RT_API loom_status loom_save_checkpoint(const loom_session *session,
                                             const char *path,
                                             const char *const *keys,
                                             const char *const *values,
                                             size_t count);
/* The metadata value KEY of a safetensors file; LOOM_ERR_NOT_FOUND if the
 * file has no such key. *value stays valid until the next call on this
 * thread. */
LOOM_RT_API loom_status loom_read_metadata(const char *path, const char *key,
                                           const char **value);
/* State tensors of the artifact (zero-initialized per session): optimizer
 * state, and the key/value caches of `loomc --decode` (not saved). */
LOOM_RT_API size_t loom_artifact_num_state(const loom_artifact *artifact);
LOOM_RT_API loom_status loom_artifact_state(const loom_artifact *artifact,
                                            size_t index, loom_tensor_info *out);
/* Direct access to a parameter's storage (by name or alias). */
LOOM_RT_API loom_status loom_param_data(loom_session *session, const char *name,
                                        loom_tensor_info *info, void **data);
/* Direct access to a state tensor's storage (optimizer state, a key/value
 * cache: e.g. to reorder a beam's cache rows). Valid until the next loom_run
 * (a call may swap an update in). */
LOOM_RT_API loom_status loom_state_data(loom_session *session, const char *name,
                                        loom_tensor_info *info, void **data);
/* Direct access to an input's own buffer, for writing it in place instead
 * of copying it with loom_set_input; the input counts as set. Refused for
 * range-checked inputs (indices: loom_set_input checks them) and in
 * artifacts with shape buckets. Data-parallel training reduces gradients
 * into the grad.<p> inputs of the update functions this way. */
LOOM_RT_API loom_status loom_input_data(loom_session *session, const char *name,
                                        loom_tensor_info *info, void **data);
/* Frees a state tensor of the session (HOLD 0) or allocates it again,
 * zeroed (HOLD 1; nothing happens if it is held). While released, loom_run
 * refuses functions that use it, loom_state_data and loom_save_checkpoint
 * refuse, and loom_load_weights / loom_init_params skip it. Data-parallel
 * training with ZeRO-1 keeps the optimizer state of the parameters a rank
 * updates and releases the rest. */
LOOM_RT_API loom_status loom_session_hold_state(loom_session *session,
                                                const char *name, int32_t hold);

/* Copies an input from host memory. dtype, rank, shape and nbytes must match
 * the manifest exactly, except in an artifact compiled with shape buckets
 * (`loomc --dim T=16,32,64`, docs/artifact.md): there a bucketed dim may be
 * smaller than the manifest's (the largest bucket's), and loom_run picks
 * the smallest bucket that holds the inputs and pads them. */
LOOM_RT_API loom_status loom_set_input(loom_session *session, const char *name,
                                       loom_dtype dtype, const int64_t *shape,
                                       int32_t rank, const void *data,
                                       size_t nbytes);
/* Calls the artifact's function on the session's buffers. Fails without
 * calling it if parameters or an input the function takes were never set.
 * A training step's new weights and optimizer state replace what they
 * update: the call writes them in place (a param/state slot with
 * `"output"` in the manifest), or, for an output marked `"updates":
 * "param:NAME"` / `"state:NAME"`, the runtime swaps the buffers after the
 * call (no copy). Either way the parameter holds the new values, and
 * loom_get_output of such an output returns them (it reads the
 * parameter's or state tensor's buffer). */
LOOM_RT_API loom_status loom_run(loom_session *session, const char *function);

/* Profiling (`loom run --profile`, `loom train --profile`). While enabled,
 * every loom_run of the session records one event for the call (site -1)
 * and one per kernel call, `site` being the call's id in the artifact's
 * kernels.json (docs/artifact.md); times are steady-clock nanoseconds
 * (CLOCK_MONOTONIC), comparable across enable/disable periods. The compiler brackets every kernel call with a
 * probe that costs a load and a branch when no session profiles, so the
 * same artifact serves both. */
typedef struct loom_profile_event {
  int64_t site;     /* kernels.json site id, or -1 for the whole call */
  int32_t function; /* index among loom_artifact_function_name's */
  int32_t reserved;
  int64_t begin_ns, end_ns;
} loom_profile_event;
/* Enables (discarding earlier events) or disables profiling. */
LOOM_RT_API loom_status loom_session_set_profiling(loom_session *session,
                                                   int32_t enabled);
/* The events recorded since profiling was enabled or cleared, in the order
 * they ended; *events stays valid until the next loom_run or clear. */
LOOM_RT_API size_t loom_session_profile_events(const loom_session *session,
                                               const loom_profile_event **events);
LOOM_RT_API void loom_session_clear_profile(loom_session *session);
/* The function the latest successful loom_run(session, function) called:
 * `function` itself or, in an artifact with shape buckets, the smallest
 * bucket's entry point that held the inputs ("forward__T16"). *ran stays
 * valid while the artifact is open. */
LOOM_RT_API loom_status loom_session_ran_function(const loom_session *session,
                                                  const char *function,
                                                  const char **ran);
/* An output of the latest successful loom_run of `function`. The data stays
 * valid (and is overwritten by later runs) until the session is destroyed.
 * With shape buckets: the output of the bucket that ran, in that bucket's
 * padded shape (info->shape says which); the rows past the inputs' real
 * sizes hold the padding's results. */
LOOM_RT_API loom_status loom_get_output(const loom_session *session,
                                        const char *function, const char *name,
                                        loom_tensor_info *info,
                                        const void **data);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_RUNTIME_H */
