//===- Lexer.h - tokens of loom's text syntax -----------------------------===//
#ifndef LOOM_SPEC_LEXER_H
#define LOOM_SPEC_LEXER_H

#include "loom/Spec/Spec.h"

#include <string>

namespace loom::spec {

struct Token {
  enum class Kind {
    Name,  // c_attn.weight, h.0, tanh (keywords are names too)
    Int,   // 768
    Float, // 1e-05, 0.02
    Punct, // ( ) { } [ ] , = : + - * / ->
    String, // "h.*.attn.bias" (`text` holds the contents, no quotes)
    End,
    Error, // `text` holds the message
  };
  Kind kind = Kind::End;
  std::string text;
  int64_t intValue = 0;
  double floatValue = 0;
  Pos pos;

  bool is(char c) const { return kind == Kind::Punct && text.size() == 1 && text[0] == c; }
  bool isName(const char *s) const { return kind == Kind::Name && text == s; }
  bool isArrow() const { return kind == Kind::Punct && text == "->"; }
};

/// Splits text into tokens; `#` starts a comment to the end of the line.
/// `origin` is the position of the text's first character in the file.
class Lexer {
public:
  Lexer(const std::string &text, Pos origin);
  Token next();

private:
  const std::string &text;
  size_t i = 0;
  int line, col;
  void advance();
};

/// A human-readable description of a token for "expected X, got Y".
std::string describe(const Token &t);

} // namespace loom::spec

#endif // LOOM_SPEC_LEXER_H
