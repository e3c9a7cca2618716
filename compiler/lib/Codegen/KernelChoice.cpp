//===- KernelChoice.cpp - the choice cache and the cost model -------------===//
#include "loom/Codegen/KernelChoice.h"

#include "Loom/IR/LoomOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

using namespace mlir;
using namespace mlir::loom;
using json = nlohmann::ordered_json;

namespace {
const char *name(KernelGenerator g) {
  return g == KernelGenerator::Halide ? "halide" : "mlir";
}
} // namespace

std::string KernelChoiceCache::cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string m = line.substr(colon + 1);
        m.erase(0, m.find_first_not_of(' '));
        return m;
      }
    }
  return "unknown CPU";
}

std::string KernelChoiceCache::defaultPath() {
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  const char *home = std::getenv("HOME");
  if (xdg && *xdg)
    return std::string(xdg) + "/loom/kernel-choices.json";
  if (home && *home)
    return std::string(home) + "/.cache/loom/kernel-choices.json";
  return "";
}

bool KernelChoiceCache::load(const std::string &path, std::string &error) {
  entries_.clear();
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return true; // nothing measured yet
  json j = json::parse((*buffer)->getBuffer().str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() ||
      j.value("format", "") != "loom-kernel-choices" ||
      !j.contains("entries") || !j["entries"].is_object()) {
    error = path + ": not a loom kernel choice cache (format "
                   "\"loom-kernel-choices\"); delete it to start over";
    return false;
  }
  for (auto &[key, e] : j["entries"].items()) {
    if (!e.is_object() || !e.contains("winner") || !e["winner"].is_string()) {
      error = path + ": entry '" + key + "' has no winner";
      return false;
    }
    KernelTiming t;
    std::string w = e["winner"];
    if (w != "mlir" && w != "halide") {
      error = path + ": entry '" + key + "': winner '" + w +
              "' is neither mlir nor halide";
      return false;
    }
    t.winner = w == "halide" ? KernelGenerator::Halide : KernelGenerator::MLIR;
    t.mlirMicros = e.value("mlir_us", 0.0);
    t.halideMicros = e.value("halide_us", 0.0);
    t.threads = e.value("threads", 0);
    t.measured = e.value("measured", "");
    entries_[key] = t;
  }
  return true;
}

bool KernelChoiceCache::save(const std::string &path, std::string &error) const {
  json j;
  j["format"] = "loom-kernel-choices";
  j["version"] = 1;
  json entries = json::object();
  for (const auto &[key, t] : entries_)
    entries[key] = {{"winner", name(t.winner)},
                    {"mlir_us", t.mlirMicros},
                    {"halide_us", t.halideMicros},
                    {"threads", t.threads},
                    {"measured", t.measured}};
  j["entries"] = std::move(entries);
  if (auto dir = llvm::sys::path::parent_path(path); !dir.empty())
    llvm::sys::fs::create_directories(dir);
  std::string tmp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(tmp, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = tmp + ": cannot write: " + ec.message();
      return false;
    }
    out << j.dump(1) << "\n";
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    error = path + ": cannot write: " + ec.message();
    return false;
  }
  return true;
}

const KernelTiming *KernelChoiceCache::find(const std::string &key) const {
  auto it = entries_.find(cpuModel() + " | " + key);
  return it == entries_.end() ? nullptr : &it->second;
}

void KernelChoiceCache::record(const std::string &key, const KernelTiming &t) {
  entries_[cpuModel() + " | " + key] = t;
}

KernelGenerator KernelChoiceCache::choose(const KernelCandidate &c) const {
  if (const KernelTiming *t = find(c.key))
    return t->winner;
  return costModel(c);
}

KernelGenerator KernelChoiceCache::costModel(const KernelCandidate &) {
  // Measured on this project's 2-core Zen machine (docs/kernels.md): since
  // loom-fuse-attention, loom's own attention never writes the scores and
  // is as fast as the Halide kernel (GPT-2 T1024: 53 vs 59 ms for 12
  // layers); loom's GEMMs, norms and softmaxes fuse with their neighbours,
  // which a call cannot. Without a measurement (loomc --autotune), loom's
  // code stays; Halide wins only where the cache says it does.
  return KernelGenerator::MLIR;
}
