//===- ProfileSites.cpp - number and instrument every kernel call ---------===//
//
// See Passes.td. The contract with the runtime is one exported global, a
// function pointer `loom_profile_hook(site, phase)` that starts null; the
// site table goes to the module attribute loom.kernel_sites, from which
// compileToSharedLibrary writes kernels.json next to the library.
//
//===----------------------------------------------------------------------===//
#include "loom/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMPROFILESITES
#include "loom/Codegen/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kHookName = "loom_profile_hook";
constexpr llvm::StringLiteral kProbeName = "__loom_profile";

struct LoomProfileSitesPass
    : public mlir::loom::impl::LoomProfileSitesBase<LoomProfileSitesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    SymbolTable symbols(module);
    if (symbols.lookup(kHookName) || symbols.lookup(kProbeName)) {
      module.emitError("loom-profile-sites: the module already defines ")
          << kHookName << " or " << kProbeName;
      return signalPassFailure();
    }

    // Calls of loom's kernels, and of other generators' (an llvm.call
    // that loom-lower-kernel-calls made, with its generator named).
    SmallVector<std::pair<func::FuncOp, Operation *>> sites;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn.isPublic() || fn.isExternal())
        continue;
      fn.walk([&](Operation *op) {
        if (auto call = dyn_cast<func::CallOp>(op)) {
          auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
          if (callee &&
              (!callee.isExternal() || call->hasAttr(loom::kSiteFlopsAttr)))
            sites.push_back({fn, op});
        } else if (isa<LLVM::CallOp>(op) &&
                   op->hasAttr(loom::kSiteGeneratorAttr)) {
          sites.push_back({fn, op});
        }
      });
    }
    Builder attrs(ctx);
    SmallVector<Attribute> table;
    for (auto [id, site] : llvm::enumerate(sites)) {
      auto [fn, call] = site;
      auto count = [&](StringRef name) -> int64_t {
        if (auto a = call->getAttrOfType<IntegerAttr>(name))
          return a.getInt();
        return -1; // not counted (a call not made by loom-outline-kernels)
      };
      StringRef generator = "mlir";
      if (auto g = call->getAttrOfType<StringAttr>(loom::kSiteGeneratorAttr))
        generator = g.getValue();
      StringAttr callee;
      if (auto f = dyn_cast<func::CallOp>(call))
        callee = f.getCalleeAttr().getAttr();
      else if (auto l = dyn_cast<LLVM::CallOp>(call); l && l.getCallee())
        callee = StringAttr::get(ctx, *l.getCallee());
      else
        callee = StringAttr::get(ctx, "?");
      SmallVector<NamedAttribute> fields = {
          attrs.getNamedAttr("id", attrs.getI64IntegerAttr(int64_t(id))),
          attrs.getNamedAttr("function", fn.getSymNameAttr()),
          attrs.getNamedAttr("kernel", callee),
          attrs.getNamedAttr("flops", attrs.getI64IntegerAttr(count(loom::kSiteFlopsAttr))),
          attrs.getNamedAttr("bytes", attrs.getI64IntegerAttr(count(loom::kSiteBytesAttr))),
          attrs.getNamedAttr("generator", attrs.getStringAttr(generator)),
          attrs.getNamedAttr("loc", LocationAttr(call->getLoc())),
      };
      table.push_back(attrs.getDictionaryAttr(fields));
    }
    module->setAttr(loom::kKernelSitesAttr, attrs.getArrayAttr(table));
    if (sites.empty())
      return;

    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    Location loc = module.getLoc();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = b.getI64Type(), i32 = b.getI32Type();
    LLVM::LLVMFuncOp probe = defineProbe(b, loc, ptr, i64, i32);
    for (auto [id, site] : llvm::enumerate(sites)) {
      Operation *call = site.second;
      Location cl = call->getLoc();
      b.setInsertionPoint(call);
      Value s = LLVM::ConstantOp::create(b, cl, i64, b.getI64IntegerAttr(id));
      Value begin = LLVM::ConstantOp::create(b, cl, i32, b.getI32IntegerAttr(0));
      LLVM::CallOp::create(b, cl, probe, ValueRange{s, begin});
      b.setInsertionPointAfter(call);
      Value end = LLVM::ConstantOp::create(b, cl, i32, b.getI32IntegerAttr(1));
      LLVM::CallOp::create(b, cl, probe, ValueRange{s, end});
    }
  }

  /// The exported hook (null until the runtime sets it) and
  ///   void __loom_profile(i64 site, i32 phase) {
  ///     if (loom_profile_hook) loom_profile_hook(site, phase);
  ///   }
  /// (internal: LLVM inlines it, so an unprofiled call costs a load and a
  /// branch).
  LLVM::LLVMFuncOp defineProbe(OpBuilder &b, Location loc, Type ptr, Type i64,
                               Type i32) {
    auto hook = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                       LLVM::Linkage::External, kHookName,
                                       Attribute(), /*alignment=*/8);
    {
      OpBuilder::InsertionGuard guard(b);
      b.createBlock(&hook.getInitializerRegion());
      LLVM::ReturnOp::create(b, loc, ValueRange{LLVM::ZeroOp::create(b, loc, ptr)});
    }
    Type voidTy = LLVM::LLVMVoidType::get(b.getContext());
    auto hookType = LLVM::LLVMFunctionType::get(voidTy, {i64, i32});
    auto fn = LLVM::LLVMFuncOp::create(b, loc, kProbeName, hookType,
                                       LLVM::Linkage::Internal);
    OpBuilder::InsertionGuard guard(b);
    Block *entry = fn.addEntryBlock(b);
    Block *call = fn.addBlock();
    Block *done = fn.addBlock();
    b.setInsertionPointToStart(entry);
    Value f = LLVM::LoadOp::create(b, loc, ptr,
                                   LLVM::AddressOfOp::create(b, loc, hook));
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    Value isNull =
        LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, f, null);
    LLVM::CondBrOp::create(b, loc, isNull, done, call);
    b.setInsertionPointToStart(call);
    SmallVector<Value> operands = {f, entry->getArgument(0),
                                   entry->getArgument(1)};
    LLVM::CallOp::create(b, loc, hookType, operands);
    LLVM::BrOp::create(b, loc, done);
    b.setInsertionPointToStart(done);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    return fn;
  }
};

} // namespace
