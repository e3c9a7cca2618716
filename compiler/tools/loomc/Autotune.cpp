//===- Autotune.cpp - loomc --autotune: MLIR or Halide, measured ----------===//
//
// Each candidate op instance (KernelChoice.h) is compiled twice into a
// one-op artifact, `@tune(operands) -> result`, once with loom's own code
// and once calling the Halide kernel, and both are run through the runtime's
// C ABI on random inputs: the same thread pool and calling convention as a
// model. After two warm-up calls each, the variants alternate for 7 rounds
// of at least ~20 ms each (the machine is shared); the medians decide. The
// cost model's guess stays unless the other is faster by more than 3%.
//
//===----------------------------------------------------------------------===//
#include "Autotune.h"

#include "loom/Codegen/KernelChoice.h"
#include "loom/Pipelines/Pipelines.h"
#include "loom/runtime.h"
#include "Loom/IR/LoomDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <map>
#include <vector>

using namespace mlir;
using namespace mlir::loom;
namespace la = ::loom::artifact;
namespace lp = ::loom::pipelines;

namespace {

using Clock = std::chrono::steady_clock;

/// A compiled one-op artifact, opened, with random inputs set.
struct Variant {
  std::string dir;
  loom_artifact *artifact = nullptr;
  loom_session *session = nullptr;
  ~Variant() {
    loom_session_destroy(session);
    loom_artifact_close(artifact);
  }
  /// Seconds of `reps` calls.
  double time(int reps) {
    auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i)
      loom_run(session, "tune");
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }
};

/// @tune(operands of `op`) -> its result, in a module of its own.
OwningOpRef<ModuleOp> tuneModule(const KernelCandidate &c, StringRef mode) {
  Operation *op = c.op;
  MLIRContext *ctx = op->getContext();
  OpBuilder b(ctx);
  OwningOpRef<ModuleOp> m = ModuleOp::create(op->getLoc(), StringRef("tune"));
  (*m)->setAttr(kKernelsModeAttr, b.getStringAttr(mode));
  b.setInsertionPointToEnd(m->getBody());
  SmallVector<Type> types(op->getOperandTypes());
  SmallVector<Attribute> inputs; // the manifest's "inputs"
  for (auto [i, t] : llvm::enumerate(types)) {
    auto st = cast<ShapedType>(t);
    inputs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("name", b.getStringAttr("x" + std::to_string(i))),
         b.getNamedAttr("dtype", b.getStringAttr("f32")),
         b.getNamedAttr("shape", b.getDenseI64ArrayAttr(st.getShape()))}));
  }
  (*m)->setAttr(LoomDialect::kInputsAttrName, b.getArrayAttr(inputs));
  auto fn = func::FuncOp::create(
      b, op->getLoc(), "tune",
      b.getFunctionType(types, op->getResultTypes()));
  for (unsigned i = 0; i < types.size(); ++i)
    fn.setArgAttr(i, LoomDialect::kInputAttrName,
                  b.getStringAttr("x" + std::to_string(i)));
  fn.setResultAttr(0, LoomDialect::kOutputAttrName, b.getStringAttr("y"));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping map;
  for (auto [v, a] : llvm::zip(op->getOperands(), body->getArguments()))
    map.map(v, a);
  Operation *clone = b.clone(*op, map);
  func::ReturnOp::create(b, op->getLoc(), clone->getResults());
  return m;
}

bool build(const KernelCandidate &c, StringRef mode, const std::string &dir,
           const ::loom::target::EmitOptions &emit, Variant &v,
           std::string &error) {
  OwningOpRef<ModuleOp> m = tuneModule(c, mode);
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    error = dir + ": " + ec.message();
    return false;
  }
  la::Artifact artifact;
  if (!lp::compileToSharedLibrary(*m, dir + "/model.so", emit, artifact, error))
    return false;
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(dir + "/manifest.json", ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = dir + "/manifest.json: " + ec.message();
      return false;
    }
    out << la::writeManifest(artifact, "model.so");
  }
  v.dir = dir;
  if (loom_artifact_open(dir.c_str(), &v.artifact) != LOOM_OK ||
      loom_session_create(v.artifact, &v.session) != LOOM_OK) {
    error = loom_last_error();
    return false;
  }
  loom_init_params(v.session, 0);
  // Inputs: uniform in [-1, 1) from a fixed LCG.
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (unsigned i = 0; i < c.op->getNumOperands(); ++i) {
    auto t = cast<ShapedType>(c.op->getOperand(i).getType());
    std::vector<float> data(t.getNumElements());
    for (float &x : data) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      x = float((state >> 40) * (1.0 / double(1ull << 24)) * 2.0 - 1.0);
    }
    std::vector<int64_t> shape(t.getShape().begin(), t.getShape().end());
    std::string name = "x" + std::to_string(i);
    if (loom_set_input(v.session, name.c_str(), LOOM_DTYPE_F32, shape.data(),
                       int32_t(shape.size()), data.data(),
                       data.size() * sizeof(float)) != LOOM_OK) {
      error = loom_last_error();
      return false;
    }
  }
  if (loom_run(v.session, "tune") != LOOM_OK) {
    error = loom_last_error();
    return false;
  }
  return true;
}

std::string utcNow() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

} // namespace

bool loomc::autotune(ModuleOp module, const std::string &cachePath,
                     const ::loom::target::EmitOptions &emit,
                     std::string &error) {
  KernelChoiceCache cache;
  if (!cache.load(cachePath, error))
    return false;
  std::map<std::string, KernelCandidate> todo;
  module.walk([&](Operation *op) {
    if (std::optional<KernelCandidate> c = kernelCandidate(op))
      if (!cache.find(c->key))
        todo.emplace(c->key, *c);
  });
  llvm::SmallString<128> tmp;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("loomc-autotune", tmp)) {
    error = "cannot create a temporary directory: " + ec.message();
    return false;
  }
  std::string root = tmp.str().str();
  llvm::errs() << "loomc: autotune: " << todo.size()
               << " op instance(s) to time (cache: " << cachePath << ")\n";
  bool ok = true;
  int n = 0;
  for (auto &[key, c] : todo) {
    Variant mlirV, halideV;
    // A directory per candidate: a library stays loaded under its path.
    std::string dir = root + "/" + std::to_string(n++);
    if (!build(c, "mlir", dir + "/mlir", emit, mlirV, error) ||
        !build(c, "halide", dir + "/halide", emit, halideV, error)) {
      error = "autotune '" + key + "': " + error;
      ok = false;
      break;
    }
    // Reps per round: ~20 ms of the slower variant.
    double one = std::max(mlirV.time(1), halideV.time(1));
    int reps = std::clamp(int(0.02 / std::max(one, 1e-7)), 1, 10000);
    mlirV.time(reps);
    halideV.time(reps);
    std::vector<double> tm, th;
    for (int r = 0; r < 7; ++r) {
      tm.push_back(mlirV.time(reps) / reps);
      th.push_back(halideV.time(reps) / reps);
    }
    std::sort(tm.begin(), tm.end());
    std::sort(th.begin(), th.end());
    KernelTiming t;
    t.mlirMicros = tm[3] * 1e6;
    t.halideMicros = th[3] * 1e6;
    t.threads = loom_session_threads(mlirV.session);
    t.measured = utcNow();
    KernelGenerator guess = KernelChoiceCache::costModel(c);
    double guessT = guess == KernelGenerator::Halide ? t.halideMicros : t.mlirMicros;
    double otherT = guess == KernelGenerator::Halide ? t.mlirMicros : t.halideMicros;
    t.winner = otherT < 0.97 * guessT
                   ? (guess == KernelGenerator::Halide ? KernelGenerator::MLIR
                                                       : KernelGenerator::Halide)
                   : guess;
    cache.record(key, t);
    llvm::errs() << llvm::format("loomc: autotune: %-60s mlir %10.1f us  halide "
                                 "%10.1f us  -> %s\n",
                                 key.c_str(), t.mlirMicros, t.halideMicros,
                                 t.winner == KernelGenerator::Halide ? "halide"
                                                                     : "mlir");
  }
  llvm::sys::fs::remove_directories(root);
  if (!ok)
    return false;
  return cache.save(cachePath, error);
}
