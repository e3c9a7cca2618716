//===- Passes.h - loom's code-generation passes -----------------*- C++ -*-===//
#ifndef LOOM_CODEGEN_PASSES_H
#define LOOM_CODEGEN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::loom {

/// On the stack buffers of packed B blocks: loom-tile-contractions marks
/// them, loom-outline-kernels lets one contraction's peeled nests share one.
constexpr llvm::StringLiteral kPackScratchAttr = "loom.pack_scratch";

/// On the calls loom-outline-kernels makes: the FLOPs and compulsory bytes
/// of the loop nest the kernel runs at that site (KernelCost.h).
constexpr llvm::StringLiteral kSiteFlopsAttr = "loom.flops";
constexpr llvm::StringLiteral kSiteBytesAttr = "loom.bytes";
/// On calls of kernels another generator made (loom-lower-kernel-calls):
/// "halide".
constexpr llvm::StringLiteral kSiteGeneratorAttr = "loom.generator";

/// The module attribute loom-profile-sites writes: one dictionary per
/// profiled kernel call (id, function, kernel, flops, bytes, generator,
/// location), in id order.
constexpr llvm::StringLiteral kKernelSitesAttr = "loom.kernel_sites";

#define GEN_PASS_DECL
#include "loom/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "loom/Codegen/Passes.h.inc"

} // namespace mlir::loom

#endif // LOOM_CODEGEN_PASSES_H
