//===- files.cpp - vocabulary files: vocab.json, vocab.txt, messages ------===//
//
// vocab.json has its own small reader rather than nlohmann's: it needs the
// line and column of every token (duplicates, out-of-range ids are reported
// where they are), and the format is one flat object of string -> integer.
//
//===----------------------------------------------------------------------===//
#include "internal.h"

#include "loom/formats/io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sys/stat.h>

namespace loom::tok::detail {

// ---- messages ---------------------------------------------------------------

std::string quote(std::string_view token) {
  std::string out = "\"";
  size_t pos = 0;
  while (pos < token.size()) {
    if (pos >= 60) {
      out += "...";
      break;
    }
    size_t start = pos;
    bool valid;
    char32_t c = uni::next(token, pos, valid);
    char buf[16];
    if (!valid) {
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c - 0xDC00));
      out += buf;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out.append(token.substr(start, pos - start));
    }
  }
  return out + "\"";
}

Status fileError(const std::string &file, const std::string &what) {
  return Status::error(LOOM_ERR_FORMAT, file + ": " + what);
}

Status lineError(const std::string &file, size_t line, const std::string &what) {
  return fileError(file + ":" + std::to_string(line), what);
}

size_t lineOf(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i)
    line += text[i] == '\n';
  return line;
}

Status offsetError(const std::string &file, std::string_view text, size_t offset,
                   const std::string &what) {
  offset = std::min(offset, text.size());
  size_t lineStart = 0;
  if (offset > 0)
    if (size_t nl = text.rfind('\n', offset - 1); nl != std::string_view::npos)
      lineStart = nl + 1;
  size_t column = 1;
  for (size_t i = lineStart; i < offset; ++i)
    column += (static_cast<uint8_t>(text[i]) & 0xC0) != 0x80;
  return fileError(file + ":" + std::to_string(lineOf(text, offset)) + ":" +
                       std::to_string(column),
                   what);
}

// ---- vocab.json ------------------------------------------------------------------

namespace {

constexpr int64_t kMaxId = INT32_MAX - 1;

class VocabJsonReader {
public:
  VocabJsonReader(std::string_view text, const std::string &name) : s(text), name(name) {}

  struct Entry {
    std::string token;
    int64_t id;
    size_t offset;
  };

  Status read(std::vector<Entry> &entries) {
    if (s.substr(0, 3) == "\xEF\xBB\xBF")
      pos = 3; // a byte-order mark
    skipSpace();
    if (!eat('{'))
      return error(pos, "expected '{': vocab.json is a JSON object of token -> id");
    skipSpace();
    if (!eat('}')) {
      for (;;) {
        skipSpace();
        Entry e;
        e.offset = pos;
        if (pos >= s.size() || s[pos] != '"')
          return error(pos, entries.empty() ? "expected a token string or '}'"
                                            : "expected a token string after ','");
        LOOM_RT_TRY(readString(e.token));
        skipSpace();
        if (!eat(':'))
          return error(pos, "expected ':' after the token " + quote(e.token));
        skipSpace();
        LOOM_RT_TRY(readId(e.id));
        entries.push_back(std::move(e));
        skipSpace();
        if (eat(','))
          continue;
        if (eat('}'))
          break;
        return error(pos, "expected ',' or '}' after an id");
      }
    }
    skipSpace();
    if (pos != s.size())
      return error(pos, "unexpected text after the closing '}'");
    return Status::ok();
  }

private:
  Status error(size_t at, const std::string &what) const {
    return offsetError(name, s, at, what);
  }
  void skipSpace() {
    while (pos < s.size() &&
           (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }
  bool eat(char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool hex4(size_t at, uint32_t &v) const {
    if (at + 4 > s.size())
      return false;
    v = 0;
    for (size_t i = at; i < at + 4; ++i) {
      char c = s[i];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0)
        return false;
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return true;
  }
  Status readString(std::string &out) {
    size_t open = pos++;
    for (;;) {
      if (pos >= s.size())
        return error(open, "unterminated string");
      uint8_t c = static_cast<uint8_t>(s[pos]);
      if (c == '"') {
        ++pos;
        return Status::ok();
      }
      if (c < 0x20)
        return error(pos, "a control character (byte " + std::to_string(c) +
                              ") in a string must be escaped");
      if (c >= 0x80) {
        size_t start = pos;
        bool valid;
        uni::next(s, pos, valid);
        if (!valid)
          return error(start, "not valid UTF-8 (byte " + hexByte(c) + ")");
        out.append(s.substr(start, pos - start));
        continue;
      }
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos;
        continue;
      }
      size_t esc = pos;
      if (pos + 1 >= s.size())
        return error(open, "unterminated string");
      char e = s[pos + 1];
      pos += 2;
      switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t u;
        if (!hex4(pos, u))
          return error(esc, "\\u needs four hex digits");
        pos += 4;
        if (u >= 0xDC00 && u <= 0xDFFF)
          return error(esc, "a lone low surrogate \\u" + hex4String(u) +
                                " is not a character");
        if (u >= 0xD800 && u <= 0xDBFF) {
          uint32_t lo;
          if (pos + 6 > s.size() || s[pos] != '\\' || s[pos + 1] != 'u' ||
              !hex4(pos + 2, lo) || lo < 0xDC00 || lo > 0xDFFF)
            return error(esc, "a high surrogate \\u" + hex4String(u) +
                                  " without a low surrogate is not a character");
          pos += 6;
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        uni::appendUtf8(out, u);
        break;
      }
      default:
        return error(
            esc, std::string("unknown escape '\\") +
                     (static_cast<uint8_t>(e) < 0x20 || static_cast<uint8_t>(e) >= 0x7F
                          ? std::string("?")
                          : std::string(1, e)) +
                     "'");
      }
    }
  }
  Status readId(int64_t &out) {
    size_t start = pos;
    if (pos < s.size() && s[pos] == '-')
      return error(start, "ids must be non-negative integers");
    if (pos >= s.size() || s[pos] < '0' || s[pos] > '9')
      return error(start, "expected an integer id");
    if (s[pos] == '0' && pos + 1 < s.size() && s[pos + 1] >= '0' && s[pos + 1] <= '9')
      return error(start, "a JSON number has no leading zeros");
    out = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      out = out * 10 + (s[pos] - '0');
      if (out > kMaxId)
        return error(start, "id too large (ids are below 2^31 - 1)");
      ++pos;
    }
    if (pos < s.size() && (s[pos] == '.' || s[pos] == 'e' || s[pos] == 'E'))
      return error(start, "ids must be integers");
    return Status::ok();
  }
  static std::string hexByte(uint8_t b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", b);
    return buf;
  }
  static std::string hex4String(uint32_t u) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04X", u);
    return buf;
  }

  std::string_view s;
  const std::string &name;
  size_t pos = 0;
};

} // namespace

Status parseVocabJson(std::string_view text, const std::string &name,
                      std::vector<std::string> &tokens) {
  std::vector<VocabJsonReader::Entry> entries;
  LOOM_RT_TRY(VocabJsonReader(text, name).read(entries));
  if (entries.empty())
    return fileError(name, "the vocabulary is empty");
  const size_t n = entries.size();
  std::unordered_map<std::string_view, size_t> seen; // into entries
  seen.reserve(n);
  std::vector<size_t> owner(n, SIZE_MAX);
  tokens.assign(n, std::string());
  for (size_t i = 0; i < n; ++i) {
    const VocabJsonReader::Entry &e = entries[i];
    if (e.token.empty())
      return offsetError(name, text, e.offset, "an empty token");
    auto [it, fresh] = seen.emplace(e.token, i);
    if (!fresh)
      return offsetError(
          name, text, e.offset,
          "the token " + quote(e.token) + " appears twice (first on line " +
              std::to_string(lineOf(text, entries[it->second].offset)) + ")");
    if (static_cast<uint64_t>(e.id) >= n)
      return offsetError(name, text, e.offset,
                         "id " + std::to_string(e.id) + " of " + quote(e.token) +
                             " is out of range: ids must be dense, 0.." +
                             std::to_string(n - 1) + " for " + std::to_string(n) +
                             " tokens");
    size_t id = static_cast<size_t>(e.id);
    if (owner[id] != SIZE_MAX)
      return offsetError(
          name, text, e.offset,
          "id " + std::to_string(id) + " of " + quote(e.token) + " is also the id of " +
              quote(entries[owner[id]].token) + " (line " +
              std::to_string(lineOf(text, entries[owner[id]].offset)) + ")");
    owner[id] = i;
  }
  // n entries with distinct ids below n: every id 0..n-1 is taken.
  for (size_t id = 0; id < n; ++id)
    tokens[id] = std::move(entries[owner[id]].token);
  return Status::ok();
}

std::string writeVocabJson(const std::vector<std::string> &tokens) {
  std::string out = "{";
  for (size_t id = 0; id < tokens.size(); ++id) {
    out += id ? ",\n  \"" : "\n  \"";
    for (char ch : tokens[id]) {
      uint8_t c = static_cast<uint8_t>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += ch;
      }
    }
    out += "\": " + std::to_string(id);
  }
  out += "\n}\n";
  return out;
}

// ---- vocab.txt -------------------------------------------------------------------

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos)
      break;
    start = nl + 1;
  }
  return lines;
}

Status parseVocabTxt(std::string_view text, const std::string &name,
                     std::vector<std::string> &tokens) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    text.remove_prefix(3);
  std::vector<std::string_view> lines = splitLines(text);
  if (lines.empty())
    return fileError(name, "the vocabulary is empty");
  if (lines.size() > static_cast<size_t>(kMaxId))
    return fileError(name, "too many tokens");
  std::unordered_map<std::string_view, size_t> seen;
  seen.reserve(lines.size());
  tokens.clear();
  tokens.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty())
      return lineError(name, i + 1, "an empty line (each line is one token)");
    if (size_t bad = uni::invalidUtf8Offset(line); bad != std::string_view::npos)
      return offsetError(name, text, static_cast<size_t>(line.data() - text.data()) + bad,
                         "not valid UTF-8");
    // A line ends in \n or \r\n, so a token holding \r would not survive
    // being written back (HF's reader splits on a lone \r as well).
    if (size_t cr = line.find('\r'); cr != std::string_view::npos)
      return offsetError(name, text, static_cast<size_t>(line.data() - text.data()) + cr,
                         "a carriage return inside a token");
    auto [it, fresh] = seen.emplace(line, i);
    if (!fresh)
      return lineError(name, i + 1,
                       "the token " + quote(line) + " appears twice (first on line " +
                           std::to_string(it->second + 1) + ")");
    tokens.emplace_back(line);
  }
  return Status::ok();
}

// ---- reading and writing -----------------------------------------------------------

Status readTextFile(const std::string &path, std::string &out) {
  return rt::readFile(path, out);
}

Status writeFiles(const std::string &dir,
                  const std::vector<std::pair<std::string, std::string>> &files) {
  if (dir.empty())
    return Status::error(LOOM_ERR_INVALID_ARGUMENT, "an empty directory name");
  // Like mkdir -p: every missing directory on the way.
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    std::string prefix = dir.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return Status::error(LOOM_ERR_IO, "cannot create the directory '" + prefix +
                                            "': " + rt::errnoMessage(errno));
    if (slash == std::string::npos)
      break;
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Status::error(LOOM_ERR_IO, "'" + dir + "' is not a directory");
  for (const auto &[name, contents] : files)
    LOOM_RT_TRY(rt::writeFileAtomic(dir + "/" + name,
                                    {rt::ByteRange{contents.data(), contents.size()}}));
  return Status::ok();
}

} // namespace loom::tok::detail
