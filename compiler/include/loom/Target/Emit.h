//===- Emit.h - LLVM IR, assembly, objects and shared libraries -----------===//
//
// The last step of code generation: an LLVM-dialect module becomes LLVM IR,
// is optimized for the target CPU and compiled to objects (in parallel, split
// by function), and the objects are linked into a shared library.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TARGET_EMIT_H
#define LOOM_TARGET_EMIT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace loom::target {

struct EmitOptions {
  /// Target CPU; "native" is the host (with its features).
  std::string cpu = "native";
  unsigned optLevel = 3;
  /// Threads for optimization and code generation of objects (the module is
  /// split by function); 0 is one per hardware thread.
  unsigned jobs = 0;
};

/// What the LLVM-dialect module becomes.
enum class FileKind { LLVMIR, Assembly, Object };

/// Translates, optimizes and emits `module` (LLVM dialect) into `out`.
/// Returns false after reporting an error through `error`.
/// Whether LLVM knows `cpu` ("native" or a CPU name) for the host's target;
/// otherwise `error` says so (loomc checks --mcpu before compiling: LLVM
/// itself only warns and generates code for a generic CPU).
bool checkCPU(const std::string &cpu, std::string &error);

bool emitLLVM(mlir::ModuleOp module, FileKind kind, const EmitOptions &options,
              std::string &out, std::string &error);

/// Translates, optimizes and compiles `module` (LLVM dialect) into one or
/// more objects (one per thread of options.jobs, split by function).
/// With `timing`, translation, splitting and the parts' optimization and
/// code generation are timed under it.
bool emitObjects(mlir::ModuleOp module, const EmitOptions &options,
                 std::vector<std::string> &objects, std::string &error,
                 mlir::TimingScope *timing = nullptr);

/// Links `objectPaths` into the shared library `soPath` with the system C
/// compiler driver (`cc -shared ... -lm`); `libraries` (archives, -l flags)
/// come after the objects.
bool linkSharedLibrary(const std::vector<std::string> &objectPaths,
                       const std::string &soPath, std::string &error,
                       const std::vector<std::string> &libraries = {});

/// The CUDA toolkit directory (holding bin/ptxas and nvvm/libdevice) for
/// --target=cuda: `given` if not empty, else $CUDA_HOME, $CUDA_PATH, the
/// toolkit of the ptxas on PATH, /usr/local/cuda. Empty, with `error`, when
/// there is none.
std::string findCudaToolkit(const std::string &given, std::string &error);

/// The archive of loom's Halide kernels (runtime/kernels/) that an artifact
/// calling them links: $LOOM_KERNELS_LIBRARY, else the one built with
/// loomc. Empty (with `error` set) when there is none.
std::string kernelsLibrary(std::string &error);

} // namespace loom::target

#endif // LOOM_TARGET_EMIT_H
