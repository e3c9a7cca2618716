//===- SpecRoundTripTest.cpp - text <-> JSON round trips and JSON errors --===//
#include "loom/Spec/Spec.h"

#include <gtest/gtest.h>

#include <string>

using namespace loom::spec;

namespace {

// The example of docs/dsl.md, completed, plus the corners of the language:
// every item, multi-result statements, keyword operands, lists, negative
// numbers, nested parentheses, `output NAME = VALUE`.
const char *kRichSpec = R"(# A two-layer GPT, small enough to train in seconds.
model tiny_gpt

config {
  vocab = 256
  n_ctx = 64
  d = 64
  n_layer = 2
  n_head = 4
  d_ff = 4 * d
  d_head = d / n_head
  odd = (n_layer + 1) * 2 - -1
  chain = d - (n_head - 1) - 2 / (1 * 1)
}

dims B, T

input tokens: i32[B, T]
input targets: i32[B, T]
input scale: f32[]

param wte: f32[vocab, d] init normal(std=0.02)
param wpe: f32[n_ctx, d] init normal(std=0.01)
param ln_f.weight: f32[d] init ones
param ln_f.bias: f32[d] init zeros
param temp: f32[] init constant(value=2.6592)
tie lm_head.weight = wte

block attention(x) {
  param c_attn.weight: f32[d, 3 * d] init normal(std=0.02)
  param c_attn.bias: f32[3 * d] init zeros
  param c_proj.weight: f32[d, d] init normal(std=0.02)
  param c_proj.bias: f32[d] init uniform(low=-0.1, high=0.1)
  qkv = linear(x, c_attn.weight, c_attn.bias)
  q = split_heads(slice(qkv, axis=2, start=0, end=d), num_heads=n_head)
  k = split_heads(slice(qkv, axis=2, start=d, end=2 * d), num_heads=n_head)
  v = split_heads(slice(qkv, axis=2, start=2 * d, end=3 * d), num_heads=n_head)
  o = merge_heads(attention(q, k, v, causal=true))
  y = linear(o, c_proj.weight, c_proj.bias)
  return y
}

block layer(x) {
  param ln_1.weight: f32[d] init ones
  param ln_1.bias: f32[d] init zeros
  param ln_2.weight: f32[d] init ones
  param ln_2.bias: f32[d] init zeros
  param mlp.c_fc.weight: f32[d, d_ff] init normal(std=0.02)
  param mlp.c_fc.bias: f32[d_ff] init zeros
  param mlp.c_proj.weight: f32[d_ff, d] init normal(std=0.02)
  param mlp.c_proj.bias: f32[d] init zeros
  a = attention(layer_norm(x, ln_1.weight, ln_1.bias, epsilon=1e-05)) as attn
  h = add(x, a)
  n = layer_norm(h, ln_2.weight, ln_2.bias, epsilon=1e-05)
  m = gelu(linear(n, mlp.c_fc.weight, mlp.c_fc.bias), approximate=tanh)
  out = add(h, linear(m, mlp.c_proj.weight, mlp.c_proj.bias))
  return out
}

block pair(x, y) {
  s = softmax(x, mask=y, axes=[-1], shape=[0, 0, n_head, -1], nested=[[1, 2], []])
  c = cast(s, to=bf16, unit=false, big=1.5e+300, neg=-2.5)
  return s, c
}

pos = positions(tokens, axis=1)
x = add(embedding(wte, tokens), embedding(wpe, pos))
x = repeat(n_layer) layer(x) as h
x = layer_norm(x, ln_f.weight, ln_f.bias, epsilon=1e-05)
p, q = pair(x, x)
logits = linear(x, wte, transpose_weight=true)
loss = cross_entropy(logits, targets, ignore_index=-100)

output logits
output hidden = x
loss = loss
)";

Model parseTextOrDie(const std::string &text) {
  Diagnostics diags;
  std::optional<Model> m = parseText(text, "spec.loom", diags);
  EXPECT_TRUE(m.has_value()) << diags.str();
  return m ? *m : Model();
}

TEST(SpecRoundTrip, TextToJsonAndBack) {
  Model text = parseTextOrDie(kRichSpec);
  ASSERT_EQ(text.blocks.size(), 3u);
  std::string json = printJson(text);
  Diagnostics diags;
  std::optional<Model> fromJson = parseJson(json, "spec.json", diags);
  ASSERT_TRUE(fromJson.has_value()) << diags.str() << json;
  EXPECT_TRUE(equivalent(text, *fromJson)) << json;
  // The JSON form is a fixed point too, and converts back to the same text.
  EXPECT_EQ(printJson(*fromJson), json);
  EXPECT_EQ(printText(*fromJson), printText(text));
}

TEST(SpecRoundTrip, TextIsAFixedPoint) {
  Model m = parseTextOrDie(kRichSpec);
  std::string once = printText(m);
  Model again = parseTextOrDie(once);
  EXPECT_TRUE(equivalent(m, again)) << once;
  EXPECT_EQ(printText(again), once);
}

TEST(SpecRoundTrip, CanonicalText) {
  Model m = parseTextOrDie("model m\n"
                           "config { a = 1  b = (a - 2) - (3 - a) * -a }\n"
                           "x = repeat(2)   f(x, k=[1,-2], e=1e-5) as h\n"
                           "output y=x\noutput x\nloss=x\n");
  EXPECT_EQ(printText(m), "model m\n"
                          "\n"
                          "config {\n"
                          "  a = 1\n"
                          "  b = a - 2 - (3 - a) * -a\n"
                          "}\n"
                          "\n"
                          "x = repeat(2) f(x, k=[1, -2], e=1e-05) as h\n"
                          "\n"
                          "output y = x\n"
                          "output x\n"
                          "loss = x\n");
}

TEST(SpecRoundTrip, IntExprParentheses) {
  auto roundTrip = [](const std::string &e) {
    Model m = parseTextOrDie("model m\nconfig { v = " + e + " }\n");
    return m.config.empty() ? std::string() : printIntExpr(m.config[0].value);
  };
  EXPECT_EQ(roundTrip("a - (b - c)"), "a - (b - c)");
  EXPECT_EQ(roundTrip("(a - b) - c"), "a - b - c");
  EXPECT_EQ(roundTrip("a / (b / c)"), "a / (b / c)");
  EXPECT_EQ(roundTrip("a + (b + c)"), "a + (b + c)");
  EXPECT_EQ(roundTrip("(a + b) * c"), "(a + b) * c");
  EXPECT_EQ(roundTrip("a + (b * c)"), "a + b * c");
  EXPECT_EQ(roundTrip("-(a * b)"), "-(a * b)");
  EXPECT_EQ(roundTrip("(-a) * b"), "-a * b");
  EXPECT_EQ(roundTrip("-(-a)"), "--a");
}

TEST(SpecRoundTrip, DeepNegationSurvivesPrinting) {
  // Printed as `--...-1`, not `-(-(...))`, which would nest twice as deep
  // and trip the text parser's nesting limit (found by fuzz_text).
  std::string text = "model m\nconfig { a = " + std::string(190, '-') + "1 }\n";
  Model m = parseTextOrDie(text);
  Model again = parseTextOrDie(printText(m));
  EXPECT_TRUE(equivalent(m, again));
}

TEST(SpecRoundTrip, DocsJsonExample) {
  const char *doc = R"json({
  "model": "tiny_gpt",
  "config": {"vocab": 256, "d": 64, "d_ff": "4 * d"},
  "dims": ["B", "T"],
  "inputs": {"tokens": "i32[B, T]"},
  "params": {"wte": {"type": "f32[vocab, d]", "init": "normal(std=0.02)"}},
  "ties": {"lm_head.weight": "wte"},
  "blocks": {
    "mlp": {
      "args": ["x"],
      "params": {"c_fc.weight": {"type": "f32[d, d_ff]", "init": "normal(std=0.02)"}},
      "body": [
        {"let": ["h"], "value": {"call": "linear", "args": ["x", "c_fc.weight"]}},
        {"let": ["y"], "value": {"call": "gelu", "args": ["h"], "attrs": {"approximate": "tanh"}}}
      ],
      "return": ["y"]
    }
  },
  "body": [
    {"let": ["x"], "value": {"call": "embedding", "args": ["wte", "tokens"]}},
    {"let": ["x"], "repeat": "n_layer", "value": {"call": "mlp", "args": ["x"], "as": "h"}}
  ],
  "outputs": {"logits": "logits"},
  "loss": "loss"
})json";
  Diagnostics diags;
  std::optional<Model> m = parseJson(doc, "doc.json", diags);
  ASSERT_TRUE(m.has_value()) << diags.str();
  EXPECT_EQ(m->config[2].value.kind, IntExpr::Kind::Mul);
  ASSERT_EQ(m->body.size(), 2u);
  ASSERT_TRUE(m->body[1].repeat.has_value());
  EXPECT_EQ(m->body[1].value.instance, "h");
  // Positions: the statement's object, the call's name, the param's key.
  EXPECT_EQ(m->body[1].pos.line, 21);
  EXPECT_EQ(m->body[1].pos.col, 5);
  EXPECT_EQ(m->body[1].value.pos.col, 59);
  EXPECT_EQ(m->blocks[0].params[0].pos.line, 11);
  EXPECT_EQ(m->blocks[0].params[0].pos.col, 18);
  // Embedded integer expressions point into their string.
  EXPECT_EQ(m->config[2].value.operands[1].pos.col, 50);
  Model text = parseTextOrDie(printText(*m));
  EXPECT_TRUE(equivalent(*m, text)) << printText(*m);
}

/// Parses JSON that must fail; returns its only diagnostic.
Diagnostic jsonError(const std::string &text) {
  Diagnostics diags;
  std::optional<Model> m = parseJson(text, "bad.json", diags);
  EXPECT_FALSE(m.has_value());
  EXPECT_EQ(diags.all().size(), 1u) << diags.str();
  return diags.all().empty() ? Diagnostic() : diags.all()[0];
}

#define EXPECT_DIAG(d, LINE, COL, TEXT)                                        \
  do {                                                                         \
    Diagnostic diag_ = (d);                                                    \
    EXPECT_EQ(diag_.pos.line, LINE) << diag_.str();                            \
    EXPECT_EQ(diag_.pos.col, COL) << diag_.str();                              \
    EXPECT_NE(diag_.message.find(TEXT), std::string::npos) << diag_.str();     \
  } while (0)

TEST(JsonErrors, Malformed) {
  Diagnostic d = jsonError("{\n  \"model\": \"m\"\n  \"dims\": [\"B\"]\n}\n");
  EXPECT_EQ(d.str(), "bad.json:3:3: error: malformed JSON: unexpected string "
                     "literal; expected '}'");
  EXPECT_DIAG(jsonError("{\"model\": \"m\"} x"), 1, 16,
              "malformed JSON: invalid literal");
  EXPECT_DIAG(jsonError("{\"model\": \"m\"} {}"), 1, 16,
              "expected end of input");
  EXPECT_DIAG(jsonError("{\"model\": \"m\",\n \"dims\": [1 2]}"), 2, 14,
              "unexpected number literal");
  EXPECT_DIAG(jsonError("{\"model\": \"m\""), 1, 14, "end of input");
  EXPECT_DIAG(jsonError(""), 1, 1, "end of input");
  EXPECT_DIAG(jsonError("{\"model\": \"a\tb\"}"), 1, 13, "invalid string");
  EXPECT_DIAG(jsonError("{\"model\": \"\xff\"}"), 1, 12, "UTF-8");
  EXPECT_DIAG(jsonError("{\"config\": {\"a\": 1e999}}"), 1, 18,
              "number out of range");
}

TEST(JsonErrors, Structure) {
  EXPECT_DIAG(jsonError("{\"model\": \"m\", \"layers\": []}"), 1, 16,
              "unknown key 'layers' in the model; expected one of 'model', "
              "'config', 'dims'");
  EXPECT_DIAG(jsonError("{\"model\": \"m\", \"dims\": \"B\"}"), 1, 24,
              "'dims' must be an array of strings");
  EXPECT_DIAG(jsonError("{\"model\": \"m\", \"dims\": [\"B\", 3]}"), 1, 30,
              "'dims' must be an array of strings");
  EXPECT_DIAG(jsonError("{\"model\": \"m\", \"model\": \"n\"}"), 1, 16,
              "duplicate key 'model'");
  EXPECT_DIAG(jsonError("[]"), 1, 1, "a model must be a JSON object");
  EXPECT_DIAG(jsonError("{\"dims\": []}"), 1, 1, "needs a \"model\"");
  EXPECT_DIAG(jsonError("{\"model\": \"a b\"}"), 1, 12, "invalid name 'a b'");
  EXPECT_DIAG(
      jsonError("{\"model\": \"m\", \"config\": {\"a\": 9223372036854775808}}"),
      1, 32, "integer out of range");
  EXPECT_DIAG(jsonError("{\"model\": \"m\", \"body\": [{\"let\": \"x\", "
                        "\"value\": \"y\", \"repeat\": 2}]}"),
              1, 47, "must be a block call");
  EXPECT_DIAG(jsonError("{\"model\": \"m\", \"body\": [{\"let\": [\"x\"], "
                        "\"value\": {\"call\": \"f\", \"attrs\": {\"c\": "
                        "\"true\"}}}]}"),
              1, 78, "without quotes");
}

TEST(JsonErrors, InsideEmbeddedStrings) {
  // The column points at the offending character inside the string.
  EXPECT_DIAG(
      jsonError("{\"model\": \"m\", \"inputs\": {\"x\": \"f32[B, %]\"}}"), 1,
      40, "unexpected character '%'");
  EXPECT_DIAG(jsonError("{\"model\": \"m\", \"inputs\": {\"x\": \"q32[B]\"}}"),
              1, 33, "unknown element type 'q32'");
  EXPECT_DIAG(jsonError("{\"model\": \"m\",\n \"config\": {\"a\": \"2 *\"}}"),
              2, 22, "expected an integer");
  EXPECT_DIAG(jsonError("{\"model\": \"m\", \"params\": {\"w\": {\"type\": "
                        "\"f32[]\", \"init\": \"normal(std=)\"}}}"),
              1, 70, "expected an integer");
}

TEST(JsonErrors, DeepNestingFailsCleanly) {
  EXPECT_DIAG(jsonError(std::string(100000, '[')), 1, 513,
              "nesting deeper than 512 levels");
  EXPECT_DIAG(
      jsonError("{\"model\": \"m\", \"body\": " + std::string(100000, '{')), 1,
      25, "expected string literal");
  std::string deepAttr = "{\"model\": \"m\", \"body\": [{\"let\": \"x\", "
                         "\"value\": {\"call\": \"f\", \"attrs\": {\"a\": " +
                         std::string(5000, '[');
  // Five levels lead to the attribute, so the 508th '[' is one too many.
  EXPECT_DIAG(jsonError(deepAttr), 1, 583, "nesting deeper than 512 levels");
}

} // namespace
