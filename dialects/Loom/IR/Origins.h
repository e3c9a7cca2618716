//===- Origins.h - which loom op and spec line a lowered op came from -----===//
//
// Every kernel should be traceable to the spec line it came from. Spec
// positions travel in locations from the front end on; the loom op is
// recorded once, when it is about to disappear (decomposition of a
// composite, conversion of a primitive), as the metadata of a FusedLoc
// around the op's location:
//
//   loc(fused<"loom.layer_norm">["gpt2.loom":23:9])
//
// Ops made from it inherit that location, so after fusion, tiling and
// outlining a kernel's ops still name the loom ops and spec lines they
// implement (loomc --emit=kernels, loomc --report, loom profile).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_DIALECT_ORIGINS_H
#define LOOM_DIALECT_ORIGINS_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

#include <string>
#include <vector>

namespace mlir::loom {

/// Tags the location of every loom op under `root` (composites only, if
/// `compositesOnly`) with the op's name, unless it already has an origin.
void tagOrigins(Operation *root, bool compositesOnly);

/// One origin: a loom op at a spec position, inside a block instance.
struct Origin {
  std::string op;   // "loom.layer_norm"
  std::string file; // as the front end wrote it
  unsigned line = 0, column = 0;
  std::string path; // block instance path ("h.3.attn"), may be empty

  /// "gpt2.loom:23:9"
  std::string position() const;
  bool operator==(const Origin &o) const {
    return op == o.op && file == o.file && line == o.line &&
           column == o.column && path == o.path;
  }
  bool operator<(const Origin &o) const;
};

/// The origins recorded in `loc` (several where ops were fused), appended
/// to `out` without duplicates.
void collectOrigins(Location loc, std::vector<Origin> &out);

/// The spec position and block path of a location (its first file
/// position), whether or not it carries an origin.
void specPosition(Location loc, std::string &file, unsigned &line,
                  unsigned &column, std::string &path);

} // namespace mlir::loom

#endif // LOOM_DIALECT_ORIGINS_H
