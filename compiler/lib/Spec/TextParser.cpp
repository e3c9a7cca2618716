//===- TextParser.cpp - recursive-descent parser of the text syntax -------===//
//
// Grammar (docs/dsl.md):
//   spec   := 'model' NAME item*
//   item   := 'config' '{' (NAME '=' intexpr)* '}' | 'dims' NAME (',' NAME)*
//           | 'input' NAME ':' type | param | 'tie' NAME '=' NAME
//           | 'block' NAME '(' names? ')' '{' (param | stmt)* 'return' names '}'
//           | 'output' NAME ('=' NAME)? | 'loss' '=' NAME | stmt
//   param  := 'param' NAME ':' type 'init' init
//   stmt   := names '=' (expr | 'repeat' '(' intexpr ')' call)
//   expr   := NAME | call        call := NAME '(' args? ')' ('as' NAME)?
//   arg    := NAME '=' attr | expr
//   attr   := '-'? FLOAT | 'true' | 'false' | '[' attrs? ']' | intexpr
//   intexpr:= term (('+'|'-') term)*   term := unary (('*'|'/') unary)*
//   unary  := '-' unary | INT | NAME | '(' intexpr ')'
//   type   := DTYPE '[' intexprs? ']'  init := NAME ('(' kwargs? ')')?
// The parser stops at the first error.
//
//===----------------------------------------------------------------------===//
#include "Fragments.h"
#include "Lexer.h"

#include <charconv>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <sstream>

using namespace loom::spec;

namespace {

/// Nesting limit for expressions: deeper input is rejected, not a stack
/// overflow.
constexpr int kMaxDepth = 200;
/// Operators in one integer expression: a left-associative chain is a tree
/// as deep as it is long, which evaluation, printing and destruction walk
/// recursively (50,000 terms overflowed the stack). Real specs use a few.
constexpr int kMaxOperators = 1000;

class Parser {
public:
  Parser(const std::string &text, const std::string &file, Pos origin,
         Diagnostics &diags)
      : lexer(text, origin), file(file), diags(diags) {
    tok = lexer.next();
    ahead = lexer.next();
  }

  std::optional<Model> parseSpec();
  std::optional<IntExpr> parseIntExprOnly();
  std::optional<TensorType> parseTypeOnly();
  std::optional<Init> parseInitOnly();

private:
  Lexer lexer;
  const std::string &file;
  Diagnostics &diags;
  Token tok, ahead;
  bool failed = false;
  int depth = 0;
  int operators = 0; // in the integer expression being parsed

  void consume() {
    tok = ahead;
    ahead = lexer.next();
  }
  bool error(Pos pos, const std::string &message) {
    if (!failed)
      diags.error(file, pos, message);
    failed = true;
    return false;
  }
  bool expected(const std::string &what) {
    if (tok.kind == Token::Kind::Error)
      return error(tok.pos, tok.text);
    return error(tok.pos, "expected " + what + ", got " + describe(tok));
  }
  bool expect(char c) {
    if (!tok.is(c))
      return expected(std::string("'") + c + "'");
    consume();
    return true;
  }
  bool expectName(std::string &out, const char *what) {
    if (tok.kind != Token::Kind::Name)
      return expected(what);
    out = tok.text;
    consume();
    return true;
  }
  bool atEnd() const { return tok.kind == Token::Kind::End; }
  bool atKeyword(const char *k) const { return tok.isName(k); }

  bool parseItem(Model &m);
  bool parseConfig(Model &m);
  bool parseCheckpoint(Model &m);
  bool expectString(std::string &out, const char *what) {
    if (tok.kind != Token::Kind::String)
      return expected(what);
    out = tok.text;
    consume();
    return true;
  }
  bool parseNames(std::vector<std::string> &names, const char *what);
  bool parseType(TensorType &type);
  bool parseInit(Init &init);
  bool parseParam(Param &p);
  bool parseBlock(Block &b);
  bool parseStmt(Stmt &s);
  bool parseExpr(Expr &e);
  bool parseCallRest(Expr &e);
  bool parseAttr(AttrValue &v);
  bool parseKeywordArgs(std::vector<KeywordArg> &args, bool allowExprs);
  bool parseIntExpr(IntExpr &e);
  /// One more operator in the current integer expression; an error past
  /// kMaxOperators.
  bool countOperator() {
    if (++operators <= kMaxOperators)
      return true;
    return error(tok.pos, "integer expression with more than " +
                              std::to_string(kMaxOperators) + " operators");
  }
  bool parseTerm(IntExpr &e);
  bool parseUnary(IntExpr &e);
};

std::optional<Model> Parser::parseSpec() {
  Model m;
  m.file = file;
  if (!atKeyword("model")) {
    if (atEnd())
      error(tok.pos, "empty model: a spec starts with 'model NAME'");
    else
      expected("'model NAME' as the first item");
    return std::nullopt;
  }
  m.pos = tok.pos;
  consume();
  if (!expectName(m.name, "a model name"))
    return std::nullopt;
  while (!atEnd() && !failed)
    parseItem(m);
  if (failed)
    return std::nullopt;
  return m;
}

bool Parser::parseItem(Model &m) {
  Pos pos = tok.pos;
  if (atKeyword("model"))
    return error(pos, "'model' may appear only once, as the first item");
  if (atKeyword("config"))
    return parseConfig(m);
  if (atKeyword("dims")) {
    consume();
    do {
      Dim d;
      d.pos = tok.pos;
      if (!expectName(d.name, "a dim name"))
        return false;
      m.dims.push_back(d);
    } while (tok.is(',') && (consume(), true));
    return true;
  }
  if (atKeyword("input")) {
    consume();
    Input in;
    in.pos = tok.pos;
    return expectName(in.name, "an input name") && expect(':') &&
           parseType(in.type) && (m.inputs.push_back(std::move(in)), true);
  }
  if (atKeyword("param")) {
    Param p;
    return parseParam(p) && (m.params.push_back(std::move(p)), true);
  }
  if (atKeyword("tie")) {
    consume();
    Tie t;
    t.pos = tok.pos;
    return expectName(t.name, "a parameter name") && expect('=') &&
           expectName(t.target, "the tied parameter's name") &&
           (m.ties.push_back(t), true);
  }
  if (atKeyword("block")) {
    Block b;
    return parseBlock(b) && (m.blocks.push_back(std::move(b)), true);
  }
  if (atKeyword("output") && ahead.kind == Token::Kind::Name) {
    consume();
    Output o;
    o.pos = tok.pos;
    if (!expectName(o.name, "an output name"))
      return false;
    o.value = o.name;
    if (tok.is('=')) {
      consume();
      if (!expectName(o.value, "the value to output"))
        return false;
    }
    m.outputs.push_back(o);
    return true;
  }
  if (atKeyword("tokenizer") && ahead.kind == Token::Kind::Name) {
    consume();
    Output t{"tokenizer", "", tok.pos};
    if (!expectName(t.value, "a tokenizer kind (bytes, bpe, wordpiece)"))
      return false;
    if (m.tokenizer)
      return error(t.pos, "the tokenizer is declared twice");
    m.tokenizer = t;
    return true;
  }
  if (atKeyword("checkpoint") && ahead.kind == Token::Kind::Name)
    return parseCheckpoint(m);
  if (atKeyword("return"))
    return error(pos, "'return' outside a block");
  if (atKeyword("loss") && ahead.is('=')) {
    // `loss = name` declares the objective; `loss = op(...)` is a statement
    // defining a value called loss (and may be followed by `loss = loss`).
    Token save = tok;
    consume();
    consume();
    if (tok.kind == Token::Kind::Name && !ahead.is('(')) {
      Output o{"loss", tok.text, tok.pos};
      consume();
      if (m.loss)
        return error(pos, "the loss is declared twice");
      m.loss = o;
      return true;
    }
    Stmt s;
    s.pos = save.pos;
    s.results.push_back("loss");
    if (!parseExpr(s.value))
      return false;
    m.body.push_back(std::move(s));
    return true;
  }
  Stmt s;
  return parseStmt(s) && (m.body.push_back(std::move(s)), true);
}

bool Parser::parseConfig(Model &m) {
  consume();
  if (!expect('{'))
    return false;
  while (!tok.is('}')) {
    ConfigEntry e;
    e.pos = tok.pos;
    if (!expectName(e.name, "a config name or '}'") || !expect('=') ||
        !parseIntExpr(e.value))
      return false;
    m.config.push_back(std::move(e));
  }
  consume();
  return true;
}

// checkpoint NAME { strip "PREFIX" | "FROM" -> "TO" [transpose] | ignore "P", ... }
bool Parser::parseCheckpoint(Model &m) {
  consume();
  CheckpointMap map;
  map.pos = tok.pos;
  if (!expectName(map.name, "a checkpoint map name") || !expect('{'))
    return false;
  while (!tok.is('}')) {
    CheckpointRule r;
    r.pos = tok.pos;
    if (atKeyword("ignore") || atKeyword("strip")) {
      bool strip = atKeyword("strip");
      consume();
      do {
        CheckpointRule ig;
        ig.pos = tok.pos;
        ig.ignore = !strip;
        ig.strip = strip;
        if (!expectString(ig.from, "a quoted checkpoint name pattern"))
          return false;
        if (std::string why = checkRulePatterns(ig); !why.empty())
          return error(ig.pos, why);
        map.rules.push_back(std::move(ig));
      } while (tok.is(',') && (consume(), true));
      continue;
    }
    if (!expectString(r.from,
                      "a quoted checkpoint name pattern, 'strip', 'ignore' or '}'"))
      return false;
    if (!tok.isArrow())
      return expected("'->'");
    consume();
    if (!expectString(r.to, "the quoted parameter name pattern"))
      return false;
    if (atKeyword("transpose")) {
      r.transpose = true;
      consume();
    }
    if (std::string why = checkRulePatterns(r); !why.empty())
      return error(r.pos, why);
    map.rules.push_back(std::move(r));
  }
  consume();
  m.checkpoints.push_back(std::move(map));
  return true;
}

bool Parser::parseNames(std::vector<std::string> &names, const char *what) {
  do {
    std::string n;
    if (!expectName(n, what))
      return false;
    names.push_back(n);
  } while (tok.is(',') && (consume(), true));
  return true;
}

bool Parser::parseType(TensorType &type) {
  type.pos = tok.pos;
  if (!expectName(type.dtype, "an element type (f32, f16, bf16, i32, i64, i1)"))
    return false;
  static const char *dtypes[] = {"f32", "f16", "bf16", "i32", "i64", "i1"};
  bool known = false;
  for (const char *d : dtypes)
    known |= type.dtype == d;
  if (!known)
    return error(type.pos, "unknown element type '" + type.dtype +
                               "' (expected f32, f16, bf16, i32, i64 or i1)");
  if (!expect('['))
    return false;
  if (tok.is(']')) {
    consume();
    return true;
  }
  do {
    IntExpr d;
    if (!parseIntExpr(d))
      return false;
    type.shape.push_back(std::move(d));
  } while (tok.is(',') && (consume(), true));
  return expect(']');
}

bool Parser::parseInit(Init &init) {
  init.pos = tok.pos;
  if (!expectName(init.kind, "an init (normal, uniform, zeros, ones, constant)"))
    return false;
  if (tok.is('(')) {
    consume();
    if (!parseKeywordArgs(init.args, /*allowExprs=*/false))
      return false;
  }
  return true;
}

bool Parser::parseParam(Param &p) {
  consume(); // param
  p.pos = tok.pos;
  if (!expectName(p.name, "a parameter name") || !expect(':') ||
      !parseType(p.type))
    return false;
  if (!atKeyword("init"))
    return expected("'init' (every parameter states its initializer)");
  consume();
  return parseInit(p.init);
}

bool Parser::parseBlock(Block &b) {
  consume(); // block
  b.pos = tok.pos;
  if (!expectName(b.name, "a block name") || !expect('('))
    return false;
  if (!tok.is(')') && !parseNames(b.args, "an argument name"))
    return false;
  if (!expect(')') || !expect('{'))
    return false;
  while (!atKeyword("return")) {
    if (tok.is('}') || atEnd())
      return error(tok.pos, "block '" + b.name + "' has no 'return'");
    if (atKeyword("param")) {
      Param p;
      if (!parseParam(p))
        return false;
      b.params.push_back(std::move(p));
      continue;
    }
    for (const char *k : {"block", "input", "config", "dims", "tie", "output"})
      if (atKeyword(k) && ahead.kind == Token::Kind::Name)
        return error(tok.pos, std::string("'") + k +
                                  "' is not allowed inside a block");
    Stmt s;
    if (!parseStmt(s))
      return false;
    b.body.push_back(std::move(s));
  }
  b.returnPos = tok.pos;
  consume();
  return parseNames(b.returns, "a value to return") && expect('}');
}

bool Parser::parseStmt(Stmt &s) {
  s.pos = tok.pos;
  if (tok.kind != Token::Kind::Name)
    return expected("a statement ('name = expression') or an item");
  if (!parseNames(s.results, "a result name"))
    return false;
  if (!expect('='))
    return false;
  if (atKeyword("repeat") && ahead.is('(')) {
    consume();
    consume();
    IntExpr count;
    if (!parseIntExpr(count) || !expect(')'))
      return false;
    s.repeat = std::move(count);
    s.value.pos = tok.pos;
    if (!expectName(s.value.name, "the block to repeat"))
      return false;
    s.value.kind = Expr::Kind::Call;
    if (!tok.is('('))
      return expected("'(' after the repeated block's name");
    return parseCallRest(s.value);
  }
  return parseExpr(s.value);
}

bool Parser::parseExpr(Expr &e) {
  e.pos = tok.pos;
  if (!expectName(e.name, "a value name or a call"))
    return false;
  if (!tok.is('(')) {
    e.kind = Expr::Kind::Ref;
    return true;
  }
  e.kind = Expr::Kind::Call;
  return parseCallRest(e);
}

bool Parser::parseCallRest(Expr &e) {
  if (++depth > kMaxDepth)
    return error(tok.pos, "expression nested too deeply");
  consume(); // (
  if (!tok.is(')')) {
    do {
      if (tok.kind == Token::Kind::Name && ahead.is('=')) {
        // Keyword arguments come last.
        if (!parseKeywordArgs(e.keywords, /*allowExprs=*/true))
          return false;
        --depth;
        goto done;
      }
      Expr arg;
      if (!parseExpr(arg))
        return false;
      e.args.push_back(std::move(arg));
    } while (tok.is(',') && (consume(), true));
    if (!expect(')'))
      return false;
  } else {
    consume();
  }
  --depth;
done:
  // `as NAME` names the call's block instance; `as` followed by anything
  // else starts the next statement (a value may be called "as": newlines do
  // not end statements, so only the lookahead tells them apart).
  if (atKeyword("as") && ahead.kind == Token::Kind::Name) {
    consume();
    if (!expectName(e.instance, "an instance name after 'as'"))
      return false;
  }
  return true;
}

/// `k=v, ...` up to and including the closing ')'.
bool Parser::parseKeywordArgs(std::vector<KeywordArg> &args, bool allowExprs) {
  if (tok.is(')')) {
    consume();
    return true;
  }
  while (true) {
    KeywordArg kw;
    kw.pos = tok.pos;
    if (!expectName(kw.name, "a keyword argument name") || !expect('=') ||
        !parseAttr(kw.value))
      return false;
    args.push_back(std::move(kw));
    if (tok.is(')'))
      break;
    if (!tok.is(','))
      return expected(allowExprs ? "',' or ')' (positional arguments cannot "
                                   "follow keyword arguments)"
                                 : "',' or ')'");
    consume();
    if (tok.kind == Token::Kind::Name && ahead.is('='))
      continue;
    if (tok.is(')'))
      return expected("a keyword argument after ','");
    return error(tok.pos, allowExprs ? "positional arguments cannot follow "
                                       "keyword arguments"
                                     : "expected 'name=value'");
  }
  consume(); // )
  return true;
}

bool Parser::parseAttr(AttrValue &v) {
  v.pos = tok.pos;
  if (tok.kind == Token::Kind::Float ||
      (tok.is('-') && ahead.kind == Token::Kind::Float)) {
    bool negative = tok.is('-');
    if (negative)
      consume();
    v.kind = AttrValue::Kind::Float;
    v.floatValue = negative ? -tok.floatValue : tok.floatValue;
    consume();
    return true;
  }
  if (atKeyword("true") || atKeyword("false")) {
    v.kind = AttrValue::Kind::Bool;
    v.boolValue = atKeyword("true");
    consume();
    return true;
  }
  if (tok.is('[')) {
    if (++depth > kMaxDepth)
      return error(tok.pos, "list nested too deeply");
    consume();
    v.kind = AttrValue::Kind::List;
    if (!tok.is(']')) {
      do {
        AttrValue item;
        if (!parseAttr(item))
          return false;
        v.list.push_back(std::move(item));
      } while (tok.is(',') && (consume(), true));
    }
    --depth;
    return expect(']');
  }
  if (tok.kind == Token::Kind::Name && ahead.is('('))
    return error(tok.pos, "a keyword argument takes a name or a constant, "
                          "not a call: bind the call to a name first");
  v.kind = AttrValue::Kind::Int;
  return parseIntExpr(v.intValue);
}

bool Parser::parseIntExpr(IntExpr &e) {
  if (depth == 0)
    operators = 0;
  if (!parseTerm(e))
    return false;
  while (tok.is('+') || tok.is('-')) {
    if (!countOperator())
      return false;
    IntExpr bin;
    bin.kind = tok.is('+') ? IntExpr::Kind::Add : IntExpr::Kind::Sub;
    bin.pos = tok.pos;
    consume();
    IntExpr rhs;
    if (!parseTerm(rhs))
      return false;
    bin.operands.push_back(std::move(e));
    bin.operands.push_back(std::move(rhs));
    e = std::move(bin);
  }
  return true;
}

bool Parser::parseTerm(IntExpr &e) {
  if (!parseUnary(e))
    return false;
  while (tok.is('*') || tok.is('/')) {
    if (!countOperator())
      return false;
    IntExpr bin;
    bin.kind = tok.is('*') ? IntExpr::Kind::Mul : IntExpr::Kind::Div;
    bin.pos = tok.pos;
    consume();
    IntExpr rhs;
    if (!parseUnary(rhs))
      return false;
    bin.operands.push_back(std::move(e));
    bin.operands.push_back(std::move(rhs));
    e = std::move(bin);
  }
  return true;
}

bool Parser::parseUnary(IntExpr &e) {
  if (++depth > kMaxDepth)
    return error(tok.pos, "expression nested too deeply");
  e.pos = tok.pos;
  bool ok = true;
  if (tok.is('-')) {
    if (!countOperator()) {
      --depth;
      return false;
    }
    consume();
    IntExpr inner;
    ok = parseUnary(inner);
    e.kind = IntExpr::Kind::Neg;
    e.operands.push_back(std::move(inner));
  } else if (tok.kind == Token::Kind::Int) {
    e.kind = IntExpr::Kind::Literal;
    e.value = tok.intValue;
    consume();
  } else if (tok.kind == Token::Kind::Name) {
    e.kind = IntExpr::Kind::Name;
    e.name = tok.text;
    consume();
  } else if (tok.is('(')) {
    consume();
    ok = parseIntExpr(e) && expect(')');
  } else if (tok.kind == Token::Kind::Float) {
    ok = error(tok.pos, "expected an integer, got float " + tok.text);
  } else {
    ok = expected("an integer, a name or '('");
  }
  --depth;
  return ok;
}

std::optional<IntExpr> Parser::parseIntExprOnly() {
  IntExpr e;
  if (!parseIntExpr(e))
    return std::nullopt;
  if (!atEnd()) {
    expected("end of the expression");
    return std::nullopt;
  }
  return e;
}

std::optional<TensorType> Parser::parseTypeOnly() {
  TensorType t;
  if (!parseType(t))
    return std::nullopt;
  if (!atEnd()) {
    expected("end of the type");
    return std::nullopt;
  }
  return t;
}

std::optional<Init> Parser::parseInitOnly() {
  Init i;
  if (!parseInit(i))
    return std::nullopt;
  if (!atEnd()) {
    expected("end of the init");
    return std::nullopt;
  }
  return i;
}

} // namespace

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

std::optional<Model> loom::spec::parseText(const std::string &text,
                                           const std::string &file,
                                           Diagnostics &diags) {
  return Parser(text, file, Pos{1, 1}, diags).parseSpec();
}

std::optional<IntExpr> loom::spec::parseIntExprFragment(const std::string &text,
                                                        const std::string &file,
                                                        Pos start,
                                                        Diagnostics &diags) {
  return Parser(text, file, start, diags).parseIntExprOnly();
}

std::optional<TensorType> loom::spec::parseTypeFragment(const std::string &text,
                                                        const std::string &file,
                                                        Pos start,
                                                        Diagnostics &diags) {
  return Parser(text, file, start, diags).parseTypeOnly();
}

std::optional<Init> loom::spec::parseInitFragment(const std::string &text,
                                                  const std::string &file,
                                                  Pos start,
                                                  Diagnostics &diags) {
  return Parser(text, file, start, diags).parseInitOnly();
}

bool loom::spec::isValidName(const std::string &name) {
  Pos origin{1, 1};
  Lexer lexer(name, origin);
  Token t = lexer.next();
  return t.kind == Token::Kind::Name && t.text == name &&
         lexer.next().kind == Token::Kind::End;
}

std::string loom::spec::printFloat(double v) {
  if (std::isnan(v))
    return "nan";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

Syntax loom::spec::syntaxOf(const std::string &path) {
  return path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0
             ? Syntax::Json
             : Syntax::Text;
}

std::optional<Model> loom::spec::parseFile(const std::string &path,
                                           Diagnostics &diags) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags.error(path, Pos{}, "is a directory, not a model spec");
    return std::nullopt;
  }
  // A device or a pipe (/dev/zero) would be read without end.
  auto status = std::filesystem::status(path, ec);
  if (!ec && status.type() != std::filesystem::file_type::regular) {
    diags.error(path, Pos{}, "is not a regular file, not a model spec");
    return std::nullopt;
  }
  uintmax_t size = ec ? 0 : std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxSpecBytes) {
    diags.error(path, Pos{},
                "is " + std::to_string(size) + " bytes; a model spec may have at most " +
                    std::to_string(kMaxSpecBytes) + " (16 MiB)");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(path, Pos{}, "cannot open model spec");
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  return syntaxOf(path) == Syntax::Json ? parseJson(text, path, diags)
                                        : parseText(text, path, diags);
}

std::string Diagnostic::str() const {
  std::string s = file;
  if (pos.line > 0)
    s += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col);
  return s + ": error: " + message;
}

std::string Diagnostics::str() const {
  std::string s;
  for (const Diagnostic &d : list)
    s += d.str() + "\n";
  return s;
}
