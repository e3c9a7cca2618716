//===- comm.h - the communicator of data-parallel training -----------------===//
//
// What `loom train` needs from the other ranks of a data-parallel job: sums
// of gradients, and parameters and optimizer state moved between ranks. A
// Comm is either this process alone (size 1; no library involved) or a
// plugin loaded at run time (comm_plugin.h: libloom_mpi.so over MPI today;
// a NCCL plugin would implement the same table).
//
// Two sums: allreduceSum lets the library choose the order (MPI's ring or
// tree, fastest, but a different N rounds differently), and
// allreduceSumOrdered fixes it: recursive doubling over rank pairs, each
// pair adding the same two partial sums, so rank r's partial sum is always
// the sum of the aligned block of ranks it stands for. For N a power of two
// whose ranks each hold the balanced-tree sum of an aligned block of
// micro-batches, every rank ends with the balanced-tree sum over all of
// them: the same bits for any such N (docs/distributed.md).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_DIST_COMM_H
#define LOOM_DIST_COMM_H

#include "comm_plugin.h"
#include "loom/formats/status.h"

#include <memory>
#include <string>
#include <vector>

namespace loom::dist {

using rt::Status;

class Comm {
public:
  /// Size 1: this process alone.
  static std::unique_ptr<Comm> local();
  /// Loads PATH (a plugin exporting loom_comm_plugin) and joins its job.
  static Status open(const std::string &path, std::unique_ptr<Comm> &out);
  /// True when this process was started by an MPI launcher (mpirun,
  /// srun): Open MPI's, PMIx's or PMI's rank variables are set.
  static bool launchedByMpi();
  /// The plugin next to this program: DIR/../lib/libloom_mpi.so where DIR
  /// holds the running executable (LOOM_MPI_PLUGIN overrides it).
  static std::string defaultMpiPlugin();

  ~Comm();
  Comm(const Comm &) = delete;
  Comm &operator=(const Comm &) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::string &host() const { return host_; }
  /// "local" or the plugin's name ("mpi").
  std::string kind() const;

  Status allreduceSum(float *buf, size_t n);
  /// Needs a power-of-two size (checked).
  Status allreduceSumOrdered(float *buf, size_t n);
  Status bcast(void *buf, size_t bytes, int root);
  Status send(const void *buf, size_t bytes, int peer);
  Status recv(void *buf, size_t bytes, int peer);
  Status barrier();
  /// Ends every rank with CODE (size 1: exits).
  [[noreturn]] void abort(int code);

private:
  Comm() = default;
  Status check(int rc, const char *what);

  const loom_comm_ops *ops_ = nullptr; // null: local
  void *handle_ = nullptr;
  int rank_ = 0, size_ = 1;
  std::string host_;
  std::vector<float> scratch_; // allreduceSumOrdered's receive buffer
};

} // namespace loom::dist

#endif // LOOM_DIST_COMM_H
