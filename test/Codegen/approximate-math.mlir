// RUN: loom-opt %s --loom-approximate-math | FileCheck %s
// RUN: loom-opt %s --loom-approximate-math=functions=log | FileCheck %s --check-prefix=LOG

// tanh, exp and erf (scalar and vector f32) become arithmetic that LLVM can
// vectorize, with llvm.intr.fma for the polynomials' fused multiply-adds
// and llvm.intr.floor for exp's range reduction (no math.fma or math.floor
// left for convert-math-to-libm to turn into fmaf / floorf calls); log
// keeps its libm call unless selected.
// CHECK-LABEL: func.func @f(
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.erf
// CHECK-NOT: math.fma
// CHECK-NOT: math.floor
// CHECK: llvm.intr.floor
// CHECK: llvm.intr.fma
// CHECK: math.log
// CHECK: return
// LOG-LABEL: func.func @f(
// LOG: math.tanh
// LOG: math.exp
// LOG: math.erf
// LOG-NOT: math.log
// LOG: return
func.func @f(%x: f32, %v: vector<16xf32>) -> (f32, vector<16xf32>, f32, f32) {
  %0 = math.tanh %x : f32
  %1 = math.exp %v : vector<16xf32>
  %2 = math.erf %x : f32
  %3 = math.log %x : f32
  return %0, %1, %2, %3 : f32, vector<16xf32>, f32, f32
}
