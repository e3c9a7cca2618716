//===- train_dist.cpp - `loom train`'s data-parallel step ------------------===//
#include "train_dist.h"

#include "cli.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace loom::cli {

namespace {

void checkDist(const rt::Status &s) {
  if (!s.isOk())
    failWith(s.message());
}

bool powerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

int64_t numel(const loom_tensor_info &t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.rank; ++i)
    n *= t.shape[i];
  return n;
}

/// VmRSS and VmHWM of this process in MiB (0 where /proc has none).
void residentMiB(double &now, double &peak) {
  now = peak = 0;
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    double *to = line.rfind("VmRSS:", 0) == 0   ? &now
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
    p.offset = flatSize_;
    flatSize_ += p.numel;
    params_.push_back(std::move(p));
  }
  flatSize_ += 1; // the loss
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
  const double total = double(flatSize_ - 1);
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

void DataParallel::accumulate(std::vector<float> leaf) {
  partial_.push_back(std::move(leaf));
  level_.push_back(0);
  // Two sums of equal size merge (a binary counter): for 2^k leaves the
  // result is the balanced tree ((g0+g1)+(g2+g3))...
  while (level_.size() >= 2 && level_[level_.size() - 1] == level_[level_.size() - 2]) {
    std::vector<float> upper = std::move(partial_.back());
    partial_.pop_back();
    level_.pop_back();
    std::vector<float> &lower = partial_.back();
    for (size_t i = 0; i < lower.size(); ++i)
      lower[i] += upper[i];
    ++level_.back();
  }
}

void DataParallel::step(int64_t s, float lr, bool overfit,
                        const std::function<void(uint64_t, uint64_t)> &feed, float &loss,
                        float &gradNorm) {
  const int64_t k = o_.microBatches, perRank = k / comm_->size();
  const uint64_t first = uint64_t(comm_->rank()) * uint64_t(perRank);
  partial_.clear();
  level_.clear();
  for (int64_t j = 0; j < perRank; ++j) {
    feed(overfit ? 0 : uint64_t(s), first + uint64_t(j));
    check(loom_run(session_, "loss_grad"));
    std::vector<float> leaf(flatSize_);
    for (const Param &p : params_) {
      loom_tensor_info info;
      const void *data;
      check(loom_get_output(session_, "loss_grad", ("grad." + p.name).c_str(), &info,
                            &data));
      std::memcpy(leaf.data() + p.offset, data, p.numel * sizeof(float));
    }
    loom_tensor_info info;
    const void *data;
    check(loom_get_output(session_, "loss_grad", "loss", &info, &data));
    std::memcpy(&leaf.back(), data, sizeof(float));
    accumulate(std::move(leaf));
  }
  // A count that is not a power of two leaves several sums: fold them.
  while (partial_.size() > 1) {
    std::vector<float> upper = std::move(partial_.back());
    partial_.pop_back();
    for (size_t i = 0; i < upper.size(); ++i)
      partial_.back()[i] += upper[i];
  }
  std::vector<float> &flat = partial_.front();
  checkDist(o_.deterministic ? comm_->allreduceSumOrdered(flat.data(), flat.size())
                             : comm_->allreduceSum(flat.data(), flat.size()));
  const float inv = 1.0f / static_cast<float>(k);
  for (float &x : flat)
    x *= inv;
  loss = flat.back();
  // The global norm of the mean gradient, in a fixed order (each parameter
  // in double, then their sum), so every rank clips with the same value.
  double sumSq = 0;
  for (const Param &p : params_) {
    double part = 0;
    for (size_t i = 0; i < p.numel; ++i)
      part += double(flat[p.offset + i]) * double(flat[p.offset + i]);
    sumSq += part;
  }
  gradNorm = static_cast<float>(std::sqrt(sumSq));
  ownedUpdate(lr, static_cast<float>(s + 1), gradNorm);
}

void DataParallel::ownedUpdate(float lr, float step, float norm) {
  check(loom_set_input(session_, "optim.lr", LOOM_DTYPE_F32, nullptr, 0, &lr, sizeof lr));
  check(loom_set_input(session_, "optim.step", LOOM_DTYPE_F32, nullptr, 0, &step,
                       sizeof step));
  check(loom_set_input(session_, "optim.grad_norm", LOOM_DTYPE_F32, nullptr, 0, &norm,
                       sizeof norm));
  const std::vector<float> &flat = partial_.front();
  for (const Param &p : params_) {
    if (o_.zero1 && p.owner != comm_->rank())
      continue;
    loom_tensor_info info;
    void *w;
    check(loom_param_data(session_, p.name.c_str(), &info, &w));
    check(loom_set_input(session_, ("grad." + p.name).c_str(), LOOM_DTYPE_F32, info.shape,
                         info.rank, flat.data() + p.offset, p.numel * sizeof(float)));
    check(loom_run(session_, p.apply.c_str()));
  }
  if (!o_.zero1)
    return;
  // Every rank needs every new parameter: each owner broadcasts its own.
  for (const Param &p : params_) {
    loom_tensor_info info;
    void *w;
    check(loom_param_data(session_, p.name.c_str(), &info, &w));
    checkDist(comm_->bcast(w, p.numel * sizeof(float), p.owner));
  }
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
