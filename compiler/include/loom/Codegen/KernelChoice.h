//===- KernelChoice.h - MLIR or Halide, per op instance ---------*- C++ -*-===//
//
// loom has two kernel generators: its own MLIR code generation and the
// Halide kernels built with the runtime (runtime/kernels/). An op instance
// a Halide kernel can compute is a *candidate*, keyed by op, shapes and
// attributes (dtype f32). loom-select-kernels decides per candidate:
// `--kernels=mlir|halide` force one; `auto` looks the key up in the
// choice cache `loomc --autotune` fills by timing both on this machine,
// and falls back to a cost model.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_CODEGEN_KERNELCHOICE_H
#define LOOM_CODEGEN_KERNELCHOICE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::loom {

/// Module attributes a driver sets for loom-select-kernels (its options
/// win over them): the mode, and the choice cache's path.
constexpr llvm::StringLiteral kKernelsModeAttr = "loom.kernels";
constexpr llvm::StringLiteral kKernelCacheAttr = "loom.kernel_cache";

enum class KernelGenerator { MLIR, Halide };

struct KernelCandidate {
  Operation *op = nullptr;
  std::string kernel; // "attention": loom_kernel_attention_f32
  SmallVector<Value> inputs;
  DictionaryAttr params;
  double flops = 0;
  /// "attention q=1x12x1024x64 k=1x12x1024x64 causal"
  std::string key;
};

/// The candidate `op` is, if a Halide kernel computes it (static f32).
std::optional<KernelCandidate> kernelCandidate(Operation *op);

/// Replaces the candidate's op by a loom.kernel_call (a linear's bias is
/// added after it); returns the new value.
Value replaceWithKernelCall(OpBuilder &b, const KernelCandidate &c);

/// One measured choice.
struct KernelTiming {
  KernelGenerator winner = KernelGenerator::MLIR;
  double mlirMicros = 0, halideMicros = 0;
  int threads = 0;
  std::string measured; // UTC date
};

/// The choice cache: a JSON file of timings keyed by CPU model and
/// candidate key (docs/kernels.md).
class KernelChoiceCache {
public:
  /// A missing file is an empty cache; a malformed one is an error.
  bool load(const std::string &path, std::string &error);
  /// Writes it atomically (temporary file + rename).
  bool save(const std::string &path, std::string &error) const;

  const KernelTiming *find(const std::string &key) const;
  void record(const std::string &key, const KernelTiming &t);
  /// The cache's timing if it has one, else the cost model's guess.
  KernelGenerator choose(const KernelCandidate &c) const;
  /// The cost model alone (no measurement).
  static KernelGenerator costModel(const KernelCandidate &c);

  /// This machine's CPU model (part of every key).
  static std::string cpuModel();
  /// Where loomc keeps the cache by default:
  /// $XDG_CACHE_HOME/loom/kernel-choices.json (else ~/.cache/loom/...).
  static std::string defaultPath();

private:
  std::map<std::string, KernelTiming> entries_;
};

} // namespace mlir::loom

#endif // LOOM_CODEGEN_KERNELCHOICE_H
