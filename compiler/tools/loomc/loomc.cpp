//===- loomc.cpp - the loom model compiler driver -------------------------===//
//
//   loomc MODEL [--emit=loom] [-o FILE] [--dim NAME=N]... [--no-locs]
//   loomc fmt MODEL --to=text|json [-o FILE]
//   loomc info MODEL [--dim NAME=N]...
//
// Every failure is reported as `file:line:col: error: ...` (or
// `loomc: error: ...` for the command line) with exit code 1.
//
//===----------------------------------------------------------------------===//
#include "loom/Frontend/MLIRGen.h"
#include "loom/Frontend/ModelStats.h"
#include "loom/Frontend/Spec.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace spec = ::loom::spec;
namespace fe = ::loom::frontend;

const char *kUsage = R"(usage:
  loomc MODEL [--emit=loom] [-o FILE] [--dim NAME=N]... [--no-locs]
      compile a model spec (.loom text or .json) and print its loom IR
  loomc fmt MODEL --to=text|json [-o FILE]
      print the spec in canonical text or JSON syntax (lossless)
  loomc info MODEL [--dim NAME=N]...
      parameter counts, FLOPs, activation memory, input and output shapes
options:
  --dim NAME=N   bind a symbolic dim (e.g. --dim B=1 --dim T=1024)
  -o FILE        write to FILE instead of stdout
  --no-locs      print IR without the spec locations
)";

int usageError(const std::string &message) {
  llvm::errs() << "loomc: error: " << message << "\n"
               << "run 'loomc --help' for usage\n";
  return 1;
}

struct Options {
  std::string command = "compile"; // compile | fmt | info
  std::string model;
  std::string emit = "loom";
  std::string to;
  std::string output;
  bool locs = true;
  fe::GenOptions gen;
};

/// Parses argv; returns an exit code on error or --help.
std::optional<int> parseArgs(int argc, char **argv, Options &o) {
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  if (!args.empty() && (args[0] == "fmt" || args[0] == "info")) {
    o.command = args[0];
    ++i;
  }
  auto value = [&](const std::string &arg, const std::string &flag,
                   std::string &out) -> std::optional<bool> {
    if (arg.rfind(flag + "=", 0) == 0) {
      out = arg.substr(flag.size() + 1);
      return true;
    }
    if (arg == flag) {
      if (i + 1 >= args.size())
        return false;
      out = args[++i];
      return true;
    }
    return std::nullopt;
  };
  for (; i < args.size(); ++i) {
    const std::string &a = args[i];
    std::string v;
    if (a == "-h" || a == "--help") {
      llvm::outs() << kUsage;
      return 0;
    }
    if (a == "--no-locs") {
      o.locs = false;
      continue;
    }
    for (const char *flag : {"--emit", "--to", "-o", "--dim"}) {
      auto r = value(a, flag, v);
      if (!r)
        continue;
      if (!*r)
        return usageError(std::string(flag) + " needs a value");
      std::string f = flag;
      if (f == "--emit")
        o.emit = v;
      else if (f == "--to")
        o.to = v;
      else if (f == "-o")
        o.output = v;
      else {
        size_t eq = v.find('=');
        std::string name = v.substr(0, eq);
        std::string num = eq == std::string::npos ? "" : v.substr(eq + 1);
        char *end = nullptr;
        long long n = num.empty() ? 0 : std::strtoll(num.c_str(), &end, 10);
        if (name.empty() || num.empty() || *end != '\0' || n <= 0)
          return usageError("--dim expects NAME=N with N > 0, got '" + v + "'");
        o.gen.dims[name] = n;
      }
      goto next;
    }
    if (a.size() > 1 && a[0] == '-')
      return usageError("unknown option '" + a + "'");
    if (!o.model.empty())
      return usageError("more than one model given ('" + o.model + "' and '" +
                        a + "')");
    o.model = a;
  next:;
  }
  if (o.model.empty())
    return usageError("no model spec given");
  if (o.command == "fmt" && o.to != "text" && o.to != "json")
    return usageError("fmt needs --to=text or --to=json");
  if (o.command != "fmt" && !o.to.empty())
    return usageError("--to is only for 'loomc fmt'");
  if (o.command == "compile" && o.emit != "loom")
    return usageError("unknown --emit kind '" + o.emit +
                      "' (available: loom)");
  return std::nullopt;
}

int writeOutput(const Options &o, const std::string &text) {
  if (o.output.empty() || o.output == "-") {
    llvm::outs() << text;
    return 0;
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(o.output, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << o.output << ": error: cannot write: " << ec.message()
                 << "\n";
    return 1;
  }
  out << text;
  return 0;
}

int reportErrors(const spec::Diagnostics &diags) {
  llvm::errs() << diags.str();
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (auto code = parseArgs(argc, argv, o))
    return *code;

  spec::Diagnostics diags;
  std::optional<spec::Model> model = spec::parseFile(o.model, diags);
  if (!model)
    return reportErrors(diags);

  if (o.command == "fmt")
    return writeOutput(o, o.to == "json" ? spec::printJson(*model)
                                         : spec::printText(*model));

  mlir::MLIRContext context;
  fe::ModelInfo info;
  auto module = fe::generateModule(*model, context, o.gen, info, diags);
  if (!module)
    return reportErrors(diags);

  if (o.command == "info")
    return writeOutput(
        o, fe::formatInfo(info, fe::computeStats(*module, info), o.gen));

  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::OpPrintingFlags flags;
  if (o.locs)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module->print(os, flags);
  os << "\n";
  return writeOutput(o, text);
}
