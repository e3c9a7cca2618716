//===- storage.h - 64-byte aligned tensor buffers --------------------------===//
//
// A session's tensors are AlignedBuffers: host memory from calloc, or, for
// a session on a GPU, memory from a Memory (session.cpp: CUDA managed
// memory, which the host reads and writes at the same addresses).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_RUNTIME_STORAGE_H
#define LOOM_RUNTIME_STORAGE_H

#include "loom/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace loom::rt {

/// The alignment docs/artifact.md promises the generated code for every slot:
/// a cache line, and the widest vector (AVX-512) loads.
constexpr size_t kTensorAlignment = 64;

/// Where a buffer's memory comes from, when not from the host's calloc.
class Memory {
public:
  virtual ~Memory() = default;
  /// SIZE (> 0) zeroed bytes, kTensorAlignment-aligned; WHAT names them in
  /// the error.
  virtual Status allocate(uint64_t size, const std::string &what, void *&out) = 0;
  virtual void release(void *p) = 0;
};

/// One zero-initialized, 64-byte aligned allocation. The size is rounded up
/// to a whole number of cache lines (and to one line for an empty tensor, so
/// every slot is a distinct valid pointer); the padding stays zero. It comes
/// from calloc (aligned by hand), so a large buffer is fresh zero pages from
/// the kernel that cost no memory until written: optimizer state that
/// ZeRO-1 releases right after the session is created never becomes
/// resident.
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  ~AlignedBuffer() { release(); }
  AlignedBuffer(AlignedBuffer &&o) noexcept
      : base_(std::exchange(o.base_, nullptr)), data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)), memory_(std::exchange(o.memory_, nullptr)) {}
  AlignedBuffer &operator=(AlignedBuffer &&o) noexcept {
    std::swap(base_, o.base_);
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(memory_, o.memory_);
    return *this;
  }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;

  /// Fails with LOOM_ERR_OUT_OF_MEMORY (naming WHAT) instead of throwing: a
  /// manifest can ask for any size. From MEMORY if not null (it must
  /// outlive the buffer).
  Status allocate(uint64_t size, const std::string &what, Memory *memory = nullptr) {
    release();
    uint64_t rounded = size == 0 ? kTensorAlignment
                                 : (size + kTensorAlignment - 1) / kTensorAlignment *
                                       kTensorAlignment;
    auto outOfMemory = [&] {
      return Status::error(LOOM_ERR_OUT_OF_MEMORY, "cannot allocate " + std::to_string(size) +
                                                       " bytes for " + what);
    };
    if (size > SIZE_MAX - 2 * kTensorAlignment)
      return outOfMemory();
    if (memory) {
      LOOM_RT_TRY(memory->allocate(rounded, what, base_));
      data_ = base_;
      size_ = size;
      memory_ = memory;
      return Status::ok();
    }
    if (!(base_ = std::calloc(rounded + kTensorAlignment, 1)))
      return outOfMemory();
    uintptr_t at = reinterpret_cast<uintptr_t>(base_);
    data_ = reinterpret_cast<void *>((at + kTensorAlignment - 1) / kTensorAlignment *
                                     kTensorAlignment);
    size_ = size;
    return Status::ok();
  }

  void *data() { return data_; }
  const void *data() const { return data_; }
  uint64_t size() const { return size_; }

private:
  void release() {
    if (memory_)
      memory_->release(base_);
    else
      std::free(base_);
    base_ = data_ = nullptr;
    size_ = 0;
    memory_ = nullptr;
  }

  void *base_ = nullptr; // what calloc (or memory_) returned
  void *data_ = nullptr; // base_ rounded up to kTensorAlignment
  uint64_t size_ = 0;
  Memory *memory_ = nullptr; // null: calloc's
};

} // namespace loom::rt

#endif // LOOM_RUNTIME_STORAGE_H
