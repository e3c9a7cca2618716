//===- cli.h - shared pieces of the `loom` command-line program ------------===//
#ifndef LOOM_TOOLS_CLI_H
#define LOOM_TOOLS_CLI_H

#include "loom/runtime.h"

#include <cstdint>
#include <string>
#include <utility>

namespace loom::cli {

/// A command-line or runtime failure: main prints it and exits 1.
struct Failure {
  std::string message;
};

[[noreturn]] inline void failWith(std::string message) {
  throw Failure{std::move(message)};
}

inline void check(loom_status status) {
  if (status != LOOM_OK)
    failWith(loom_last_error());
}

/// RAII for the C handles, so that a Failure thrown midway still releases.
struct Handles {
  loom_artifact *artifact = nullptr;
  loom_session *session = nullptr;
  ~Handles() {
    loom_session_destroy(session);
    loom_artifact_close(artifact);
  }
};

uint64_t parseSeed(const std::string &text);
/// --threads N: 1 to 1024.
int parseThreads(const std::string &text);

/// `loom train ...` and `loom generate ...` (argv[1] is the command).
int commandTrain(int argc, char **argv);
int commandGenerate(int argc, char **argv);

extern const char *kTrainUsage;
extern const char *kGenerateUsage;

} // namespace loom::cli

#endif // LOOM_TOOLS_CLI_H
