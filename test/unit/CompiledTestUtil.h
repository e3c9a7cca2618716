//===- CompiledTestUtil.h - compile loom IR, dlopen, call, compare -*- C++ -*-===//
//
// Compiles a loom-dialect module with compileToSharedLibrary into a
// temporary directory, loads it with dlopen (no loom runtime) and calls
// `void loom_<fn>(void **slots)` with 64-byte aligned buffers: inputs and
// parameters by name, outputs, then the arena. Every buffer is followed by
// guard bytes that must survive the call, and outputs and the arena start
// filled with 0xFF (NaN for floats), so out-of-bounds or missing writes show.
// Kernels split across threads run on a 3-thread pool of the runtime's
// (threadpool.h; 3 so that splits are uneven on any machine): every case
// checks the multithreaded code, whose results must not depend on the split.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TEST_UNIT_COMPILEDTESTUTIL_H
#define LOOM_TEST_UNIT_COMPILEDTESTUTIL_H

#include "InterpreterTestUtil.h"
#include "threadpool.h"

#include "loom/Codegen/Passes.h"
#include "loom/Conversion/Passes.h"
#include "loom/Pipelines/Pipelines.h"
#include "loom/Target/Emit.h"
#include "loom/Artifact/Manifest.h"
#include "loom/Transforms/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/IR/Diagnostics.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace loom::testutil {

/// Every upstream dialect, extension and pass plus loom's (the pipelines
/// parse textual pass pipelines and need bufferization models).
inline void registerEverything(mlir::DialectRegistry &registry) {
  static bool passes = [] {
    mlir::registerAllPasses();
    mlir::loom::registerLoomPasses();
    mlir::loom::registerLoomConversionPasses();
    mlir::loom::registerLoomCodegenPasses();
    return true;
  }();
  (void)passes;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

inline std::optional<DType> dtypeFromName(const std::string &s) {
  for (DType t : {DType::F32, DType::F16, DType::BF16, DType::I32, DType::I64,
                  DType::I1})
    if (s == interp::dtypeName(t))
      return t;
  return std::nullopt;
}

/// A 64-byte aligned buffer with 64 guard bytes after it.
class Buffer {
public:
  static constexpr size_t kGuard = 64;
  explicit Buffer(size_t bytes, uint8_t fill) : bytes(bytes) {
    size_t total = (bytes + kGuard + 63) / 64 * 64;
    data = static_cast<uint8_t *>(std::aligned_alloc(64, total));
    std::memset(data, fill, bytes);
    for (size_t k = 0; k < kGuard; ++k)
      data[bytes + k] = static_cast<uint8_t>(0xA5 ^ k);
  }
  ~Buffer() { std::free(data); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  bool guardIntact() const {
    for (size_t k = 0; k < kGuard; ++k)
      if (data[bytes + k] != static_cast<uint8_t>(0xA5 ^ k))
        return false;
    return true;
  }
  uint8_t *data;
  size_t bytes;
};

class CompiledModule {
public:
  CompiledModule() = default;
  CompiledModule(const CompiledModule &) = delete;
  CompiledModule &operator=(const CompiledModule &) = delete;
  ~CompiledModule() {
    if (handle)
      dlclose(handle);
    if (!dir.empty())
      llvm::sys::fs::remove_directories(dir);
  }

  /// Compiles a clone of `module` (the original is left as it is). Returns
  /// "" or the error, with the MLIR diagnostics.
  std::string compile(mlir::ModuleOp module) {
    mlir::OwningOpRef<mlir::ModuleOp> copy = module.clone();
    std::string diags;
    mlir::ScopedDiagnosticHandler handler(
        module.getContext(), [&](mlir::Diagnostic &d) {
          llvm::raw_string_ostream os(diags);
          os << d.getLocation() << ": " << d << "\n";
          return mlir::success();
        });
    llvm::SmallString<128> path;
    if (llvm::sys::fs::createUniqueDirectory("loom-compiled-test", path))
      return "cannot create a temporary directory";
    dir = path.str().str();
    std::string so = dir + "/model.so", error;
    if (!pipelines::compileToSharedLibrary(*copy, so, target::EmitOptions(),
                                           artifact, error))
      return error + "\n" + diags;
    handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      return std::string("dlopen: ") + dlerror();
    using Hook = void (*)(int64_t, loom::rt::RangeFn, void *);
    if (void *hook = dlsym(handle, "loom_parallel_for_hook"))
      *static_cast<Hook *>(hook) = &parallelFor;
    return "";
  }

  /// The hook of every compiled test module: a shared 3-thread pool.
  static void parallelFor(int64_t n, loom::rt::RangeFn fn, void *slots) {
    static loom::rt::ThreadPool pool(3);
    pool.parallelFor(n, fn, slots);
  }

  const artifact::Function *function(const std::string &fn) const {
    for (const auto &f : artifact.functions)
      if (f.name == fn)
        return &f;
    return nullptr;
  }

  /// Calls loom_<fn>. `names[k]` is the loom.param/loom.input name of
  /// `args[k]`; outputs come back in slot order (the function's results).
  std::string call(const std::string &fn, const std::vector<std::string> &names,
                   const std::vector<Tensor> &args,
                   std::vector<Tensor> &outputs) {
    const artifact::Function *f = function(fn);
    if (!f)
      return "no slots for function " + fn;
    using Entry = void (*)(void **);
    auto entry = reinterpret_cast<Entry>(dlsym(handle, ("loom_" + fn).c_str()));
    if (!entry)
      return "no symbol loom_" + fn;
    std::vector<std::unique_ptr<Buffer>> buffers;
    std::vector<void *> ptrs;
    std::vector<std::pair<size_t, const artifact::Slot *>> outs;
    for (const artifact::Slot &s : f->slots) {
      if (s.kind == "param" || s.kind == "input") {
        auto it = std::find(names.begin(), names.end(), s.name);
        if (it == names.end())
          return "no argument named " + s.name;
        const Tensor &t = args[it - names.begin()];
        if (t.shape != Shape(s.shape.begin(), s.shape.end()) ||
            s.dtype != interp::dtypeName(t.dtype))
          return "argument " + s.name + " is " + t.typeStr() +
                 ", the slot wants " + s.dtype + shapeStr(s.shape);
        std::vector<uint8_t> bytes = t.toBytes();
        buffers.push_back(std::make_unique<Buffer>(bytes.size(), 0));
        if (!bytes.empty())
          std::memcpy(buffers.back()->data, bytes.data(), bytes.size());
      } else if (s.kind == "output") {
        auto dt = dtypeFromName(s.dtype);
        if (!dt)
          return "output " + s.name + " has dtype '" + s.dtype + "'";
        size_t bytes = interp::numElements(Shape(s.shape.begin(), s.shape.end())) *
                       interp::byteWidth(*dt);
        buffers.push_back(std::make_unique<Buffer>(bytes, 0xFF));
        outs.push_back({buffers.size() - 1, &s});
      } else if (s.kind == "arena") {
        buffers.push_back(std::make_unique<Buffer>(
            static_cast<size_t>(std::max<int64_t>(f->arenaBytes, 1)), 0xFF));
      } else {
        return "unknown slot kind " + s.kind;
      }
      ptrs.push_back(buffers.back()->data);
    }
    entry(ptrs.data());
    for (size_t k = 0; k < buffers.size(); ++k)
      if (!buffers[k]->guardIntact())
        return "slot " + std::to_string(k) + " (" + f->slots[k].kind + " " +
               f->slots[k].name + "): bytes after the buffer were overwritten";
    outputs.clear();
    for (auto [k, s] : outs)
      outputs.push_back(Tensor::fromBytes(*dtypeFromName(s->dtype),
                                          Shape(s->shape.begin(), s->shape.end()),
                                          buffers[k]->data));
    return "";
  }

  static std::string shapeStr(const std::vector<int64_t> &s) {
    return interp::shapeStr(Shape(s.begin(), s.end()));
  }

  artifact::Artifact artifact;

private:
  void *handle = nullptr;
  std::string dir;
};

} // namespace loom::testutil

#endif // LOOM_TEST_UNIT_COMPILEDTESTUTIL_H
