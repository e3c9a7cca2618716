//===- tokenizer_cmd.cpp - `loom tokenizer` ---------------------------------===//
//
// Trains, runs and inspects the tokenizers of loom_tokenizer
// (docs/tokenizers.md): `train` learns a byte-level BPE or WordPiece
// vocabulary from a text file, `encode` prints ids (or writes a whole file's
// ids as an i32 .npy for `loom train --data tokens:`), `decode` prints the
// text of ids, `info` the vocabulary's shape.
//
//===----------------------------------------------------------------------===//
#include "cli.h"

#include "loom/formats/io.h"
#include "loom/formats/npy.h"
#include "loom/tokenizer/bpe.h"
#include "loom/tokenizer/wordpiece.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace loom::cli;
using loom::rt::Status;

namespace {

const char *kTokenizerUsage =
    "usage: loom tokenizer train --type bpe|wordpiece --vocab-size N --input FILE -o "
    "DIR\n"
    "       loom tokenizer encode DIR TEXT [--add-special] [--tokens]\n"
    "       loom tokenizer encode DIR --input FILE [-o IDS.npy]\n"
    "       loom tokenizer decode DIR ID... [--skip-special]\n"
    "       loom tokenizer info DIR\n"
    "\n"
    "DIR holds vocab.json + merges.txt (byte-level BPE, as GPT-2) or vocab.txt\n"
    "(+ tokenizer_config.json; WordPiece, as BERT). See docs/tokenizers.md.\n"
    "train:\n"
    "  --type bpe|wordpiece    the kind of tokenizer (default bpe)\n"
    "  --vocab-size N          final vocabulary size, special tokens included\n"
    "  --input FILE            training text (repeatable: the files in order)\n"
    "  -o DIR                  where the vocabulary files go (created)\n"
    "  --min-frequency K       pairs seen fewer times are not merged (default 2)\n"
    "  --cased                 wordpiece: keep case and accents\n"
    "  --limit-alphabet N      wordpiece: keep the N most frequent characters\n"
    "                          (default 1000; 0 keeps all)\n"
    "encode:\n"
    "  --add-special           wordpiece: [CLS] TEXT [SEP]\n"
    "  --special-as-text       special tokens in the text are plain text\n"
    "  --tokens                print token strings instead of ids\n"
    "  --input FILE            encode a whole file; with -o, write its ids as a\n"
    "                          1-D i32 .npy (loom train --data tokens:IDS.npy)\n"
    "decode:\n"
    "  --skip-special          leave special tokens out\n";

void require(const Status &s) {
  if (!s.isOk())
    failWith(s.message());
}

/// The value of FLAG at argv[i] ("--flag value" or "--flag=value").
bool takeValue(int argc, char **argv, int &i, const char *flag, std::string &value) {
  std::string arg = argv[i];
  size_t n = std::strlen(flag);
  if (arg.compare(0, n, flag) != 0)
    return false;
  if (arg.size() == n) {
    if (i + 1 >= argc)
      failWith(std::string(flag) + " needs a value");
    value = argv[++i];
    return true;
  }
  if (arg[n] != '=')
    return false;
  value = arg.substr(n + 1);
  return true;
}

int64_t parseInteger(const std::string &flag, const std::string &v, int64_t lo,
                     int64_t hi) {
  char *end = nullptr;
  errno = 0;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || x < lo || x > hi)
    failWith(flag + " expects an integer from " + std::to_string(lo) + " to " +
             std::to_string(hi) + ", got '" + v + "'");
  return x;
}

std::unique_ptr<loom::tok::Tokenizer> openDir(const std::string &dir) {
  std::unique_ptr<loom::tok::Tokenizer> t;
  require(loom::tok::openTokenizer(dir, t));
  return t;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int train(int argc, char **argv) {
  std::string type = "bpe", out, value;
  std::vector<std::string> inputs;
  int64_t vocabSize = -1, minFrequency = 2, limitAlphabet = 1000;
  bool cased = false;
  for (int i = 3; i < argc; ++i) {
    if (takeValue(argc, argv, i, "--type", value))
      type = value;
    else if (takeValue(argc, argv, i, "--vocab-size", value))
      vocabSize = parseInteger("--vocab-size", value, 1, INT32_MAX - 1);
    else if (takeValue(argc, argv, i, "--input", value))
      inputs.push_back(value);
    else if (takeValue(argc, argv, i, "-o", value) ||
             takeValue(argc, argv, i, "--output", value))
      out = value;
    else if (takeValue(argc, argv, i, "--min-frequency", value))
      minFrequency = parseInteger("--min-frequency", value, 0, INT64_MAX);
    else if (takeValue(argc, argv, i, "--limit-alphabet", value))
      limitAlphabet = parseInteger("--limit-alphabet", value, 0, INT32_MAX);
    else if (!std::strcmp(argv[i], "--cased"))
      cased = true;
    else
      failWith(std::string("loom tokenizer train: unexpected argument '") + argv[i] +
               "' (loom tokenizer --help)");
  }
  if (type != "bpe" && type != "wordpiece")
    failWith("--type must be bpe or wordpiece, got '" + type + "'");
  if (vocabSize < 0)
    failWith("loom tokenizer train: missing --vocab-size N");
  if (inputs.empty())
    failWith("loom tokenizer train: missing --input FILE");
  if (out.empty())
    failWith("loom tokenizer train: missing -o DIR");
  std::string text, part;
  for (const std::string &path : inputs) {
    require(loom::rt::readFile(path, part));
    text += part;
  }

  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<loom::tok::Tokenizer> t;
  std::string shape;
  if (type == "bpe") {
    loom::tok::BpeTrainOptions options;
    options.vocabSize = static_cast<size_t>(vocabSize);
    options.minFrequency = minFrequency;
    std::unique_ptr<loom::tok::BpeTokenizer> bpe;
    require(loom::tok::BpeTokenizer::train(text, options, bpe));
    shape = "256 bytes + " + std::to_string(bpe->merges().size()) + " merges + " +
            std::to_string(bpe->specialTokens().size()) + " special";
    t = std::move(bpe);
  } else {
    loom::tok::WordPieceTrainOptions options;
    options.vocabSize = static_cast<size_t>(vocabSize);
    options.minFrequency = minFrequency;
    options.limitAlphabet = static_cast<size_t>(limitAlphabet);
    options.basic.lowerCase = !cased;
    std::unique_ptr<loom::tok::WordPieceTokenizer> wp;
    require(loom::tok::WordPieceTokenizer::train(text, options, wp));
    shape = std::string(cased ? "cased" : "uncased") + ", 5 special";
    t = std::move(wp);
  }
  double seconds = secondsSince(start);
  require(t->save(out));
  std::printf(
      "loom tokenizer: %s vocabulary of %zu tokens (%s) from %zu bytes in %.2f s -> %s\n",
      type.c_str(), t->vocabSize(), shape.c_str(), text.size(), seconds, out.c_str());
  if (t->vocabSize() < static_cast<size_t>(vocabSize))
    std::printf(
        "loom tokenizer: the text ran out of pairs seen %lld+ times before %lld tokens\n",
        static_cast<long long>(std::max<int64_t>(minFrequency, 1)),
        static_cast<long long>(vocabSize));
  return 0;
}

int encode(int argc, char **argv) {
  std::string dir, input, out, value;
  std::vector<std::string> texts;
  unsigned flags = 0;
  bool printTokens = false;
  for (int i = 3; i < argc; ++i) {
    if (takeValue(argc, argv, i, "--input", value))
      input = value;
    else if (takeValue(argc, argv, i, "-o", value) ||
             takeValue(argc, argv, i, "--output", value))
      out = value;
    else if (!std::strcmp(argv[i], "--add-special"))
      flags |= loom::tok::kAddSpecial;
    else if (!std::strcmp(argv[i], "--special-as-text"))
      flags |= loom::tok::kSpecialAsText;
    else if (!std::strcmp(argv[i], "--tokens"))
      printTokens = true;
    else if (argv[i][0] == '-' && argv[i][1] == '-')
      failWith(std::string("loom tokenizer encode: unknown option '") + argv[i] + "'");
    else if (dir.empty())
      dir = argv[i];
    else
      texts.push_back(argv[i]);
  }
  if (dir.empty())
    failWith("loom tokenizer encode: missing DIR");
  if (input.empty() == texts.empty() || texts.size() > 1)
    failWith("loom tokenizer encode: give one TEXT argument or --input FILE");
  if (!out.empty() && input.empty())
    failWith("loom tokenizer encode: -o needs --input FILE");
  auto t = openDir(dir);
  std::vector<int32_t> ids;
  if (!input.empty())
    require(loom::tok::encodeFile(*t, input, ids, flags));
  else
    t->encode(texts[0], ids, flags);
  if (!out.empty()) {
    require(loom::rt::writeNpy(out, LOOM_DTYPE_I32, {static_cast<int64_t>(ids.size())},
                               ids.data(), ids.size() * sizeof(int32_t)));
    std::printf("loom tokenizer: %zu ids -> %s\n", ids.size(), out.c_str());
    return 0;
  }
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i)
      line += ' ';
    line += printTokens ? t->token(ids[i]) : std::to_string(ids[i]);
  }
  std::printf("%s\n", line.c_str());
  return 0;
}

int decode(int argc, char **argv) {
  std::string dir;
  std::vector<int32_t> ids;
  unsigned flags = 0;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--skip-special")) {
      flags |= loom::tok::kSkipSpecial;
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      failWith(std::string("loom tokenizer decode: unknown option '") + argv[i] + "'");
    } else if (dir.empty()) {
      dir = argv[i];
    } else {
      // "1 2 3", "1,2,3" and 1 2 3 all work.
      std::string arg = argv[i];
      for (char &c : arg)
        if (c == ',')
          c = ' ';
      size_t pos = 0;
      while ((pos = arg.find_first_not_of(" \t\n", pos)) != std::string::npos) {
        size_t end = arg.find_first_of(" \t\n", pos);
        std::string word = arg.substr(pos, end == std::string::npos ? end : end - pos);
        ids.push_back(static_cast<int32_t>(parseInteger("an id", word, 0, INT32_MAX)));
        pos = end;
      }
    }
  }
  if (dir.empty())
    failWith("loom tokenizer decode: missing DIR");
  auto t = openDir(dir);
  std::string text;
  require(t->decode(ids, text, flags));
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

int info(int argc, char **argv) {
  if (argc != 4)
    failWith("usage: loom tokenizer info DIR");
  auto t = openDir(argv[3]);
  bool bpe = t->kind() == loom::tok::Kind::Bpe;
  std::printf("type: %s\nvocab size: %zu\n", bpe ? "bpe" : "wordpiece", t->vocabSize());
  if (bpe)
    std::printf("merges: %zu\n",
                static_cast<const loom::tok::BpeTokenizer &>(*t).merges().size());
  else
    std::printf("lower case: %s\n",
                static_cast<const loom::tok::WordPieceTokenizer &>(*t).options().lowerCase
                    ? "yes"
                    : "no");
  std::vector<int32_t> specials = t->specialTokens();
  std::sort(specials.begin(), specials.end());
  std::printf("special tokens:");
  for (int32_t id : specials)
    std::printf(" %s=%d", t->token(id).c_str(), id);
  std::printf("\n");
  return 0;
}

} // namespace

int loom::cli::commandTokenizer(int argc, char **argv) {
  std::string sub = argc >= 3 ? argv[2] : "";
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(kTokenizerUsage, stdout);
      return 0;
    }
  if (sub == "train")
    return train(argc, argv);
  if (sub == "encode")
    return encode(argc, argv);
  if (sub == "decode")
    return decode(argc, argv);
  if (sub == "info")
    return info(argc, argv);
  failWith(sub.empty() ? std::string("loom tokenizer: missing a command (train, encode, "
                                     "decode, info; loom tokenizer --help)")
                       : "loom tokenizer: unknown command '" + sub +
                             "' (train, encode, decode, info)");
}
