//===- Kernels.cpp - the artifact's kernels.json and loomc --report -------===//
#include "loom/Artifact/Kernels.h"

#include "Loom/IR/Origins.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

using namespace mlir;
using json = nlohmann::ordered_json;

namespace loom::artifact {

bool describeKernels(ModuleOp module, std::vector<KernelSite> &out,
                     std::string &error) {
  auto table = module->getAttrOfType<ArrayAttr>("loom.kernel_sites");
  if (!table) {
    error = "the module has no kernel sites (loom-profile-sites did not run)";
    return false;
  }
  out.clear();
  for (Attribute a : table) {
    auto d = dyn_cast<DictionaryAttr>(a);
    auto id = d ? d.getAs<IntegerAttr>("id") : IntegerAttr();
    auto fn = d ? d.getAs<StringAttr>("function") : StringAttr();
    auto kernel = d ? d.getAs<StringAttr>("kernel") : StringAttr();
    auto gen = d ? d.getAs<StringAttr>("generator") : StringAttr();
    auto flops = d ? d.getAs<IntegerAttr>("flops") : IntegerAttr();
    auto bytes = d ? d.getAs<IntegerAttr>("bytes") : IntegerAttr();
    auto loc = d ? d.getAs<LocationAttr>("loc") : LocationAttr();
    if (!id || !fn || !kernel || !gen || !flops || !bytes || !loc) {
      error = "malformed loom.kernel_sites entry";
      return false;
    }
    KernelSite s;
    s.id = id.getInt();
    s.function = fn.str();
    s.kernel = kernel.str();
    s.generator = gen.str();
    s.flops = flops.getInt();
    s.bytes = bytes.getInt();
    std::vector<mlir::loom::Origin> origins;
    mlir::loom::collectOrigins(Location(loc), origins);
    // Constants (splats a pattern made, often without a spec position)
    // are not what a kernel implements when it implements anything else.
    auto isConstant = [](const mlir::loom::Origin &o) {
      return o.op == "loom.constant";
    };
    if (!std::all_of(origins.begin(), origins.end(), isConstant))
      origins.erase(std::remove_if(origins.begin(), origins.end(), isConstant),
                    origins.end());
    // Spec order, ops inside a block instance first (a parameter's update
    // is named by the parameter, not by the step's bias correction);
    // positions the front end did not set go last.
    std::stable_sort(origins.begin(), origins.end(),
                     [](const mlir::loom::Origin &a, const mlir::loom::Origin &b) {
                       if (a.line == 0 || b.line == 0)
                         return a.line != 0 && b.line == 0;
                       if (a.path.empty() != b.path.empty())
                         return !a.path.empty();
                       return a < b;
                     });
    for (const mlir::loom::Origin &o : origins)
      s.origins.push_back({o.op, o.position(), o.path});
    if (!s.origins.empty()) {
      s.spec = s.origins.front().spec;
      s.path = s.origins.front().path;
    } else {
      std::string file;
      unsigned line = 0, column = 0;
      mlir::loom::specPosition(Location(loc), file, line, column, s.path);
      mlir::loom::Origin o;
      o.file = file;
      o.line = line;
      o.column = column;
      s.spec = o.position();
    }
    out.push_back(std::move(s));
  }
  return true;
}

std::string writeKernelsJson(const std::vector<KernelSite> &sites,
                             const std::string &model, uint64_t fingerprint) {
  json j;
  j["format"] = "loom-kernels";
  j["version"] = 1;
  j["model"] = model;
  char fp[32];
  std::snprintf(fp, sizeof fp, "%016llx",
                static_cast<unsigned long long>(fingerprint));
  j["fingerprint"] = fp;
  json arr = json::array();
  for (const KernelSite &s : sites) {
    json e;
    e["id"] = s.id;
    e["function"] = s.function;
    e["kernel"] = s.kernel;
    e["generator"] = s.generator;
    e["flops"] = s.flops;
    e["bytes"] = s.bytes;
    e["spec"] = s.spec;
    e["path"] = s.path;
    json ops = json::array();
    for (const KernelOrigin &o : s.origins)
      ops.push_back({{"op", o.op}, {"spec", o.spec}, {"path", o.path}});
    e["ops"] = std::move(ops);
    arr.push_back(std::move(e));
  }
  j["sites"] = std::move(arr);
  return j.dump(1) + "\n";
}

namespace {

std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

/// "loom.layer_norm, loom.matmul" (op names without repeats, in order).
std::string opNames(const KernelSite &s) {
  std::string out;
  std::set<std::string> seen;
  for (const KernelOrigin &o : s.origins)
    if (seen.insert(o.op).second)
      out += (out.empty() ? "" : ", ") + o.op.substr(o.op.find('.') + 1);
  return out.empty() ? "-" : out;
}

std::string spec(const KernelSite &s) {
  std::string where = s.spec.empty() ? "-" : s.spec;
  // The file name only: the directory is the same for every row.
  size_t slash = where.rfind('/');
  if (slash != std::string::npos)
    where = where.substr(slash + 1);
  if (!s.path.empty())
    where += " (" + s.path + ")";
  std::set<std::string> lines;
  for (const KernelOrigin &o : s.origins)
    lines.insert(o.spec);
  if (lines.size() > 1)
    where += " +" + std::to_string(lines.size() - 1) + " lines";
  return where;
}

} // namespace

std::string writeKernelReport(const std::vector<KernelSite> &sites,
                              const std::string &model) {
  std::string out;
  std::set<std::string> kernels;
  for (const KernelSite &s : sites)
    kernels.insert(s.kernel);
  out += "model '" + model + "': " + std::to_string(sites.size()) +
         " kernel calls, " + std::to_string(kernels.size()) +
         " distinct kernels\n";
  out += "FLOPs: floating-point operations of the call (FMA = 2, exp = 1); "
         "bytes: the buffers it touches, each once (compulsory traffic); "
         "intensity = FLOPs / bytes\n";
  std::vector<std::string> order;
  std::map<std::string, std::vector<const KernelSite *>> byFunction;
  for (const KernelSite &s : sites) {
    if (!byFunction.count(s.function))
      order.push_back(s.function);
    byFunction[s.function].push_back(&s);
  }
  for (const std::string &f : order) {
    double flops = 0, bytes = 0;
    for (const KernelSite *s : byFunction[f]) {
      flops += std::max<int64_t>(0, s->flops);
      bytes += std::max<int64_t>(0, s->bytes);
    }
    out += "\n@" + f + ": " + std::to_string(byFunction[f].size()) +
           " calls, " + fmt("%.3f", flops * 1e-9) + " GFLOP, " +
           fmt("%.1f", bytes * 1e-6) + " MB\n";
    char head[256];
    std::snprintf(head, sizeof head, "%5s  %-26s %-6s %10s %10s %9s  %s\n",
                  "site", "kernel", "gen", "MFLOP", "KB", "FLOP/B",
                  "spec (block) : loom ops");
    out += head;
    for (const KernelSite *s : byFunction[f]) {
      char row[512];
      std::string ai = s->bytes > 0 ? fmt("%.2f", double(s->flops) / double(s->bytes)) : "-";
      std::snprintf(row, sizeof row, "%5lld  %-26s %-6s %10s %10s %9s  ",
                    static_cast<long long>(s->id), s->kernel.c_str(),
                    s->generator.c_str(),
                    s->flops >= 0 ? fmt("%.3f", s->flops * 1e-6).c_str() : "-",
                    s->bytes >= 0 ? fmt("%.1f", s->bytes * 1e-3).c_str() : "-",
                    ai.c_str());
      out += row + spec(*s) + " : " + opNames(*s) + "\n";
    }
  }
  return out;
}

} // namespace loom::artifact
