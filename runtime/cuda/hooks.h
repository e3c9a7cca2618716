//===- hooks.h - the runtime functions a CUDA artifact's library calls -----===//
//
// loomc's CUDA code calls MLIR's GPU runtime wrappers (mgpuModuleLoad,
// mgpuLaunchKernel, ...; MLIR 22's CudaRuntimeWrappers.cpp ABI). Its library
// does not link them: each call goes through a data symbol loom_hook_<name>
// (a function pointer, null until set) that Artifact::open points at the
// function of that name here, for every name the manifest's "cuda.hooks"
// lists. They work on the calling thread's Context (context.h), so one
// library serves sessions on several threads and devices. None of them
// fails the caller: an error is recorded in the context, later stream work
// is skipped, and the runtime reports it after the call. docs/cuda.md has
// the signatures.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_CUDA_HOOKS_H
#define LOOM_CUDA_HOOKS_H

#include <string>
#include <string_view>

namespace loom::cuda {

/// The function for hook NAME ("mgpuLaunchKernel"); null for a name loom
/// does not provide.
void *hookFunction(std::string_view name);
/// Every hook name, comma-separated (for messages).
std::string hookNames();

} // namespace loom::cuda

#endif // LOOM_CUDA_HOOKS_H
