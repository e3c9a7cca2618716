//===- UpdateInPlace.cpp - a training step writes its new state in place --===//
//
// A training step returns the new value of every parameter and optimizer
// state tensor (`loom.update`). Returned as fresh buffers, they double the
// memory a step needs for its weights and state (the runtime used to swap
// them in after the call: 1.5 GB for GPT-2 small). Two passes write them in
// place instead, where bufferization can prove it safe:
//
// * loom-update-in-place (tensors): the returned value is materialized in
//   the argument it replaces (`bufferization.materialize_in_destination`),
//   which becomes writable. `eliminate-empty-tensors` then lets the
//   optimizer's kernel write there directly, and one-shot bufferization
//   either writes the argument in place or, where something still reads the
//   old value afterwards, keeps a separate buffer: it decides, not this pass.
// * loom-drop-in-place-results (buffers, before
//   buffer-results-to-out-params): a result that bufferized to its own
//   argument is dropped, and the argument takes the result's `loom.output`
//   name, which the manifest reports as written in place. A result that
//   did not stays an output with `loom.update` (the runtime swaps it in).
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"
#include "Loom/IR/LoomDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/ADT/BitVector.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMUPDATEINPLACE
#define GEN_PASS_DEF_LOOMDROPINPLACERESULTS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using mlir::loom::LoomDialect;

namespace {

/// The argument `update` ("param:NAME" / "state:NAME") names, or null.
BlockArgument updatedArgument(func::FuncOp fn, StringAttr update) {
  auto [kind, name] = update.getValue().split(':');
  StringRef key;
  if (kind == "param")
    key = LoomDialect::kParamAttrName;
  else if (kind == "state")
    key = LoomDialect::kStateAttrName;
  if (key.empty() || name.empty())
    return nullptr;
  for (BlockArgument arg : fn.getArguments())
    if (auto n = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), key))
      if (n.getValue() == name)
        return arg;
  return nullptr;
}

struct LoomUpdateInPlacePass
    : public mlir::loom::impl::LoomUpdateInPlaceBase<LoomUpdateInPlacePass> {
  void runOnOperation() override {
    getOperation()->walk([](func::FuncOp fn) {
      if (fn.isExternal())
        return;
      auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
      llvm::SmallDenseSet<BlockArgument> taken;
      for (OpOperand &operand : ret->getOpOperands()) {
        unsigned i = operand.getOperandNumber();
        auto update = fn.getResultAttrOfType<StringAttr>(
            i, LoomDialect::kUpdateAttrName);
        if (!update)
          continue;
        BlockArgument arg = updatedArgument(fn, update);
        if (!arg || arg.getType() != operand.get().getType() ||
            !isa<RankedTensorType>(arg.getType()) || !taken.insert(arg).second)
          continue;
        OpBuilder b(ret);
        auto into = bufferization::MaterializeInDestinationOp::create(
            b, ret.getLoc(), operand.get(), arg);
        operand.set(into.getResult());
        fn.setArgAttr(arg.getArgNumber(),
                      bufferization::BufferizationDialect::kWritableAttrName,
                      BoolAttr::get(fn.getContext(), true));
      }
    });
  }
};

struct LoomDropInPlaceResultsPass
    : public mlir::loom::impl::LoomDropInPlaceResultsBase<
          LoomDropInPlaceResultsPass> {
  void runOnOperation() override {
    getOperation()->walk([](func::FuncOp fn) {
      if (fn.isExternal())
        return;
      auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
      llvm::BitVector drop(ret.getNumOperands());
      for (OpOperand &operand : ret->getOpOperands()) {
        unsigned i = operand.getOperandNumber();
        auto update = fn.getResultAttrOfType<StringAttr>(
            i, LoomDialect::kUpdateAttrName);
        if (!update)
          continue;
        Value v = operand.get();
        while (auto cast = v.getDefiningOp<memref::CastOp>())
          v = cast.getSource();
        BlockArgument arg = updatedArgument(fn, update);
        if (!arg || v != arg)
          continue;
        if (auto name = fn.getResultAttrOfType<StringAttr>(
                i, LoomDialect::kOutputAttrName))
          fn.setArgAttr(arg.getArgNumber(), LoomDialect::kOutputAttrName, name);
        drop.set(i);
      }
      if (drop.none())
        return;
      for (int i = static_cast<int>(drop.size()) - 1; i >= 0; --i)
        if (drop.test(i))
          ret->eraseOperand(i);
      (void)fn.eraseResults(drop);
    });
  }
};

} // namespace
