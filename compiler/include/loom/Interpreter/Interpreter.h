//===- Interpreter.h - the reference interpreter (the oracle) --*- C++ -*-===//
//
// Executes loom IR op by op in plain C++, independent of the code generator:
// every loom op, composites included, is evaluated directly from its
// documented semantics (dialects/Loom/IR/Loom*Ops.td), never through
// loom-decompose or the lowering. Sums and dot products accumulate in double;
// each op's result is then rounded to its element type (f32 through float,
// f16/bf16 round to nearest even, integers exact), so the interpreter models
// the storage precision of compiled code but not its accumulation order.
//
// Dropout uses the lowering's hash (see evalDropout): element `i` is kept iff
// the top 24 bits of splitmix64(seed + stream * 0x9E3779B97F4A7C15 +
// (i + 1) * 0xBF58476D1CE4E5B9), times 2^-24, are >= rate.
//
// Unsupported input (an op of another dialect, an argument that does not fit
// the function's type, an id out of range, ...) is reported as an error.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_INTERPRETER_INTERPRETER_H
#define LOOM_INTERPRETER_INTERPRETER_H

#include "loom/Interpreter/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <vector>

namespace loom::interp {

struct RunOptions {
  /// Called after every evaluated op with its (rounded) result; for tracing
  /// and for locating where two executions diverge.
  std::function<void(mlir::Operation *, const Tensor &)> onResult;
};

/// Runs `fn` on `args` (one per argument, in order; shapes must fit the
/// argument types, which fixes every dynamic dim) and returns its results.
llvm::Expected<std::vector<Tensor>> run(mlir::func::FuncOp fn,
                                        const std::vector<Tensor> &args,
                                        const RunOptions &options = {});

/// Convenience: the error message of `run`, or "" on success.
std::string run(mlir::func::FuncOp fn, const std::vector<Tensor> &args,
                std::vector<Tensor> &results, const RunOptions &options = {});

/// True if the interpreter has semantics for the op named `name`
/// ("loom.add").
bool isSupported(llvm::StringRef name);

} // namespace loom::interp

#endif // LOOM_INTERPRETER_INTERPRETER_H
