//===- comm.cpp - the communicator of data-parallel training ---------------===//
#include "comm.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace loom::dist {

std::unique_ptr<Comm> Comm::local() {
  std::unique_ptr<Comm> c(new Comm());
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) == 0)
    c->host_ = name;
  return c;
}

bool Comm::launchedByMpi() {
  for (const char *v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
    if (std::getenv(v))
      return true;
  return false;
}

std::string Comm::defaultMpiPlugin() {
  if (const char *p = std::getenv("LOOM_MPI_PLUGIN"); p && *p)
    return p;
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return "libloom_mpi.so";
  std::string dir(exe, static_cast<size_t>(n));
  dir = dir.substr(0, dir.rfind('/'));
  return dir + "/../lib/libloom_mpi.so";
}

Status Comm::open(const std::string &path, std::unique_ptr<Comm> &out) {
  void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return Status::error(LOOM_ERR_IO, "cannot load the communication plugin '" + path +
                                          "': " + ::dlerror() +
                                          " (loom is built with MPI support where "
                                          "libopenmpi-dev is installed: scripts/setup)");
  auto entry = reinterpret_cast<loom_comm_plugin_fn>(::dlsym(handle, "loom_comm_plugin"));
  const loom_comm_ops *ops = entry ? entry() : nullptr;
  if (!ops || ops->abi_version != LOOM_COMM_ABI_VERSION) {
    ::dlclose(handle);
    return Status::error(LOOM_ERR_FORMAT,
                         "'" + path + "' is not a loom communication plugin of ABI version " +
                             std::to_string(LOOM_COMM_ABI_VERSION));
  }
  std::unique_ptr<Comm> c(new Comm());
  c->ops_ = ops;
  c->handle_ = handle;
  if (ops->init() != 0)
    return Status::error(LOOM_ERR_IO, std::string("cannot join the job: ") + ops->last_error());
  c->rank_ = ops->rank();
  c->size_ = ops->size();
  c->host_ = ops->host();
  out = std::move(c);
  return Status::ok();
}

Comm::~Comm() {
  if (ops_)
    ops_->finalize();
  // The plugin stays loaded: MPI libraries do not support being unloaded.
}

std::string Comm::kind() const { return ops_ ? ops_->name : "local"; }

Status Comm::check(int rc, const char *what) {
  if (rc == 0)
    return Status::ok();
  return Status::error(LOOM_ERR_IO, std::string(what) + " failed on rank " +
                                        std::to_string(rank_) + " (" + host_ +
                                        "): " + ops_->last_error());
}

Status Comm::allreduceSum(float *buf, size_t n) {
  if (!ops_ || size_ == 1)
    return Status::ok();
  return check(ops_->allreduce_sum_f32(buf, n), "the gradient all-reduce");
}

Status Comm::allreduceSumOrdered(float *buf, size_t n) {
  if (size_ & (size_ - 1))
    return Status::error(LOOM_ERR_INVALID_ARGUMENT,
                         "the deterministic all-reduce needs a power-of-two number of "
                         "ranks, not " + std::to_string(size_));
  if (!ops_ || size_ == 1)
    return Status::ok();
  scratch_.resize(n);
  // After the round with distance d, rank r holds the sum of the aligned
  // block of 2d ranks around it: lower half + upper half, the same bits on
  // both partners (IEEE addition commutes).
  for (int d = 1; d < size_; d *= 2) {
    int peer = rank_ ^ d;
    LOOM_RT_TRY(check(ops_->sendrecv(buf, scratch_.data(), n * sizeof(float), peer),
                      "the ordered all-reduce"));
    const float *other = scratch_.data();
    for (size_t i = 0; i < n; ++i)
      buf[i] += other[i];
  }
  return Status::ok();
}

Status Comm::bcast(void *buf, size_t bytes, int root) {
  if (!ops_ || size_ == 1)
    return Status::ok();
  return check(ops_->bcast(buf, bytes, root), "a broadcast");
}

Status Comm::send(const void *buf, size_t bytes, int peer) {
  if (!ops_)
    return Status::error(LOOM_ERR_STATE, "send on a one-process communicator");
  return check(ops_->send(buf, bytes, peer), "a send");
}

Status Comm::recv(void *buf, size_t bytes, int peer) {
  if (!ops_)
    return Status::error(LOOM_ERR_STATE, "receive on a one-process communicator");
  return check(ops_->recv(buf, bytes, peer), "a receive");
}

Status Comm::barrier() {
  if (!ops_ || size_ == 1)
    return Status::ok();
  return check(ops_->barrier(), "a barrier");
}

void Comm::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (ops_ && size_ > 1)
    ops_->abort(code);
  std::_Exit(code);
}

} // namespace loom::dist
