//===- Render.cpp - Graphviz's dot as a subprocess ------------------------===//
//
// Graphviz is a program, not a library here: linking libgvc would make it
// a build dependency of the compiler for one optional output format.
//
//===----------------------------------------------------------------------===//
#include "loom/Graph/Graph.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace {

/// A temporary file removed when it goes.
struct TempFile {
  llvm::SmallString<128> path;
  std::error_code create(llvm::StringRef suffix) {
    return llvm::sys::fs::createTemporaryFile("loomc-graph", suffix, path);
  }
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

} // namespace

bool loom::graph::render(const std::string &dot, const std::string &format,
                         const std::string &outputPath, std::string &error) {
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName("dot");
  if (!program) {
    error = "--graph=" + format +
            " needs Graphviz's 'dot' program, which is not on PATH: install "
            "Graphviz (Debian: apt-get install graphviz) or write the DOT "
            "text with --graph=dot";
    return false;
  }
  TempFile input, messages;
  if (std::error_code ec = input.create("dot")) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  if (std::error_code ec = messages.create("txt")) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(input.path, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      error = std::string(input.path) + ": cannot write: " + ec.message();
      return false;
    }
    os << dot;
  }
  std::string type = "-T" + format;
  std::string out = "-o" + outputPath;
  llvm::SmallVector<llvm::StringRef> args = {*program, type, out, input.path};
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, std::nullopt, llvm::StringRef(messages.path)};
  std::string failure;
  // dot lays out GPT-2 collapsed in well under a second; a training step
  // with every block expanded may take minutes.
  int rc = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, redirects,
                                     /*SecondsToWait=*/600, 0, &failure);
  if (rc == 0)
    return true;
  std::string said;
  if (auto text = llvm::MemoryBuffer::getFile(messages.path)) {
    // dot may dump its whole rank table: the first lines say what failed.
    llvm::SmallVector<llvm::StringRef> lines;
    llvm::StringRef((*text)->getBuffer()).trim().split(lines, '\n');
    for (size_t i = 0; i < lines.size() && i < 4; ++i)
      said += (i ? "\n  " : "") + lines[i].trim().str();
    if (lines.size() > 4)
      said += "\n  ... (" + std::to_string(lines.size() - 4) + " more lines)";
  }
  error = *program + " -T" + format + " failed" +
          (rc < 0 ? " (" + failure + ")" : " with exit code " + std::to_string(rc)) +
          (said.empty() ? "" : ": " + said);
  return false;
}
