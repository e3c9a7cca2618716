//===- MLIRGen.cpp - model spec to loom IR --------------------------------===//
//
// Walks the spec once, building one function whose arguments are the inputs
// and every instantiated parameter, then derives @forward (outputs) and
// @loss from it, each pruned to what it uses. Ops are built generically from
// the op table and get their result types from the op's own inference, so
// shape errors are the loom verifier's, reported at the spec call's position.
//
//===----------------------------------------------------------------------===//
#include "loom/Frontend/MLIRGen.h"
#include "Generator.h"

using namespace mlir;
using namespace ::loom::frontend;
namespace spec = ::loom::spec;

int64_t ParamInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Diagnostics: MLIR errors become spec diagnostics at the spec position
//===----------------------------------------------------------------------===//

/// The innermost file position and the block path of a location.
static void unpackLoc(Location loc, std::string &file, spec::Pos &pos,
                      std::string &path) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (path.empty())
      path = name.getName().str();
    return unpackLoc(name.getChildLoc(), file, pos, path);
  }
  if (auto flc = dyn_cast<FileLineColLoc>(loc)) {
    file = flc.getFilename().str();
    pos = {static_cast<int>(flc.getLine()), static_cast<int>(flc.getColumn())};
    return;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location l : fused.getLocations()) {
      unpackLoc(l, file, pos, path);
      if (pos.line)
        return;
    }
  }
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    unpackLoc(call.getCallee(), file, pos, path);
}

DiagnosticBridge::DiagnosticBridge(MLIRContext &ctx, spec::Diagnostics &diags,
                                   std::string defaultFile)
    : handler(&ctx, [&diags, defaultFile](Diagnostic &d) {
        if (d.getSeverity() != DiagnosticSeverity::Error)
          return success();
        std::string file = defaultFile, path;
        spec::Pos pos;
        unpackLoc(d.getLocation(), file, pos, path);
        std::string message = d.str();
        for (Diagnostic &note : d.getNotes())
          message += "; " + note.str();
        if (!path.empty())
          message += " [in " + path + "]";
        diags.error(file, pos, message);
        return success();
      }) {}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

namespace loom::frontend {
mlir::OwningOpRef<mlir::ModuleOp> generateModule(const spec::Model &model,
                                                     MLIRContext &context,
                                                     const GenOptions &options,
                                                     ModelInfo &info,
                                                     spec::Diagnostics &diags) {
  context.loadDialect<mlir::loom::LoomDialect, func::FuncDialect>();
  DiagnosticBridge bridge(context, diags, model.file);
  Generator gen(model, context, options, info, diags);
  return gen.run();
}
} // namespace loom::frontend
