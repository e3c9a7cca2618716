//===- loom/formats/status.h - error results ------------------------------===//
//
// Part of loom_formats. The readers never throw or crash on bad input (the
// fuzz build has no exceptions): a malformed, truncated or out-of-bounds
// file is a Status naming the file (and the tensor, where there is one),
// which the C ABI turns into a loom_status plus loom_last_error().
// Header-only so that each parser compiles on its own for its fuzzer.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_FORMATS_STATUS_H
#define LOOM_FORMATS_STATUS_H

#include "loom/runtime.h"

#include <string>
#include <utility>

namespace loom::rt {

class [[nodiscard]] Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(loom_status code, std::string message) {
    Status s;
    s.code_ = code;
    s.message_ = std::move(message);
    return s;
  }

  bool isOk() const { return code_ == LOOM_OK; }
  loom_status code() const { return code_; }
  const std::string &message() const { return message_; }

private:
  loom_status code_ = LOOM_OK;
  std::string message_;
};

/// Propagates a failed Status to the caller.
#define LOOM_RT_TRY(expr)                                                      \
  do {                                                                         \
    ::loom::rt::Status loomRtStatus_ = (expr);                                 \
    if (!loomRtStatus_.isOk())                                                 \
      return loomRtStatus_;                                                    \
  } while (0)

} // namespace loom::rt

#endif // LOOM_FORMATS_STATUS_H
