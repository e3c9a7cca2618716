//===- decoding.cpp - next-token logits and sampling ----------------------===//
#include "decoding.h"

#include "cli.h"
#include "loom/formats/rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_set>

using namespace loom::cli;

Stepper::~Stepper() = default;

bool loom::cli::findInput(const loom_artifact *a, const std::string &name,
                          loom_tensor_info &out) {
  for (size_t i = 0; i < loom_artifact_num_inputs(a); ++i) {
    check(loom_artifact_input(a, i, &out));
    if (name == out.name)
      return true;
  }
  return false;
}

int32_t loom::cli::sampleToken(const float *logits, int64_t vocab,
                               const std::vector<int32_t> &history,
                               const SamplingOptions &o, uint64_t step) {
  std::vector<std::pair<double, int32_t>> cand;
  cand.reserve(static_cast<size_t>(vocab));
  for (int64_t v = 0; v < vocab; ++v)
    cand.emplace_back(logits[v], static_cast<int32_t>(v));
  if (o.repetitionPenalty != 1.0) {
    std::unordered_set<int32_t> seen(history.begin(), history.end());
    for (int32_t id : seen)
      if (id >= 0 && id < vocab) {
        double &l = cand[static_cast<size_t>(id)].first;
        l = l > 0 ? l / o.repetitionPenalty : l * o.repetitionPenalty;
      }
  }
  // Descending logits, ties to the smaller id: the order every later rule
  // (greedy, top-k, top-p, the draw) walks.
  auto before = [](const std::pair<double, int32_t> &x,
                   const std::pair<double, int32_t> &y) {
    return x.first > y.first || (x.first == y.first && x.second < y.second);
  };
  if (o.temperature == 0)
    return std::min_element(cand.begin(), cand.end(), before)->second;
  size_t keep = o.topK > 0 ? std::min<size_t>(static_cast<size_t>(o.topK), cand.size())
                           : cand.size();
  std::partial_sort(cand.begin(), cand.begin() + keep, cand.end(), before);
  cand.resize(keep);
  double maxLogit = cand[0].first, total = 0;
  std::vector<double> p(keep);
  for (size_t i = 0; i < keep; ++i)
    total += p[i] = std::exp((cand[i].first - maxLogit) / o.temperature);
  if (o.topP < 1.0) {
    // The smallest prefix whose probability reaches top-p (at least one).
    double mass = 0, kept = 0;
    size_t n = 0;
    while (n < keep && (n == 0 || mass < o.topP * total)) {
      mass += p[n];
      ++n;
    }
    keep = n;
    kept = mass;
    total = kept;
  }
  loom::rt::ParamStream rng(o.seed, "loom.generate");
  double u = rng.uniform(step) * total;
  for (size_t i = 0; i < keep; ++i) {
    if (u < p[i])
      return cand[i].second;
    u -= p[i];
  }
  return cand[keep - 1].second;
}

namespace {

bool findOutput(const loom_artifact *a, const char *fn, const char *name,
                loom_tensor_info &out) {
  size_t n = 0;
  if (loom_artifact_num_outputs(a, fn, &n) != LOOM_OK)
    return false;
  for (size_t i = 0; i < n; ++i) {
    check(loom_artifact_output(a, fn, i, &out));
    if (!std::strcmp(out.name, name))
      return true;
  }
  return false;
}

void setI64(loom_session *s, const char *name, int64_t v) {
  check(loom_set_input(s, name, LOOM_DTYPE_I64, nullptr, 0, &v, sizeof v));
}

void setTokens(loom_session *s, const char *name, const std::vector<int32_t> &rows,
               int64_t batch, int64_t len) {
  int64_t shape[2] = {batch, len};
  check(loom_set_input(s, name, LOOM_DTYPE_I32, shape, 2, rows.data(),
                       rows.size() * sizeof(int32_t)));
}

class ForwardStepper : public Stepper {
public:
  ForwardStepper(loom_session *s, std::string input, int64_t batch, int64_t len,
                 int64_t vocab)
      : s(s), input(std::move(input)), batch(batch), len(len), vocab_(vocab),
        window(static_cast<size_t>(batch * len), 0) {}

  const float *next(const std::vector<int32_t> &seq) override {
    int64_t n = std::min<int64_t>(len, static_cast<int64_t>(seq.size()));
    std::fill(window.begin(), window.end(), 0);
    std::copy(seq.end() - n, seq.end(), window.begin());
    setTokens(s, input.c_str(), window, batch, len);
    check(loom_run(s, "forward"));
    loom_tensor_info info;
    const void *data;
    check(loom_get_output(s, "forward", "logits", &info, &data));
    return static_cast<const float *>(data) + (n - 1) * vocab_;
  }
  void reset() override {}
  int64_t vocab() const override { return vocab_; }
  const char *kind() const override { return "forward"; }

private:
  loom_session *s;
  std::string input;
  int64_t batch, len, vocab_;
  std::vector<int32_t> window;
};

class CachedStepper : public Stepper {
public:
  CachedStepper(loom_session *s, int64_t batch, int64_t maxLen, int64_t chunk,
                std::map<int64_t, std::string> decodeFns,
                std::map<int64_t, std::string> prefillFns, int64_t vocab)
      : s(s), batch(batch), maxLen(maxLen), chunk(chunk),
        decodeFns(std::move(decodeFns)), prefillFns(std::move(prefillFns)),
        vocab_(vocab), one(static_cast<size_t>(batch), 0),
        block(static_cast<size_t>(batch * std::max<int64_t>(chunk, 1)), 0) {}

  const float *next(const std::vector<int32_t> &seq) override {
    // What the steps share (an encoder's output), once per source.
    if (hasEncoder && !encoded) {
      check(loom_run(s, "encode"));
      encoded = true;
      window.clear();
      cached = 0;
    }
    // The cache holds positions [0, cached) of `window`; keep them while
    // the sequence extends the window.
    size_t n = seq.size();
    size_t have = window.size();
    bool extends = n > base && n - base <= static_cast<size_t>(maxLen) &&
                   have <= n - base &&
                   std::equal(window.begin(), window.end(), seq.begin() + base);
    if (!extends) {
      // Starts over: a new sequence, or one the cache cannot hold (then its
      // last maxLen / 2 tokens).
      base = n <= static_cast<size_t>(maxLen) ? 0 : n - static_cast<size_t>(maxLen / 2);
      cached = 0;
    }
    window.assign(seq.begin() + base, seq.end());
    int64_t last = static_cast<int64_t>(window.size()) - 1;
    // Whole chunks through prefill, the rest one token at a time.
    while (!prefillFns.empty() && last - cached >= chunk) {
      std::fill(block.begin(), block.end(), 0);
      std::copy(window.begin() + cached, window.begin() + cached + chunk, block.begin());
      setTokens(s, "prefill.tokens", block, batch, chunk);
      setI64(s, "prefill.pos", cached);
      check(loom_run(s, bucket(prefillFns, cached + chunk).c_str()));
      cached += chunk;
    }
    const float *logits = nullptr;
    for (int64_t pos = cached; pos <= last; ++pos) {
      one[0] = window[static_cast<size_t>(pos)];
      setTokens(s, "decode.tokens", one, batch, 1);
      setI64(s, "decode.pos", pos);
      const std::string &fn = bucket(decodeFns, pos + 1);
      check(loom_run(s, fn.c_str()));
      if (pos == last) {
        loom_tensor_info info;
        const void *data;
        check(loom_get_output(s, fn.c_str(), "logits", &info, &data));
        logits = static_cast<const float *>(data);
      }
    }
    cached = last + 1;
    return logits;
  }
  void reset() override {
    window.clear();
    cached = 0;
    base = 0;
    encoded = false;
  }
  int64_t vocab() const override { return vocab_; }
  const char *kind() const override { return "cached"; }

private:
  /// The function of the smallest bucket that holds `keys` positions.
  const std::string &bucket(const std::map<int64_t, std::string> &fns,
                            int64_t keys) const {
    auto it = fns.lower_bound(keys);
    if (it == fns.end())
      failWith("no bucket holds " + std::to_string(keys) + " positions");
    return it->second;
  }

  loom_session *s;
  int64_t batch, maxLen, chunk;
  std::map<int64_t, std::string> decodeFns, prefillFns;
  int64_t vocab_;
  std::vector<int32_t> one, block, window;
  size_t base = 0;
  int64_t cached = 0;

public:
  bool hasEncoder = false, encoded = false;
};

/// "decode_64" -> 64 when it has that form.
bool bucketOf(const char *name, const char *prefix, int64_t &keys) {
  size_t p = std::strlen(prefix);
  if (std::strncmp(name, prefix, p) != 0 || !name[p])
    return false;
  char *end = nullptr;
  long long v = std::strtoll(name + p, &end, 10);
  if (*end || v <= 0)
    return false;
  keys = v;
  return true;
}

} // namespace

std::unique_ptr<Stepper> loom::cli::makeForwardStepper(loom_session *s,
                                                       const loom_artifact *a,
                                                       const std::string &input) {
  loom_tensor_info tok, logits;
  if (!findInput(a, input, tok) || tok.rank != 2 || tok.dtype != LOOM_DTYPE_I32)
    failWith("artifact has no forward input '" + input + "': i32[B, T]");
  if (!findOutput(a, "forward", "logits", logits) || logits.rank != 3 ||
      logits.dtype != LOOM_DTYPE_F32 || logits.shape[0] != tok.shape[0] ||
      logits.shape[1] != tok.shape[1])
    failWith("artifact's forward has no output logits: f32[B, T, V] for '" +
             input + "'");
  return std::make_unique<ForwardStepper>(s, input, tok.shape[0], tok.shape[1],
                                          logits.shape[2]);
}

std::unique_ptr<Stepper> loom::cli::makeCachedStepper(loom_session *s,
                                                      const loom_artifact *a) {
  std::map<int64_t, std::string> decodeFns, prefillFns;
  bool hasEncoder = false;
  for (size_t i = 0; i < loom_artifact_num_functions(a); ++i) {
    const char *name = loom_artifact_function_name(a, i);
    hasEncoder |= !std::strcmp(name, "encode");
    int64_t keys;
    if (bucketOf(name, "decode_", keys))
      decodeFns[keys] = name;
    else if (bucketOf(name, "prefill_", keys))
      prefillFns[keys] = name;
  }
  if (decodeFns.empty())
    return nullptr;
  loom_tensor_info tok, pos, logits, chunkTok;
  if (!findInput(a, "decode.tokens", tok) || tok.rank != 2 || tok.shape[1] != 1 ||
      !findInput(a, "decode.pos", pos))
    failWith("artifact has decode functions but no decode.tokens [B, 1] and "
             "decode.pos inputs");
  // decode.pos is valid in [0, maxLen).
  int64_t lo = 0, hi = 0;
  for (size_t i = 0; i < loom_artifact_num_inputs(a); ++i) {
    loom_tensor_info t;
    check(loom_artifact_input(a, i, &t));
    if (!std::strcmp(t.name, "decode.pos"))
      check(loom_artifact_input_range(a, i, &lo, &hi, nullptr));
  }
  const std::string &largest = decodeFns.rbegin()->second;
  if (!findOutput(a, largest.c_str(), "logits", logits) || logits.rank != 3)
    failWith("artifact's " + largest + " has no output logits [B, 1, V]");
  int64_t chunk = 0;
  if (!prefillFns.empty()) {
    if (!findInput(a, "prefill.tokens", chunkTok) || chunkTok.rank != 2)
      failWith("artifact has prefill functions but no prefill.tokens input");
    chunk = chunkTok.shape[1];
  }
  auto stepper = std::make_unique<CachedStepper>(
      s, tok.shape[0], hi, chunk, std::move(decodeFns), std::move(prefillFns),
      logits.shape[2]);
  stepper->hasEncoder = hasEncoder;
  return stepper;
}
