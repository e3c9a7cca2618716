//===- status.h - error results of the runtime's C++ layer -----------------===//
//
// The runtime's C++ code never throws on bad input (the fuzz build has no
// exceptions): functions return a Status, which the C ABI turns into a
// loom_status plus loom_last_error(). Header-only so that the safetensors
// parser compiles on its own for the fuzzer.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_RUNTIME_STATUS_H
#define LOOM_RUNTIME_STATUS_H

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

#endif // LOOM_RUNTIME_STATUS_H
