//===- Spec.h - the model spec: one AST for the JSON and text syntaxes ---===//
//
// A model spec is parsed (from JSON or loom's text syntax) into this tree,
// printed back from it (`loomc fmt`), and lowered to the loom dialect by
// MLIRGen. Every node keeps the position it came from so errors, and the IR's
// locations, point into the spec file.
//
// This header has no MLIR dependency: the parsers, the printers and their
// fuzzers build without it.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_SPEC_SPEC_H
#define LOOM_SPEC_SPEC_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loom::spec {

/// 1-based line and column in the spec file; 0 means unknown.
struct Pos {
  int line = 0;
  int col = 0;
};

/// Integer arithmetic over config names and symbolic dims:
/// `4 * d_model`, `d_model / n_head`, `-1`, `(n + 1) * 2`.
/// A bare name also spells keywords where an attribute wants one
/// (`approximate = tanh`, `to = bf16`).
struct IntExpr {
  enum class Kind { Literal, Name, Add, Sub, Mul, Div, Neg };
  Kind kind = Kind::Literal;
  int64_t value = 0;            // Literal
  std::string name;             // Name
  std::vector<IntExpr> operands; // Add/Sub/Mul/Div: 2, Neg: 1
  Pos pos;
};

/// An attribute value of an op call or an init.
struct AttrValue {
  enum class Kind { Int, Float, Bool, List };
  Kind kind = Kind::Int;
  IntExpr intValue;              // Int (also keywords and operand names)
  double floatValue = 0;         // Float
  bool boolValue = false;        // Bool
  std::vector<AttrValue> list;   // List
  Pos pos;
};

/// `name = value` inside a call's parentheses.
struct KeywordArg {
  std::string name;
  AttrValue value;
  Pos pos;
};

/// A tensor expression: a reference to a named value, or a call of a loom op
/// or a block, possibly nested: `linear(layer_norm(x, g, b), w)`.
struct Expr {
  enum class Kind { Ref, Call };
  Kind kind = Kind::Ref;
  std::string name;                 // Ref: value; Call: op or block
  std::vector<Expr> args;           // Call: positional tensor arguments
  std::vector<KeywordArg> keywords; // Call: attributes, optional operands
  std::string instance;             // Call of a block: `as h.0.attn` path
  Pos pos;
};

/// `a, b = expr` or `x = repeat(n) block(x, ...) as h`.
struct Stmt {
  std::vector<std::string> results;
  Expr value;
  std::optional<IntExpr> repeat; // repeat count; value is then a block call
  Pos pos;
};

/// `f32[B, T, d]`. Dims are config expressions or symbolic dims.
struct TensorType {
  std::string dtype; // f32, f16, bf16, i32, i64, i1
  std::vector<IntExpr> shape;
  Pos pos;
};

/// `normal(std = 0.02)`, `zeros`, `ones`, `uniform(low = -0.1, high = 0.1)`,
/// `constant(value = 2.6592)`.
struct Init {
  std::string kind;
  std::vector<KeywordArg> args;
  Pos pos;
};

struct Param {
  std::string name; // may be dotted: c_attn.weight
  TensorType type;
  Init init;
  Pos pos;
};

/// `tie lm_head.weight = wte`: a second checkpoint name for one tensor.
struct Tie {
  std::string name;
  std::string target;
  Pos pos;
};

/// One rule of a checkpoint map: a checkpoint tensor whose name matches
/// `from` is the parameter named by `to` (each `*` of `from` matches one or
/// more characters and is substituted, in order, for the `*`s of `to`),
/// transposed if `transpose` (a rank-2 [a, b] tensor read as [b, a]). An
/// `ignore` rule (`to` empty) names checkpoint tensors the model does not
/// use; a `strip` rule (`from` a plain prefix) says the checkpoint's names
/// may carry a prefix the model's lack.
struct CheckpointRule {
  std::string from;
  std::string to;
  bool transpose = false;
  bool ignore = false;
  bool strip = false;
  Pos pos;
};

/// Why a rule's patterns are malformed (empty, over 4 `*`s, `**`, a `to`
/// with other than `from`'s number of `*`s, a `*` in a strip prefix, over
/// 256 characters), or "".
std::string checkRulePatterns(const CheckpointRule &rule);

/// `checkpoint huggingface { "transformer.*" -> "*" ... }`: how another
/// framework's checkpoint names this model's tensors (`loom import-weights`).
struct CheckpointMap {
  std::string name;
  std::vector<CheckpointRule> rules;
  Pos pos;
};

struct Input {
  std::string name;
  TensorType type;
  Pos pos;
};

struct ConfigEntry {
  std::string name;
  IntExpr value;
  Pos pos;
};

struct Dim {
  std::string name;
  Pos pos;
};

/// A reusable block: parameters are created per instance and named
/// `<instance path>.<param name>`.
struct Block {
  std::string name;
  std::vector<std::string> args;
  std::vector<Param> params;
  std::vector<Stmt> body;
  std::vector<std::string> returns;
  Pos pos;
  Pos returnPos;
};

/// `output logits` or `output pooled = p`; the loss is `loss = name`.
struct Output {
  std::string name;
  std::string value;
  Pos pos;
};

struct Model {
  std::string file; // for diagnostics
  std::string name;
  Pos pos;
  std::vector<ConfigEntry> config;
  std::vector<Dim> dims;
  std::vector<Input> inputs;
  std::vector<Param> params;
  std::vector<Tie> ties;
  std::vector<Block> blocks;
  std::vector<Stmt> body;
  std::vector<Output> outputs;
  std::optional<Output> loss;
  /// `tokenizer bpe`: how text becomes the model's ids (bytes, bpe,
  /// wordpiece); `name` is "tokenizer", `value` the kind. Checked in the
  /// front end; the artifact's manifest carries it.
  std::optional<Output> tokenizer;
  /// Checkpoint maps, in declaration order (the first is the default).
  std::vector<CheckpointMap> checkpoints;
};

/// One error with its place in the spec.
struct Diagnostic {
  std::string file;
  Pos pos;
  std::string message;
  /// `file:line:col: error: message`
  std::string str() const;
};

/// Collects errors; parsers stop at the first syntax error, the checker
/// reports as many as it can.
class Diagnostics {
public:
  void error(const std::string &file, Pos pos, std::string message) {
    list.push_back({file, pos, std::move(message)});
  }
  bool empty() const { return list.empty(); }
  const std::vector<Diagnostic> &all() const { return list; }
  /// Every diagnostic, one per line.
  std::string str() const;

private:
  std::vector<Diagnostic> list;
};

enum class Syntax { Text, Json };

/// Parses loom's text syntax. Returns nullopt (with diagnostics) on error.
std::optional<Model> parseText(const std::string &text, const std::string &file,
                               Diagnostics &diags);
/// Parses the JSON syntax (nlohmann/json SAX, positions kept).
std::optional<Model> parseJson(const std::string &text, const std::string &file,
                               Diagnostics &diags);
/// The largest model spec parseFile reads (GPT-3's is 3 KB).
constexpr uintmax_t kMaxSpecBytes = 16u << 20;
/// Reads `path` and parses it by extension: `.json` is JSON, anything else
/// (`.loom`) the text syntax. Directories, devices, pipes and files over
/// kMaxSpecBytes are refused.
std::optional<Model> parseFile(const std::string &path, Diagnostics &diags);
/// Syntax that parseFile would choose for `path`.
Syntax syntaxOf(const std::string &path);

/// Canonical text form; parseText(printText(m)) gives m back (positions aside).
std::string printText(const Model &model);
/// Canonical JSON form; parseJson(printJson(m)) gives m back (positions aside).
std::string printJson(const Model &model);

/// Replaces config entries (`loomc --config d=384`): each NAME must be a
/// config entry of the model. Returns "" or the error.
std::string overrideConfig(Model &model,
                           const std::vector<std::pair<std::string, int64_t>> &values);

/// Structural equality, ignoring positions and the file name.
bool equivalent(const Model &a, const Model &b);

/// Prints an integer expression with minimal parentheses.
std::string printIntExpr(const IntExpr &e);

} // namespace loom::spec

#endif // LOOM_SPEC_SPEC_H
