//===- LoomOps.h - the loom dialect's ops -----------------------*- C++ -*-===//
#ifndef LOOM_IR_LOOMOPS_H
#define LOOM_IR_LOOMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Loom/IR/LoomDialect.h"
#include "Loom/IR/LoomEnums.h.inc"

namespace mlir {
namespace OpTrait {
namespace loom {
/// Marks a composite op: `loom-decompose` can express it in primitive loom ops.
template <typename ConcreteType>
class CompositeOpTrait : public TraitBase<ConcreteType, CompositeOpTrait> {};
} // namespace loom
} // namespace OpTrait

namespace loom {
/// True when both ranges hold tensors of equal rank and element type whose
/// dims agree wherever both are static.
bool areCompatibleTensorTypes(TypeRange lhs, TypeRange rhs);
/// One-shot bufferization of loom.kernel_call (LoomKernelCall.cpp); the
/// dialect attaches it when it loads.
void registerKernelCallInterfaces(MLIRContext &ctx);
} // namespace loom
} // namespace mlir

#define GET_OP_CLASSES
#include "Loom/IR/LoomOps.h.inc"

#endif // LOOM_IR_LOOMOPS_H
