//===- Buckets.h - loomc --dim NAME=a,b,... (shape buckets) ----*- C++ -*-===//
//
// One artifact, one entry point per bucket: the main module is generated
// with every bucketed dim at its largest value and keeps the plain names
// (forward, loss, train_step, ...); every other combination of bucket
// values is generated again, run through the same training pipeline, its
// functions renamed F -> F__T16 (F__B1_T16: every bucketed dim, declaration
// order) and moved into the main module, which records the table as
// `loom.buckets` (docs/artifact.md, "Shape buckets").
//
//===----------------------------------------------------------------------===//
#ifndef LOOMC_BUCKETS_H
#define LOOMC_BUCKETS_H

#include "loom/Frontend/MLIRGen.h"
#include "loom/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace loomc {

/// The dims given a list of values (`--dim T=16,32`): sorted, unique, > 0.
using BucketDims = std::map<std::string, std::vector<int64_t>>;

/// Parses the values of `--dim NAME=V1,V2,...` into `values` (sorted and
/// unique); "" or the usage error (an empty item, a value <= 0 or above
/// `maxValue`).
std::string parseDimValues(const std::string &arg, const std::string &list,
                           int64_t maxValue, std::vector<int64_t> &values);

/// Adds the bucket functions to `module` (generated with every bucketed dim
/// at its largest value, `gen`), running `pipeline` (the training/gradient
/// passes, or nothing) on each bucket's module first, and records the
/// bucket table. Prints the error and returns 1 on failure.
int buildBuckets(const std::string &modelPath, const loom::spec::Model &model,
                 mlir::ModuleOp module, const loom::frontend::GenOptions &gen,
                 const BucketDims &buckets,
                 const std::function<int(mlir::ModuleOp)> &pipeline,
                 loom::spec::Diagnostics &diags);

/// F__B1_T16 for the values `dims` gives the bucketed dims (declaration
/// order); a valid C identifier.
std::string bucketSuffix(const loom::spec::Model &model,
                         const BucketDims &buckets,
                         const std::map<std::string, int64_t> &dims);

} // namespace loomc

#endif // LOOMC_BUCKETS_H
