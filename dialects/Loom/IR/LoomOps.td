//===- LoomOps.td - the loom dialect's ops -*- tablegen -*-===//

#ifndef LOOM_OPS_TD
#define LOOM_OPS_TD

include "Loom/IR/LoomBase.td"
include "Loom/IR/LoomElementwiseOps.td"
include "Loom/IR/LoomShapeOps.td"
include "Loom/IR/LoomNNOps.td"
include "Loom/IR/LoomKernelOps.td"

#endif // LOOM_OPS_TD
