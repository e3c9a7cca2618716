//===- mpi_plugin.cpp - libloom_mpi.so: the communicator over MPI ---------===//
//
// The loom_comm_ops table (comm_plugin.h) over MPI's C API, built where
// CMake finds MPI (Debian: libopenmpi-dev). Errors return (MPI_ERRORS_RETURN
// on MPI_COMM_WORLD) with MPI's own text, so `loom train` can say what
// failed; a rank that dies is noticed by mpirun, which ends the others.
//
//===----------------------------------------------------------------------===//
#include "comm_plugin.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <string>

namespace {

std::string lastError;
char hostName[MPI_MAX_PROCESSOR_NAME + 1];

int failed(int code, const char *what) {
  if (code == MPI_SUCCESS)
    return 0;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  lastError = std::string(what) + ": " + std::string(text, len);
  return 1;
}

// MPI counts are ints: larger buffers go in pieces of at most 1 GiB.
constexpr size_t kChunk = size_t(1) << 30;

int init() {
  int already = 0;
  MPI_Initialized(&already);
  if (!already && failed(MPI_Init(nullptr, nullptr), "MPI_Init"))
    return 1;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int len = 0;
  MPI_Get_processor_name(hostName, &len);
  hostName[len] = 0;
  return 0;
}

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

const char *host() { return hostName; }

/// F(offset, count) over [0, n) in pieces of at most LIMIT; stops at the
/// first failure.
template <typename F> int inChunks(size_t n, size_t limit, F f) {
  for (size_t at = 0; at < n; at += limit)
    if (int rc = f(at, static_cast<int>(std::min(n - at, limit))))
      return rc;
  return 0;
}

int allreduceSumF32(float *buf, size_t n) {
  return inChunks(n, kChunk / sizeof(float), [&](size_t at, int count) {
    return failed(MPI_Allreduce(MPI_IN_PLACE, buf + at, count, MPI_FLOAT, MPI_SUM,
                                MPI_COMM_WORLD),
                  "MPI_Allreduce");
  });
}

int sendrecv(const void *send, void *recv, size_t bytes, int peer) {
  auto *s = static_cast<const char *>(send);
  auto *r = static_cast<char *>(recv);
  return inChunks(bytes, kChunk, [&](size_t at, int count) {
    return failed(MPI_Sendrecv(s + at, count, MPI_BYTE, peer, 0, r + at, count, MPI_BYTE,
                               peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                  "MPI_Sendrecv");
  });
}

int sendBytes(const void *buf, size_t bytes, int peer) {
  auto *s = static_cast<const char *>(buf);
  return inChunks(bytes, kChunk, [&](size_t at, int count) {
    return failed(MPI_Send(s + at, count, MPI_BYTE, peer, 1, MPI_COMM_WORLD), "MPI_Send");
  });
}

int recvBytes(void *buf, size_t bytes, int peer) {
  auto *r = static_cast<char *>(buf);
  return inChunks(bytes, kChunk, [&](size_t at, int count) {
    return failed(MPI_Recv(r + at, count, MPI_BYTE, peer, 1, MPI_COMM_WORLD,
                           MPI_STATUS_IGNORE),
                  "MPI_Recv");
  });
}

int bcast(void *buf, size_t bytes, int root) {
  auto *b = static_cast<char *>(buf);
  return inChunks(bytes, kChunk, [&](size_t at, int count) {
    return failed(MPI_Bcast(b + at, count, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  });
}

int barrier() { return failed(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

void abortJob(int code) {
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
}

int finalize() {
  int done = 0;
  MPI_Finalized(&done);
  return done ? 0 : failed(MPI_Finalize(), "MPI_Finalize");
}

const char *lastErrorText() { return lastError.c_str(); }

const loom_comm_ops kOps = {LOOM_COMM_ABI_VERSION,
                            "mpi",
                            init,
                            rank,
                            size,
                            host,
                            allreduceSumF32,
                            sendrecv,
                            sendBytes,
                            recvBytes,
                            bcast,
                            barrier,
                            abortJob,
                            finalize,
                            lastErrorText};

} // namespace

extern "C" __attribute__((visibility("default"))) const loom_comm_ops *
loom_comm_plugin(void) {
  return &kOps;
}
