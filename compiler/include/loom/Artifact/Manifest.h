//===- Manifest.h - the artifact's manifest.json (docs/artifact.md) -------===//
//
// The manifest is a function of the bufferized module alone: the functions'
// slots come from their arguments (loom.param / loom.input / loom.state /
// loom.output / loom.update / loom.arena), everything else from the module
// attributes the front end and the passes record (loom.dims, loom.params,
// loom.inputs, loom.optimizer, loom.arena_bytes; LoomBase.td) and the spec
// file from the module's location.
// So `loomc`, `loom-opt` and the tests produce the same manifest from the
// same IR, whatever ran before.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_ARTIFACT_MANIFEST_H
#define LOOM_ARTIFACT_MANIFEST_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace loom::artifact {

/// The module attribute loomc's shape buckets record (`--dim T=16,32`):
/// an array of {dims: {T: 16}, functions: {forward: "forward__T16", ...}},
/// smallest first, the largest (plain names) last. The manifest's
/// `buckets` (docs/artifact.md).
inline constexpr const char kBucketsAttrName[] = "loom.buckets";

/// One shape bucket: the values of the bucketed dims and, per plain
/// function name, the entry point compiled for them.
struct Bucket {
  std::vector<std::pair<std::string, int64_t>> dims;
  std::vector<std::pair<std::string, std::string>> functions;
};

struct Slot {
  std::string kind; // param | input | state | output | arena
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string update; // outputs: "param:NAME" / "state:NAME" it replaces
  /// params and state: the output whose value the call writes over this
  /// tensor in place ("new.wte"); empty when the call only reads it.
  std::string output;
  /// state: a key/value cache (`loom.cache`), not optimizer state.
  bool cache = false;
};

/// One entry point `void loom_<name>(void **slots)`.
struct Function {
  std::string name;
  std::vector<Slot> slots;
  int64_t arenaBytes = 0;
  std::string optimizer; // "" unless a training step
  std::vector<std::pair<std::string, double>> hyperparameters;
};

struct Tensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  /// Integer inputs: the values valid in them, lo <= v < hi, what bounds
  /// them, and one more valid value (a cross-entropy's ignore_index)
  /// (loom-index-ranges).
  std::optional<std::pair<int64_t, int64_t>> range;
  std::string rangeOf;
  std::optional<int64_t> ignore;
};

struct Param : Tensor {
  std::string initKind; // normal, uniform, zeros, ones, constant
  std::vector<std::pair<std::string, double>> initArgs;
  std::vector<std::string> aliases;
};

/// A spec's checkpoint map (`checkpoint NAME {...}`), for loom import-weights.
struct CheckpointRule {
  std::string from, to;
  bool transpose = false, ignore = false, strip = false;
};
struct CheckpointMap {
  std::string name;
  std::vector<CheckpointRule> rules;
};

/// Everything manifest.json and the C header say.
struct Artifact {
  std::string model, spec;
  std::string tokenizer; // the spec's tokenizer kind, "" if it names none
  std::vector<std::pair<std::string, int64_t>> dims;
  std::vector<Param> params;
  std::vector<Tensor> inputs;
  std::vector<Function> functions; // the public functions, in module order
  std::vector<CheckpointMap> checkpoints;
  std::vector<Bucket> buckets;     // empty unless compiled with shape buckets
  /// "cpu", or "cuda": then the GPU architecture ("sm_90"), the embedded
  /// kernels' form ("cubin") and the GPU runtime functions the library
  /// calls through `loom_hook_<name>` pointers the runtime sets
  /// (docs/artifact.md).
  std::string target = "cpu";
  std::string cudaArch, cudaBinary;
  std::vector<std::string> cudaHooks;

  int64_t largestArena() const;
};

/// Reads the artifact from a bufferized module (the loom-bufferize stage's
/// output): every public function must take static buffers only, the arena
/// last. Returns false with `error` set when the module is not one.
bool describeArtifact(mlir::ModuleOp module, Artifact &out, std::string &error);

/// manifest.json text; `library` is the shared library's file name. Its
/// `fingerprint` is manifestFingerprint's value.
std::string writeManifest(const Artifact &artifact, const std::string &library);

/// The manifest's fingerprint (FNV-1a 64 of its compact JSON without the
/// fingerprint member; docs/artifact.md). loomc compiles it into the library
/// as `loom_manifest_fingerprint`, so the runtime can tell that a manifest
/// and a library belong together.
uint64_t manifestFingerprint(const Artifact &artifact, const std::string &library);

/// A C header declaring the entry points and documenting their slots.
std::string writeHeader(const Artifact &artifact);

/// "f32", "bf16", "i32", ... for an MLIR element type ("" if unsupported).
std::string dtypeName(mlir::Type type);

} // namespace loom::artifact

#endif // LOOM_ARTIFACT_MANIFEST_H
