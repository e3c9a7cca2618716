// RUN: loom-opt %s --loom-decompose --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s
// RUN: loom-opt %s --loom-decompose --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s --check-prefix=ANY

// The primitives of a decomposition carry the composite's location, tagged
// with the composite's name (Origins.h), so diagnostics, kernels and
// profiles still lead back to the spec line and the op written there. That holds
// for composites made by a decomposition too (attention's softmax), and for
// any kind of location (a fused one here).

// No loom op is left with an unknown location or with a location of this
// file (the composites all have spec locations).
// ANY-NOT: loom.{{.*}} loc(unknown)
// ANY-NOT: loom.{{.*}} loc("{{.*}}decompose-loc.mlir"

// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x8xf32>
// CHECK-DAG: %[[ONE:.*]] = loom.constant dense<1.000000e+00> : tensor<f32> loc(fused<"loom.gelu">["spec.json":3:7])
// CHECK-DAG: %[[HALF:.*]] = loom.constant dense<5.000000e-01> : tensor<f32> loc(fused<"loom.gelu">["spec.json":3:7])
// CHECK-DAG: %[[C:.*]] = loom.constant dense<0.707106769> : tensor<f32> loc(fused<"loom.gelu">["spec.json":3:7])
// CHECK: %[[XS:.*]] = loom.mul %[[X]], %[[C]] : {{.*}} loc(fused<"loom.gelu">["spec.json":3:7])
// CHECK: %[[E:.*]] = loom.erf %[[XS]] : {{.*}} loc(fused<"loom.gelu">["spec.json":3:7])
// CHECK: %[[HX:.*]] = loom.mul %[[HALF]], %[[X]] : {{.*}} loc(fused<"loom.gelu">["spec.json":3:7])
// CHECK: %[[OPE:.*]] = loom.add %[[ONE]], %[[E]] : {{.*}} loc(fused<"loom.gelu">["spec.json":3:7])
// CHECK: %[[Y:.*]] = loom.mul %[[HX]], %[[OPE]] : {{.*}} loc(fused<"loom.gelu">["spec.json":3:7])
// CHECK: return %[[Y]]
func.func @gelu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = loom.gelu erf %x : (tensor<?x8xf32>) -> tensor<?x8xf32> loc("spec.json":3:7)
  return %y : tensor<?x8xf32>
}

// A reshape that restores a less static declared type is the composite's
// too.
// CHECK-LABEL: func.func @relaxed
// CHECK: %[[S:.*]] = loom.sigmoid {{.*}} loc(fused<"loom.silu">["spec.json":9:1])
// CHECK: %[[M:.*]] = loom.mul {{.*}} loc(fused<"loom.silu">["spec.json":9:1])
// CHECK: %[[R:.*]] = loom.reshape %[[M]] shape = [0, 0] {{.*}} loc(fused<"loom.silu">["spec.json":9:1])
// CHECK: return %[[R]]
func.func @relaxed(%x: tensor<4x8xf32>) -> tensor<?x?xf32> {
  %y = loom.silu %x : (tensor<4x8xf32>) -> tensor<?x?xf32> loc("spec.json":9:1)
  return %y : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @attention
// CHECK-DAG: loom.constant dense<0xFF800000> : tensor<f32> loc(fused<"loom.attention">["model.loom":12:5])
// CHECK-DAG: loom.constant dense<1.250000e-01> : tensor<f32> loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.batch_matmul {{.*}} transpose_rhs {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.mul {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.causal_mask {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.select {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.reduce_max {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.sub {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.exp {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.reduce_sum {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.div {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: loom.batch_matmul {{.*}} loc(fused<"loom.attention">["model.loom":12:5])
// CHECK: return
func.func @attention(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %y = loom.attention %q, %k, %v causal : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> loc("model.loom":12:5)
  return %y : tensor<?x4x?x64xf32>
}

// CHECK-LABEL: func.func @fused
// CHECK: loom.constant dense<9.99999997E-7> : tensor<f32> loc(fused<"loom.rms_norm">[fused["spec.json":5:7, "h.0.ln_1"]])
// CHECK: loom.mul {{.*}} loc(fused<"loom.rms_norm">[fused["spec.json":5:7, "h.0.ln_1"]])
// CHECK: loom.reduce_mean {{.*}} loc(fused<"loom.rms_norm">[fused["spec.json":5:7, "h.0.ln_1"]])
// CHECK: loom.add {{.*}} loc(fused<"loom.rms_norm">[fused["spec.json":5:7, "h.0.ln_1"]])
// CHECK: loom.rsqrt {{.*}} loc(fused<"loom.rms_norm">[fused["spec.json":5:7, "h.0.ln_1"]])
// CHECK: loom.mul {{.*}} loc(fused<"loom.rms_norm">[fused["spec.json":5:7, "h.0.ln_1"]])
// CHECK: loom.mul {{.*}} loc(fused<"loom.rms_norm">[fused["spec.json":5:7, "h.0.ln_1"]])
// CHECK: return
func.func @fused(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %w = loom.rms_norm %x, %g epsilon = 1.0e-06 : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> loc(fused["spec.json":5:7, "h.0.ln_1"])
  return %w : tensor<?x8xf32>
}
