// The three CPU stages, as loom-opt pipelines, on a small model: composites
// decomposed, lowered to linalg, bufferized into caller buffers and one
// planned arena, then the LLVM dialect with the packed entry point.
// RUN: loom-opt %s --loom-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: loom-opt %s --loom-to-linalg --loom-bufferize | FileCheck %s --check-prefix=MEM
// RUN: loom-opt %s --loom-to-linalg --loom-bufferize --loom-to-llvm | FileCheck %s --check-prefix=LLVM
// RUN: loom-opt %s --loom-to-linalg --loom-bufferize --loom-to-llvm | FileCheck %s --check-prefix=NONE
// The stages compose: running them one by one gives the same LLVM module.
// RUN: loom-opt %s --loom-to-linalg | loom-opt --loom-bufferize | loom-opt --loom-to-llvm | FileCheck %s --check-prefix=LLVM

// linalg stage: no loom op is left (the softmax composite is decomposed, all
// of it lowered), on tensors.
// LINALG-LABEL: func.func @forward
// LINALG-SAME: -> (tensor<2x4xf32> {loom.output = "y"}, tensor<2xf32> {loom.output = "m"})
// LINALG-NOT: {{= loom\.}}
// LINALG: linalg.generic
// LINALG-NOT: {{= loom\.}}
// LINALG: return

// memref stage: results are out-parameters after the inputs, carrying their
// loom.output names; the arena is the last argument; the function allocates
// nothing and returns nothing. The matmul result [2, 4] (32 bytes, read by
// the softmax and the mean) and the softmax's two row statistics (8 bytes
// each; loom-fuse-rows drops their unit dims, and both rows fit in one
// block, so no row loop remains) are live together: 3 x 64 bytes.
// MEM-LABEL: func.func @forward
// MEM-SAME: (%[[W:.*]]: memref<8x4xf32> {loom.param = "w"}, %[[X:.*]]: memref<2x8xf32> {loom.input = "x"}, %[[Y:.*]]: memref<2x4xf32> {loom.output = "y"}, %[[M:.*]]: memref<2xf32> {loom.output = "m"}, %[[ARENA:.*]]: memref<192xi8> {loom.arena})
// MEM-SAME: attributes {loom.arena_bytes = 192 : i64}
// MEM-NOT: memref.alloc
// MEM-NOT: tensor.
// MEM-DAG: memref.view %[[ARENA]][%{{.*}}][] : memref<192xi8> to memref<2x4xf32>
// MEM-DAG: memref.view %[[ARENA]][%{{.*}}][] : memref<192xi8> to memref<2xf32>
// MEM-DAG: memref.view %[[ARENA]][%{{.*}}][] : memref<192xi8> to memref<2xf32>
// MEM: outs(%[[Y]] : memref<2x4xf32>)
// MEM: outs(%[[M]] : memref<2xf32>)
// MEM-NOT: memref.alloc
// MEM: return{{$}}

// LLVM stage: bare-pointer arguments (attributes kept for the manifest) and
// void loom_forward(void **slots) over the five slots.
// LLVM: llvm.func @forward(%{{.*}}: !llvm.ptr {loom.param = "w"}, %{{.*}}: !llvm.ptr {loom.input = "x"}, %{{.*}}: !llvm.ptr {loom.output = "y"}, %{{.*}}: !llvm.ptr {loom.output = "m"}, %{{.*}}: !llvm.ptr {loom.arena}) attributes {loom.arena_bytes = 192 : i64}
// LLVM: llvm.func @loom_forward(%[[SLOTS:.*]]: !llvm.ptr) {
// LLVM-NEXT: llvm.getelementptr %[[SLOTS]][0]
// LLVM-NEXT: llvm.load
// LLVM: llvm.getelementptr %[[SLOTS]][4]
// LLVM-NEXT: llvm.load
// LLVM-NEXT: llvm.call @forward({{.*}}) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// LLVM-NEXT: llvm.return

// Nothing but the LLVM dialect is left (ops only: loom.* argument
// attributes stay).
// NONE-NOT: {{^ *(%[^ ]+ = )?(loom|linalg|memref|tensor|bufferization|scf|cf|arith|math|func|affine|ub)\.}}
// NONE-NOT: unrealized_conversion_cast

func.func @forward(%w: tensor<8x4xf32> {loom.param = "w"}, %x: tensor<2x8xf32> {loom.input = "x"}) -> (tensor<2x4xf32> {loom.output = "y"}, tensor<2xf32> {loom.output = "m"}) {
  %h = loom.matmul %x, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  %s = loom.softmax %h axis = -1 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %r = loom.relu %s : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %m = loom.reduce_mean %h axes = [-1] : (tensor<2x4xf32>) -> tensor<2xf32>
  return %r, %m : tensor<2x4xf32>, tensor<2xf32>
}
