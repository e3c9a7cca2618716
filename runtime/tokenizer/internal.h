//===- internal.h - pieces the tokenizers share (not installed) -----------===//
#ifndef LOOM_TOKENIZER_INTERNAL_H
#define LOOM_TOKENIZER_INTERNAL_H

#include "loom/tokenizer/tokenizer.h"
#include "unicode.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loom::tok::detail {

// ---- messages ---------------------------------------------------------------

/// A token for a message: in double quotes, with escapes for quotes,
/// backslashes and control characters, cut after 60 bytes.
std::string quote(std::string_view token);
/// "FILE: WHAT" (LOOM_ERR_FORMAT).
Status fileError(const std::string &file, const std::string &what);
/// "FILE:LINE: WHAT".
Status lineError(const std::string &file, size_t line, const std::string &what);
/// "FILE:LINE:COLUMN: WHAT" for byte OFFSET of TEXT (columns count
/// characters from 1).
Status offsetError(const std::string &file, std::string_view text, size_t offset,
                   const std::string &what);
size_t lineOf(std::string_view text, size_t offset);

// ---- files ------------------------------------------------------------------

/// vocab.json: a JSON object of distinct non-empty strings to distinct ids
/// 0..N-1; TOKENS[id] = string.
Status parseVocabJson(std::string_view text, const std::string &name,
                      std::vector<std::string> &tokens);
std::string writeVocabJson(const std::vector<std::string> &tokens);
/// vocab.txt: one token per line.
Status parseVocabTxt(std::string_view text, const std::string &name,
                     std::vector<std::string> &tokens);
/// Splits TEXT into lines (without "\n" or a trailing "\r"); a final newline
/// does not start another line.
std::vector<std::string_view> splitLines(std::string_view text);
/// Creates DIR if missing and writes each (name, contents) atomically.
Status writeFiles(const std::string &dir,
                  const std::vector<std::pair<std::string, std::string>> &files);
Status readTextFile(const std::string &path, std::string &out);

// ---- GPT-2's pre-split ----------------------------------------------------------

enum class CharClass : uint8_t { Letter, Number, Space, Other };

inline CharClass classOf(char32_t c, bool valid) {
  if (!valid)
    return CharClass::Other; // a lone surrogate in Python
  if (uni::isLetter(c))
    return CharClass::Letter;
  if (uni::isNumber(c))
    return CharClass::Number;
  if (uni::isWhiteSpace(c))
    return CharClass::Space;
  return CharClass::Other;
}

/// Calls piece(begin, end) for each match of
///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// as regex.findall finds them: at each position the first alternative that
/// matches wins, and every character matches one.
template <typename Piece> void gpt2SplitImpl(std::string_view s, Piece &&piece) {
  const size_t n = s.size();
  auto decode = [&](size_t pos, size_t &nextPos) {
    bool valid;
    nextPos = pos;
    char32_t c = uni::next(s, nextPos, valid);
    return classOf(c, valid);
  };
  size_t i = 0;
  while (i < n) {
    size_t i1;
    CharClass c0 = decode(i, i1);
    size_t end = 0;
    // 's|'t|'re|'ve|'m|'ll|'d (ASCII, case-sensitive).
    if (s[i] == '\'' && i1 < n) {
      char a = s[i1], b = i1 + 1 < n ? s[i1 + 1] : '\0';
      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        end = i1 + 1;
      else if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        end = i1 + 2;
    }
    if (!end) {
      // ' ?X+' for X = \p{L}, \p{N}, [^\s\p{L}\p{N}]: an optional space,
      // then a run of one class.
      size_t k = i;
      CharClass ck = c0;
      if (s[i] == ' ' && i1 < n) {
        size_t unused;
        k = i1;
        ck = decode(i1, unused);
      }
      if (ck != CharClass::Space) {
        end = k;
        while (end < n) {
          size_t nx;
          if (decode(end, nx) != ck)
            break;
          end = nx;
        }
      }
    }
    if (!end) {
      // \s+(?!\S) backs off one character unless the run ends the text;
      // a single space before a non-space is \s+.
      size_t last = i;
      end = i;
      while (end < n) {
        size_t nx;
        if (decode(end, nx) != CharClass::Space)
          break;
        last = end;
        end = nx;
      }
      if (end < n && last > i)
        end = last;
    }
    piece(i, end);
    i = end;
  }
}

// ---- learning merges (BPE and WordPiece training) ---------------------------------

struct TrainWord {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

struct LearnedMerge {
  int32_t left, right, result;
};

/// The BPE training loop of HF tokenizers' BpeTrainer: merges the most
/// frequent adjacent pair (weighted by word counts; ties: the smallest
/// (left id, right id)) in every word, until TOKENS has TARGET entries, no
/// pair is left, or the best pair occurs fewer than minFrequency times.
/// A merged token is left + right (WORDPIECE: right without its "##"); a
/// string already in TOKENS keeps its id. A pair merged before that forms
/// again is merged again without a second merge. Pair counts are updated
/// incrementally: each merge touches only the words that hold the pair.
void learnMerges(std::vector<TrainWord> &words, std::vector<std::string> &tokens,
                 std::unordered_map<std::string, int32_t> &index, size_t target,
                 int64_t minFrequency, bool wordPiece, std::vector<LearnedMerge> &merges);

} // namespace loom::tok::detail

#endif // LOOM_TOKENIZER_INTERNAL_H
