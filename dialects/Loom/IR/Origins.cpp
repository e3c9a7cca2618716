//===- Origins.cpp - which loom op and spec line a lowered op came from ---===//
#include "Origins.h"

#include "LoomDialect.h"
#include "LoomOps.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <algorithm>
#include <tuple>

using namespace mlir;

namespace {

/// The origin name a fused location records, if any.
StringAttr originName(FusedLoc fused) {
  auto name = dyn_cast_or_null<StringAttr>(fused.getMetadata());
  if (name && name.getValue().starts_with("loom."))
    return name;
  return {};
}

bool hasOrigin(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc))
    return bool(originName(fused));
  return false;
}

} // namespace

void mlir::loom::tagOrigins(Operation *root, bool compositesOnly) {
  root->walk([&](Operation *op) {
    Dialect *dialect = op->getDialect(); // null for an unregistered op
    if (!dialect || !isa<LoomDialect>(dialect))
      return;
    if (compositesOnly && !op->hasTrait<OpTrait::loom::CompositeOpTrait>())
      return;
    if (hasOrigin(op->getLoc()))
      return;
    MLIRContext *ctx = op->getContext();
    op->setLoc(FusedLoc::get(ctx, {op->getLoc()},
                             StringAttr::get(ctx, op->getName().getStringRef())));
  });
}

std::string mlir::loom::Origin::position() const {
  if (line == 0)
    return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

bool mlir::loom::Origin::operator<(const Origin &o) const {
  return std::tie(file, line, column, path, op) <
         std::tie(o.file, o.line, o.column, o.path, o.op);
}

void mlir::loom::specPosition(Location loc, std::string &file, unsigned &line,
                              unsigned &column, std::string &path) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (path.empty())
      path = name.getName().str();
    return specPosition(name.getChildLoc(), file, line, column, path);
  }
  if (auto flc = dyn_cast<FileLineColLoc>(loc)) {
    file = flc.getFilename().str();
    line = flc.getLine();
    column = flc.getColumn();
    return;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location l : fused.getLocations()) {
      specPosition(l, file, line, column, path);
      if (line)
        return;
    }
    return;
  }
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    specPosition(call.getCallee(), file, line, column, path);
}

void mlir::loom::collectOrigins(Location loc, std::vector<Origin> &out) {
  auto fused = dyn_cast<FusedLoc>(loc);
  if (!fused) {
    if (auto name = dyn_cast<NameLoc>(loc))
      collectOrigins(name.getChildLoc(), out);
    else if (auto call = dyn_cast<CallSiteLoc>(loc))
      collectOrigins(call.getCallee(), out);
    return;
  }
  if (StringAttr name = originName(fused)) {
    Origin o;
    o.op = name.str();
    specPosition(fused, o.file, o.line, o.column, o.path);
    if (std::find(out.begin(), out.end(), o) == out.end())
      out.push_back(std::move(o));
    return;
  }
  for (Location l : fused.getLocations())
    collectOrigins(l, out);
}
