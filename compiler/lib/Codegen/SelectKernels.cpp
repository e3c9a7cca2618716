//===- SelectKernels.cpp - Halide kernels chosen per op instance ----------===//
//
// See Passes.td (loom-select-kernels, loom-lower-kernel-calls). The choice
// is made on loom ops, before decomposition, where an op instance is still
// whole; the call is made on buffers, after bufferization placed its
// operands, through the kernels' C ABI (runtime/kernels/loom_kernels.h).
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/KernelChoice.h"
#include "loom/Codegen/Passes.h"

#include "Loom/IR/LoomOps.h"
#include "Loom/IR/Origins.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMSELECTKERNELS
#define GEN_PASS_DEF_LOOMLOWERKERNELCALLS
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

bool staticF32(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.hasStaticShape() && r.getElementType().isF32() &&
         r.getNumElements() > 0;
}

int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::string shapeText(Type t) {
  std::string s;
  for (int64_t d : cast<ShapedType>(t).getShape())
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

} // namespace

//===----------------------------------------------------------------------===//
// Candidates: what a Halide kernel can compute, and the key of the instance
//===----------------------------------------------------------------------===//

std::optional<KernelCandidate> mlir::loom::kernelCandidate(Operation *op) {
  KernelCandidate c;
  c.op = op;
  Builder b(op->getContext());
  for (Value v : op->getOperands())
    if (!staticF32(v.getType()))
      return std::nullopt;
  if (op->getNumResults() != 1 || !staticF32(op->getResult(0).getType()))
    return std::nullopt;
  auto shape = [](Value v) { return cast<ShapedType>(v.getType()).getShape(); };

  if (auto att = dyn_cast<AttentionOp>(op)) {
    auto q = shape(att.getQuery()), k = shape(att.getKey()),
         v = shape(att.getValue());
    if (att.getMask() || q.size() < 3 || k.size() != q.size() ||
        v.size() != q.size() || q.back() != k.back() || v.back() != q.back() ||
        k[k.size() - 2] != v[v.size() - 2] ||
        q.drop_back(2) != k.drop_back(2) || k.drop_back(2) != v.drop_back(2))
      return std::nullopt;
    int64_t tq = q[q.size() - 2], tk = k[k.size() - 2], d = q.back();
    bool causal = att.getCausal();
    if (causal && tq != tk)
      return std::nullopt;
    double scale = att.getScale() ? att.getScale()->convertToDouble()
                                  : 1.0 / std::sqrt(double(d));
    c.kernel = "attention";
    c.inputs = {att.getQuery(), att.getKey(), att.getValue()};
    c.params = b.getDictionaryAttr(
        {b.getNamedAttr("causal", b.getBoolAttr(causal)),
         b.getNamedAttr("scale", b.getF64FloatAttr(scale))});
    double bh = double(product(q.drop_back(2)));
    double pairs = causal ? double(tq) * double(tq + 1) / 2 : double(tq) * tk;
    c.flops = bh * pairs * (4.0 * d + 5);
    c.key = "attention q=" + shapeText(att.getQuery().getType()) +
            " k=" + shapeText(att.getKey().getType()) +
            (causal ? " causal" : "");
    return c;
  }
  if (auto sm = dyn_cast<SoftmaxOp>(op)) {
    auto x = shape(sm.getInput());
    if (sm.getMask() || sm.getCausal() ||
        (sm.getAxis() != -1 && sm.getAxis() != int64_t(x.size()) - 1))
      return std::nullopt;
    c.kernel = "softmax_rows";
    c.inputs = {sm.getInput()};
    c.params = b.getDictionaryAttr({});
    c.flops = 4.0 * double(product(x));
    c.key = "softmax_rows x=" + shapeText(sm.getInput().getType());
    return c;
  }
  if (auto ln = dyn_cast<LayerNormOp>(op)) {
    auto x = shape(ln.getInput());
    c.kernel = "layer_norm";
    c.inputs = {ln.getInput(), ln.getGamma()};
    if (ln.getBeta())
      c.inputs.push_back(ln.getBeta());
    c.params = b.getDictionaryAttr({b.getNamedAttr(
        "epsilon", b.getF64FloatAttr(ln.getEpsilon().convertToDouble()))});
    c.flops = 8.0 * double(product(x));
    c.key = "layer_norm x=" + shapeText(ln.getInput().getType()) +
            (ln.getBeta() ? " beta" : "");
    return c;
  }
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    auto a = shape(mm.getLhs()), w = shape(mm.getRhs());
    c.kernel = "matmul";
    c.inputs = {mm.getLhs(), mm.getRhs()};
    c.params = b.getDictionaryAttr(
        {b.getNamedAttr("b_transposed", b.getBoolAttr(false))});
    c.flops = 2.0 * double(a[0]) * double(a[1]) * double(w[1]);
    c.key = "matmul a=" + shapeText(mm.getLhs().getType()) +
            " b=" + shapeText(mm.getRhs().getType());
    return c;
  }
  if (auto lin = dyn_cast<LinearOp>(op)) {
    // The GEMM only; a bias is added after it (and fuses there).
    auto x = shape(lin.getInput()), w = shape(lin.getWeight());
    if (x.size() < 2 || w.size() != 2)
      return std::nullopt;
    bool t = lin.getTransposeWeight();
    int64_t k = x.back(), n = t ? w[0] : w[1];
    if ((t ? w[1] : w[0]) != k)
      return std::nullopt;
    c.kernel = "matmul";
    c.inputs = {lin.getInput(), lin.getWeight()};
    c.params = b.getDictionaryAttr(
        {b.getNamedAttr("b_transposed", b.getBoolAttr(t))});
    c.flops = 2.0 * double(product(x.drop_back())) * double(k) * double(n);
    c.key = "matmul a=" + std::to_string(product(x.drop_back())) + "x" +
            std::to_string(k) + " b=" + shapeText(lin.getWeight().getType()) +
            (t ? " transposed" : "");
    return c;
  }
  return std::nullopt;
}

Value mlir::loom::replaceWithKernelCall(OpBuilder &b, const KernelCandidate &c) {
  Operation *op = c.op;
  // The call implements the op: its location names it (Origins.h).
  tagOrigins(op, /*compositesOnly=*/false);
  Location loc = op->getLoc();
  b.setInsertionPoint(op);
  Type resultType = op->getResult(0).getType();
  if (auto lin = dyn_cast<LinearOp>(op); lin && lin.getBias())
    resultType = op->getResult(0).getType(); // same shape; bias added below
  auto rt = cast<RankedTensorType>(resultType);
  Value init = tensor::EmptyOp::create(b, loc, rt.getShape(), rt.getElementType());
  auto call = KernelCallOp::create(b, loc, TypeRange{rt},
                                   b.getStringAttr(c.kernel), c.inputs,
                                   ValueRange{init}, c.params);
  Value result = call.getResult(0);
  if (auto lin = dyn_cast<LinearOp>(op); lin && lin.getBias())
    result = AddOp::create(b, loc, result, lin.getBias());
  op->getResult(0).replaceAllUsesWith(result);
  op->erase();
  return result;
}

//===----------------------------------------------------------------------===//
// loom-select-kernels
//===----------------------------------------------------------------------===//

namespace {

struct LoomSelectKernelsPass
    : public mlir::loom::impl::LoomSelectKernelsBase<LoomSelectKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string mode = kernels;
    if (mode.empty())
      if (auto a = module->getAttrOfType<StringAttr>(kKernelsModeAttr))
        mode = a.str();
    if (mode.empty())
      mode = "auto";
    if (mode != "mlir" && mode != "halide" && mode != "auto") {
      module.emitError("loom-select-kernels: kernels must be mlir, halide or "
                       "auto, not '")
          << mode << "'";
      return signalPassFailure();
    }
    if (mode == "mlir")
      return;
    std::string cachePath = cache;
    if (cachePath.empty())
      if (auto a = module->getAttrOfType<StringAttr>(kKernelCacheAttr))
        cachePath = a.str();
    KernelChoiceCache table;
    std::string error;
    if (mode == "auto" && !cachePath.empty() && !table.load(cachePath, error)) {
      module.emitError("loom-select-kernels: ") << error;
      return signalPassFailure();
    }
    SmallVector<Operation *> chosen;
    module.walk([&](Operation *op) {
      std::optional<KernelCandidate> c = kernelCandidate(op);
      if (!c)
        return;
      if (mode == "halide" || table.choose(*c) == KernelGenerator::Halide)
        chosen.push_back(op);
    });
    // Candidates are read again just before their replacement: an operand
    // may be the result of one replaced before.
    OpBuilder b(module.getContext());
    for (Operation *op : chosen)
      replaceWithKernelCall(b, *kernelCandidate(op));
  }
};

//===----------------------------------------------------------------------===//
// loom-lower-kernel-calls
//===----------------------------------------------------------------------===//

struct LoomLowerKernelCallsPass
    : public mlir::loom::impl::LoomLowerKernelCallsBase<
          LoomLowerKernelCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<KernelCallOp> calls;
    module.walk([&](KernelCallOp c) { calls.push_back(c); });
    for (KernelCallOp c : calls)
      if (failed(lower(module, c)))
        return signalPassFailure();
  }

  /// The kernel's C symbol, declared once.
  LLVM::LLVMFuncOp declare(ModuleOp module, StringRef name,
                           ArrayRef<Type> params) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return fn;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto type = LLVM::LLVMFunctionType::get(b.getI32Type(), params);
    return LLVM::LLVMFuncOp::create(b, module.getLoc(), name, type);
  }

  LogicalResult lower(ModuleOp module, KernelCallOp call) {
    if (!call.getResults().empty())
      return call.emitOpError("loom-lower-kernel-calls: runs after "
                              "bufferization (the call still has tensors)");
    MLIRContext *ctx = call.getContext();
    OpBuilder b(call);
    Location loc = call.getLoc();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = b.getI64Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
    double bytes = 0;
    auto pointer = [&](Value m) -> FailureOr<Value> {
      auto t = cast<MemRefType>(m.getType());
      int64_t offset;
      SmallVector<int64_t> strides;
      if (!t.hasStaticShape() || failed(t.getStridesAndOffset(strides, offset)) ||
          offset != 0 || !t.getLayout().isIdentity())
        return call.emitOpError("loom-lower-kernel-calls: operand ")
               << t << " is not a dense buffer the kernel can take";
      bytes += double(t.getNumElements()) * 4;
      Value idx = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, m);
      Value i = arith::IndexCastOp::create(b, loc, i64, idx);
      return Value(LLVM::IntToPtrOp::create(b, loc, ptr, i));
    };
    auto constI64 = [&](int64_t v) -> Value {
      return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
    };
    auto constI32 = [&](int64_t v) -> Value {
      return LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(v));
    };
    auto constF32 = [&](double v) -> Value {
      return LLVM::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(float(v)));
    };
    SmallVector<Value> args;
    for (Value v : llvm::concat<Value>(call.getInputs(), call.getOutputs())) {
      FailureOr<Value> p = pointer(v);
      if (failed(p))
        return failure();
      args.push_back(*p);
    }
    auto shapeOf = [](Value v) { return cast<MemRefType>(v.getType()).getShape(); };
    DictionaryAttr params = call.getParams();
    auto flag = [&](StringRef n) {
      auto a = params.getAs<BoolAttr>(n);
      return a && a.getValue();
    };
    auto real = [&](StringRef n) {
      auto a = params.getAs<FloatAttr>(n);
      return a ? a.getValueAsDouble() : 0.0;
    };
    StringRef kernel = call.getKernel();
    double flops = 0;
    if (kernel == "attention" && call.getInputs().size() == 3) {
      auto q = shapeOf(call.getInputs()[0]), k = shapeOf(call.getInputs()[1]);
      int64_t bh = product(q.drop_back(2)), tq = q[q.size() - 2],
              tk = k[k.size() - 2], d = q.back();
      // q, k, v, o, lse (none), bh, tq, tk, d, scale, causal
      args.push_back(LLVM::ZeroOp::create(b, loc, ptr));
      args.append({constI64(bh), constI64(tq), constI64(tk), constI64(d),
                   constF32(real("scale")), constI32(flag("causal"))});
      double pairs = flag("causal") ? double(tq) * double(tq + 1) / 2
                                    : double(tq) * double(tk);
      flops = double(bh) * pairs * 4.0 * double(d);
    } else if (kernel == "softmax_rows" && call.getInputs().size() == 1) {
      auto x = shapeOf(call.getInputs()[0]);
      args.append({constI64(product(x.drop_back())), constI64(x.back())});
      flops = 4.0 * double(product(x));
    } else if (kernel == "layer_norm" && (call.getInputs().size() == 2 ||
                                          call.getInputs().size() == 3)) {
      auto x = shapeOf(call.getInputs()[0]);
      // x, gamma, beta (or null), y, rows, cols, eps
      if (call.getInputs().size() == 2)
        args.insert(args.begin() + 2, LLVM::ZeroOp::create(b, loc, ptr));
      args.append({constI64(product(x.drop_back())), constI64(x.back()),
                   constF32(real("epsilon"))});
      flops = 8.0 * double(product(x));
    } else if (kernel == "matmul" && call.getInputs().size() == 2) {
      auto a = shapeOf(call.getInputs()[0]), w = shapeOf(call.getInputs()[1]);
      bool t = flag("b_transposed");
      int64_t m = product(a.drop_back()), k = a.back(), n = t ? w[0] : w[1];
      args.append({constI64(m), constI64(k), constI64(n), constI32(t)});
      flops = 2.0 * double(m) * double(k) * double(n);
    } else {
      return call.emitOpError("loom-lower-kernel-calls: no kernel '")
             << kernel << "' with " << call.getInputs().size() << " inputs";
    }
    SmallVector<Type> types;
    for (Value a : args)
      types.push_back(a.getType());
    std::string symbol = ("loom_kernel_" + kernel + "_f32").str();
    LLVM::LLVMFuncOp fn = declare(module, symbol, types);
    if (fn.getFunctionType().getParams() != ArrayRef<Type>(types))
      return call.emitOpError("loom-lower-kernel-calls: ")
             << symbol << " is declared with another signature";
    auto c = LLVM::CallOp::create(b, loc, fn, args);
    // loom-profile-sites makes it a site of its own.
    c->setAttr(kSiteFlopsAttr, b.getI64IntegerAttr(int64_t(flops)));
    c->setAttr(kSiteBytesAttr, b.getI64IntegerAttr(int64_t(bytes)));
    c->setAttr(kSiteGeneratorAttr, b.getStringAttr("halide"));
    call.erase();
    return success();
  }
};

} // namespace
