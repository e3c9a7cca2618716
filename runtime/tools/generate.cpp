//===- generate.cpp - `loom generate`: text from a language model ---------===//
//
// Streams tokens as they are made. Decoder-only models (forward: tokens ->
// logits) continue the prompt; an encoder-decoder (inputs src_tokens,
// src_mask and tgt_tokens) continues [BOS] given --source. With the
// KV-cache functions of `loomc --decode` each token costs one decode step;
// --no-cache (or an artifact without them) recomputes the forward.
//
//===----------------------------------------------------------------------===//
#include "cli.h"
#include "decoding.h"
#include "loom/tokenizer/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace loom::cli;

const char *loom::cli::kGenerateUsage =
    "usage: loom generate ARTIFACT_DIR --weights FILE [PROMPT] [options]\n"
    "\n"
    "Continues PROMPT (or --prompt TEXT; default a newline) with a language\n"
    "model, streaming the text to stdout as it is made; the checkpoint of\n"
    "`loom train` works as weights. An artifact compiled with `loomc --decode`\n"
    "keeps a key/value cache: one decode step per token instead of a forward\n"
    "over the whole window. Text becomes ids through the tokenizer the spec\n"
    "names (bpe, wordpiece: the directory --tokenizer gives, else the one the\n"
    "checkpoint records from `loom train --tokenizer`), else byte by byte.\n"
    "  --prompt TEXT          the start of the text\n"
    "  --prompt-ids IDS       the prompt as token ids (\"464 2068 7586\"; with\n"
    "                         --ids no tokenizer is needed)\n"
    "  --tokenizer DIR        vocab.json + merges.txt (or vocab.txt): the\n"
    "                         tokenizer the model was trained with (default:\n"
    "                         the one the checkpoint records)\n"
    "  --source TEXT          an encoder-decoder's input (src_tokens); the output\n"
    "                         starts from [BOS] = 1 and stops at [EOS] = 2\n"
    "  --tokens N             tokens to generate at most (default 200)\n"
    "  --temperature X        softmax temperature (default 0.8; 0 = greedy)\n"
    "  --greedy               the likeliest token every step (temperature 0)\n"
    "  --top-k K              sample among the K likeliest (default 40; 0 = all)\n"
    "  --top-p P              ... within the smallest set of probability >= P\n"
    "                         (nucleus sampling; default 1 = off)\n"
    "  --repetition-penalty R divide positive (multiply negative) logits of ids\n"
    "                         already in the text by R (default 1 = off)\n"
    "  --stop TEXT            stop once the output ends with TEXT (repeatable)\n"
    "  --stop-token ID        stop after token ID (repeatable)\n"
    "  --seed S               sampling seed (default 0): the same seed, prompt\n"
    "                         and options give the same text\n"
    "  --no-cache             recompute the forward for every token\n"
    "  --ids                  print the generated token ids, one line, instead\n"
    "                         of text (the prompt is not echoed)\n"
    "  --timing               per-token latency to stderr\n"
    "  --threads N            kernel threads (default: LOOM_NUM_THREADS, else\n"
    "                         all hardware threads)\n"
    "  --device D             cpu, cuda or cuda:N (default: the target loomc\n"
    "                         compiled the artifact for)\n";

namespace {

struct GenerateOptions {
  std::string artifact, weights, prompt = "\n", source, tokenizer;
  std::vector<int32_t> promptIds;
  bool havePrompt = false, haveSource = false;
  int64_t tokens = 200;
  SamplingOptions sampling;
  std::vector<std::string> stops;
  std::vector<int64_t> stopTokens;
  bool noCache = false, ids = false, timing = false;
  int threads = 0;
  std::string device; // "": the artifact's target
};

GenerateOptions parseGenerate(int argc, char **argv) {
  GenerateOptions o;
  for (int i = 2; i < argc; ++i) {
    Arg a(argc, argv, i);
    const std::string &flag = a.flag;
    auto v = [&] { return a.value(); };
    auto noValue = [&] {
      if (a.hasInline)
        failWith(flag + " takes no value");
    };
    if (flag == "--help" || flag == "-h") {
      std::fputs(kGenerateUsage, stdout);
      std::exit(0);
    } else if (flag == "--weights") {
      o.weights = v();
    } else if (flag == "--prompt") {
      if (o.havePrompt)
        failWith("the prompt is given twice");
      o.prompt = v();
      o.havePrompt = true;
    } else if (flag == "--prompt-ids") {
      if (o.havePrompt)
        failWith("the prompt is given twice");
      std::string list = v();
      for (char &c : list)
        if (c == ',')
          c = ' ';
      size_t at = 0;
      while ((at = list.find_first_not_of(' ', at)) != std::string::npos) {
        size_t end = list.find(' ', at);
        std::string one = list.substr(at, end == std::string::npos ? end : end - at);
        o.promptIds.push_back(static_cast<int32_t>(parseCount(flag, one, 0, INT32_MAX)));
        at = end;
      }
      if (o.promptIds.empty())
        failWith("--prompt-ids wants at least one id");
      o.havePrompt = true;
    } else if (flag == "--tokenizer") {
      o.tokenizer = v();
    } else if (flag == "--source") {
      o.source = v();
      o.haveSource = true;
    } else if (flag == "--tokens") {
      o.tokens = parseCount(flag, v(), 0, 1 << 24);
    } else if (flag == "--top-k") {
      o.sampling.topK = parseCount(flag, v(), 0, 1 << 30);
    } else if (flag == "--top-p") {
      o.sampling.topP = parseNumber(flag, v(), 0, 1);
      if (o.sampling.topP <= 0)
        failWith("--top-p must be above 0");
    } else if (flag == "--temperature") {
      o.sampling.temperature = parseNumber(flag, v(), 0, 100);
    } else if (flag == "--greedy") {
      noValue();
      o.sampling.temperature = 0;
    } else if (flag == "--repetition-penalty") {
      o.sampling.repetitionPenalty = parseNumber(flag, v(), 0, 100);
      if (o.sampling.repetitionPenalty <= 0)
        failWith("--repetition-penalty must be above 0");
    } else if (flag == "--stop") {
      std::string s = v();
      if (s.empty())
        failWith("--stop wants a non-empty text");
      o.stops.push_back(s);
    } else if (flag == "--stop-token") {
      o.stopTokens.push_back(parseCount(flag, v(), 0, INT32_MAX));
    } else if (flag == "--seed") {
      o.sampling.seed = parseSeed(v());
    } else if (flag == "--no-cache") {
      noValue();
      o.noCache = true;
    } else if (flag == "--ids") {
      noValue();
      o.ids = true;
    } else if (flag == "--timing") {
      noValue();
      o.timing = true;
    } else if (flag == "--threads") {
      o.threads = parseThreads(v());
    } else if (flag == "--device") {
      o.device = parseDevice(v());
    } else if (a.isOption()) {
      failWith("unknown option '" + a.arg + "' (loom generate --help)");
    } else if (o.artifact.empty()) {
      o.artifact = a.arg;
    } else if (!o.havePrompt) {
      o.prompt = a.arg;
      o.havePrompt = true;
    } else {
      failWith("unexpected argument '" + a.arg + "' (the prompt is given twice?)");
    }
  }
  if (o.artifact.empty())
    failWith("loom generate: missing ARTIFACT_DIR");
  if (o.weights.empty())
    failWith("loom generate: missing --weights FILE (a `loom train` checkpoint)");
  return o;
}

/// Byte-level text -> ids, refusing bytes outside the vocabulary.
std::vector<int32_t> bytesToIds(const std::string &text, int64_t vocab,
                                const char *what) {
  std::vector<int32_t> out;
  for (unsigned char c : text) {
    if (c >= vocab)
      failWith(std::string(what) + ": byte " + std::to_string(c) +
               " is outside the vocabulary of " + std::to_string(vocab));
    out.push_back(c);
  }
  return out;
}

/// Text <-> ids: the tokenizer's, or bytes.
struct TextCodec {
  std::unique_ptr<loom::tok::Tokenizer> tokenizer;

  std::vector<int32_t> encode(const std::string &text, int64_t vocab,
                              const char *what) const {
    if (!tokenizer)
      return bytesToIds(text, vocab, what);
    std::vector<int32_t> ids;
    tokenizer->encode(text, ids);
    return ids;
  }
  std::string decode(const std::vector<int32_t> &ids) const {
    std::string out;
    if (!tokenizer) {
      for (int32_t id : ids)
        if (id >= 0 && id < 256)
          out.push_back(static_cast<char>(id));
      return out;
    }
    // Ids come from the model's logits, below the vocabulary the tokenizer
    // was checked to have.
    (void)tokenizer->decode(ids, out);
    return out;
  }
};

/// An encoder-decoder's source: bytes then [PAD] 0, mask true on the bytes.
void setSource(loom_session *s, const loom_artifact *a, const std::string &text,
               int64_t vocab) {
  loom_tensor_info src, mask;
  if (!findInput(a, "src_tokens", src) || src.rank != 2 ||
      src.dtype != LOOM_DTYPE_I32)
    failWith("--source: the artifact has no src_tokens i32[B, S] input");
  int64_t b = src.shape[0], len = src.shape[1];
  std::vector<int32_t> ids = bytesToIds(text, vocab, "--source");
  if (ids.empty() || static_cast<int64_t>(ids.size()) > len)
    failWith("--source holds " + std::to_string(ids.size()) +
             " bytes; the model takes 1 to " + std::to_string(len));
  std::vector<int32_t> rows(static_cast<size_t>(b * len), 0);
  std::vector<uint8_t> valid(rows.size(), 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    rows[i] = ids[i];
    valid[i] = 1;
  }
  int64_t shape[2] = {b, len};
  check(loom_set_input(s, "src_tokens", LOOM_DTYPE_I32, shape, 2, rows.data(),
                       rows.size() * sizeof(int32_t)));
  if (findInput(a, "src_mask", mask))
    check(loom_set_input(s, "src_mask", LOOM_DTYPE_I1, shape, 2, valid.data(),
                         valid.size()));
}

} // namespace

int loom::cli::commandGenerate(int argc, char **argv) {
  GenerateOptions o = parseGenerate(argc, argv);
  Handles h;
  openArtifact(o.artifact, o.device, &h.artifact);
  const loom_artifact *a = h.artifact;
  check(loom_session_create(a, &h.session));
  if (o.threads > 0)
    check(loom_session_set_threads(h.session, o.threads));
  loom_session *s = h.session;
  loom_tensor_info info;
  bool seq2seq = findInput(a, "tgt_tokens", info) && findInput(a, "src_tokens", info);
  if (!seq2seq && !findInput(a, "tokens", info))
    failWith("artifact '" + o.artifact +
             "' is not a causal LM: generate needs forward(tokens: i32[B, T]) "
             "-> logits, or an encoder-decoder (src_tokens, tgt_tokens)");
  if (seq2seq && !o.haveSource)
    failWith("artifact '" + o.artifact +
             "' is an encoder-decoder: give its input with --source TEXT");
  if (!seq2seq && o.haveSource)
    failWith("--source is for encoder-decoders; '" + o.artifact + "' takes tokens");

  check(loom_load_weights(s, o.weights.c_str(), 0));

  // The tokenizer: the spec names its kind; the files come with
  // --tokenizer.
  TextCodec codec;
  std::string kind = loom_artifact_tokenizer(a);
  if (!o.tokenizer.empty()) {
    loom::rt::Status st = loom::tok::openTokenizer(o.tokenizer, codec.tokenizer);
    if (!st.isOk())
      failWith("--tokenizer: " + st.message());
    if (kind == "bytes")
      failWith("--tokenizer: the spec of '" + o.artifact +
               "' names a byte-level vocabulary (tokenizer bytes)");
  } else if ((kind == "bpe" || kind == "wordpiece") &&
             !(o.ids && !o.promptIds.empty())) {
    // The checkpoint of a `loom train --tokenizer DIR` run names it.
    const char *dir = nullptr;
    if (loom_read_metadata(o.weights.c_str(), "loom.tokenizer", &dir) != LOOM_OK)
      failWith("the spec of '" + o.artifact + "' names a " + kind +
               " tokenizer, and '" + o.weights +
               "' records none: give its files with --tokenizer DIR "
               "(loom tokenizer train writes them)");
    o.tokenizer = dir;
    loom::rt::Status st = loom::tok::openTokenizer(o.tokenizer, codec.tokenizer);
    if (!st.isOk())
      failWith("the tokenizer that '" + o.weights + "' records: " + st.message() +
               " (give another with --tokenizer DIR)");
  }
  std::unique_ptr<Stepper> stepper;
  if (!o.noCache)
    stepper = makeCachedStepper(s, a);
  if (!stepper)
    stepper = makeForwardStepper(s, a, seq2seq ? "tgt_tokens" : "tokens");
  int64_t vocab = stepper->vocab();
  if (codec.tokenizer && static_cast<int64_t>(codec.tokenizer->vocabSize()) != vocab)
    failWith("--tokenizer " + o.tokenizer + " has " +
             std::to_string(codec.tokenizer->vocabSize()) +
             " tokens, the model's vocabulary " + std::to_string(vocab));

  std::vector<int32_t> seq;
  std::vector<int64_t> stopTokens = o.stopTokens;
  if (seq2seq) {
    setSource(s, a, o.source, vocab);
    stepper->reset(); // a new source: encode it again
    seq.push_back(1); // [BOS]
    if (o.stopTokens.empty())
      stopTokens.push_back(2); // [EOS]
  } else {
    if (!o.promptIds.empty()) {
      seq = o.promptIds;
      for (int32_t id : seq)
        if (id >= vocab)
          failWith("--prompt-ids: id " + std::to_string(id) +
                   " is outside the vocabulary of " + std::to_string(vocab));
    } else {
      seq = codec.encode(o.prompt, vocab, "the prompt");
    }
    if (seq.empty())
      failWith("the prompt is empty");
    if (!o.ids) {
      std::string shown = o.promptIds.empty() ? o.prompt : codec.decode(seq);
      std::fwrite(shown.data(), 1, shown.size(), stdout);
    }
  }
  size_t prompt = seq.size();
  std::string text;     // the generated text so far
  std::vector<int32_t> generated;
  auto begin = std::chrono::steady_clock::now();
  double firstMs = 0;
  int64_t made = 0;
  for (; made < o.tokens; ++made) {
    const float *logits = stepper->next(seq);
    int32_t next = sampleToken(logits, vocab, seq, o.sampling,
                               static_cast<uint64_t>(made));
    if (made == 0)
      firstMs = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - begin)
                    .count();
    seq.push_back(next);
    bool stop = std::find(stopTokens.begin(), stopTokens.end(), next) !=
                stopTokens.end();
    if (o.ids) {
      std::printf("%s%d", made ? " " : "", next);
    } else if (!(seq2seq && stop)) {
      // The text as it grows (a token's bytes may complete a character
      // only with the next one: they are printed as they come).
      generated.push_back(next);
      std::string now = codec.decode(generated);
      // (Decoding more ids only appends, for both tokenizers.)
      if (now.size() >= text.size() && now.compare(0, text.size(), text) == 0)
        std::fwrite(now.data() + text.size(), 1, now.size() - text.size(), stdout);
      text = now;
    }
    std::fflush(stdout);
    for (const std::string &st : o.stops)
      stop |= text.size() >= st.size() &&
              text.compare(text.size() - st.size(), st.size(), st) == 0;
    if (stop) {
      ++made;
      break;
    }
  }
  std::fputc('\n', stdout);
  std::fflush(stdout); // the text before the timing line on a shared terminal
  if (o.timing) {
    double totalMs = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - begin)
                         .count();
    std::fprintf(stderr,
                 "generate (%s): prompt %zu tokens, first token %.2f ms, %lld more "
                 "in %.1f ms: %.3f ms/token\n",
                 stepper->kind(), prompt, firstMs, (long long)(made - 1),
                 totalMs - firstMs,
                 made > 1 ? (totalMs - firstMs) / double(made - 1) : 0.0);
  }
  return 0;
}
