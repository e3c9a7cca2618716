//===- LoomElementwiseOps.td - elementwise and constant ops -*- tablegen -*-===//

#ifndef LOOM_ELEMENTWISE_OPS_TD
#define LOOM_ELEMENTWISE_OPS_TD

include "Loom/IR/LoomBase.td"

def Loom_ConstantOp : Loom_Op<"constant", [ConstantLike]> {
  let summary = "tensor constant";
  let description = [{
    A dense (or splat) tensor constant. Rank-0 constants broadcast against any
    shape in the elementwise ops.

    ```mlir
    %eps = loom.constant dense<1.0e-05> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Binary ops (numpy broadcasting)
//===----------------------------------------------------------------------===//

class Loom_ArithBinaryOp<string mnemonic, string what, string example>
    : Loom_BinaryOp<mnemonic, Loom_NumericTensor> {
  let summary = "elementwise " # what # " with broadcasting";
  let description = [{
    Elementwise }] # what # [{ of two tensors of one element type. Shapes
    broadcast as in numpy: trailing dims are aligned, a dim of size 1 stretches,
    and a missing leading dim counts as 1.

    ```mlir
    }] # example # [{
    ```
  }];
}

def Loom_AddOp : Loom_ArithBinaryOp<"add", "addition",
    "%y = loom.add %x, %bias : (tensor<?x128x768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>"> {
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Loom_SubOp : Loom_ArithBinaryOp<"sub", "subtraction",
    "%d = loom.sub %x, %mean : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>"> {
  let hasFolder = 1;
}
def Loom_MulOp : Loom_ArithBinaryOp<"mul", "multiplication",
    "%y = loom.mul %x, %gamma : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>"> {
  let hasFolder = 1;
}
def Loom_DivOp : Loom_ArithBinaryOp<"div", "division",
    "%p = loom.div %e, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>"> {
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Loom_MaximumOp : Loom_ArithBinaryOp<"maximum", "maximum",
    "%m = loom.maximum %n, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>">;

def Loom_PowOp : Loom_BinaryOp<"pow", Loom_FloatTensor> {
  let summary = "elementwise power with broadcasting";
  let description = [{
    `lhs ** rhs` elementwise on floats, with numpy broadcasting.

    ```mlir
    %c = loom.constant dense<3.0> : tensor<f32>
    %x3 = loom.pow %x, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
    ```
  }];
  let hasFolder = 1;
}

def Loom_CompareOp : Loom_Op<"compare"> {
  let summary = "elementwise comparison with broadcasting, giving an i1 mask";
  let description = [{
    Compares two tensors of one element type elementwise (numpy
    broadcasting). The result is an `i1` tensor, true where the predicate
    holds. Used for padding masks and `ignore_index` handling.

    ```mlir
    %keep = loom.compare ne, %tokens, %pad : (tensor<?x?xi32>, tensor<i32>) -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins Loom_ComparePredicate:$predicate,
                       Loom_NumericTensor:$lhs, Loom_NumericTensor:$rhs);
  let results = (outs Loom_MaskTensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Loom_SelectOp : Loom_Op<"select"> {
  let summary = "elementwise choice between two tensors by an i1 mask";
  let description = [{
    `condition ? on_true : on_false` elementwise; all three operands broadcast
    together (numpy rules). Masked softmax uses it to put -inf where the mask
    is false.

    ```mlir
    %s = loom.select %mask, %scores, %ninf : (tensor<1x1x8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
    ```
  }];
  let arguments = (ins Loom_MaskTensor:$condition, Loom_NumericTensor:$on_true,
                       Loom_NumericTensor:$on_false);
  let results = (outs Loom_NumericTensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

class Loom_FloatUnaryOp<string mnemonic, string what, list<Trait> traits = []>
    : Loom_UnaryOp<mnemonic, Loom_FloatTensor, traits> {
  let summary = "elementwise " # what;
  let description = [{
    Applies }] # what # [{ to every element; the result has the operand's type.

    ```mlir
    %y = loom.}] # mnemonic # [{ %x : (tensor<?x64xf32>) -> tensor<?x64xf32>
    ```
  }];
}

def Loom_NegOp : Loom_UnaryOp<"neg", Loom_NumericTensor> {
  let summary = "elementwise negation";
  let description = [{
    `-x` elementwise.

    ```mlir
    %y = loom.neg %x : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}
def Loom_ExpOp : Loom_FloatUnaryOp<"exp", "the exponential e^x">;
def Loom_LogOp : Loom_FloatUnaryOp<"log", "the natural logarithm">;
def Loom_SqrtOp : Loom_FloatUnaryOp<"sqrt", "the square root">;
def Loom_RsqrtOp : Loom_FloatUnaryOp<"rsqrt", "the reciprocal square root 1/sqrt(x)">;
def Loom_ErfOp : Loom_FloatUnaryOp<"erf", "the Gauss error function">;
def Loom_TanhOp : Loom_FloatUnaryOp<"tanh", "the hyperbolic tangent">;
def Loom_SigmoidOp : Loom_FloatUnaryOp<"sigmoid", "the logistic sigmoid 1/(1+e^-x)">;
def Loom_ReluOp : Loom_FloatUnaryOp<"relu", "max(x, 0)">;
def Loom_SiluOp : Loom_FloatUnaryOp<"silu", "x * sigmoid(x) (swish)",
                                     [Loom_CompositeOpTrait]>;

def Loom_GeluOp : Loom_Op<"gelu", [Loom_CompositeOpTrait]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `x * Phi(x)`. With `erf` the exact CDF is used (BERT, ViT); with `tanh`
    the approximation `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` of
    GPT-2. Composite: `loom-decompose` expands it into primitives.

    ```mlir
    %y = loom.gelu tanh %x : (tensor<?x3072xf32>) -> tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins Loom_GeluApproximation:$approximate,
                       Loom_FloatTensor:$input);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat =
      "$approximate $input attr-dict `:` functional-type(operands, results)";
}

def Loom_CastOp : Loom_Op<"cast"> {
  let summary = "element type conversion";
  let description = [{
    Converts every element to `dtype` (round to nearest even for floats,
    truncation toward zero for float to int). Mixed precision uses it between
    f32 master weights and bf16 compute.

    ```mlir
    %h = loom.cast %x to bf16 : (tensor<8x768xf32>) -> tensor<8x768xbf16>
    ```
  }];
  let arguments = (ins Loom_Tensor:$input, TypeAttr:$dtype);
  let results = (outs Loom_Tensor:$result);
  let assemblyFormat =
      "$input `to` $dtype attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Loom_DropoutOp : Loom_Op<"dropout"> {
  let summary = "seeded inverted dropout; identity at inference";
  let description = [{
    In training (`training` set) zeroes each element with probability `rate`
    and scales survivors by `1/(1-rate)`. The mask is a pure function of the
    rank-0 i64 `seed` operand, the `stream` attribute (distinct per dropout
    site) and the element index, so the backward pass recomputes the same
    mask. Without `training` the op is the identity and folds away.

    ```mlir
    %y = loom.dropout %x seed(%step) {rate = 1.000000e-01 : f64, stream = 3 : i64, training} : (tensor<?x768xf32>, tensor<i64>) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input, Optional<Loom_SeedScalar>:$seed,
                       Loom_NonNegativeF64:$rate,
                       DefaultValuedAttr<I64Attr, "0">:$stream,
                       UnitAttr:$training);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`seed` `(` $seed^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // LOOM_ELEMENTWISE_OPS_TD
