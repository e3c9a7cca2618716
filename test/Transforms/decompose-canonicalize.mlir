// The decomposed IR verifies on its own: it is printed, parsed again and
// verified by a second loom-opt (which also verifies after every pass).
// RUN: loom-opt %s --loom-decompose | loom-opt | FileCheck %s --check-prefixes=NONE,DEC
// A full decomposition followed by canonicalization leaves no composite op.
// RUN: loom-opt %s --loom-decompose --canonicalize | loom-opt | FileCheck %s --check-prefixes=NONE,CANON
// And the shapes of the result still infer (and verify) after that.
// RUN: loom-opt %s --loom-decompose --canonicalize --cse --loom-infer-shapes | loom-opt | FileCheck %s --check-prefix=NONE

// NONE-NOT: loom.attention
// NONE-NOT: loom.layer_norm
// NONE-NOT: loom.rms_norm
// NONE-NOT: loom.l2_normalize
// NONE-NOT: loom.gelu
// NONE-NOT: loom.silu
// NONE-NOT: loom.softmax
// NONE-NOT: loom.log_softmax
// NONE-NOT: loom.cross_entropy
// NONE-NOT: loom.contrastive_loss
// NONE-NOT: loom.linear
// NONE-NOT: loom.patch_embed
// NONE-NOT: loom.split_heads
// NONE-NOT: loom.merge_heads

// One GPT-2 block (pre-LN, causal self-attention, tanh gelu) with the model's
// names on arguments and result.
// DEC-LABEL: func.func @gpt2_block
// DEC-SAME: {loom.input = "hidden"}
// DEC-SAME: -> (tensor<?x?x768xf32> {loom.output = "hidden_out"})
// DEC: loom.causal_mask
// DEC: return
// CANON-LABEL: func.func @gpt2_block
// CANON-SAME: -> (tensor<?x?x768xf32> {loom.output = "hidden_out"})
// Heads are split with the static head size inferred through copied dims,
// so no relaxing reshape is needed.
// CANON: loom.reshape %{{.*}} shape = [0, 0, 12, -1] : (tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32>
// CANON: loom.causal_mask
// CANON: loom.reshape %{{.*}} shape = [0, 0, -1] : (tensor<?x?x12x64xf32>) -> tensor<?x?x768xf32>
// CANON-NOT: loom.reshape
// CANON: return %{{.*}} : tensor<?x?x768xf32>
func.func @gpt2_block(
    %x: tensor<?x?x768xf32> {loom.input = "hidden"},
    %ln1_g: tensor<768xf32> {loom.param = "h.0.ln_1.weight"},
    %ln1_b: tensor<768xf32> {loom.param = "h.0.ln_1.bias"},
    %attn_w: tensor<768x2304xf32> {loom.param = "h.0.attn.c_attn.weight"},
    %attn_b: tensor<2304xf32> {loom.param = "h.0.attn.c_attn.bias"},
    %proj_w: tensor<768x768xf32> {loom.param = "h.0.attn.c_proj.weight"},
    %proj_b: tensor<768xf32> {loom.param = "h.0.attn.c_proj.bias"},
    %ln2_g: tensor<768xf32> {loom.param = "h.0.ln_2.weight"},
    %ln2_b: tensor<768xf32> {loom.param = "h.0.ln_2.bias"},
    %fc_w: tensor<768x3072xf32> {loom.param = "h.0.mlp.c_fc.weight"},
    %fc_b: tensor<3072xf32> {loom.param = "h.0.mlp.c_fc.bias"},
    %mproj_w: tensor<3072x768xf32> {loom.param = "h.0.mlp.c_proj.weight"},
    %mproj_b: tensor<768xf32> {loom.param = "h.0.mlp.c_proj.bias"})
    -> (tensor<?x?x768xf32> {loom.output = "hidden_out"}) {
  %h = loom.layer_norm %x, %ln1_g, %ln1_b epsilon = 1.0e-05 : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %qkv = loom.linear %h, %attn_w, %attn_b : (tensor<?x?x768xf32>, tensor<768x2304xf32>, tensor<2304xf32>) -> tensor<?x?x2304xf32>
  %q = loom.slice %qkv axis = 2 start = 0 end = 768 : (tensor<?x?x2304xf32>) -> tensor<?x?x768xf32>
  %k = loom.slice %qkv axis = 2 start = 768 end = 1536 : (tensor<?x?x2304xf32>) -> tensor<?x?x768xf32>
  %v = loom.slice %qkv axis = 2 start = 1536 end = 2304 : (tensor<?x?x2304xf32>) -> tensor<?x?x768xf32>
  %qh = loom.split_heads %q num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
  %kh = loom.split_heads %k num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
  %vh = loom.split_heads %v num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
  %oh = loom.attention %qh, %kh, %vh causal : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>) -> tensor<?x12x?x64xf32>
  %o = loom.merge_heads %oh : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
  %a = loom.linear %o, %proj_w, %proj_b : (tensor<?x?x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %r1 = loom.add %x, %a : (tensor<?x?x768xf32>, tensor<?x?x768xf32>) -> tensor<?x?x768xf32>
  %h2 = loom.layer_norm %r1, %ln2_g, %ln2_b epsilon = 1.0e-05 : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %fc = loom.linear %h2, %fc_w, %fc_b : (tensor<?x?x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
  %g = loom.gelu tanh %fc : (tensor<?x?x3072xf32>) -> tensor<?x?x3072xf32>
  %m = loom.linear %g, %mproj_w, %mproj_b : (tensor<?x?x3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %out = loom.add %r1, %m : (tensor<?x?x768xf32>, tensor<?x?x768xf32>) -> tensor<?x?x768xf32>
  return %out : tensor<?x?x768xf32>
}

// A BERT-style encoder layer with a padding mask, erf gelu, and training
// dropout, ending in a masked-LM loss. Inference dropout folds away in
// canonicalization; the training one stays.
// CANON-LABEL: func.func @bert_layer
// CANON: loom.dropout {{.*}} training
// CANON-NOT: loom.dropout
// CANON: return
func.func @bert_layer(%x: tensor<2x16x64xf32>, %pad: tensor<2x1x1x16xi1>, %seed: tensor<i64>,
                      %wqkv: tensor<192x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>,
                      %w1: tensor<256x64xf32>, %w2: tensor<64x256xf32>,
                      %wout: tensor<100x64xf32>, %labels: tensor<2x16xi64>) -> (tensor<2x16x64xf32>, tensor<f32>) {
  %qkv = loom.linear %x, %wqkv transpose_weight : (tensor<2x16x64xf32>, tensor<192x64xf32>) -> tensor<2x16x192xf32>
  %q = loom.slice %qkv axis = -1 start = 0 end = 64 : (tensor<2x16x192xf32>) -> tensor<2x16x64xf32>
  %k = loom.slice %qkv axis = -1 start = 64 end = 128 : (tensor<2x16x192xf32>) -> tensor<2x16x64xf32>
  %v = loom.slice %qkv axis = -1 start = 128 end = 192 : (tensor<2x16x192xf32>) -> tensor<2x16x64xf32>
  %qh = loom.split_heads %q num_heads = 4 : (tensor<2x16x64xf32>) -> tensor<2x4x16x16xf32>
  %kh = loom.split_heads %k num_heads = 4 : (tensor<2x16x64xf32>) -> tensor<2x4x16x16xf32>
  %vh = loom.split_heads %v num_heads = 4 : (tensor<2x16x64xf32>) -> tensor<2x4x16x16xf32>
  %oh = loom.attention %qh, %kh, %vh mask(%pad) : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x1x1x16xi1>) -> tensor<2x4x16x16xf32>
  %o = loom.merge_heads %oh : (tensor<2x4x16x16xf32>) -> tensor<2x16x64xf32>
  %od = loom.dropout %o seed(%seed) {rate = 1.000000e-01 : f64, stream = 1 : i64, training} : (tensor<2x16x64xf32>, tensor<i64>) -> tensor<2x16x64xf32>
  %r = loom.add %x, %od : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  %h = loom.layer_norm %r, %g, %b epsilon = 1.0e-12 : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  %f1 = loom.linear %h, %w1 transpose_weight : (tensor<2x16x64xf32>, tensor<256x64xf32>) -> tensor<2x16x256xf32>
  %f2 = loom.gelu erf %f1 : (tensor<2x16x256xf32>) -> tensor<2x16x256xf32>
  %f3 = loom.linear %f2, %w2 transpose_weight : (tensor<2x16x256xf32>, tensor<64x256xf32>) -> tensor<2x16x64xf32>
  %f4 = loom.dropout %f3 {rate = 1.000000e-01 : f64} : (tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  %y = loom.add %h, %f4 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  %logits = loom.linear %y, %wout transpose_weight : (tensor<2x16x64xf32>, tensor<100x64xf32>) -> tensor<2x16x100xf32>
  %loss = loom.cross_entropy %logits, %labels ignore_index = -100 : (tensor<2x16x100xf32>, tensor<2x16xi64>) -> tensor<f32>
  return %y, %loss : tensor<2x16x64xf32>, tensor<f32>
}

// A ViT stem and head: patch embedding, class token, pre-norm, the class
// token's features and a classifier. The composites' declared types are less
// static than inferred; the returned value keeps its declared type.
// DEC-LABEL: func.func @vit
// DEC: loom.patchify
// DEC: loom.prepend_token
// DEC: return %{{.*}} : tensor<?x?xf32>
// CANON-LABEL: func.func @vit
// CANON: loom.patchify
// CANON: return %{{.*}} : tensor<?x?xf32>
func.func @vit(%img: tensor<?x3x32x32xf32>, %w: tensor<48x3x8x8xf32>, %b: tensor<48xf32>,
               %cls: tensor<1x1x48xf32>, %g: tensor<48xf32>, %head: tensor<48x10xf32>) -> tensor<?x?xf32> {
  %p = loom.patch_embed %img, %w, %b patch = 8 : (tensor<?x3x32x32xf32>, tensor<48x3x8x8xf32>, tensor<48xf32>) -> tensor<?x?x?xf32>
  %t = loom.prepend_token %p, %cls : (tensor<?x?x?xf32>, tensor<1x1x48xf32>) -> tensor<?x?x48xf32>
  %n = loom.rms_norm %t, %g epsilon = 1.0e-06 : (tensor<?x?x48xf32>, tensor<48xf32>) -> tensor<?x?x48xf32>
  %c = loom.slice %n axis = 1 start = 0 end = 1 : (tensor<?x?x48xf32>) -> tensor<?x1x48xf32>
  %c2 = loom.reshape %c shape = [0, -1] : (tensor<?x1x48xf32>) -> tensor<?x48xf32>
  %s = loom.silu %c2 : (tensor<?x48xf32>) -> tensor<?x48xf32>
  %y = loom.linear %s, %head : (tensor<?x48xf32>, tensor<48x10xf32>) -> tensor<?x?xf32>
  %lp = loom.log_softmax %y axis = -1 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %pr = loom.softmax %lp axis = 0 : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %pr : tensor<?x?xf32>
}

// CLIP's loss on the projected embeddings.
// CANON-LABEL: func.func @clip_loss
// CANON: loom.positions
// CANON: return %{{.*}} : tensor<f32>
func.func @clip_loss(%img: tensor<?x512xf32>, %txt: tensor<?x512xf32>, %scale: tensor<f32>) -> tensor<f32> {
  %i = loom.l2_normalize %img axis = -1 epsilon = 1.0e-12 : (tensor<?x512xf32>) -> tensor<?x512xf32>
  %l = loom.contrastive_loss %i, %txt, %scale : (tensor<?x512xf32>, tensor<?x512xf32>, tensor<f32>) -> tensor<f32>
  return %l : tensor<f32>
}

// The decomposition applies the folders as it goes, so a split_heads /
// merge_heads pair cancels before either is expanded.
// DEC-LABEL: func.func @heads_round_trip
// DEC-SAME: (%[[X:.*]]: tensor<?x?x768xf32>)
// DEC-NEXT: return %[[X]]
// CANON-LABEL: func.func @heads_round_trip
// CANON-SAME: (%[[X:.*]]: tensor<?x?x768xf32>)
// CANON-NEXT: return %[[X]]
func.func @heads_round_trip(%x: tensor<?x?x768xf32>) -> tensor<?x?x768xf32> {
  %s = loom.split_heads %x num_heads = 12 : (tensor<?x?x768xf32>) -> tensor<?x12x?x64xf32>
  %m = loom.merge_heads %s : (tensor<?x12x?x64xf32>) -> tensor<?x?x768xf32>
  return %m : tensor<?x?x768xf32>
}
