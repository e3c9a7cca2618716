// One GPT-2 transformer block (pre-LN, d_model 768, 12 heads, tanh gelu) in
// the loom dialect, with parameters named as in the GPT-2 checkpoints.
// B (batch) and T (sequence) stay dynamic.
//
//   loom-opt examples/gpt2_block.mlir --loom-decompose --canonicalize --cse
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
  // Attention: x + c_proj(attn(split(c_attn(ln_1(x)))))
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
  // MLP: r1 + c_proj(gelu(c_fc(ln_2(r1))))
  %h2 = loom.layer_norm %r1, %ln2_g, %ln2_b epsilon = 1.0e-05 : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %fc = loom.linear %h2, %fc_w, %fc_b : (tensor<?x?x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>) -> tensor<?x?x3072xf32>
  %g = loom.gelu tanh %fc : (tensor<?x?x3072xf32>) -> tensor<?x?x3072xf32>
  %m = loom.linear %g, %mproj_w, %mproj_b : (tensor<?x?x3072xf32>, tensor<3072x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %out = loom.add %r1, %m : (tensor<?x?x768xf32>, tensor<?x?x768xf32>) -> tensor<?x?x768xf32>
  return %out : tensor<?x?x768xf32>
}
