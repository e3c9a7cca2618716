//===- OpTableTest.cpp - the DSL's op table agrees with the ODS ------------===//
//
// The front end calls loom ops generically through its op table
// (compiler/lib/Frontend/OpTable.cpp): a mnemonic, operands and attributes
// with the kind a keyword argument converts to. These tests keep the table
// and the dialect's ODS in step: every registered op has an entry, every
// entry names a registered op, and each entry's attributes are exactly the
// op's inherent attributes (besides keywords marked dslOnly, such as
// constant's dtype, which becomes the result type).
//
//===----------------------------------------------------------------------===//
#include "OpTable.h"

#include "Loom/IR/LoomDialect.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

std::set<std::string> registeredLoomOps(mlir::MLIRContext &ctx) {
  std::set<std::string> ops;
  for (mlir::RegisteredOperationName op : ctx.getRegisteredOperations())
    if (op.getDialectNamespace() == "loom")
      ops.insert(op.getStringRef().drop_front(5).str()); // "loom."
  return ops;
}

TEST(OpTable, EveryRegisteredOpHasAnEntry) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::loom::LoomDialect>();
  std::set<std::string> ops = registeredLoomOps(ctx);
  ASSERT_GT(ops.size(), 40u);
  for (const std::string &op : ops) {
    // Code generation's call of a Halide kernel (loom-select-kernels), not
    // something a spec writes.
    if (op == "kernel_call")
      continue;
    // loom-autodiff's attention backward (log-sum-exp and gradients): the
    // training step's ops, not something a spec writes.
    if (op == "attention_lse" || op == "attention_grad")
      continue;
    EXPECT_NE(loom::frontend::lookupOp(op), nullptr)
        << "loom." << op << " has no entry in the DSL's op table";
  }
}

TEST(OpTable, EveryEntryIsARegisteredOp) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::loom::LoomDialect>();
  std::set<std::string> ops = registeredLoomOps(ctx);
  for (const loom::frontend::OpSpec &entry : loom::frontend::allOps())
    EXPECT_TRUE(ops.count(entry.mnemonic))
        << "op table entry '" << entry.mnemonic << "' is not a loom op";
}

TEST(OpTable, AttributesMatchTheODS) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::loom::LoomDialect>();
  for (const loom::frontend::OpSpec &entry : loom::frontend::allOps()) {
    auto name = mlir::RegisteredOperationName::lookup(
        std::string("loom.") + entry.mnemonic, &ctx);
    if (!name)
      continue; // reported by EveryEntryIsARegisteredOp
    std::set<std::string> ods, table;
    for (mlir::StringAttr a : name->getAttributeNames())
      if (a.getValue() != "operandSegmentSizes")
        ods.insert(a.str());
    for (const loom::frontend::AttrSpec &a : entry.attrs)
      if (!a.dslOnly)
        table.insert(a.name);
    EXPECT_EQ(table, ods) << "attributes of loom." << entry.mnemonic;
  }
}

TEST(OpTable, OptionalOperandIsTheLast) {
  for (const loom::frontend::OpSpec &entry : loom::frontend::allOps())
    if (entry.optionalOperand >= 0)
      EXPECT_EQ(entry.optionalOperand + 1, int(entry.operands.size()))
          << "loom." << entry.mnemonic;
}

} // namespace
