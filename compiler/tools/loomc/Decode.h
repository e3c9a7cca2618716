//===- Decode.h - loomc --decode: the KV-cache step functions ---*- C++ -*-===//
#ifndef LOOMC_DECODE_H
#define LOOMC_DECODE_H

#include "loom/Frontend/MLIRGen.h"
#include "loom/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include <cstdint>
#include <string>
#include <vector>

namespace loomc {

/// loomc's --decode options.
struct DecodeOptions {
  std::string specPath;          // for messages
  std::string input;             // "": tokens, else tgt_tokens
  std::vector<int64_t> buckets;  // empty: powers of two from 64, and T
  int64_t prefillChunk = 0;      // 0: min(64, T)
  ::loom::frontend::GenOptions gen;
};

/// Adds @decode_<L>, @prefill_<L> (and @encode) to `module`
/// (docs/generation.md). Prints the error and returns 1 on failure.
int buildDecode(const DecodeOptions &o, const ::loom::spec::Model &model,
                mlir::ModuleOp module, const ::loom::frontend::ModelInfo &info,
                ::loom::spec::Diagnostics &diags, mlir::TimingScope &timing);

} // namespace loomc

#endif // LOOMC_DECODE_H
