//===- train_dist.h - `loom train`'s data-parallel step --------------------===//
//
// With an artifact compiled by `loomc --train --split-step`, one optimizer
// step of `loom train` can be spread over the ranks of an MPI job (and over
// micro-batches within a rank):
//
//   global step s = the K*B rows of the data's step s, as K micro-batches
//                   of the artifact's B rows (K = --micro-batches, fixed
//                   independently of the number of ranks N);
//   rank r        = runs @loss_grad on micro-batches r*K/N .. (r+1)*K/N-1
//                   and sums their gradients (and losses) as a balanced tree;
//   all-reduce    = the sums over ranks (MPI's, or the ordered one), / K;
//   norm          = of the reduced gradients, the same on every rank;
//   @apply__<i>   = the compiled update of parameter i (clipping by the
//                   norm, AdamW/SGD), run by every rank for every parameter,
//                   or with ZeRO-1 only by the parameter's owner, which then
//                   broadcasts the new values (each rank holds the optimizer
//                   state of the parameters it owns: ~1/N of it).
//
// Checkpoints hold every parameter and all optimizer state (rank 0 writes
// them, gathering ZeRO-1's shards), so any N resumes them.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOOLS_TRAIN_DIST_H
#define LOOM_TOOLS_TRAIN_DIST_H

#include "comm.h"
#include "loom/runtime.h"

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace loom::cli {

struct DataParallelOptions {
  int64_t microBatches = 1; // K: micro-batches per optimizer step
  bool zero1 = false;         // shard the optimizer state
  bool deterministic = false; // the ordered all-reduce
};

class DataParallel {
public:
  /// Checks that the artifact has @loss_grad and @apply__<i>, assigns the
  /// parameters to ranks and, with ZeRO-1, releases the state of the
  /// parameters this rank does not own (before weights are loaded, so a
  /// resumed rank never holds them).
  DataParallel(const std::string &artifactDir, loom_artifact *artifact,
               loom_session *session, std::unique_ptr<dist::Comm> comm,
               const DataParallelOptions &options);

  dist::Comm &comm() { return *comm_; }
  bool leader() const { return comm_->rank() == 0; }
  int64_t microBatches() const { return o_.microBatches; }
  /// One line: ranks, micro-batches, sharding, reduction.
  std::string describe() const;

  /// Optimizer step S (0-based) at learning rate LR. FEED(step, j) sets
  /// the data inputs to micro-batch j of the data's step (its rows j*B ..
  /// j*B+B-1: the K micro-batches are the batch of K*B rows a single
  /// process with a K times larger batch would train on); OVERFIT feeds
  /// step 0's.
  void step(int64_t s, float lr, bool overfit,
            const std::function<void(uint64_t, uint64_t)> &feed, float &loss,
            float &gradNorm);

  /// Every rank calls it; rank 0 writes the file (loom_save_checkpoint).
  void saveCheckpoint(const std::string &path, const std::vector<const char *> &keys,
                      const std::vector<const char *> &values);

  /// Rank 0: a line per rank (optimizer state held, resident memory).
  std::string memoryReport();
  /// Where this rank's step time went (means over the steps so far).
  std::string timeReport() const;

private:
  struct Param {
    std::string name, apply;        // "wte", "apply__0"
    std::vector<std::string> state; // "optim.m.wte", ...
    size_t offset = 0, numel = 0;   // in an extra partial sum's buffer
    int owner = 0;
    float *grad = nullptr;          // its grad.<p> input, written in place
  };
  /// A partial sum of micro-batch gradients: in the grad.<p> inputs (the
  /// first, into which everything is finally summed) or in a buffer of
  /// its own; it sums 2^level micro-batches.
  struct Partial {
    int slot;  // 0: the inputs; k > 0: extra_[k - 1]
    int level;
    float loss;
  };

  void assignOwners();
  float *gradOf(int slot, const Param &p);
  /// Adds the gradients of the micro-batch @loss_grad just ran.
  void addMicroBatch();
  void ownedUpdate(float lr, float step, float norm);
  /// FN(begin, end) over [0, n) in fixed chunks on the session's threads.
  void parallelChunks(size_t n, const std::function<void(size_t, size_t)> &fn);

  std::string dir_;
  loom_artifact *artifact_;
  loom_session *session_;
  std::unique_ptr<dist::Comm> comm_;
  DataParallelOptions o_;
  std::vector<Param> params_;
  size_t total_ = 0; // gradient elements
  /// A binary counter of partial sums (bottom first), so that 2^k
  /// micro-batches sum as the balanced tree ((g0+g1)+(g2+g3))...; the
  /// bottom is always slot 0. Buffers are allocated once, as needed.
  std::vector<Partial> stack_;
  std::vector<std::vector<float>> extra_;
  std::vector<bool> extraUsed_;
  /// Seconds spent, summed over steps: @loss_grad, summing micro-batches,
  /// the all-reduce, the norm, the updates, ZeRO-1's broadcasts.
  double tGrad_ = 0, tSum_ = 0, tReduce_ = 0, tNorm_ = 0, tApply_ = 0, tBcast_ = 0;
  int64_t steps_ = 0;
  std::array<double, 6> first_{}; // the first step's times (page faults)
};

} // namespace loom::cli

#endif // LOOM_TOOLS_TRAIN_DIST_H
