//===- train_dist.cpp - `loom train`'s data-parallel step ------------------===//
#include "train_dist.h"

#include "cli.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace loom::cli {

namespace {

void checkDist(const rt::Status &s) {
  if (!s.isOk())
    failWith(s.message());
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool powerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

int64_t numel(const loom_tensor_info &t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.rank; ++i)
    n *= t.shape[i];
  return n;
}

/// VmRSS and VmHWM of this process in MiB (0 where /proc has none).
void residentMiB(double &rss, double &peak) {
  rss = peak = 0;
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    double *to = line.rfind("VmRSS:", 0) == 0   ? &rss
                 : line.rfind("VmHWM:", 0) == 0 ? &peak
                                                : nullptr;
    if (to)
      *to = std::strtod(line.c_str() + 6, nullptr) / 1024.0; // kB
  }
}

} // namespace

DataParallel::DataParallel(const std::string &artifactDir, loom_artifact *artifact,
                           loom_session *session, std::unique_ptr<dist::Comm> comm,
                           const DataParallelOptions &options)
    : dir_(artifactDir), artifact_(artifact), session_(session), comm_(std::move(comm)),
      o_(options) {
  const int n = comm_->size();
  size_t gradOutputs = 0;
  if (loom_artifact_num_outputs(artifact, "loss_grad", &gradOutputs) != LOOM_OK ||
      loom_artifact_num_outputs(artifact, "apply__0", &gradOutputs) != LOOM_OK)
    failWith("artifact '" + dir_ +
             "' has no @loss_grad and @apply__0: data-parallel training needs the "
             "step in two halves (compile with `loomc --train --split-step`)");
  // The parameters in @apply__<i> order, their state and their gradients.
  for (size_t i = 0;; ++i) {
    Param p;
    p.apply = "apply__" + std::to_string(i);
    size_t outputs = 0;
    if (loom_artifact_num_outputs(artifact, p.apply.c_str(), &outputs) != LOOM_OK)
      break;
    for (size_t k = 0; k < outputs; ++k) {
      loom_tensor_info t;
      check(loom_artifact_output(artifact, p.apply.c_str(), k, &t));
      std::string name = t.name;
      if (name.rfind("new.", 0) != 0)
        failWith("artifact '" + dir_ + "': output '" + name + "' of " + p.apply +
                 " is not an update (new.NAME)");
      if (k == 0) {
        p.name = name.substr(4);
        p.numel = static_cast<size_t>(numel(t));
      } else {
        p.state.push_back(name.substr(4));
      }
    }
    p.offset = total_;
    total_ += p.numel;
    loom_tensor_info info;
    void *grad;
    check(loom_input_data(session_, ("grad." + p.name).c_str(), &info, &grad));
    p.grad = static_cast<float *>(grad);
    params_.push_back(std::move(p));
  }
  if (o_.microBatches % n != 0)
    failWith("--micro-batches " + std::to_string(o_.microBatches) +
             " must be a multiple of the number of ranks (" + std::to_string(n) +
             "): every rank runs the same number of micro-batches");
  if (o_.deterministic &&
      (!powerOfTwo(n) || !powerOfTwo(o_.microBatches / n)))
    failWith("--deterministic sums the gradients as one balanced tree: it needs a "
             "power-of-two number of ranks and of micro-batches per rank (" +
             std::to_string(n) + " ranks, " + std::to_string(o_.microBatches / n) +
             " micro-batches each)");
  assignOwners();
  if (o_.zero1)
    for (const Param &p : params_)
      if (p.owner != comm_->rank())
        for (const std::string &s : p.state)
          check(loom_session_hold_state(session_, s.c_str(), 0));
}

void DataParallel::assignOwners() {
  // Contiguous runs of parameters of about equal size: parameter i goes to
  // the rank whose 1/N of the elements holds its middle element.
  const double total = double(total_);
  const int n = comm_->size();
  for (Param &p : params_) {
    double mid = double(p.offset) + double(p.numel) / 2;
    p.owner = std::min(n - 1, static_cast<int>(mid * n / std::max(total, 1.0)));
  }
}

std::string DataParallel::describe() const {
  const int n = comm_->size();
  std::ostringstream s;
  s << "data-parallel: " << n << " rank" << (n > 1 ? "s" : "") << " (" << comm_->kind()
    << "), " << o_.microBatches << " micro-batch" << (o_.microBatches > 1 ? "es" : "")
    << " per step (" << o_.microBatches / n << " per rank), "
    << (o_.deterministic ? "ordered all-reduce (same bits for any N)"
                         : "MPI all-reduce")
    << (o_.zero1 ? ", ZeRO-1 optimizer state" : "");
  return s.str();
}

void DataParallel::parallelChunks(size_t n,
                                  const std::function<void(size_t, size_t)> &fn) {
  // Fixed chunks (not one per thread), so that a reduction combining them
  // in chunk order gives the same bits on any number of threads.
  constexpr size_t kChunk = size_t(1) << 16;
  const size_t chunks = (n + kChunk - 1) / kChunk;
  const size_t threads =
      std::min<size_t>(chunks, std::max<int32_t>(1, loom_session_threads(session_)));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t c; (c = next.fetch_add(1)) < chunks;)
      fn(c * kChunk, std::min(n, (c + 1) * kChunk));
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
}

float *DataParallel::gradOf(int slot, const Param &p) {
  return slot == 0 ? p.grad : extra_[size_t(slot) - 1].data() + p.offset;
}

void DataParallel::addMicroBatch() {
  float loss;
  {
    loom_tensor_info info;
    const void *data;
    check(loom_get_output(session_, "loss_grad", "loss", &info, &data));
    std::memcpy(&loss, data, sizeof loss);
  }
  std::vector<const float *> out(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    loom_tensor_info info;
    const void *data;
    check(loom_get_output(session_, "loss_grad", ("grad." + params_[i].name).c_str(), &info,
                          &data));
    out[i] = static_cast<const float *>(data);
  }
  // dst = src (copy) or dst += src, parameter by parameter.
  auto combine = [&](int dstSlot, const std::function<const float *(const Param &, size_t)> &src,
                     bool add) {
    for (size_t i = 0; i < params_.size(); ++i) {
      float *dst = gradOf(dstSlot, params_[i]);
      const float *from = src(params_[i], i);
      parallelChunks(params_[i].numel, [&](size_t b, size_t e) {
        if (add)
          for (size_t k = b; k < e; ++k)
            dst[k] += from[k];
        else
          std::memcpy(dst + b, from + b, (e - b) * sizeof(float));
      });
    }
  };
  auto output = [&](const Param &, size_t i) { return out[i]; };
  if (!stack_.empty() && stack_.back().level == 0) {
    // The new micro-batch pairs with the one before: add it in directly.
    combine(stack_.back().slot, output, true);
    stack_.back().loss += loss;
    stack_.back().level = 1;
  } else {
    int slot = 0;
    if (!stack_.empty()) {
      size_t k = 0;
      while (k < extraUsed_.size() && extraUsed_[k])
        ++k;
      if (k == extra_.size()) {
        extra_.emplace_back(total_);
        extraUsed_.push_back(false);
      }
      extraUsed_[k] = true;
      slot = int(k) + 1;
    }
    combine(slot, output, false);
    stack_.push_back({slot, 0, loss});
  }
  // Two sums of equal size merge (into the lower one, which keeps slot 0
  // at the bottom).
  while (stack_.size() >= 2 && stack_[stack_.size() - 1].level == stack_[stack_.size() - 2].level) {
    Partial upper = stack_.back();
    stack_.pop_back();
    Partial &lower = stack_.back();
    combine(lower.slot, [&](const Param &p, size_t) { return gradOf(upper.slot, p); }, true);
    lower.loss += upper.loss;
    ++lower.level;
    extraUsed_[size_t(upper.slot) - 1] = false;
  }
}

void DataParallel::step(int64_t s, float lr, bool overfit,
                        const std::function<void(uint64_t, uint64_t)> &feed, float &loss,
                        float &gradNorm) {
  const int64_t k = o_.microBatches, perRank = k / comm_->size();
  const uint64_t first = uint64_t(comm_->rank()) * uint64_t(perRank);
  stack_.clear();
  std::fill(extraUsed_.begin(), extraUsed_.end(), false);
  double t0 = now();
  for (int64_t j = 0; j < perRank; ++j) {
    feed(overfit ? 0 : uint64_t(s), first + uint64_t(j));
    check(loom_run(session_, "loss_grad"));
    double t1 = now();
    tGrad_ += t1 - t0;
    addMicroBatch();
    t0 = now();
    tSum_ += t0 - t1;
  }
  // A count that is not a power of two leaves several sums: fold them.
  while (stack_.size() > 1) {
    Partial upper = stack_.back();
    stack_.pop_back();
    for (const Param &p : params_) {
      float *dst = gradOf(stack_.back().slot, p);
      const float *src = gradOf(upper.slot, p);
      parallelChunks(p.numel, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i)
          dst[i] += src[i];
      });
    }
    stack_.back().loss += upper.loss;
  }
  // Sum over the ranks, in place in the grad.<p> inputs.
  float lossSum = stack_.front().loss;
  auto reduce = [&](float *buf, size_t n) {
    checkDist(o_.deterministic ? comm_->allreduceSumOrdered(buf, n)
                               : comm_->allreduceSum(buf, n));
  };
  double t1 = now();
  tSum_ += t1 - t0;
  for (const Param &p : params_)
    reduce(p.grad, p.numel);
  reduce(&lossSum, 1);
  double t2 = now();
  tReduce_ += t2 - t1;
  // The mean over the K micro-batches, and the global norm of it in a
  // fixed order (chunks in double, then parameters), the same on every rank.
  const float inv = 1.0f / static_cast<float>(k);
  loss = lossSum * inv;
  double sumSq = 0;
  std::vector<double> chunkSums;
  for (const Param &p : params_) {
    constexpr size_t kChunk = size_t(1) << 16;
    chunkSums.assign((p.numel + kChunk - 1) / kChunk, 0.0);
    parallelChunks(p.numel, [&](size_t b, size_t e) {
      // Eight independent lanes (vectorizable), added up in lane order.
      double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      float *g = p.grad;
      size_t i = b;
      for (; i + 8 <= e; i += 8)
        for (int l = 0; l < 8; ++l) {
          g[i + l] *= inv;
          lane[l] += double(g[i + l]) * double(g[i + l]);
        }
      for (; i < e; ++i) {
        g[i] *= inv;
        lane[0] += double(g[i]) * double(g[i]);
      }
      double part = 0;
      for (double l : lane)
        part += l;
      chunkSums[b / kChunk] = part;
    });
    for (double c : chunkSums)
      sumSq += c;
  }
  gradNorm = static_cast<float>(std::sqrt(sumSq));
  tNorm_ += now() - t2;
  ownedUpdate(lr, static_cast<float>(s + 1), gradNorm);
  // The first step pays for page faults (fresh buffers): the report is of
  // the steps after it, when there are any.
  if (++steps_ == 1) {
    first_ = {tGrad_, tSum_, tReduce_, tNorm_, tApply_, tBcast_};
    tGrad_ = tSum_ = tReduce_ = tNorm_ = tApply_ = tBcast_ = 0;
  }
}

void DataParallel::ownedUpdate(float lr, float step, float norm) {
  check(loom_set_input(session_, "optim.lr", LOOM_DTYPE_F32, nullptr, 0, &lr, sizeof lr));
  check(loom_set_input(session_, "optim.step", LOOM_DTYPE_F32, nullptr, 0, &step,
                       sizeof step));
  check(loom_set_input(session_, "optim.grad_norm", LOOM_DTYPE_F32, nullptr, 0, &norm,
                       sizeof norm));
  // The gradients are in the apply functions' grad.<p> inputs already.
  double t0 = now();
  for (const Param &p : params_)
    if (!o_.zero1 || p.owner == comm_->rank())
      check(loom_run(session_, p.apply.c_str()));
  double t1 = now();
  tApply_ += t1 - t0;
  if (!o_.zero1)
    return;
  // Every rank needs every new parameter: each owner broadcasts its own.
  for (const Param &p : params_) {
    loom_tensor_info info;
    void *w;
    check(loom_param_data(session_, p.name.c_str(), &info, &w));
    checkDist(comm_->bcast(w, p.numel * sizeof(float), p.owner));
  }
  tBcast_ += now() - t1;
}

std::string DataParallel::timeReport() const {
  if (steps_ == 0)
    return std::string();
  std::array<double, 6> t = first_;
  double n = 1;
  if (steps_ > 1) {
    t = {tGrad_, tSum_, tReduce_, tNorm_, tApply_, tBcast_};
    n = double(steps_ - 1);
  }
  char line[320];
  std::snprintf(line, sizeof line,
                "ms per step on rank %d (mean of %s): gradients %.1f, summing "
                "micro-batches %.1f, all-reduce %.1f, norm %.1f, update %.1f",
                comm_->rank(), steps_ > 1 ? "the steps after the first" : "the one step",
                1e3 * t[0] / n, 1e3 * t[1] / n, 1e3 * t[2] / n, 1e3 * t[3] / n,
                1e3 * t[4] / n);
  std::string out = line;
  if (o_.zero1) {
    std::snprintf(line, sizeof line, ", broadcast %.1f", 1e3 * t[5] / n);
    out += line;
  }
  return out;
}

void DataParallel::saveCheckpoint(const std::string &path,
                                  const std::vector<const char *> &keys,
                                  const std::vector<const char *> &values) {
  const int me = comm_->rank();
  // ZeRO-1: rank 0 gathers the shards it lacks (held only while writing).
  std::vector<std::string> borrowed;
  if (o_.zero1)
    for (const Param &p : params_) {
      if (p.owner == 0)
        continue;
      for (const std::string &s : p.state) {
        if (me != 0 && me != p.owner)
          continue;
        if (me == 0) {
          check(loom_session_hold_state(session_, s.c_str(), 1));
          borrowed.push_back(s);
        }
        loom_tensor_info info;
        void *data;
        check(loom_state_data(session_, s.c_str(), &info, &data));
        size_t bytes = p.numel * sizeof(float);
        checkDist(me == 0 ? comm_->recv(data, bytes, p.owner) : comm_->send(data, bytes, 0));
      }
    }
  if (me == 0)
    check(loom_save_checkpoint(session_, path.c_str(), keys.data(), values.data(),
                               keys.size()));
  for (const std::string &s : borrowed)
    check(loom_session_hold_state(session_, s.c_str(), 0));
}

std::string DataParallel::memoryReport() {
  const int n = comm_->size(), me = comm_->rank();
  double stateBytes = 0;
  for (const Param &p : params_)
    if (!o_.zero1 || p.owner == me)
      stateBytes += double(p.numel) * sizeof(float) * double(p.state.size());
  double rss, peak;
  residentMiB(rss, peak);
  // Each rank fills its row; the sum over ranks is everyone's rows.
  std::vector<float> rows(size_t(n) * 3, 0.0f);
  rows[size_t(me) * 3] = static_cast<float>(stateBytes / (1 << 20));
  rows[size_t(me) * 3 + 1] = static_cast<float>(rss);
  rows[size_t(me) * 3 + 2] = static_cast<float>(peak);
  checkDist(comm_->allreduceSum(rows.data(), rows.size()));
  std::string out;
  char line[160];
  for (int r = 0; r < n; ++r) {
    std::snprintf(line, sizeof line,
                  "  rank %d: optimizer state %.2f MiB, resident %.1f MiB (peak %.1f)\n", r,
                  rows[size_t(r) * 3], rows[size_t(r) * 3 + 1], rows[size_t(r) * 3 + 2]);
    out += line;
  }
  return out;
}

} // namespace loom::cli
