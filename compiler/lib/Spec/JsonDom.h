//===- JsonDom.h - a positioned JSON DOM, built through nlohmann SAX -----===//
//
// nlohmann/json's SAX interface reports values but not where they are, so the
// input goes through an iterator that watches every character it hands over
// and remembers where the latest tokens started. The SAX handler builds a
// small DOM whose nodes carry those positions and keep object members in
// order. Only JsonParser.cpp includes this.
//
// Nothing here may throw or abort, whatever the input: LoomSpec is built
// without exceptions, where nlohmann turns a throw into abort(). The SAX path
// never throws; parse errors arrive in DomBuilder::parse_error.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_SPEC_JSONDOM_H
#define LOOM_SPEC_JSONDOM_H

#include "loom/Spec/Spec.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace loom::spec::jsondom {

using json = nlohmann::json;

/// Deeper nesting is an error, so that neither the DOM nor the recursive
/// conversion can run out of stack.
constexpr size_t kMaxDepth = 512;

/// `'text'` for a message, with control and non-ASCII bytes as \xNN: keys
/// and strings may hold anything, messages should stay printable.
inline std::string shown(const std::string &text) {
  static const char *hex = "0123456789abcdef";
  std::string s = "'";
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      s += static_cast<char>(c);
    } else {
      s += "\\x";
      s += hex[c >> 4];
      s += hex[c & 15];
    }
  }
  return s + "'";
}

//===----------------------------------------------------------------------===//
// Position tracking
//===----------------------------------------------------------------------===//

/// Follows the characters nlohmann reads. The lexer reads one character past
/// a number before the number is reported, so the start of the latest scalar
/// token (`valueStart`) is tracked apart from the latest structural character
/// (`structural`, used by start_object/start_array).
struct Tracker {
  explicit Tracker(const std::string &text) : text(text) {}

  void consume() {
    unsigned char c = text[index++];
    last = next;
    if (c == '\n') {
      ++next.line;
      next.col = 1;
    } else {
      ++next.col;
    }
    if (inString) {
      // Spaces, commas and quotes inside a string start nothing.
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        inString = false;
      return;
    }
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
      inToken = false;
      return;
    case '{':
    case '}':
    case '[':
    case ']':
    case ':':
    case ',':
      structural = tokenStart = last;
      inToken = false;
      return;
    case '"':
      valueStart = tokenStart = last;
      inString = inToken = true;
      return;
    default:
      if (!inToken)
        valueStart = tokenStart = last;
      inToken = true;
    }
  }

  const std::string &text;
  size_t index = 0; // next character to read
  Pos next{1, 1};   // position of text[index]
  Pos last{1, 1};   // position of the last character read
  Pos valueStart;   // first character of the latest string/number/literal
  Pos structural;   // the latest { } [ ] : ,
  Pos tokenStart;   // the latest token of either kind
  bool inString = false;
  bool escape = false;
  bool inToken = false;
};

/// The input iterator handed to nlohmann: reads `text` and tells the tracker.
/// Only the adapter's copy of the begin iterator is ever advanced.
class TrackingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  TrackingIterator(Tracker *tracker, size_t index)
      : tracker(tracker), index(index) {}
  reference operator*() const { return tracker->text[index]; }
  TrackingIterator &operator++() {
    if (index == tracker->index)
      tracker->consume();
    ++index;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator &o) const { return index == o.index; }
  bool operator!=(const TrackingIterator &o) const { return index != o.index; }

private:
  Tracker *tracker;
  size_t index;
};

//===----------------------------------------------------------------------===//
// The positioned DOM
//===----------------------------------------------------------------------===//

struct JMember;

struct JValue {
  enum class Kind { Null, Bool, Int, Float, String, Array, Object };
  Kind kind = Kind::Null;
  Pos pos;
  bool boolValue = false;
  int64_t intValue = 0;
  double floatValue = 0;
  std::string str;
  std::vector<JValue> items;    // Array
  std::vector<JMember> members; // Object, in input order

  bool isString() const { return kind == Kind::String; }
};

struct JMember {
  std::string key;
  Pos keyPos;
  JValue value;
};

/// nlohmann SAX handler that builds a JValue tree. Every callback returns
/// false after an error, which stops the parser.
class DomBuilder {
public:
  DomBuilder(Tracker &tracker, const std::string &file, Diagnostics &diags)
      : tracker(tracker), file(file), diags(diags) {}

  bool null() { return add(scalar(JValue::Kind::Null)); }
  bool boolean(bool v) {
    JValue j = scalar(JValue::Kind::Bool);
    j.boolValue = v;
    return add(std::move(j));
  }
  bool number_integer(json::number_integer_t v) {
    JValue j = scalar(JValue::Kind::Int);
    j.intValue = v;
    return add(std::move(j));
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return fail(tracker.valueStart, "integer out of range");
    return number_integer(static_cast<int64_t>(v));
  }
  bool number_float(json::number_float_t v, const json::string_t &text) {
    // nlohmann turns an integer too large for 64 bits into a float; keep
    // integers and floats apart by their spelling.
    if (text.find_first_of(".eE") == std::string::npos)
      return fail(tracker.valueStart, "integer out of range");
    JValue j = scalar(JValue::Kind::Float);
    j.floatValue = v;
    return add(std::move(j));
  }
  bool string(json::string_t &v) {
    JValue j = scalar(JValue::Kind::String);
    j.str = std::move(v);
    return add(std::move(j));
  }
  bool binary(json::binary_t &) {
    // Only binary formats (CBOR, ...) produce these.
    return fail(tracker.valueStart, "unexpected binary value");
  }
  bool start_object(std::size_t) { return open(JValue::Kind::Object); }
  bool start_array(std::size_t) { return open(JValue::Kind::Array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t &k) {
    Frame &f = frames.back();
    if (!f.keys.insert(k).second)
      return fail(tracker.valueStart, "duplicate key " + shown(k));
    f.key = std::move(k);
    f.keyPos = tracker.valueStart;
    return true;
  }
  bool parse_error(std::size_t, const std::string &,
                   const json::exception &ex) {
    if (failed)
      return false;
    std::string what = ex.what();
    std::string reason;
    Pos pos = tracker.tokenStart;
    if (what.find("number overflow") != std::string::npos) {
      reason = "number out of range";
      pos = tracker.valueStart;
    } else {
      // "[json.exception.parse_error.101] parse error at line 1, column 9:
      //  syntax error while parsing object - unexpected string literal;
      //  expected '}'": keep the part after " - ", without the echo of the
      //  input ("; last read: '...'"), which may hold any bytes.
      size_t dash = what.find(" - ");
      reason = dash == std::string::npos ? what : what.substr(dash + 3);
      size_t echo = reason.find("; last read:");
      if (echo != std::string::npos)
        reason.erase(echo);
      if (reason.rfind("unexpected end of input", 0) == 0 ||
          reason.find("missing closing quote") != std::string::npos)
        pos = tracker.next; // where the input ran out
      else if (reason.rfind("invalid string", 0) == 0)
        pos = tracker.last; // the offending character inside the string
    }
    return fail(pos, "malformed JSON: " + reason);
  }

  bool failed = false;
  std::optional<JValue> result;

private:
  struct Frame {
    JValue value;
    std::string key; // the pending member's key (objects)
    Pos keyPos;
    std::set<std::string> keys;
  };

  bool fail(Pos pos, std::string message) {
    if (!failed)
      diags.error(file, pos, std::move(message));
    failed = true;
    return false;
  }
  JValue scalar(JValue::Kind kind) {
    JValue j;
    j.kind = kind;
    j.pos = tracker.valueStart;
    return j;
  }
  bool open(JValue::Kind kind) {
    if (frames.size() >= kMaxDepth)
      return fail(tracker.structural, "malformed JSON: nesting deeper than " +
                                          std::to_string(kMaxDepth) +
                                          " levels");
    Frame f;
    f.value.kind = kind;
    f.value.pos = tracker.structural;
    frames.push_back(std::move(f));
    return true;
  }
  bool close() {
    JValue done = std::move(frames.back().value);
    frames.pop_back();
    return add(std::move(done));
  }
  bool add(JValue v) {
    if (frames.empty()) {
      result = std::move(v);
      return true;
    }
    Frame &f = frames.back();
    if (f.value.kind == JValue::Kind::Array)
      f.value.items.push_back(std::move(v));
    else
      f.value.members.push_back({std::move(f.key), f.keyPos, std::move(v)});
    return true;
  }

  Tracker &tracker;
  const std::string &file;
  Diagnostics &diags;
  std::vector<Frame> frames;
};

/// Parses `text` into a DOM; on a syntax error, reports it and returns
/// nullopt.
inline std::optional<JValue>
parseDom(const std::string &text, const std::string &file, Diagnostics &diags) {
  Tracker tracker(text);
  DomBuilder builder(tracker, file, diags);
  bool ok = json::sax_parse(TrackingIterator(&tracker, 0),
                            TrackingIterator(&tracker, text.size()), &builder);
  if (!ok || builder.failed || !builder.result) {
    if (!builder.failed)
      diags.error(file, tracker.next, "malformed JSON");
    return std::nullopt;
  }
  return std::move(builder.result);
}

} // namespace loom::spec::jsondom

#endif // LOOM_SPEC_JSONDOM_H
