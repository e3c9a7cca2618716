// RUN: loom-opt %s -split-input-file --loom-infer-shapes | FileCheck %s
// The refined IR verifies on its own.
// RUN: loom-opt %s -split-input-file --loom-infer-shapes | loom-opt -split-input-file | FileCheck %s --check-prefix=NOTHING
// NOTHING-NOT: error
// Nested on each function (as a parallel pipeline runs it), the pass cannot
// look for call sites in the module, so it leaves every signature alone.
// RUN: loom-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(loom-infer-shapes))' | FileCheck %s --check-prefix=NESTED

// `?` result dims that the operands determine become static, through whole
// chains of ops (each op is re-inferred from its just-refined operands), and
// the signature follows the returned values.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>) -> tensor<1x2xf32>
// CHECK: %[[S:.*]] = loom.add %[[A]], %[[B]] : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: %[[E:.*]] = loom.exp %[[S]] : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[R:.*]] = loom.reduce_sum %[[E]] axes = [1] keep_dims : (tensor<2x3xf32>) -> tensor<2x1xf32>
// CHECK: %[[T:.*]] = loom.transpose %[[R]] permutation = [1, 0] : (tensor<2x1xf32>) -> tensor<1x2xf32>
// CHECK: return %[[T]] : tensor<1x2xf32>
// NESTED-LABEL: func.func @chain
// NESTED-SAME: -> tensor<?x?xf32>
// NESTED: loom.reduce_sum {{.*}} : (tensor<2x3xf32>) -> tensor<2x1xf32>
// NESTED: loom.transpose {{.*}} : (tensor<2x1xf32>) -> tensor<?x?xf32>
// NESTED: return {{.*}} : tensor<?x?xf32>
func.func @chain(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<?x?xf32> {
  %0 = loom.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<?x?xf32>
  %1 = loom.exp %0 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %2 = loom.reduce_sum %1 axes = [1] keep_dims : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %3 = loom.transpose %2 permutation = [1, 0] : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %3 : tensor<?x?xf32>
}

// -----

// Dims stay dynamic only where the inputs are: a GPT-2 style attention with
// dynamic batch and sequence gets every static dim (heads, head size, model
// width) back, and keeps the result names of the signature.
// CHECK-LABEL: func.func @attention_block
// CHECK-SAME: -> (tensor<?x?x768xf32> {loom.output = "out"})
// CHECK: loom.linear {{.*}} -> tensor<?x?x2304xf32>
// CHECK: loom.slice {{.*}} -> tensor<?x?x768xf32>
// CHECK: loom.split_heads {{.*}} -> tensor<?x12x?x64xf32>
// CHECK: loom.attention {{.*}} -> tensor<?x12x?x64xf32>
// CHECK: loom.merge_heads {{.*}} -> tensor<?x?x768xf32>
// CHECK: return {{.*}} : tensor<?x?x768xf32>
func.func @attention_block(%x: tensor<?x?x768xf32>, %w: tensor<768x2304xf32>) -> (tensor<?x?x?xf32> {loom.output = "out"}) {
  %qkv = loom.linear %x, %w : (tensor<?x?x768xf32>, tensor<768x2304xf32>) -> tensor<?x?x?xf32>
  %q = loom.slice %qkv axis = 2 start = 0 end = 768 : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %qh = loom.split_heads %q num_heads = 12 : (tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %oh = loom.attention %qh, %qh, %qh causal {scale = 1.250000e-01 : f64} : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %o = loom.merge_heads %oh : (tensor<?x?x?x?xf32>) -> tensor<?x?x?xf32>
  return %o : tensor<?x?x?xf32>
}

// -----

// A declared static dim that inference cannot see (the reshape's -1 over a
// dynamic count) is kept: the refined type is the meet of both.
// CHECK-LABEL: func.func @keeps_declared_static_dims
// CHECK-SAME: -> tensor<4x6xf32>
// CHECK: %[[R:.*]] = loom.reshape %{{.*}} shape = [-1, 6] : (tensor<?x3xf32>) -> tensor<4x6xf32>
// CHECK: %[[N:.*]] = loom.neg %[[R]] : (tensor<4x6xf32>) -> tensor<4x6xf32>
// CHECK: return %[[N]] : tensor<4x6xf32>
func.func @keeps_declared_static_dims(%x: tensor<?x3xf32>) -> tensor<?x?xf32> {
  %r = loom.reshape %x shape = [-1, 6] : (tensor<?x3xf32>) -> tensor<4x?xf32>
  %n = loom.neg %r : (tensor<4x?xf32>) -> tensor<?x?xf32>
  return %n : tensor<?x?xf32>
}

// -----

// Already as static as inference can make it: nothing changes.
// CHECK-LABEL: func.func @already_inferred
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>) -> tensor<?x1xf32>
// CHECK: loom.reduce_max %[[X]] axes = [-1] keep_dims : (tensor<?x8xf32>) -> tensor<?x1xf32>
func.func @already_inferred(%x: tensor<?x8xf32>) -> tensor<?x1xf32> {
  %m = loom.reduce_max %x axes = [-1] keep_dims : (tensor<?x8xf32>) -> tensor<?x1xf32>
  return %m : tensor<?x1xf32>
}

// -----

// A function that another function calls keeps its signature (the call
// sites depend on it), so its returned value is not refined either; values
// it uses only internally still are. The caller's own signature follows.
// CHECK-LABEL: func.func private @callee
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>) -> tensor<?x3xf32>
// CHECK: %[[N:.*]] = loom.neg %[[A]] : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[E:.*]] = loom.exp %[[N]] : (tensor<2x3xf32>) -> tensor<?x3xf32>
// CHECK: return %[[E]] : tensor<?x3xf32>
// CHECK-LABEL: func.func @caller
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>) -> (tensor<?x3xf32>, tensor<2x3xf32>)
// CHECK: %[[C:.*]] = call @callee(%[[A]]) : (tensor<2x3xf32>) -> tensor<?x3xf32>
// CHECK: %[[N:.*]] = loom.neg %[[A]] : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: return %[[C]], %[[N]] : tensor<?x3xf32>, tensor<2x3xf32>
func.func private @callee(%a: tensor<2x3xf32>) -> tensor<?x3xf32> {
  %n = loom.neg %a : (tensor<2x3xf32>) -> tensor<?x3xf32>
  %e = loom.exp %n : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %e : tensor<?x3xf32>
}
func.func @caller(%a: tensor<2x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %c = func.call @callee(%a) : (tensor<2x3xf32>) -> tensor<?x3xf32>
  %n = loom.neg %a : (tensor<2x3xf32>) -> tensor<?x3xf32>
  return %c, %n : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// The callee may also come after its caller, and be public.
// CHECK-LABEL: func.func @caller_first
// CHECK-SAME: -> tensor<?xf32>
// CHECK-LABEL: func.func @late_callee
// CHECK-SAME: -> tensor<?xf32>
// CHECK: loom.relu {{.*}} : (tensor<5xf32>) -> tensor<?xf32>
func.func @caller_first(%a: tensor<5xf32>) -> tensor<?xf32> {
  %c = func.call @late_callee(%a) : (tensor<5xf32>) -> tensor<?xf32>
  return %c : tensor<?xf32>
}
func.func @late_callee(%a: tensor<5xf32>) -> tensor<?xf32> {
  %r = loom.relu %a : (tensor<5xf32>) -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// Recursion counts as a call.
// CHECK-LABEL: func.func @recursive
// CHECK-SAME: -> tensor<?xf32>
// CHECK: loom.neg {{.*}} : (tensor<5xf32>) -> tensor<?xf32>
func.func @recursive(%a: tensor<5xf32>) -> tensor<?xf32> {
  %n = loom.neg %a : (tensor<5xf32>) -> tensor<?xf32>
  %r = func.call @recursive(%a) : (tensor<5xf32>) -> tensor<?xf32>
  return %n : tensor<?xf32>
}

// -----

// Values used by non-loom ops keep their declared type: tensor.dim and
// func.call (whose operand types are fixed by the callee's signature) would
// see a different type. The loom users of the same values are refined as far
// as the unrefined operand allows.
// CHECK-LABEL: func.func @non_loom_users
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[I:.*]]: index) -> (tensor<?x3xf32>, tensor<2x3xf32>, index)
// CHECK: %[[D:.*]] = loom.neg %[[A]] : (tensor<2x3xf32>) -> tensor<?x3xf32>
// CHECK: tensor.dim %[[D]], %[[I]] : tensor<?x3xf32>
// CHECK: %[[P:.*]] = loom.neg %[[A]] : (tensor<2x3xf32>) -> tensor<?x3xf32>
// CHECK: call @sink(%[[P]]) : (tensor<?x3xf32>) -> ()
// CHECK: %[[Q:.*]] = loom.exp %[[P]] : (tensor<?x3xf32>) -> tensor<?x3xf32>
// CHECK: %[[L:.*]] = loom.exp %[[A]] : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: return %[[Q]], %[[L]], %{{.*}} : tensor<?x3xf32>, tensor<2x3xf32>, index
func.func private @sink(tensor<?x3xf32>)
func.func @non_loom_users(%a: tensor<2x3xf32>, %i: index) -> (tensor<?x3xf32>, tensor<?x3xf32>, index) {
  %d = loom.neg %a : (tensor<2x3xf32>) -> tensor<?x3xf32>
  %dim = tensor.dim %d, %i : tensor<?x3xf32>
  %p = loom.neg %a : (tensor<2x3xf32>) -> tensor<?x3xf32>
  func.call @sink(%p) : (tensor<?x3xf32>) -> ()
  %q = loom.exp %p : (tensor<?x3xf32>) -> tensor<?x3xf32>
  %l = loom.exp %a : (tensor<2x3xf32>) -> tensor<?x3xf32>
  return %q, %l, %dim : tensor<?x3xf32>, tensor<?x3xf32>, index
}

// -----

// A value that is both returned and used by a non-loom op is not refined,
// and the signature keeps its type.
// CHECK-LABEL: func.func @returned_and_used
// CHECK-SAME: -> (tensor<?xf32>, index)
// CHECK: loom.neg {{.*}} : (tensor<4xf32>) -> tensor<?xf32>
func.func @returned_and_used(%a: tensor<4xf32>) -> (tensor<?xf32>, index) {
  %c0 = arith.constant 0 : index
  %n = loom.neg %a : (tensor<4xf32>) -> tensor<?xf32>
  %d = tensor.dim %n, %c0 : tensor<?xf32>
  return %n, %d : tensor<?xf32>, index
}

// -----

// Only loom ops are refined; a tensor op's declared type is its own business.
// CHECK-LABEL: func.func @other_dialect_results
// CHECK: tensor.cast %{{.*}} : tensor<4xf32> to tensor<?xf32>
// CHECK: loom.neg {{.*}} : (tensor<?xf32>) -> tensor<?xf32>
// CHECK: return {{.*}} : tensor<?xf32>
func.func @other_dialect_results(%a: tensor<4xf32>) -> tensor<?xf32> {
  %c = tensor.cast %a : tensor<4xf32> to tensor<?xf32>
  %n = loom.neg %c : (tensor<?xf32>) -> tensor<?xf32>
  return %n : tensor<?xf32>
}

// -----

// Ops in nested regions are refined; a value that leaves the region through
// a non-loom terminator (scf.yield) keeps its type, so the scf.if does too.
// CHECK-LABEL: func.func @nested_region
// CHECK-SAME: -> tensor<?xf32>
// CHECK: scf.if
// CHECK: %[[N:.*]] = loom.neg %{{.*}} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[E:.*]] = loom.exp %[[N]] : (tensor<4xf32>) -> tensor<?xf32>
// CHECK: scf.yield %[[E]] : tensor<?xf32>
func.func @nested_region(%c: i1, %a: tensor<4xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  %r = scf.if %c -> tensor<?xf32> {
    %n = loom.neg %a : (tensor<4xf32>) -> tensor<?xf32>
    %e = loom.exp %n : (tensor<?xf32>) -> tensor<?xf32>
    scf.yield %e : tensor<?xf32>
  } else {
    scf.yield %b : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

// A function with several blocks keeps its signature (its values may flow
// between blocks through block arguments).
// CHECK-LABEL: func.func @multi_block
// CHECK-SAME: -> tensor<?xf32>
// CHECK: loom.neg {{.*}} : (tensor<4xf32>) -> tensor<?xf32>
func.func @multi_block(%a: tensor<4xf32>) -> tensor<?xf32> {
  %n = loom.neg %a : (tensor<4xf32>) -> tensor<?xf32>
  cf.br ^bb1(%n : tensor<?xf32>)
^bb1(%x: tensor<?xf32>):
  return %x : tensor<?xf32>
}

// -----

// Decomposition leaves the primitives' declared types as they were built;
// shape inference then makes a whole decomposed layer norm static where its
// input is.
// CHECK-LABEL: func.func @after_decomposition
// CHECK-SAME: -> tensor<8x16xf32>
// CHECK: loom.reduce_mean {{.*}} -> tensor<8x1xf32>
// CHECK: loom.sub {{.*}} -> tensor<8x16xf32>
// CHECK: loom.rsqrt {{.*}} -> tensor<8x1xf32>
// CHECK: return {{.*}} : tensor<8x16xf32>
func.func @after_decomposition(%x: tensor<8x16xf32>, %g: tensor<16xf32>) -> tensor<?x?xf32> {
  %eps = loom.constant dense<1.0e-05> : tensor<f32>
  %m = loom.reduce_mean %x axes = [-1] keep_dims : (tensor<8x16xf32>) -> tensor<?x?xf32>
  %c = loom.sub %x, %m : (tensor<8x16xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %sq = loom.mul %c, %c : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %v = loom.reduce_mean %sq axes = [-1] keep_dims : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %ve = loom.add %v, %eps : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %inv = loom.rsqrt %ve : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %n = loom.mul %c, %inv : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %y = loom.mul %n, %g : (tensor<?x?xf32>, tensor<16xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Declarations have no body to refine.
// CHECK-LABEL: func.func private @external
// CHECK-SAME: (tensor<4xf32>) -> tensor<?xf32>
func.func private @external(tensor<4xf32>) -> tensor<?xf32>
