// RUN: loom-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUF
// RUN: loom-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --loom-lower-kernel-calls | FileCheck %s
// RUN: loom-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --loom-lower-kernel-calls --loom-profile-sites | FileCheck %s --check-prefix=SITES

// One-shot bufferization turns a kernel call on tensors into the same op on
// buffers, writing its result into the output's buffer; the lowering calls
// the kernel's C ABI with the buffers' aligned pointers, its extents and
// parameters, and keeps what loom-profile-sites reports.

// BUF-LABEL: func.func @attention
// BUF-SAME: (%[[Q:.*]]: memref<2x3x8x16xf32>) -> memref<2x3x8x16xf32>
// BUF: %[[O:.*]] = memref.alloc() {{.*}} : memref<2x3x8x16xf32>
// BUF: loom.kernel_call "attention" ins(%[[Q]], %[[Q]], %[[Q]] : {{.*}}) outs(%[[O]] : memref<2x3x8x16xf32>) {causal = true, scale = 2.500000e-01 : f64}
// BUF: return %[[O]]

// CHECK-LABEL: func.func @attention
// CHECK: %[[PQ:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[IQ:.*]] = arith.index_cast %[[PQ]] : index to i64
// CHECK: %[[Q:.*]] = llvm.inttoptr %[[IQ]] : i64 to !llvm.ptr
// CHECK: %[[K:.*]] = llvm.inttoptr
// CHECK: %[[V:.*]] = llvm.inttoptr
// CHECK: %[[O:.*]] = llvm.inttoptr
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: %[[BH:.*]] = llvm.mlir.constant(6 : i64)
// CHECK: %[[T:.*]] = llvm.mlir.constant(8 : i64)
// CHECK: %[[TK:.*]] = llvm.mlir.constant(8 : i64)
// CHECK: %[[D:.*]] = llvm.mlir.constant(16 : i64)
// CHECK: %[[S:.*]] = llvm.mlir.constant(2.500000e-01 : f32)
// CHECK: %[[C:.*]] = llvm.mlir.constant(1 : i32)
// CHECK: llvm.call @loom_kernel_attention_f32(%[[Q]], %[[K]], %[[V]], %[[O]], %[[NULL]], %[[BH]], %[[T]], %[[TK]], %[[D]], %[[S]], %[[C]])
// 6 heads x 36 causal (query, key) pairs x (QK and PV: 2 x 2 x 16)
// CHECK-SAME: {loom.bytes = 12288 : i64, loom.flops = 13824 : i64, loom.generator = "halide"}
// CHECK: llvm.func @loom_kernel_attention_f32(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, f32, i32) -> i32

// SITES: loom.kernel_sites = [{bytes = 12288 : i64, flops = 13824 : i64, function = "attention", generator = "halide", id = 0 : i64, kernel = "loom_kernel_attention_f32"
// SITES: llvm.call @__loom_profile
// SITES-NEXT: llvm.call @loom_kernel_attention_f32
// SITES-NEXT: llvm.mlir.constant(1 : i32)
// SITES-NEXT: llvm.call @__loom_profile

func.func @attention(%q: tensor<2x3x8x16xf32>) -> tensor<2x3x8x16xf32> {
  %e = tensor.empty() : tensor<2x3x8x16xf32>
  %o = loom.kernel_call "attention" ins(%q, %q, %q : tensor<2x3x8x16xf32>, tensor<2x3x8x16xf32>, tensor<2x3x8x16xf32>) outs(%e : tensor<2x3x8x16xf32>) {causal = true, scale = 2.500000e-01 : f64} -> tensor<2x3x8x16xf32>
  return %o : tensor<2x3x8x16xf32>
}

// -----

// Layer norm without beta passes a null beta; a linear's GEMM its extents
// and layout.
// CHECK-LABEL: func.func @norm_and_gemm
// CHECK: %[[X:.*]] = llvm.inttoptr
// CHECK: %[[G:.*]] = llvm.inttoptr
// CHECK: %[[Y:.*]] = llvm.inttoptr
// CHECK: %[[NB:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: llvm.call @loom_kernel_layer_norm_f32(%[[X]], %[[G]], %[[NB]], %[[Y]], %{{.*}}, %{{.*}}, %{{.*}}) {{.*}}: (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, f32) -> i32
// CHECK: llvm.call @loom_kernel_matmul_f32({{.*}}) {{.*}}: (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i32) -> i32
func.func @norm_and_gemm(%x: tensor<4x6x16xf32>, %g: tensor<16xf32>, %w: tensor<32x16xf32>) -> (tensor<4x6x16xf32>, tensor<4x6x32xf32>) {
  %e = tensor.empty() : tensor<4x6x16xf32>
  %y = loom.kernel_call "layer_norm" ins(%x, %g : tensor<4x6x16xf32>, tensor<16xf32>) outs(%e : tensor<4x6x16xf32>) {epsilon = 1.0e-05 : f64} -> tensor<4x6x16xf32>
  %e2 = tensor.empty() : tensor<4x6x32xf32>
  %z = loom.kernel_call "matmul" ins(%y, %w : tensor<4x6x16xf32>, tensor<32x16xf32>) outs(%e2 : tensor<4x6x32xf32>) {b_transposed = true} -> tensor<4x6x32xf32>
  return %y, %z : tensor<4x6x16xf32>, tensor<4x6x32xf32>
}

