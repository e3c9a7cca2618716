//===- Lexer.cpp - tokens of loom's text syntax ---------------------------===//
#include "Lexer.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

using namespace loom::spec;

Lexer::Lexer(const std::string &text, Pos origin)
    : text(text), line(origin.line ? origin.line : 1),
      col(origin.col ? origin.col : 1) {}

void Lexer::advance() {
  if (text[i] == '\n') {
    ++line;
    col = 1;
  } else {
    ++col;
  }
  ++i;
}

static bool isNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
static bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

Token Lexer::next() {
  // Skip blanks and comments.
  while (i < text.size()) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n')
        advance();
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      advance();
    } else {
      break;
    }
  }
  Token t;
  t.pos = {line, col};
  if (i >= text.size()) {
    t.kind = Token::Kind::End;
    return t;
  }
  char c = text[i];
  size_t start = i;
  if (isNameStart(c)) {
    while (i < text.size() && isNameChar(text[i]))
      advance();
    // Dotted parts: `c_attn.weight`, `h.0.attn`.
    while (i + 1 < text.size() && text[i] == '.' && isNameChar(text[i + 1])) {
      advance();
      while (i < text.size() && isNameChar(text[i]))
        advance();
    }
    t.kind = Token::Kind::Name;
    t.text = text.substr(start, i - start);
    return t;
  }
  if (std::isdigit(static_cast<unsigned char>(c)) ||
      (c == '.' && i + 1 < text.size() &&
       std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
    bool isFloat = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      advance();
    if (i < text.size() && text[i] == '.') {
      isFloat = true;
      advance();
      while (i < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[i])))
        advance();
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      size_t save = i;
      int saveLine = line, saveCol = col;
      advance();
      if (i < text.size() && (text[i] == '+' || text[i] == '-'))
        advance();
      if (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        isFloat = true;
        while (i < text.size() &&
               std::isdigit(static_cast<unsigned char>(text[i])))
          advance();
      } else {
        i = save;
        line = saveLine;
        col = saveCol;
      }
    }
    t.text = text.substr(start, i - start);
    if (i < text.size() && isNameStart(text[i])) {
      t.kind = Token::Kind::Error;
      t.text = "malformed number '" + t.text + text[i] + "...'";
      return t;
    }
    errno = 0;
    if (isFloat) {
      t.kind = Token::Kind::Float;
      t.floatValue = std::strtod(t.text.c_str(), nullptr);
      if (errno == ERANGE) {
        t.kind = Token::Kind::Error;
        t.text = "float literal '" + t.text + "' is out of range";
      }
    } else {
      t.kind = Token::Kind::Int;
      t.intValue = std::strtoll(t.text.c_str(), nullptr, 10);
      if (errno == ERANGE) {
        t.kind = Token::Kind::Error;
        t.text = "integer literal '" + t.text + "' does not fit in 64 bits";
      }
    }
    return t;
  }
  if (c == '-' && i + 1 < text.size() && text[i + 1] == '>') {
    advance();
    advance();
    t.kind = Token::Kind::Punct;
    t.text = "->";
    return t;
  }
  if (c == '"') {
    // Strings name tensors of other frameworks' checkpoints: printable
    // ASCII on one line, no escapes.
    advance();
    while (i < text.size() && text[i] != '"') {
      char s = text[i];
      if (s == '\\' || s == '\n' || !std::isprint(static_cast<unsigned char>(s))) {
        t.kind = Token::Kind::Error;
        t.text = s == '\n' ? "unterminated string"
                 : s == '\\' ? "strings have no escapes ('\\' in a string)"
                              : "strings hold printable ASCII only";
        return t;
      }
      advance();
    }
    if (i >= text.size()) {
      t.kind = Token::Kind::Error;
      t.text = "unterminated string";
      return t;
    }
    advance();
    t.kind = Token::Kind::String;
    t.text = text.substr(start + 1, i - start - 2);
    return t;
  }
  static const std::string punct = "(){}[],=:+-*/";
  if (punct.find(c) != std::string::npos) {
    advance();
    t.kind = Token::Kind::Punct;
    t.text = std::string(1, c);
    return t;
  }
  t.kind = Token::Kind::Error;
  if (std::isprint(static_cast<unsigned char>(c)))
    t.text = std::string("unexpected character '") + c + "'";
  else
    t.text = "unexpected byte 0x" +
             std::string(1, "0123456789abcdef"[(c >> 4) & 0xf]) +
             std::string(1, "0123456789abcdef"[c & 0xf]);
  advance();
  return t;
}

std::string loom::spec::describe(const Token &t) {
  switch (t.kind) {
  case Token::Kind::End:
    return "end of input";
  case Token::Kind::Name:
    return "'" + t.text + "'";
  case Token::Kind::Int:
  case Token::Kind::Float:
    return "number " + t.text;
  case Token::Kind::Punct:
    return "'" + t.text + "'";
  case Token::Kind::String:
    return "string \"" + t.text + "\"";
  case Token::Kind::Error:
    return t.text;
  }
  return "?";
}
