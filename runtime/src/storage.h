//===- storage.h - 64-byte aligned tensor buffers --------------------------===//
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
  ~AlignedBuffer() { std::free(base_); }
  AlignedBuffer(AlignedBuffer &&o) noexcept
      : base_(std::exchange(o.base_, nullptr)), data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer &operator=(AlignedBuffer &&o) noexcept {
    std::swap(base_, o.base_);
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;

  /// Fails with LOOM_ERR_OUT_OF_MEMORY (naming WHAT) instead of throwing: a
  /// manifest can ask for any size.
  Status allocate(uint64_t size, const std::string &what) {
    std::free(base_);
    base_ = data_ = nullptr;
    size_ = 0;
    uint64_t rounded = size == 0 ? kTensorAlignment
                                 : (size + kTensorAlignment - 1) / kTensorAlignment *
                                       kTensorAlignment;
    if (size > SIZE_MAX - 2 * kTensorAlignment ||
        !(base_ = std::calloc(rounded + kTensorAlignment, 1)))
      return Status::error(LOOM_ERR_OUT_OF_MEMORY,
                           "cannot allocate " + std::to_string(size) +
                               " bytes for " + what);
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
  void *base_ = nullptr; // what calloc returned
  void *data_ = nullptr; // base_ rounded up to kTensorAlignment
  uint64_t size_ = 0;
};

} // namespace loom::rt

#endif // LOOM_RUNTIME_STORAGE_H
