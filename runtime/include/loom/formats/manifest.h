//===- loom/formats/manifest.h - an artifact's manifest.json --------------===//
//
// Part of loom_formats. The contract is docs/artifact.md (format
// "loom-artifact", version 1). The parser checks every field's type and
// every cross-reference (a slot's parameter, input or state exists; indices
// and dims are non-negative and fit int64; shapes do not overflow; the
// library path stays inside the artifact), and refuses duplicate keys and
// fields it does not know: a field added by a newer compiler (a packed
// weight layout, say) must not be silently ignored by an older runtime.
// Fuzzed by test/fuzz/fuzz_manifest.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FORMATS_MANIFEST_H
#define LOOM_FORMATS_MANIFEST_H

#include "loom/formats/rng.h"
#include "loom/formats/status.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loom::rt {

struct TensorSpec {
  std::string name;
  loom_dtype dtype = LOOM_DTYPE_F32;
  std::vector<int64_t> shape;
  int64_t numel = 1;
  uint64_t nbytes = 0;
  /// State only: a key/value cache (manifest `"cache": true`): zero at
  /// session creation, never saved or loaded with the weights.
  bool cache = false;
};

/// An integer input's valid values (manifest `range`, `range_of`,
/// `ignore`): lo <= v < hi, or v == ignore. The runtime checks every value
/// set for the input against it.
struct IndexRange {
  bool present = false;
  int64_t lo = 0, hi = 0;
  std::string of;
  bool hasIgnore = false;
  int64_t ignore = 0;
};

struct InputSpec : TensorSpec {
  IndexRange range;
  /// Shape buckets: the dims a bucket function takes smaller (a caller may
  /// give any size up to `shape` there); the others must match exactly.
  std::vector<bool> bucketed;
};

struct ParamSpec : TensorSpec {
  InitSpec init;
  std::vector<std::string> aliases;
};

struct SlotSpec {
  enum class Kind { Param, Input, State, Output, Arena };
  Kind kind = Kind::Arena;
  size_t index = 0; // into Manifest::params / inputs / state, FunctionSpec::outputs
  /// Inputs: the shape this function takes, the input's own or, in a shape
  /// bucket's function, an elementwise smaller one (manifest slot `shape`).
  std::vector<int64_t> shape;
};

/// One shape bucket (manifest `buckets`, docs/artifact.md): the values of
/// the bucketed dims, and per plain function name the entry point compiled
/// for them.
struct BucketSpec {
  std::vector<std::pair<std::string, int64_t>> dims;
  std::vector<std::pair<std::string, size_t>> functions; // into Manifest::functions
  int64_t volume = 1; // the product of `dims`: the smallest that fits runs
};

/// An output that replaces a parameter or a state tensor (a training step's
/// new weights): either the call writes it over the tensor (`inPlace`: the
/// manifest's param/state slot names the output), or the call writes a
/// buffer of its own, which the runtime swaps with the tensor afterwards.
struct UpdateSpec {
  size_t output = 0; // index into FunctionSpec::outputs
  bool isParam = true;
  size_t target = 0; // index into Manifest::params or Manifest::state
  bool inPlace = false;
};

struct FunctionSpec {
  std::string name;   // "forward"
  std::string symbol; // "loom_forward"
  uint64_t arenaBytes = 0;
  std::vector<SlotSpec> slots; // the order of slots[]; the arena is last
  std::vector<TensorSpec> outputs;
  std::vector<UpdateSpec> updates;
  /// A training step's optimizer: "kind" ("adamw", "sgd") and its
  /// hyperparameters; empty otherwise.
  std::string optimizer;
  std::vector<std::pair<std::string, double>> hyperparameters;
  /// A plain function of a bucketed artifact (forward): the functions that
  /// run for it, one per bucket, smallest volume first (itself last).
  std::vector<size_t> buckets;
  /// Any function of the bucket table: its index in Manifest::buckets.
  int bucket = -1;
  int findOutput(std::string_view name) const;
};

/// One rule of a spec's checkpoint map (loom/formats/name_pattern.h): a
/// checkpoint tensor matching `from` is the parameter `to` names
/// (transposed if `transpose`); an `ignore` rule has no `to`, a `strip`
/// rule's `from` is a prefix checkpoint names may carry.
struct CheckpointRule {
  std::string from, to;
  bool transpose = false, ignore = false, strip = false;
};
struct CheckpointMap {
  std::string name;
  std::vector<CheckpointRule> rules;
};

/// A CUDA artifact's kernels and the runtime functions its library calls
/// (manifest "cuda", docs/cuda.md).
struct CudaSpec {
  std::string arch;   // "sm_90"
  int major = 0, minor = 0; // of arch: sm_<major><minor>
  bool archSpecific = false; // "sm_90a": that architecture only
  std::string binary; // "cubin" (for arch) or "ptx" (JIT-compiled for arch and newer)
  /// The runtime functions the library calls ("mgpuModuleLoad", ...),
  /// through its data symbols loom_hook_<name>, which the runtime sets.
  std::vector<std::string> hooks;
  /// The functions whose host code does nothing but queue work on the
  /// stream (it touches no tensor memory): the runtime may skip their
  /// stream syncs and replay them as CUDA graphs. Others wait at every
  /// sync and run plainly.
  std::vector<std::string> streamOrdered;
};

struct Manifest {
  std::string model, spec, library;
  /// What loomc compiled for: "cpu" (the default) or "cuda" (then `cuda`
  /// says how).
  std::string target = "cpu";
  CudaSpec cuda;
  /// The spec's tokenizer kind: "bytes", "bpe", "wordpiece", or "" (none).
  std::string tokenizer;
  /// loomc's `fingerprint` (checked against the content when parsed; the
  /// library must export the same `loom_manifest_fingerprint`).
  uint64_t fingerprint = 0;
  bool hasFingerprint = false;
  std::vector<std::pair<std::string, int64_t>> dims;
  std::vector<ParamSpec> params;
  std::vector<InputSpec> inputs;
  /// Optimizer state (zero-initialized, saved in checkpoints).
  std::vector<TensorSpec> state;
  std::vector<FunctionSpec> functions; // sorted by name
  /// How other frameworks' checkpoints name the parameters, in spec order.
  std::vector<CheckpointMap> checkpoints;
  /// Shape buckets, as the manifest lists them (smallest first); empty for
  /// an artifact of one shape.
  std::vector<BucketSpec> buckets;

  /// Index of the parameter NAME names, directly or as an alias; -1 if none.
  /// The finders take string_views and allocate nothing: loom_run and
  /// loom_set_input use them on every step.
  int findParam(std::string_view name) const;
  int findInput(std::string_view name) const;
  int findState(std::string_view name) const;
  int findFunction(std::string_view name) const;

  std::map<std::string, size_t, std::less<>> paramIndex; // names and aliases
};

/// FNV-1a 64 of a manifest's compact JSON without its fingerprint member
/// (docs/artifact.md), and its 16-hex-digit form.
uint64_t manifestFingerprint(const std::string &canonicalJson);
std::string hexFingerprint(uint64_t fingerprint);


/// Parses and validates manifest TEXT; FILENAME names it in messages. Errors
/// are LOOM_ERR_MANIFEST.
Status parseManifest(const std::string &text, const std::string &fileName,
                     Manifest &out);

} // namespace loom::rt

#endif // LOOM_FORMATS_MANIFEST_H
