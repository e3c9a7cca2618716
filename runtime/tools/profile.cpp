//===- profile.cpp - kernel profiles: Chrome traces and `loom profile` -----===//
#include "profile.h"

#include "cli.h"
#include "loom/formats/io.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>

using json = nlohmann::ordered_json;
using namespace loom::cli;

namespace loom::tools {

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    failWith(path + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json parseJson(const std::string &path, const std::string &text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    failWith(path + ": not a JSON object");
  return j;
}

std::string cpuModel() {
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

std::string cachePath() {
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  const char *home = std::getenv("HOME");
  std::string dir = xdg && *xdg ? std::string(xdg) + "/loom"
                    : home && *home ? std::string(home) + "/.cache/loom"
                                    : std::string();
  return dir.empty() ? dir : dir + "/machine.json";
}

void makeParents(const std::string &path) {
  for (size_t at = path.find('/', 1); at != std::string::npos;
       at = path.find('/', at + 1))
    ::mkdir(path.substr(0, at).c_str(), 0755);
}

std::string utcNow() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

/// "h.3.attn: linear, gelu" from a site of kernels.json.
std::string siteLabel(const json &site) {
  std::string ops;
  if (site.contains("ops"))
    for (const json &o : site["ops"]) {
      std::string name = o.value("op", "");
      name = name.substr(name.find('.') + 1);
      if (ops.find(name) == std::string::npos)
        ops += (ops.empty() ? "" : ", ") + name;
    }
  std::string where = site.value("path", "");
  if (where.empty()) {
    where = site.value("spec", "");
    size_t slash = where.rfind('/');
    if (slash != std::string::npos)
      where = where.substr(slash + 1);
  }
  if (ops.empty())
    ops = site.value("kernel", "?");
  return where.empty() ? ops : where + ": " + ops;
}

} // namespace

Machine machineRoofline(int threads, bool remeasure) {
  Machine m;
  m.cpu = cpuModel();
  m.threads = threads;
  std::string key = m.cpu + " / " + std::to_string(threads) + " threads";
  std::string path = cachePath();
  json cache = json::object();
  if (!path.empty()) {
    std::ifstream in(path);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      json j = json::parse(ss.str(), nullptr, false);
      if (!j.is_discarded() && j.is_object())
        cache = j;
    }
  }
  if (!remeasure && cache.contains(key) && cache[key].is_object()) {
    const json &e = cache[key];
    m.peakGflops = e.value("peak_gflops", 0.0);
    m.bandwidthGBs = e.value("bandwidth_gbs", 0.0);
    m.measured = e.value("measured", "");
    if (m.peakGflops > 0 && m.bandwidthGBs > 0)
      return m;
  }
  std::fprintf(stderr,
               "loom: measuring this machine's peak FLOP/s and memory "
               "bandwidth on %d thread(s) (once; cached in %s)\n",
               threads, path.empty() ? "nowhere: no HOME" : path.c_str());
  m.peakGflops = measurePeakGflops(threads);
  m.bandwidthGBs = measureBandwidthGBs(threads);
  m.measured = utcNow();
  if (!path.empty()) {
    cache[key] = {{"peak_gflops", m.peakGflops},
                  {"bandwidth_gbs", m.bandwidthGBs},
                  {"measured", m.measured}};
    makeParents(path);
    // A cache that cannot be written only costs a measurement next time.
    std::string text = cache.dump(1) + "\n";
    (void)loom::rt::writeFileAtomic(path, {{text.data(), text.size()}});
  }
  return m;
}

TraceRecorder::TraceRecorder(const std::string &artifactDir,
                             const loom_artifact *artifact, int threads)
    : dir_(artifactDir), threads_(threads) {
  std::string kpath = artifactDir + "/kernels.json";
  kernelsJson_ = readFile(kpath);
  json k = parseJson(kpath, kernelsJson_);
  if (k.value("format", "") != "loom-kernels" || !k.contains("sites") ||
      !k["sites"].is_array())
    failWith(kpath + ": not a loom kernels.json (format \"loom-kernels\")");
  std::string mpath = artifactDir + "/manifest.json";
  json m = parseJson(mpath, readFile(mpath));
  if (k.value("fingerprint", "") != m.value("fingerprint", "-"))
    failWith(kpath + ": belongs to another build than " + mpath +
             " (fingerprints differ); compile the artifact again");
  size_t sites = k["sites"].size();
  for (size_t i = 0; i < sites; ++i)
    if (k["sites"][i].value("id", int64_t(-1)) != int64_t(i))
      failWith(kpath + ": site " + std::to_string(i) + " is out of order");
  for (size_t f = 0; f < loom_artifact_num_functions(artifact); ++f)
    functions_.push_back(loom_artifact_function_name(artifact, f));
}

void TraceRecorder::collect(loom_session *session, int64_t step) {
  const loom_profile_event *events = nullptr;
  size_t n = loom_session_profile_events(session, &events);
  for (size_t i = 0; i < n; ++i) {
    events_.push_back({events[i], step});
    if (events[i].site < 0)
      ++calls_;
  }
  loom_session_clear_profile(session);
}

void TraceRecorder::write(const std::string &path) const {
  json k = json::parse(kernelsJson_);
  const json &sites = k["sites"];
  Machine machine = machineRoofline(threads_, false);
  json trace;
  json events = json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1},
                    {"args", {{"name", "loom " + dir_}}}});
  events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1},
                    {"tid", 1}, {"args", {{"name", "calls and kernels"}}}});
  int64_t origin = events_.empty() ? 0 : events_.front().e.begin_ns;
  for (const Event &ev : events_)
    origin = std::min(origin, ev.e.begin_ns);
  auto us = [&](int64_t ns) { return double(ns - origin) * 1e-3; };
  for (const Event &ev : events_) {
    const loom_profile_event &e = ev.e;
    json x;
    std::string function =
        e.function >= 0 && size_t(e.function) < functions_.size()
            ? functions_[e.function]
            : "?";
    if (e.site < 0) {
      x["name"] = function;
      x["cat"] = "call";
      x["args"] = json::object();
      if (ev.step >= 0)
        x["args"]["step"] = ev.step;
    } else {
      if (size_t(e.site) >= sites.size())
        failWith("profile event of site " + std::to_string(e.site) +
                 ", which kernels.json of " + dir_ + " does not have");
      const json &s = sites[e.site];
      x["name"] = siteLabel(s);
      x["cat"] = s.value("generator", "mlir");
      x["args"] = {{"site", e.site},
                   {"kernel", s.value("kernel", "")},
                   {"spec", s.value("spec", "")},
                   {"flops", s.value("flops", int64_t(-1))},
                   {"bytes", s.value("bytes", int64_t(-1))}};
    }
    x["ph"] = "X";
    x["pid"] = 1;
    x["tid"] = 1;
    x["ts"] = us(e.begin_ns);
    x["dur"] = double(e.end_ns - e.begin_ns) * 1e-3;
    events.push_back(std::move(x));
  }
  trace["traceEvents"] = std::move(events);
  trace["displayTimeUnit"] = "ms";
  trace["loom"] = {
      {"format", "loom-profile"},
      {"version", 1},
      {"artifact", dir_},
      {"model", k.value("model", "")},
      {"threads", threads_},
      {"calls", calls_},
      {"machine",
       {{"cpu", machine.cpu},
        {"threads", machine.threads},
        {"peak_gflops", machine.peakGflops},
        {"bandwidth_gbs", machine.bandwidthGBs},
        {"measured", machine.measured}}},
      {"sites", sites}};
  std::string text = trace.dump() + "\n";
  loom::rt::Status st = loom::rt::writeFileAtomic(path, {{text.data(), text.size()}});
  if (!st.isOk())
    failWith(st.message());
}

//===----------------------------------------------------------------------===//
// loom profile TRACE
//===----------------------------------------------------------------------===//

namespace {

const char *kProfileUsage =
    "usage: loom profile TRACE.json [--top N] [--by site|op]\n"
    "\n"
    "Summarizes a trace written by `loom run --profile` or `loom train\n"
    "--profile`: where the time of the profiled calls went, kernel by kernel\n"
    "(the same kernel at the same spec line in every block counts as one\n"
    "row; --by site keeps every call site apart; --by op sums by the loom op\n"
    "a kernel implements first), with achieved GFLOP/s and GB/s, arithmetic\n"
    "intensity and the share of this machine's roofline: min(peak, intensity\n"
    "x bandwidth), both measured once and cached (in the trace too). Bytes are\n"
    "compulsory traffic (each buffer once), so GB/s is a lower bound.\n"
    "  --top N   rows to print (default 25; 0: all)\n";

struct Row {
  std::string label, kernel, generator, spec;
  double ns = 0, flops = 0, bytes = 0;
  int64_t calls = 0;
  std::set<int64_t> sites;
};

std::string fmtTime(double ns) {
  char buf[32];
  if (ns >= 1e9)
    std::snprintf(buf, sizeof buf, "%.3f s", ns * 1e-9);
  else if (ns >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f ms", ns * 1e-6);
  else
    std::snprintf(buf, sizeof buf, "%.1f us", ns * 1e-3);
  return buf;
}

} // namespace

int commandProfile(int argc, char **argv) {
  std::string tracePath, by = "kernel";
  int64_t top = 25;
  for (int i = 2; i < argc; ++i) {
    Arg a(argc, argv, i);
    if (a.flag == "--help" || a.flag == "-h") {
      std::fputs(kProfileUsage, stdout);
      return 0;
    } else if (a.flag == "--top") {
      top = parseCount("--top", a.value(), 0, 1000000);
    } else if (a.flag == "--by") {
      by = a.value();
      if (by != "site" && by != "op" && by != "kernel")
        failWith("--by expects kernel, site or op, got '" + by + "'");
    } else if (a.isOption()) {
      failWith("unknown option '" + a.arg + "' (see loom profile --help)");
    } else if (tracePath.empty()) {
      tracePath = a.arg;
    } else {
      failWith("one trace at a time (got '" + tracePath + "' and '" + a.arg + "')");
    }
  }
  if (tracePath.empty())
    failWith(std::string("no trace given\n") + kProfileUsage);
  json t = parseJson(tracePath, readFile(tracePath));
  if (!t.contains("loom") || !t["loom"].is_object() ||
      t["loom"].value("format", "") != "loom-profile" ||
      !t.contains("traceEvents") || !t["traceEvents"].is_array())
    failWith(tracePath + ": not a trace written by loom run/train --profile");
  const json &meta = t["loom"];
  const json &sites = meta["sites"];
  const json &mach = meta["machine"];
  double peak = mach.value("peak_gflops", 0.0), bw = mach.value("bandwidth_gbs", 0.0);

  std::map<std::string, double> callNs;
  std::map<std::string, int64_t> callCount;
  std::map<std::string, Row> rows;
  double kernelNs = 0;
  for (const json &e : t["traceEvents"]) {
    if (e.value("ph", "") != "X")
      continue;
    double ns = e.value("dur", 0.0) * 1e3;
    if (e.value("cat", "") == "call") {
      callNs[e.value("name", "?")] += ns;
      ++callCount[e.value("name", "?")];
      continue;
    }
    const json &args = e["args"];
    int64_t id = args.value("site", int64_t(-1));
    if (id < 0 || size_t(id) >= sites.size())
      failWith(tracePath + ": kernel event of unknown site " + std::to_string(id));
    const json &s = sites[id];
    std::string ops;
    for (const json &o : s["ops"]) {
      std::string n = o.value("op", "");
      n = n.substr(n.find('.') + 1);
      if (ops.find(n) == std::string::npos)
        ops += (ops.empty() ? "" : ", ") + n;
    }
    if (ops.empty())
      ops = "-";
    std::string spec = s.value("spec", "");
    size_t slash = spec.rfind('/');
    if (slash != std::string::npos)
      spec = spec.substr(slash + 1);
    std::string key;
    if (by == "site")
      key = std::to_string(id);
    else if (by == "op")
      key = ops.substr(0, ops.find(','));
    else
      key = s.value("function", "") + "|" + s.value("kernel", "") + "|" + spec;
    Row &r = rows[key];
    r.label = by == "op" ? key : ops;
    r.kernel = s.value("kernel", "");
    r.generator = s.value("generator", "");
    r.spec = by == "site" && !s.value("path", "").empty()
                 ? spec + " (" + s.value("path", "") + ")"
                 : spec;
    r.ns += ns;
    ++r.calls;
    r.sites.insert(id);
    r.flops += std::max<double>(0, s.value("flops", 0.0));
    r.bytes += std::max<double>(0, s.value("bytes", 0.0));
    kernelNs += ns;
  }
  double totalNs = 0;
  int64_t totalCalls = 0;
  for (auto &[name, ns] : callNs) {
    totalNs += ns;
    totalCalls += callCount[name];
  }
  if (totalCalls == 0)
    failWith(tracePath + ": the trace has no profiled calls");

  std::printf("%s: model '%s', %" PRId64 " profiled call(s)",
              tracePath.c_str(), meta.value("model", "").c_str(), totalCalls);
  for (auto &[name, n] : callCount)
    std::printf("%s %s x%" PRId64 " (mean %s)", name == callCount.begin()->first ? ":" : ",",
                name.c_str(), n, fmtTime(callNs[name] / double(n)).c_str());
  std::printf("\nmachine: %s, %d thread(s): peak %.1f GFLOP/s, bandwidth "
              "%.1f GB/s (measured %s)\n",
              mach.value("cpu", "").c_str(), mach.value("threads", 0), peak, bw,
              mach.value("measured", "").c_str());
  std::printf("kernels: %s of %s in the calls (%.1f%%); the rest is the entry "
              "functions' own code and the profiler's probes\n",
              fmtTime(kernelNs).c_str(), fmtTime(totalNs).c_str(),
              totalNs > 0 ? 100.0 * kernelNs / totalNs : 0.0);
  double flops = 0;
  for (auto &[k, r] : rows)
    flops += r.flops;
  if (totalNs > 0)
    std::printf("overall: %.1f GFLOP/s = %.1f%% of peak\n",
                flops / totalNs, peak > 0 ? 100.0 * flops / totalNs / peak : 0.0);

  std::vector<const Row *> sorted;
  for (auto &[k, r] : rows)
    sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const Row *a, const Row *b) { return a->ns > b->ns; });
  std::printf("\n%6s %10s %6s %9s %9s %8s %8s %7s  %-6s %s\n", "time%",
              "time/call", "calls", "GFLOP/s", "GB/s", "FLOP/B", "roof%",
              "sites", "gen", by == "op" ? "loom op" : "spec : loom ops [kernel]");
  int64_t shown = 0;
  double perCall = double(totalCalls);
  for (const Row *r : sorted) {
    if (top && shown++ >= top)
      break;
    double gflops = r->ns > 0 ? r->flops / r->ns : 0;
    double gbs = r->ns > 0 ? r->bytes / r->ns : 0;
    double ai = r->bytes > 0 ? r->flops / r->bytes : 0;
    double roof = std::min(peak, ai * bw);
    std::string roofPct = roof > 0 && r->flops > 0
                              ? std::to_string(int(100.0 * gflops / roof + 0.5))
                              : std::string("-");
    std::printf("%5.1f%% %10s %6.0f %9.1f %9.2f %8.2f %8s %7zu  %-6s %s\n",
                100.0 * r->ns / totalNs, fmtTime(r->ns / perCall).c_str(),
                double(r->calls) / perCall, gflops, gbs, ai, roofPct.c_str(),
                r->sites.size(), r->generator.c_str(),
                by == "op" ? r->label.c_str()
                           : (r->spec + " : " + r->label + " [" + r->kernel + "]").c_str());
  }
  if (top && int64_t(sorted.size()) > top)
    std::printf("(%zu more rows; --top 0 shows all)\n", sorted.size() - size_t(top));
  return 0;
}

} // namespace loom::tools
