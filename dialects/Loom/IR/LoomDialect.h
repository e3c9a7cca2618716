//===- LoomDialect.h - the loom dialect -------------------------*- C++ -*-===//
#ifndef LOOM_IR_LOOMDIALECT_H
#define LOOM_IR_LOOMDIALECT_H

#include "mlir/IR/Dialect.h"

#include "Loom/IR/LoomOpsDialect.h.inc"

#endif // LOOM_IR_LOOMDIALECT_H
