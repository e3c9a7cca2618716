//===- KernelCost.h - FLOPs and compulsory bytes of a loop nest -*- C++ -*-===//
//
// What loomc --report and loom profile put next to a kernel's time: the
// floating-point operations its loop nest executes and the bytes of the
// buffers it touches (each counted once: the compulsory traffic, a lower
// bound on what moves between memory and the core).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_CODEGEN_KERNELCOST_H
#define LOOM_CODEGEN_KERNELCOST_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace mlir::loom {

/// Floating-point operations executed by `root` and everything nested in
/// it: every f32/f16/bf16 arithmetic op or math function counts once per
/// element (an FMA twice, a vector.contract 2·m·n·k), times the trips of
/// the loops around it inside `root` (itself included). A loop whose trip
/// count is not constant counts once.
double countFlops(Operation *root);

/// Bytes of a buffer value of static shape (0 otherwise).
double bufferBytes(Value buffer);

} // namespace mlir::loom

#endif // LOOM_CODEGEN_KERNELCOST_H
