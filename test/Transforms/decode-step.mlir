// RUN: loom-opt %s --loom-decode-step='max-len=16 key-len=8 name=decode_8' --split-input-file --verify-diagnostics | FileCheck %s
// RUN: loom-opt %s --loom-decode-step='max-len=16 key-len=16 name=prefill_16 prefix=prefill keep-outputs=false' --split-input-file --verify-diagnostics | FileCheck %s --check-prefix=PREFILL

// A one-layer decoder at Tq = 1: positions are offset by the run-time
// start, the causal self-attention appends its key and value at that
// start to caches of max-len positions and attends over the first key-len
// of them under the mask key <= start + query; the caches are state
// arguments the function returns as in-place updates, after its outputs.
// The source function stays; the unused targets input is dropped.

module attributes {loom.inputs = [{dtype = "i32", name = "tokens", shape = array<i64: 1, 1>}]} {
  func.func @forward(%tok: tensor<1x1xi32> {loom.input = "tokens"}, %tgt: tensor<1x1xi32> {loom.input = "targets"},
                     %wte: tensor<32x8xf32> {loom.param = "wte"}, %wpe: tensor<16x8xf32> {loom.param = "wpe"})
      -> (tensor<1x1x8xf32> {loom.output = "y"}) {
    %p = loom.positions %tok axis = 1 : (tensor<1x1xi32>) -> tensor<1xi64>
    %e = loom.embedding %wte, %tok : (tensor<32x8xf32>, tensor<1x1xi32>) -> tensor<1x1x8xf32>
    %pe = loom.embedding %wpe, %p : (tensor<16x8xf32>, tensor<1xi64>) -> tensor<1x8xf32>
    %x = loom.add %e, %pe : (tensor<1x1x8xf32>, tensor<1x8xf32>) -> tensor<1x1x8xf32>
    %h = loom.split_heads %x num_heads = 2 : (tensor<1x1x8xf32>) -> tensor<1x2x1x4xf32>
    %a = loom.attention %h, %h, %h causal : (tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x1x4xf32>
    %y = loom.merge_heads %a : (tensor<1x2x1x4xf32>) -> tensor<1x1x8xf32>
    return %y : tensor<1x1x8xf32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-LABEL: func.func @decode_8(
// CHECK-SAME: %[[TOK:.*]]: tensor<1x1xi32> {loom.input = "decode.tokens"}
// CHECK-NOT: targets
// CHECK-SAME: %[[POS:[a-z0-9]+]]: tensor<i64> {loom.input = "decode.pos"}
// CHECK-SAME: %[[K:[a-z0-9]+]]: tensor<1x2x16x4xf32> {loom.cache, loom.state = "kv.0.key"}
// CHECK-SAME: %[[V:[a-z0-9]+]]: tensor<1x2x16x4xf32> {loom.cache, loom.state = "kv.0.value"}
// CHECK-SAME: -> (tensor<1x1x8xf32> {loom.output = "y"}, tensor<1x2x16x4xf32> {loom.output = "new.kv.0.key", loom.update = "state:kv.0.key"}, tensor<1x2x16x4xf32> {loom.output = "new.kv.0.value", loom.update = "state:kv.0.value"})
// CHECK: %[[P:.*]] = loom.positions %[[TOK]] axis = 1
// CHECK: %[[SHIFTED:.*]] = loom.add %[[P]], %[[POS]] : (tensor<1xi64>, tensor<i64>) -> tensor<1xi64>
// CHECK: loom.embedding %{{.*}}, %[[SHIFTED]]
// CHECK: %[[KALL:.*]] = loom.update_slice %[[K]], %[[H:.*]], %[[POS]] axis = 2 : (tensor<1x2x16x4xf32>, tensor<1x2x1x4xf32>, tensor<i64>) -> tensor<1x2x16x4xf32>
// CHECK: %[[KS:.*]] = loom.slice %[[KALL]] axis = 2 start = 0 end = 8
// CHECK: %[[VALL:.*]] = loom.update_slice %[[V]], %[[H]], %[[POS]] axis = 2
// CHECK: %[[VS:.*]] = loom.slice %[[VALL]] axis = 2 start = 0 end = 8
// CHECK: %[[QP:.*]] = loom.positions %[[H]] axis = 2
// CHECK: %[[QP1:.*]] = loom.add %[[QP]], %[[POS]]
// CHECK: %[[QP2:.*]] = loom.reshape %[[QP1]] shape = [1, 1] : (tensor<1xi64>) -> tensor<1x1xi64>
// CHECK: %[[KP:.*]] = loom.positions %[[KS]] axis = 2 : (tensor<1x2x8x4xf32>) -> tensor<8xi64>
// CHECK: %[[M:.*]] = loom.compare le, %[[KP]], %[[QP2]] : (tensor<8xi64>, tensor<1x1xi64>) -> tensor<1x8xi1>
// CHECK: loom.attention %[[H]], %[[KS]], %[[VS]] mask(%[[M]]) {scale = 5.000000e-01 : f64}
// CHECK: return %{{.*}}, %[[KALL]], %[[VALL]]

// Prefill: no outputs but the caches (what only the output needed goes
// with canonicalization); the whole cache is attended over (no slice).
// PREFILL-LABEL: func.func @prefill_16(
// PREFILL-SAME: {loom.input = "prefill.tokens"}
// PREFILL-SAME: {loom.input = "prefill.pos"}
// PREFILL-SAME: -> (tensor<1x2x16x4xf32> {loom.output = "new.kv.0.key", loom.update = "state:kv.0.key"}, tensor<1x2x16x4xf32> {loom.output = "new.kv.0.value", loom.update = "state:kv.0.value"})
// PREFILL-NOT: loom.slice
// PREFILL: return

// -----

// An encoder-decoder: the cross-attention's keys and values come from the
// source, not from the new tokens; they are computed once per source by
// @encode into state (enc.0), which the step reads instead of the source.

module {
  func.func @forward(%src: tensor<1x3xi32> {loom.input = "src"}, %tok: tensor<1x1xi32> {loom.input = "tokens"},
                     %w: tensor<32x8xf32> {loom.param = "w"}) -> (tensor<1x1x8xf32> {loom.output = "y"}) {
    %m = loom.embedding %w, %src : (tensor<32x8xf32>, tensor<1x3xi32>) -> tensor<1x3x8xf32>
    %mh = loom.split_heads %m num_heads = 2 : (tensor<1x3x8xf32>) -> tensor<1x2x3x4xf32>
    %e = loom.embedding %w, %tok : (tensor<32x8xf32>, tensor<1x1xi32>) -> tensor<1x1x8xf32>
    %h = loom.split_heads %e num_heads = 2 : (tensor<1x1x8xf32>) -> tensor<1x2x1x4xf32>
    %a = loom.attention %h, %h, %h causal : (tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x1x4xf32>
    %c = loom.attention %a, %mh, %mh : (tensor<1x2x1x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x1x4xf32>
    %y = loom.merge_heads %c : (tensor<1x2x1x4xf32>) -> tensor<1x1x8xf32>
    return %y : tensor<1x1x8xf32>
  }
}

// CHECK-LABEL: func.func @encode(
// CHECK-SAME: {loom.input = "src"}
// CHECK-SAME: %[[E:[a-z0-9]+]]: tensor<1x2x3x4xf32> {loom.cache, loom.state = "enc.0"}
// CHECK-SAME: -> (tensor<1x2x3x4xf32> {loom.output = "new.enc.0", loom.update = "state:enc.0"})
// CHECK: %[[M:.*]] = loom.embedding
// CHECK: %[[MH:.*]] = loom.split_heads %[[M]]
// CHECK-NEXT: return %[[MH]]
// CHECK-LABEL: func.func @decode_8(
// CHECK-NOT: "src"
// CHECK-SAME: %[[ENC:[a-z0-9]+]]: tensor<1x2x3x4xf32> {loom.cache, loom.state = "enc.0"}
// CHECK-NOT: loom.embedding %{{.*}} : (tensor<32x8xf32>, tensor<1x3xi32>)
// CHECK: loom.attention %{{.*}}, %[[ENC]], %[[ENC]] :

// -----

// expected-error @+1 {{loom-decode-step: function 'forward' has no causal self-attention over 'tokens' to cache}}
module {
  func.func @forward(%tok: tensor<1x1xi32> {loom.input = "tokens"}, %wte: tensor<32x8xf32> {loom.param = "wte"}) -> tensor<1x1x8xf32> {
    %e = loom.embedding %wte, %tok : (tensor<32x8xf32>, tensor<1x1xi32>) -> tensor<1x1x8xf32>
    return %e : tensor<1x1x8xf32>
  }
}

// -----

// expected-error @+1 {{loom-decode-step: function 'forward' takes no static [B, T] input 'tokens'}}
module {
  func.func @forward(%x: tensor<1x1xi32> {loom.input = "ids"}) -> tensor<1x1xi32> {
    return %x : tensor<1x1xi32>
  }
}

// -----

// A learned position table shorter than the cache would be read past its end.
module {
  func.func @forward(%tok: tensor<1x1xi32> {loom.input = "tokens"}, %wpe: tensor<4x8xf32> {loom.param = "wpe"}) -> tensor<1x8xf32> {
    %p = loom.positions %tok axis = 1 : (tensor<1x1xi32>) -> tensor<1xi64>
    // expected-error @+1 {{loom-decode-step: the position table has 4 rows, fewer than the 16 positions of the cache}}
    %pe = loom.embedding %wpe, %p : (tensor<4x8xf32>, tensor<1xi64>) -> tensor<1x8xf32>
    return %pe : tensor<1x8xf32>
  }
}

// -----

// Bidirectional attention over the new tokens has no cache form.
module {
  func.func @forward(%tok: tensor<1x1xi32> {loom.input = "tokens"}, %wte: tensor<32x8xf32> {loom.param = "wte"}) -> tensor<1x2x1x4xf32> {
    %e = loom.embedding %wte, %tok : (tensor<32x8xf32>, tensor<1x1xi32>) -> tensor<1x1x8xf32>
    %h = loom.split_heads %e num_heads = 2 : (tensor<1x1x8xf32>) -> tensor<1x2x1x4xf32>
    // expected-error @+1 {{loom-decode-step: this attention's keys come from 'tokens' but it is not causal: a key/value cache cannot serve it}}
    %a = loom.attention %h, %h, %h : (tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x1x4xf32>
    return %a : tensor<1x2x1x4xf32>
  }
}
