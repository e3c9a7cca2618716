/*===- comm_plugin.h - the C ABI of a loom communication plugin -----------===*
 *
 * `loom train` runs data-parallel over a communicator loaded at run time, so
 * that the `loom` program itself links no MPI (or NCCL) library: a plugin is
 * a shared library exporting `loom_comm_plugin`, which returns this table.
 * libloom_mpi.so (mpi_plugin.cpp, Open MPI) is the one built today; a NCCL
 * plugin for GPUs would fill the same table (its buffers device memory).
 *
 * Every function returns 0 on success; on failure, non-zero, with
 * last_error() saying why. Sizes are in bytes or elements as named, and
 * may exceed INT_MAX (the plugin splits them).
 *
 *===----------------------------------------------------------------------===*/
#ifndef LOOM_DIST_COMM_PLUGIN_H
#define LOOM_DIST_COMM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOOM_COMM_ABI_VERSION 1u

typedef struct loom_comm_ops {
  uint32_t abi_version; /* LOOM_COMM_ABI_VERSION */
  const char *name;     /* "mpi" */
  /* Joins the job (MPI_Init); called once, before anything else. */
  int (*init)(void);
  int (*rank)(void);
  int (*size)(void);
  /* This process's host, for messages. */
  const char *(*host)(void);
  /* BUF[0..N) = the sum over ranks of every rank's BUF (in place; the
   * library picks the reduction order, which may differ between N). */
  int (*allreduce_sum_f32)(float *buf, size_t n);
  /* Sends SEND to PEER and receives as many bytes from it into RECV. */
  int (*sendrecv)(const void *send, void *recv, size_t bytes, int peer);
  int (*send)(const void *buf, size_t bytes, int peer);
  int (*recv)(void *buf, size_t bytes, int peer);
  /* ROOT's BUF to every rank. */
  int (*bcast)(void *buf, size_t bytes, int root);
  int (*barrier)(void);
  /* Ends every rank of the job with CODE (MPI_Abort); does not return. */
  void (*abort)(int code);
  int (*finalize)(void);
  const char *(*last_error)(void);
} loom_comm_ops;

typedef const loom_comm_ops *(*loom_comm_plugin_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_DIST_COMM_PLUGIN_H */
