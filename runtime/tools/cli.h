//===- cli.h - shared pieces of the `loom` command-line program ------------===//
#ifndef LOOM_TOOLS_CLI_H
#define LOOM_TOOLS_CLI_H

#include "loom/runtime.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
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

/// argv[i] as a flag: "--flag=value" or "--flag" (then value() takes the
/// next argument).
struct Arg {
  int argc;
  char **argv;
  int &i;
  std::string arg, flag, inlineValue;
  bool hasInline = false;

  Arg(int argc, char **argv, int &i) : argc(argc), argv(argv), i(i), arg(argv[i]) {
    flag = arg;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      flag = arg.substr(0, arg.find('='));
      inlineValue = arg.substr(arg.find('=') + 1);
      hasInline = true;
    }
  }
  std::string value() {
    if (hasInline)
      return inlineValue;
    if (i + 1 >= argc)
      failWith(flag + " needs a value");
    return argv[++i];
  }
  bool isOption() const { return arg.size() > 1 && arg[0] == '-'; }
};

inline double parseNumber(const std::string &flag, const std::string &v, double lo,
                   double hi) {
  char *end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(x) || x < lo || x > hi)
    failWith(flag + " expects a number in [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "], got '" + v + "'");
  return x;
}

inline int64_t parseCount(const std::string &flag, const std::string &v, int64_t lo,
                   int64_t hi) {
  char *end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < lo || x > hi)
    failWith(flag + " expects an integer from " + std::to_string(lo) + " to " +
             std::to_string(hi) + ", got '" + v + "'");
  return x;
}

/// --device: cpu, cuda or cuda:N (the runtime checks it against the
/// artifact's target and the machine's devices).
inline std::string parseDevice(const std::string &text) {
  bool cudaN = text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() <= 9 &&
               text.find_first_not_of("0123456789", 5) == std::string::npos;
  if (text != "cpu" && text != "cuda" && !cudaN)
    failWith("--device wants cpu, cuda or cuda:N, got '" + text + "'");
  return text;
}

/// The artifact in DIR on DEVICE ("": the target it was compiled for).
inline void openArtifact(const std::string &dir, const std::string &device,
                         loom_artifact **out) {
  check(loom_artifact_open_device(dir.c_str(), device.empty() ? nullptr : device.c_str(),
                                  out));
}

uint64_t parseSeed(const std::string &text);
/// --threads N: 1 to 1024.
int parseThreads(const std::string &text);

/// `loom train ...` and `loom generate ...` (argv[1] is the command).
int commandTrain(int argc, char **argv);
int commandDevices(int argc, char **argv);
int commandGenerate(int argc, char **argv);
/// The task commands (tasks.cpp): `loom fill-mask | classify | clip-rank |
/// translate | sample ...`; each answers --help with its own usage.
int commandFillMask(int argc, char **argv);
int commandClassify(int argc, char **argv);
int commandClipRank(int argc, char **argv);
int commandTranslate(int argc, char **argv);
int commandSample(int argc, char **argv);
/// `loom tokenizer train|encode|decode ...` (tokenizer_cmd.cpp).
int commandTokenizer(int argc, char **argv);

extern const char *kTrainUsage;
extern const char *kDevicesUsage;
extern const char *kGenerateUsage;

} // namespace loom::cli

#endif // LOOM_TOOLS_CLI_H
