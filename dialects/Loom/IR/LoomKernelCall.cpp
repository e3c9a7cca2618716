//===- LoomKernelCall.cpp - loom.kernel_call: verifier, bufferization -----===//
#include "Loom/IR/LoomOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"

using namespace mlir;
using namespace mlir::loom;

LogicalResult KernelCallOp::verify() {
  if (getKernel().empty())
    return emitOpError("needs a kernel name");
  if (getOutputs().empty())
    return emitOpError("needs at least one output");
  bool tensors = isa<RankedTensorType>(getOutputs().front().getType());
  for (Value v : getOperands())
    if (isa<RankedTensorType>(v.getType()) != tensors ||
        !(isa<RankedTensorType>(v.getType()) || isa<MemRefType>(v.getType())))
      return emitOpError("operands must be all ranked tensors or all memrefs");
  if (tensors) {
    if (getResults().size() != getOutputs().size())
      return emitOpError("on tensors has one result per output");
    for (auto [r, o] : llvm::zip(getResults(), getOutputs()))
      if (r.getType() != o.getType())
        return emitOpError("result type ") << r.getType()
               << " differs from its output's " << o.getType();
  } else if (!getResults().empty()) {
    return emitOpError("on memrefs has no results");
  }
  return success();
}

namespace {

/// Inputs are read, outputs written (and, conservatively, read: a kernel
/// may accumulate), each output equivalent to its result.
struct KernelCallBufferization
    : public bufferization::DstBufferizableOpInterfaceExternalModel<
          KernelCallBufferization, KernelCallOp> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const bufferization::AnalysisState &) const {
    // The kernels loom calls overwrite their outputs.
    return !cast<KernelCallOp>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const bufferization::BufferizationOptions &options,
                          bufferization::BufferizationState &state) const {
    auto call = cast<KernelCallOp>(op);
    SmallVector<Value> ins, outs;
    for (Value v : call.getInputs()) {
      FailureOr<Value> b = bufferization::getBuffer(rewriter, v, options, state);
      if (failed(b))
        return failure();
      ins.push_back(*b);
    }
    for (Value v : call.getOutputs()) {
      FailureOr<Value> b = bufferization::getBuffer(rewriter, v, options, state);
      if (failed(b))
        return failure();
      outs.push_back(*b);
    }
    rewriter.setInsertionPoint(op);
    auto bufferized = KernelCallOp::create(rewriter, op->getLoc(), TypeRange{},
                                           call.getKernelAttr(), ins, outs,
                                           call.getParamsAttr());
    bufferized->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    bufferization::replaceOpWithBufferizedValues(rewriter, op, outs);
    return success();
  }
};

} // namespace

void mlir::loom::registerKernelCallInterfaces(MLIRContext &ctx) {
  KernelCallOp::attachInterface<KernelCallBufferization>(ctx);
}
