//===- tasks.cpp - one command per model family -----------------------------===//
//
//   loom fill-mask ARTIFACT --weights W "text with [MASK]"     (BERT)
//   loom classify  ARTIFACT --weights W IMAGE...               (ViT)
//   loom clip-rank ARTIFACT --weights W IMAGE CAPTION...       (CLIP)
//   loom translate ARTIFACT --weights W "source" | --eval N    (encoder-decoder)
//   loom sample images|captions --count N -o DIR               (test inputs)
//
// Each command runs the artifact's compiled forward through the C ABI and
// reads what it needs from the outputs; the model-independent parts (image
// files, softmax and rankings, beam search, the masked LM's text codec) are
// in tasks_image.* and tasks_decoding.*, where the unit tests reach them.
// The conventions are those of runtime/data, so a model `loom train`
// trained on synthetic data reads its inputs here the way it saw them:
// byte-level ids with the reserved ids of Data.h, pixels through
// data::pixelScale. Every failure is a Failure (main prints `loom: error:`
// and exits 1), naming the file, flag or tensor.
//
//===----------------------------------------------------------------------===//
#include "cli.h"
#include "tasks_decoding.h"
#include "tasks_image.h"

#include "Data.h"
#include "loom/formats/io.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace loom::cli;
using namespace loom::cli::tasks;
namespace data = loom::data;

namespace {

const char *kFillMaskUsage =
    "usage: loom fill-mask ARTIFACT_DIR --weights FILE \"text with [MASK] ...\"\n"
    "       loom fill-mask ARTIFACT_DIR --weights FILE --eval N --data FILE\n"
    "\n"
    "Predicts the masked bytes of a text with a masked LM (BERT: forward(tokens,\n"
    "token_types, attention_mask) -> mlm_logits [B, T, V]). Ids are bytes with\n"
    "the reserved ids of the training data: [PAD] 0, [CLS] 1, [SEP] 2, [MASK] 3;\n"
    "each literal [MASK] in the text is one masked byte. The input is\n"
    "[CLS] text [SEP], padded to T with attention_mask false (T - 2 bytes at\n"
    "most). Prints the top-k candidates of every mask and the text filled in.\n"
    "  --weights FILE       the model's weights (a `loom train` checkpoint)\n"
    "  --top-k K            candidates per mask (default 5)\n"
    "  --eval N             instead of a text: N held-out masked-LM sequences of\n"
    "                       --data (the training data's format and masking, on\n"
    "                       its held-out stream); prints the top-1 and top-k\n"
    "                       accuracy on the [MASK]ed bytes, and the unigram\n"
    "                       baseline: the accuracy of always guessing the most\n"
    "                       frequent of those bytes\n"
    "  --data SPEC          the text of --eval: text:FILE, tokens:FILE.npy or a\n"
    "                       path, as for `loom train --data`\n"
    "  --seed S             the held-out stream of --eval (default 0)\n"
    "  --no-cache           rerun the forward even when the artifact has the\n"
    "                       key/value-cache functions\n"
    "  --threads N          kernel threads (default: LOOM_NUM_THREADS, else all)\n";

const char *kClassifyUsage =
    "usage: loom classify ARTIFACT_DIR --weights FILE IMAGE...\n"
    "\n"
    "Classifies images with an image classifier (ViT: forward(pixels: f32[B, C,\n"
    "H, W]) -> logits [B, classes]). IMAGE: PNG or binary PPM/PGM (P6/P5) of\n"
    "exactly W x H pixels with C channels (3: RGB, 1: gray; an opaque alpha\n"
    "channel is dropped); images are not resized. Byte u of a channel becomes\n"
    "(u / 255 - 0.5) / 0.2, the scale of the synthetic `images` training data,\n"
    "so `loom sample images` files read back as the generator's pixels.\n"
    "Prints, per image, its name, then the top-k classes: probability, index,\n"
    "name.\n"
    "  --weights FILE       the model's weights (a `loom train` checkpoint)\n"
    "  --top-k K            classes shown per image (default 5)\n"
    "  --labels FILE        class names, one per line (default: the names of\n"
    "                       the synthetic image classes, e.g. \"vertical\n"
    "                       stripes, period 4, cool\")\n"
    "  --threads N          kernel threads (default: LOOM_NUM_THREADS, else all)\n";

const char *kClipRankUsage =
    "usage: loom clip-rank ARTIFACT_DIR --weights FILE IMAGE CAPTION...\n"
    "\n"
    "Ranks captions for an image with a CLIP model (forward(pixels, tokens,\n"
    "eot) -> image_embeds, text_embeds [B, E]): the probabilities are the\n"
    "softmax over the captions of their cosine similarity to the image times\n"
    "exp(logit_scale), the temperature of the model's contrastive loss (1\n"
    "without a logit_scale parameter). Captions are encoded like the\n"
    "`captions` training data: bytes, then 0, eot at the last byte (T bytes at\n"
    "most). IMAGE as for `loom classify`, at the captions data's pixel scale:\n"
    "(u / 255 - 0.17) / 0.18. Prints the image, then per caption, best first:\n"
    "probability, cosine similarity, caption.\n"
    "  --weights FILE       the model's weights (a `loom train` checkpoint)\n"
    "  --threads N          kernel threads (default: LOOM_NUM_THREADS, else all)\n";

const char *kTranslateUsage =
    "usage: loom translate ARTIFACT_DIR --weights FILE [options] \"source text\"\n"
    "       loom translate ARTIFACT_DIR --weights FILE --eval N [options]\n"
    "\n"
    "Translates with an encoder-decoder (forward(src_tokens, src_mask,\n"
    "tgt_tokens) -> logits [B, T, V]) by beam search over byte ids: the\n"
    "decoder starts with [BOS] 1 and a hypothesis ends at [EOS] 2; [PAD] and\n"
    "[BOS] are never generated. Finished hypotheses are ranked by log-prob /\n"
    "((5 + length) / 6)^alpha (GNMT); the search stops when no live hypothesis\n"
    "can beat the best finished one. An artifact compiled with `loomc --decode`\n"
    "(and --dim B >= the beam) runs one cached decode step per beam step for\n"
    "all hypotheses, its key/value cache rows following their parents; else\n"
    "each step reruns the forward on the prefixes, B of them per call.\n"
    "Prints the best translation.\n"
    "  --weights FILE       the model's weights (a `loom train` checkpoint)\n"
    "  --beam N             hypotheses kept per step (default 4; 1 = greedy)\n"
    "  --length-penalty A   alpha (default 0.6; 0 ranks by log-probability)\n"
    "  --max-len N          generated bytes at most, [EOS] included (default\n"
    "                       and maximum: the artifact's T)\n"
    "  --n-best K           print the K best hypotheses with their scores\n"
    "  --eval N             instead of a text: translate N held-out pairs of the\n"
    "                       synthetic `translation` data (its held-out stream)\n"
    "                       and print the exact-match accuracy\n"
    "  --seed S             the held-out stream of --eval (default 0)\n"
    "  --threads N          kernel threads (default: LOOM_NUM_THREADS, else all)\n";

const char *kSampleUsage =
    "usage: loom sample images|captions --count N -o DIR [options]\n"
    "\n"
    "Writes N inputs of the synthetic training data as files, from the\n"
    "generator's held-out stream (never a training batch, whatever the\n"
    "training seed): DIR/0000.png ... and DIR/labels.txt, one line per image:\n"
    "  images:   FILE<TAB>CLASS<TAB>CLASS NAME\n"
    "  captions: FILE<TAB>CAPTION\n"
    "Pixels are written at the scale `loom classify` and `loom clip-rank` read\n"
    "(exact up to 8-bit rounding). Item i is row i % 90 of step i / 90 of\n"
    "90-row batches, so a smaller N gives a prefix of a larger one.\n"
    "  --count N            images to write (1..10000)\n"
    "  -o, --out DIR        the directory (created if missing)\n"
    "  --seed S             the held-out stream (default 0)\n"
    "  --size N | HxW       image size (default 32)\n"
    "  --channels C         3 (RGB, default) or 1 (gray)\n"
    "  --classes K          images: classes drawn, 2..10 (default 10)\n"
    "  --caption-len T      captions: the model's T, which picks the caption\n"
    "                       template (default 16: \"red square tl\")\n";

/// Handles --help / -h anywhere on the line (before any other check).
bool wantsHelp(int argc, char **argv, const char *usage) {
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(usage, stdout);
      return true;
    }
  return false;
}

std::string shapeText(const loom_tensor_info &t) {
  std::string s = std::string(loom_dtype_name(t.dtype)) + " [";
  for (int32_t i = 0; i < t.rank; ++i)
    s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

// ---- the model ------------------------------------------------------------------

/// An input or output a command needs: name, dtype and rank.
struct Need {
  const char *name;
  loom_dtype dtype;
  int32_t rank;
};

/// A task command's artifact, its session and its weights.
class Model {
public:
  Model(std::string dir, const char *command) : dir_(std::move(dir)), command_(command) {
    check(loom_artifact_open(dir_.c_str(), &h_.artifact));
  }

  bool input(const char *name, loom_tensor_info &out) const {
    for (size_t i = 0; i < loom_artifact_num_inputs(h_.artifact); ++i) {
      check(loom_artifact_input(h_.artifact, i, &out));
      if (!std::strcmp(out.name, name))
        return true;
    }
    return false;
  }

  bool output(const char *name, loom_tensor_info &out) const {
    size_t n = 0;
    if (loom_artifact_num_outputs(h_.artifact, "forward", &n) != LOOM_OK)
      return false;
    for (size_t i = 0; i < n; ++i) {
      check(loom_artifact_output(h_.artifact, "forward", i, &out));
      if (!std::strcmp(out.name, name))
        return true;
    }
    return false;
  }

  /// Fails unless forward takes INPUTS and returns OUTPUTS with the dtypes
  /// and ranks given, all with the same batch dim; WHAT names the model
  /// kind and SIGNATURE the forward the command needs.
  void require(const char *what, const char *signature, const std::vector<Need> &inputs,
               const std::vector<Need> &outputs) const {
    std::string problem;
    int64_t batch = -1;
    std::string batchFrom;
    auto checkOne = [&](const Need &n, bool isInput) {
      loom_tensor_info t;
      bool found = isInput ? input(n.name, t) : output(n.name, t);
      std::string kind = isInput ? "input" : "forward output";
      if (!found)
        problem = "it has no " + kind + " '" + n.name + "'";
      else if (t.dtype != n.dtype || t.rank != n.rank)
        problem = "its " + kind + " '" + n.name + "' is " + shapeText(t);
      else if (batch >= 0 && t.shape[0] != batch)
        problem = "its " + kind + " '" + n.name + "' has batch " +
                  std::to_string(t.shape[0]) + " but '" + batchFrom + "' has " +
                  std::to_string(batch);
      else if (batch < 0) {
        batch = t.shape[0];
        batchFrom = n.name;
      }
    };
    size_t numOut = 0;
    if (loom_artifact_num_outputs(h_.artifact, "forward", &numOut) != LOOM_OK)
      problem = "it has no forward function";
    for (const Need &n : inputs)
      if (problem.empty())
        checkOne(n, true);
    for (const Need &n : outputs)
      if (problem.empty())
        checkOne(n, false);
    if (problem.empty())
      return;
    failWith("loom " + std::string(command_) + " needs " + what + ", " + signature +
             "; artifact '" + dir_ + "': " + problem + " (" + contents() + ")");
  }

  /// Creates the session and loads the weights.
  void start(const std::string &weights, int threads) {
    check(loom_session_create(h_.artifact, &h_.session));
    if (threads > 0)
      check(loom_session_set_threads(h_.session, threads));
    check(loom_load_weights(h_.session, weights.c_str(), 0));
  }

  /// Sets input INFO (as the artifact declares it) from DATA.
  void set(const loom_tensor_info &info, const void *data) {
    check(loom_set_input(h_.session, info.name, info.dtype, info.shape, info.rank, data,
                         info.nbytes));
  }

  void run() { check(loom_run(h_.session, "forward")); }

  const float *get(const char *name) const {
    loom_tensor_info info;
    const void *data;
    check(loom_get_output(h_.session, "forward", name, &info, &data));
    return static_cast<const float *>(data);
  }

  /// The value of scalar f32 parameter NAME, if the model has one.
  bool scalarParam(const char *name, float &value) {
    loom_tensor_info info;
    void *data;
    for (size_t i = 0; i < loom_artifact_num_params(h_.artifact); ++i) {
      check(loom_artifact_param(h_.artifact, i, &info));
      if (!std::strcmp(info.name, name) && info.rank == 0 &&
          info.dtype == LOOM_DTYPE_F32) {
        check(loom_param_data(h_.session, name, &info, &data));
        std::memcpy(&value, data, sizeof value);
        return true;
      }
    }
    return false;
  }

  /// The upper bound of integer input NAME's valid values (its embedding's
  /// rows), or FALLBACK.
  int64_t inputLimit(const char *name, int64_t fallback) const {
    loom_tensor_info t;
    for (size_t i = 0; i < loom_artifact_num_inputs(h_.artifact); ++i) {
      check(loom_artifact_input(h_.artifact, i, &t));
      int64_t lo, hi;
      if (!std::strcmp(t.name, name) &&
          loom_artifact_input_range(h_.artifact, i, &lo, &hi, nullptr) == LOOM_OK)
        return hi;
    }
    return fallback;
  }

  /// Fails unless the spec's tokenizer is bytes (or unnamed): the text of
  /// these commands is byte-level for now.
  void requireByteTokens() const {
    std::string kind = loom_artifact_tokenizer(h_.artifact);
    if (!kind.empty() && kind != "bytes")
      failWith("artifact '" + dir_ + "' names the tokenizer '" + kind + "'; loom " +
               command_ + " encodes text as bytes only so far");
  }

  const loom_artifact *artifact() const { return h_.artifact; }
  loom_session *session() const { return h_.session; }
  const std::string &dir() const { return dir_; }

private:
  /// "its inputs: a: f32 [2]; forward returns: y: f32 [2]".
  std::string contents() const {
    std::string s = "its inputs: ";
    loom_tensor_info t;
    size_t n = loom_artifact_num_inputs(h_.artifact);
    for (size_t i = 0; i < n; ++i) {
      check(loom_artifact_input(h_.artifact, i, &t));
      s += (i ? ", " : "") + std::string(t.name) + ": " + shapeText(t);
    }
    if (n == 0)
      s += "none";
    size_t numOut = 0;
    if (loom_artifact_num_outputs(h_.artifact, "forward", &numOut) == LOOM_OK) {
      s += "; forward returns: ";
      for (size_t i = 0; i < numOut; ++i) {
        check(loom_artifact_output(h_.artifact, "forward", i, &t));
        s += (i ? ", " : "") + std::string(t.name) + ": " + shapeText(t);
      }
    }
    return s;
  }

  Handles h_;
  std::string dir_;
  const char *command_;
};

loom_tensor_info inputInfo(const Model &m, const char *name) {
  loom_tensor_info t;
  if (!m.input(name, t))
    failWith(std::string("no input '") + name + "'");
  return t;
}

loom_tensor_info outputInfo(const Model &m, const char *name) {
  loom_tensor_info t;
  if (!m.output(name, t))
    failWith(std::string("no output '") + name + "'");
  return t;
}

/// The options every task command shares, and its positional arguments.
struct Common {
  std::string weights;
  int threads = 0;
  std::vector<std::string> positional;
};

/// Parses argv[2..]: the shared flags, positional arguments, and the
/// command's own flags through OWN (true when it took the flag).
template <typename Own>
Common parseCommon(int argc, char **argv, const char *command, Own own) {
  Common c;
  bool onlyPositional = false;
  for (int i = 2; i < argc; ++i) {
    Arg a(argc, argv, i);
    if (onlyPositional || !a.isOption()) {
      c.positional.push_back(a.arg);
    } else if (a.arg == "--") {
      onlyPositional = true;
    } else if (a.flag == "--weights") {
      c.weights = a.value();
    } else if (a.flag == "--threads") {
      c.threads = parseThreads(a.value());
    } else if (!own(a)) {
      failWith("unknown option '" + a.arg + "' (loom " + command + " --help)");
    }
  }
  if (c.positional.empty())
    failWith(std::string("loom ") + command + ": missing ARTIFACT_DIR");
  return c;
}

void requireWeights(const Common &c, const char *command) {
  if (c.weights.empty())
    failWith(std::string("loom ") + command +
             ": missing --weights FILE (a `loom train` checkpoint)");
}

// ---- loom fill-mask -------------------------------------------------------------

struct MaskedLm {
  loom_tensor_info tokens, types, mask, logits;
  int64_t B, T, V;
};

MaskedLm openMaskedLm(Model &m) {
  m.require("a masked LM",
            "forward(tokens: i32[B, T], token_types: i32[B, T], attention_mask: "
            "i1[B, T]) -> mlm_logits: f32[B, T, V]",
            {{"tokens", LOOM_DTYPE_I32, 2},
             {"token_types", LOOM_DTYPE_I32, 2},
             {"attention_mask", LOOM_DTYPE_I1, 2}},
            {{"mlm_logits", LOOM_DTYPE_F32, 3}});
  m.requireByteTokens();
  MaskedLm lm;
  lm.tokens = inputInfo(m, "tokens");
  lm.types = inputInfo(m, "token_types");
  lm.mask = inputInfo(m, "attention_mask");
  lm.logits = outputInfo(m, "mlm_logits");
  lm.B = lm.tokens.shape[0];
  lm.T = lm.tokens.shape[1];
  lm.V = lm.logits.shape[2];
  if (lm.types.shape[1] != lm.T || lm.mask.shape[1] != lm.T || lm.logits.shape[1] != lm.T)
    failWith("artifact '" + m.dir() +
             "': tokens, token_types, attention_mask and "
             "mlm_logits differ in T");
  return lm;
}

void fillMaskText(Model &m, const MaskedLm &lm, const std::string &text, int64_t shown) {
  ByteMaskedLmCodec codec(lm.V);
  std::vector<int32_t> ids;
  std::string err;
  if (!codec.encode(text, ids, err))
    failWith("the text: " + err);
  std::vector<size_t> masks;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == data::kMaskId)
      masks.push_back(i);
  if (masks.empty())
    failWith("the text has no [MASK] to fill");
  if (static_cast<int64_t>(ids.size()) + 2 > lm.T)
    failWith("the text is " + std::to_string(ids.size()) + " ids long; the model takes " +
             std::to_string(lm.T - 2) +
             " at most ([CLS] text [SEP] in T = " + std::to_string(lm.T) + ")");
  // Every row holds the same sequence (rows are independent).
  std::vector<int32_t> tok(static_cast<size_t>(lm.B * lm.T), data::kPadId),
      typ(tok.size(), 0);
  std::vector<uint8_t> msk(tok.size(), 0);
  for (int64_t b = 0; b < lm.B; ++b) {
    size_t r = static_cast<size_t>(b * lm.T);
    tok[r] = data::kClsId;
    std::copy(ids.begin(), ids.end(), tok.begin() + static_cast<std::ptrdiff_t>(r + 1));
    tok[r + ids.size() + 1] = data::kSepId;
    std::fill(msk.begin() + static_cast<std::ptrdiff_t>(r),
              msk.begin() + static_cast<std::ptrdiff_t>(r + ids.size() + 2), 1);
  }
  m.set(lm.tokens, tok.data());
  m.set(lm.types, typ.data());
  m.set(lm.mask, msk.data());
  m.run();
  const float *logits = m.get("mlm_logits");
  std::string filled;
  size_t next = 0;
  for (size_t k = 0; k < masks.size(); ++k) {
    size_t pos = masks[k] + 1; // after [CLS]
    std::vector<double> p =
        softmax(logits + pos * static_cast<size_t>(lm.V), static_cast<size_t>(lm.V));
    std::vector<size_t> best = topK(p, static_cast<size_t>(shown));
    std::printf("[MASK] %zu of %zu (position %zu of the text):\n", k + 1, masks.size(),
                masks[k]);
    for (size_t i : best)
      std::printf("  %.4f  %s\n", p[i], codec.display(static_cast<int32_t>(i)).c_str());
    for (; next < masks[k]; ++next)
      filled += codec.piece(ids[next]);
    filled += codec.piece(static_cast<int32_t>(best[0]));
    next = masks[k] + 1;
  }
  for (; next < ids.size(); ++next)
    filled += codec.piece(ids[next]);
  std::printf("filled: %s\n", filled.c_str());
}

/// Top-1/top-k accuracy on the [MASK]ed positions of N held-out sequences.
void fillMaskEval(Model &m, const MaskedLm &lm, const std::string &dataSpec, int64_t n,
                  uint64_t seed, int64_t shown) {
  std::vector<data::TensorSpec> specs;
  for (size_t i = 0; i < loom_artifact_num_inputs(m.artifact()); ++i) {
    loom_tensor_info t;
    check(loom_artifact_input(m.artifact(), i, &t));
    specs.push_back({t.name, t.dtype, std::vector<int64_t>(t.shape, t.shape + t.rank)});
  }
  data::DataOptions opt;
  opt.vocab = lm.V;
  opt.heldOut = true;
  std::string err;
  auto source = data::makeDataSource(dataSpec, specs, seed, err, opt);
  if (!source)
    failWith("--data " + dataSpec + ": " + err);
  data::Batch batch;
  int64_t masked = 0, top1 = 0, topShown = 0;
  std::map<int32_t, int64_t> counts;
  for (int64_t step = 0, done = 0; done < n; ++step) {
    source->batch(static_cast<uint64_t>(step), batch);
    for (const data::Tensor &t : batch.tensors) {
      loom_tensor_info info;
      if (m.input(t.name.c_str(), info))
        m.set(info, t.bytes.data());
    }
    m.run();
    const float *logits = m.get("mlm_logits");
    const int32_t *tok = batch.find("tokens")->data<int32_t>();
    const int32_t *tgt = batch.find("mlm_targets")->data<int32_t>();
    for (int64_t b = 0; b < lm.B && done < n; ++b, ++done)
      for (int64_t t = 0; t < lm.T; ++t) {
        size_t at = static_cast<size_t>(b * lm.T + t);
        if (tok[at] != data::kMaskId || tgt[at] == data::kIgnoreId)
          continue;
        std::vector<double> p =
            softmax(logits + at * static_cast<size_t>(lm.V), static_cast<size_t>(lm.V));
        std::vector<size_t> best = topK(p, static_cast<size_t>(shown));
        ++masked;
        ++counts[tgt[at]];
        top1 += static_cast<int32_t>(best[0]) == tgt[at];
        for (size_t i : best)
          topShown += static_cast<int32_t>(i) == tgt[at];
      }
  }
  if (masked == 0)
    failWith("--eval " + std::to_string(n) + ": the sequences hold no [MASK]");
  auto mode =
      std::max_element(counts.begin(), counts.end(),
                       [](const auto &a, const auto &b) { return a.second < b.second; });
  ByteMaskedLmCodec codec(lm.V);
  std::printf("held-out: %lld sequences of %s (seed %llu), %lld [MASK]ed bytes\n",
              (long long)n, dataSpec.c_str(), (unsigned long long)seed,
              (long long)masked);
  std::printf("top-1 accuracy: %.4f\n", double(top1) / double(masked));
  std::printf("top-%lld accuracy: %.4f\n", (long long)shown,
              double(topShown) / double(masked));
  std::printf("unigram baseline: %.4f (always %s, the most frequent masked byte)\n",
              double(mode->second) / double(masked), codec.display(mode->first).c_str());
}

} // namespace

int loom::cli::commandFillMask(int argc, char **argv) {
  if (wantsHelp(argc, argv, kFillMaskUsage))
    return 0;
  int64_t shown = 5, evalCount = 0;
  uint64_t seed = 0;
  bool haveSeed = false;
  std::string dataSpec;
  Common c = parseCommon(argc, argv, "fill-mask", [&](Arg &a) {
    if (a.flag == "--top-k")
      shown = parseCount(a.flag, a.value(), 1, 1 << 20);
    else if (a.flag == "--eval")
      evalCount = parseCount(a.flag, a.value(), 1, 1 << 24);
    else if (a.flag == "--data")
      dataSpec = a.value();
    else if (a.flag == "--seed") {
      seed = parseSeed(a.value());
      haveSeed = true;
    } else
      return false;
    return true;
  });
  requireWeights(c, "fill-mask");
  if (evalCount > 0) {
    if (c.positional.size() > 1)
      failWith("unexpected argument '" + c.positional[1] + "' (--eval takes no text)");
    if (dataSpec.empty())
      failWith("--eval needs --data FILE (held-out text)");
  } else {
    if (!dataSpec.empty() || haveSeed)
      failWith(std::string(haveSeed ? "--seed" : "--data") + " only applies to --eval");
    if (c.positional.size() < 2)
      failWith("loom fill-mask: missing the text (with [MASK] where a byte is to be "
               "predicted)");
    if (c.positional.size() > 2)
      failWith("unexpected argument '" + c.positional[2] +
               "' (quote the text: it is one argument)");
  }
  Model m(c.positional[0], "fill-mask");
  MaskedLm lm = openMaskedLm(m);
  shown = std::min(shown, lm.V);
  m.start(c.weights, c.threads);
  if (evalCount > 0)
    fillMaskEval(m, lm, dataSpec, evalCount, seed, shown);
  else
    fillMaskText(m, lm, c.positional[1], shown);
  return 0;
}

// ---- images -----------------------------------------------------------------------

namespace {

/// The pixels input of an image model: [B, C, H, W].
struct PixelInput {
  loom_tensor_info info;
  int64_t B, C, H, W;
};

PixelInput pixelInput(const Model &m) {
  PixelInput p;
  p.info = inputInfo(m, "pixels");
  p.B = p.info.shape[0];
  p.C = p.info.shape[1];
  p.H = p.info.shape[2];
  p.W = p.info.shape[3];
  return p;
}

/// Reads image PATH into row ROW of PIXELS at the scale of data kind KIND.
void loadImage(const std::string &path, const PixelInput &p, const char *kind,
               std::vector<float> &pixels, int64_t row) {
  Image img;
  std::string err;
  data::PixelScale scale = data::pixelScale(kind);
  if (!readImage(path, img, err) ||
      !imageToPixels(img, path, p.C, p.H, p.W, scale.mean, scale.std,
                     pixels.data() + row * p.C * p.H * p.W, err))
    failWith(err);
}

/// The class names of --labels FILE: one per line, exactly K of them.
std::vector<std::string> readLabels(const std::string &path, int64_t k) {
  std::ifstream in(path);
  if (!in)
    failWith("--labels: cannot read '" + path + "'");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    names.push_back(line);
  }
  while (!names.empty() && names.back().empty())
    names.pop_back();
  if (static_cast<int64_t>(names.size()) != k)
    failWith("--labels: '" + path + "' names " + std::to_string(names.size()) +
             " classes, one per line; the model has " + std::to_string(k));
  return names;
}

} // namespace

int loom::cli::commandClassify(int argc, char **argv) {
  if (wantsHelp(argc, argv, kClassifyUsage))
    return 0;
  int64_t shown = 5;
  std::string labels;
  Common c = parseCommon(argc, argv, "classify", [&](Arg &a) {
    if (a.flag == "--top-k")
      shown = parseCount(a.flag, a.value(), 1, 1 << 20);
    else if (a.flag == "--labels")
      labels = a.value();
    else
      return false;
    return true;
  });
  requireWeights(c, "classify");
  if (c.positional.size() < 2)
    failWith("loom classify: missing IMAGE (PNG or PPM files)");
  Model m(c.positional[0], "classify");
  m.require("an image classifier",
            "forward(pixels: f32[B, C, H, W]) -> logits: f32[B, classes]",
            {{"pixels", LOOM_DTYPE_F32, 4}}, {{"logits", LOOM_DTYPE_F32, 2}});
  PixelInput p = pixelInput(m);
  int64_t K = outputInfo(m, "logits").shape[1];
  std::vector<std::string> names;
  if (!labels.empty())
    names = readLabels(labels, K);
  else
    for (int64_t k = 0; k < K; ++k)
      names.push_back(data::imageClassName(k));
  shown = std::min(shown, K);
  std::vector<std::string> files(c.positional.begin() + 1, c.positional.end());
  // Every file is read before the model runs: a bad one fails the command
  // without partial output.
  std::vector<float> all(files.size() * static_cast<size_t>(p.C * p.H * p.W));
  for (size_t i = 0; i < files.size(); ++i)
    loadImage(files[i], p, "images", all, static_cast<int64_t>(i));
  m.start(c.weights, c.threads);
  const size_t image = static_cast<size_t>(p.C * p.H * p.W);
  std::vector<float> batch(static_cast<size_t>(p.B) * image);
  for (size_t first = 0; first < files.size(); first += static_cast<size_t>(p.B)) {
    size_t rows = std::min(files.size() - first, static_cast<size_t>(p.B));
    std::fill(batch.begin(), batch.end(), 0.0f);
    std::copy(all.begin() + static_cast<std::ptrdiff_t>(first * image),
              all.begin() + static_cast<std::ptrdiff_t>((first + rows) * image),
              batch.begin());
    m.set(p.info, batch.data());
    m.run();
    const float *logits = m.get("logits");
    for (size_t r = 0; r < rows; ++r) {
      std::vector<double> prob =
          softmax(logits + r * static_cast<size_t>(K), static_cast<size_t>(K));
      std::printf("%s\n", files[first + r].c_str());
      for (size_t k : topK(prob, static_cast<size_t>(shown)))
        std::printf("  %.4f  %zu  %s\n", prob[k], k, names[k].c_str());
    }
  }
  return 0;
}

// ---- loom clip-rank -----------------------------------------------------------------

int loom::cli::commandClipRank(int argc, char **argv) {
  if (wantsHelp(argc, argv, kClipRankUsage))
    return 0;
  Common c = parseCommon(argc, argv, "clip-rank", [&](Arg &) { return false; });
  requireWeights(c, "clip-rank");
  if (c.positional.size() < 2)
    failWith("loom clip-rank: missing IMAGE");
  if (c.positional.size() < 3)
    failWith("loom clip-rank: missing the captions to rank (one argument each)");
  Model m(c.positional[0], "clip-rank");
  m.require("a CLIP model",
            "forward(pixels: f32[B, C, H, W], tokens: i32[B, T], eot: f32[B, T]) -> "
            "image_embeds: f32[B, E], text_embeds: f32[B, E]",
            {{"pixels", LOOM_DTYPE_F32, 4},
             {"tokens", LOOM_DTYPE_I32, 2},
             {"eot", LOOM_DTYPE_F32, 2}},
            {{"image_embeds", LOOM_DTYPE_F32, 2}, {"text_embeds", LOOM_DTYPE_F32, 2}});
  m.requireByteTokens();
  PixelInput p = pixelInput(m);
  loom_tensor_info tokens = inputInfo(m, "tokens"), eot = inputInfo(m, "eot");
  const int64_t T = tokens.shape[1], B = p.B;
  const int64_t E = outputInfo(m, "image_embeds").shape[1];
  if (eot.shape[1] != T || outputInfo(m, "text_embeds").shape[1] != E)
    failWith("artifact '" + m.dir() +
             "': tokens and eot differ in T, or the embeddings in E");
  const int64_t vocab = m.inputLimit("tokens", 256);
  const std::string imagePath = c.positional[1];
  std::vector<std::string> captions(c.positional.begin() + 2, c.positional.end());
  for (const std::string &cap : captions) {
    if (cap.empty())
      failWith("an empty caption (a caption needs at least one byte)");
    if (static_cast<int64_t>(cap.size()) > T)
      failWith("caption '" + cap + "' is " + std::to_string(cap.size()) +
               " bytes; the model takes " + std::to_string(T) + " at most");
    for (unsigned char b : cap)
      if (b >= vocab)
        failWith("caption '" + cap + "': byte " + std::to_string(b) +
                 " is outside the model's vocabulary of " + std::to_string(vocab));
  }
  // Every row shows the image; only row 0's embedding is read.
  const size_t image = static_cast<size_t>(p.C * p.H * p.W);
  std::vector<float> pixels(static_cast<size_t>(B) * image);
  loadImage(imagePath, p, "captions", pixels, 0);
  for (int64_t b = 1; b < B; ++b)
    std::copy(pixels.begin(), pixels.begin() + static_cast<std::ptrdiff_t>(image),
              pixels.begin() +
                  static_cast<std::ptrdiff_t>(b * static_cast<int64_t>(image)));
  m.start(c.weights, c.threads);
  float logitScale = 0;
  bool haveScale = m.scalarParam("logit_scale", logitScale);
  double scale = haveScale ? std::exp(double(logitScale)) : 1.0;

  std::vector<float> imageEmbed(static_cast<size_t>(E));
  std::vector<float> sims(captions.size());
  std::vector<int32_t> tok(static_cast<size_t>(B * T));
  std::vector<float> eotRow(static_cast<size_t>(B * T));
  m.set(p.info, pixels.data());
  for (size_t first = 0; first < captions.size(); first += static_cast<size_t>(B)) {
    size_t rows = std::min(captions.size() - first, static_cast<size_t>(B));
    std::fill(tok.begin(), tok.end(), data::kPadId);
    std::fill(eotRow.begin(), eotRow.end(), 0.0f);
    for (size_t r = 0; r < static_cast<size_t>(B); ++r) {
      // Rows past the captions repeat the first (any valid row will do).
      const std::string &cap = captions[first + (r < rows ? r : 0)];
      for (size_t t = 0; t < cap.size(); ++t)
        tok[r * static_cast<size_t>(T) + t] = static_cast<unsigned char>(cap[t]);
      eotRow[r * static_cast<size_t>(T) + cap.size() - 1] = 1.0f;
    }
    m.set(tokens, tok.data());
    m.set(eot, eotRow.data());
    m.run();
    if (first == 0)
      std::copy(m.get("image_embeds"), m.get("image_embeds") + E, imageEmbed.begin());
    const float *text = m.get("text_embeds");
    for (size_t r = 0; r < rows; ++r)
      sims[first + r] = static_cast<float>(cosine(
          imageEmbed.data(), text + r * static_cast<size_t>(E), static_cast<size_t>(E)));
  }
  std::vector<double> prob = softmax(sims.data(), sims.size(), scale);
  if (haveScale)
    std::printf("%s (logit scale exp(%.4f) = %.3f)\n", imagePath.c_str(), logitScale,
                scale);
  else
    std::printf("%s (no logit_scale parameter: scale 1)\n", imagePath.c_str());
  for (size_t i : topK(prob, prob.size()))
    std::printf("  %.4f  %+.4f  %s\n", prob[i], sims[i], captions[i].c_str());
  return 0;
}

// ---- loom translate -----------------------------------------------------------------

namespace {

/// An encoder-decoder's forward: src_tokens, src_mask [B, S], tgt_tokens
/// [B, T] -> logits [B, T, V].
struct Seq2Seq {
  loom_tensor_info src, srcMask, tgt, logits;
  int64_t B, S, T, V, srcVocab;
};

Seq2Seq openSeq2Seq(Model &m) {
  m.require("an encoder-decoder",
            "forward(src_tokens: i32[B, S], src_mask: i1[B, S], tgt_tokens: i32[B, T]) "
            "-> logits: f32[B, T, V]",
            {{"src_tokens", LOOM_DTYPE_I32, 2},
             {"src_mask", LOOM_DTYPE_I1, 2},
             {"tgt_tokens", LOOM_DTYPE_I32, 2}},
            {{"logits", LOOM_DTYPE_F32, 3}});
  m.requireByteTokens();
  Seq2Seq s;
  s.src = inputInfo(m, "src_tokens");
  s.srcMask = inputInfo(m, "src_mask");
  s.tgt = inputInfo(m, "tgt_tokens");
  s.logits = outputInfo(m, "logits");
  s.B = s.src.shape[0];
  s.S = s.src.shape[1];
  s.T = s.tgt.shape[1];
  s.V = s.logits.shape[2];
  s.srcVocab = m.inputLimit("src_tokens", s.V);
  if (s.srcMask.shape[1] != s.S || s.logits.shape[1] != s.T)
    failWith("artifact '" + m.dir() +
             "': src_tokens and src_mask differ in S, or "
             "tgt_tokens and logits in T");
  if (s.V <= data::kEosId)
    failWith("artifact '" + m.dir() + "': a vocabulary of " + std::to_string(s.V) +
             " has no [EOS] " + std::to_string(data::kEosId));
  return s;
}

/// Next-byte log-probabilities from the full forward: every call reruns
/// encoder and decoder on up to B prefixes (the KV-cache decode functions
/// will replace this behind NextTokenScorer).
class ForwardScorer final : public NextTokenScorer {
public:
  ForwardScorer(Model &m, const Seq2Seq &s)
      : m_(m), s_(s), tgt_(static_cast<size_t>(s.B * s.T)),
        allowed_(static_cast<size_t>(s.V), true) {
    // Padding and [BOS] never follow.
    allowed_[data::kPadId] = allowed_[data::kBosId] = false;
  }

  /// Sets the source sentence (in every row).
  void setSource(const std::string &text) {
    if (text.empty())
      failWith("the source text is empty");
    if (static_cast<int64_t>(text.size()) > s_.S)
      failWith("the source text is " + std::to_string(text.size()) +
               " bytes; the model takes " + std::to_string(s_.S) + " at most (S)");
    std::vector<int32_t> src(static_cast<size_t>(s_.B * s_.S), data::kPadId);
    std::vector<uint8_t> mask(src.size(), 0);
    for (int64_t b = 0; b < s_.B; ++b)
      for (size_t i = 0; i < text.size(); ++i) {
        int32_t id = static_cast<unsigned char>(text[i]);
        if (id >= s_.srcVocab)
          failWith("the source text: byte " + std::to_string(id) + " at offset " +
                   std::to_string(i) + " is outside the vocabulary of " +
                   std::to_string(s_.srcVocab));
        src[static_cast<size_t>(b * s_.S) + i] = id;
        mask[static_cast<size_t>(b * s_.S) + i] = 1;
      }
    m_.set(s_.src, src.data());
    m_.set(s_.srcMask, mask.data());
  }

  void scoreNext(const std::vector<Prefix> &prefixes,
                 std::vector<std::vector<float>> &logProbs) override {
    logProbs.resize(prefixes.size());
    const size_t B = static_cast<size_t>(s_.B), T = static_cast<size_t>(s_.T),
                 V = static_cast<size_t>(s_.V);
    for (size_t first = 0; first < prefixes.size(); first += B) {
      size_t rows = std::min(prefixes.size() - first, B);
      std::fill(tgt_.begin(), tgt_.end(), data::kPadId);
      for (size_t r = 0; r < rows; ++r) {
        const std::vector<int32_t> &ids = prefixes[first + r].ids;
        if (ids.empty() || ids.size() > T)
          failWith("internal: a decoder prefix of " + std::to_string(ids.size()) +
                   " ids for T = " + std::to_string(T));
        std::copy(ids.begin(), ids.end(),
                  tgt_.begin() + static_cast<std::ptrdiff_t>(r * T));
      }
      m_.set(s_.tgt, tgt_.data());
      m_.run();
      ++forwards;
      const float *logits = m_.get("logits");
      for (size_t r = 0; r < rows; ++r) {
        size_t pos = prefixes[first + r].ids.size() - 1;
        logProbs[first + r] = logSoftmax(logits + (r * T + pos) * V, V, allowed_);
      }
    }
  }

  int64_t forwards = 0;

private:
  Model &m_;
  const Seq2Seq &s_;
  std::vector<int32_t> tgt_;
  std::vector<bool> allowed_;
};

/// The same log-probabilities from the KV-cache functions of `loomc
/// --decode` (compiled with B >= the beam width): `encode` runs once per
/// source, then every beam step is one decode step for all live hypotheses
/// (one per batch row) at the same position; before it, each row's cached
/// keys and values are replaced by those of the hypothesis it extends (a
/// row gather of every kv.* state tensor: O(layers x T x d) bytes, no
/// recompute). Equal to ForwardScorer up to rounding.
class CachedScorer final : public NextTokenScorer {
public:
  CachedScorer(Model &m, const Seq2Seq &s)
      : m_(m), s_(s), allowed_(static_cast<size_t>(s.V), true) {
    allowed_[data::kPadId] = allowed_[data::kBosId] = false;
    const loom_artifact *a = m.artifact();
    for (size_t i = 0; i < loom_artifact_num_functions(a); ++i) {
      std::string name = loom_artifact_function_name(a, i);
      if (name == "encode")
        hasEncoder_ = true;
      else if (name.rfind("decode_", 0) == 0)
        decode_[std::stoll(name.substr(7))] = name;
    }
    loom_tensor_info t;
    for (size_t i = 0; i < loom_artifact_num_state(a); ++i) {
      check(loom_artifact_state(a, i, &t));
      if (std::strncmp(t.name, "kv.", 3) == 0)
        caches_.push_back(t.name);
    }
    if (!m.input("decode.tokens", tokens_) || tokens_.rank != 2 ||
        tokens_.shape[0] != s.B || tokens_.shape[1] != 1 || !m.input("decode.pos", pos_))
      failWith("artifact '" + m.dir() + "': decode functions without decode.tokens [" +
               std::to_string(s.B) + ", 1] and decode.pos");
  }

  /// Whether the artifact has the cache functions.
  static bool available(const Model &m) {
    for (size_t i = 0; i < loom_artifact_num_functions(m.artifact()); ++i)
      if (std::strncmp(loom_artifact_function_name(m.artifact(), i), "decode_", 7) == 0)
        return true;
    return false;
  }

  void setSource(const std::string &text, ForwardScorer &inputs) {
    inputs.setSource(text); // the same src_tokens and src_mask rows
    encoded_ = false;
  }

  void scoreNext(const std::vector<Prefix> &prefixes,
                 std::vector<std::vector<float>> &logProbs) override {
    const size_t B = static_cast<size_t>(s_.B), V = static_cast<size_t>(s_.V);
    if (prefixes.empty() || prefixes.size() > B)
      failWith("the beam holds " + std::to_string(prefixes.size()) +
               " hypotheses; the artifact's decode steps take " + std::to_string(B) +
               " (compile it with --dim B=" + std::to_string(prefixes.size()) + ")");
    size_t len = prefixes[0].ids.size();
    for (const Prefix &p : prefixes)
      if (p.ids.size() != len)
        failWith("internal: beam hypotheses of different lengths");
    loom_session *session = m_.session();
    if (!encoded_) {
      if (hasEncoder_)
        check(loom_run(session, "encode"));
      encoded_ = true;
      // Every row takes the (common) prefix but its last id.
      for (size_t p = 0; p + 1 < len; ++p)
        step(std::vector<int32_t>(B, prefixes[0].ids[p]), static_cast<int64_t>(p));
    } else {
      reorder(prefixes);
    }
    std::vector<int32_t> ids(B, prefixes[0].ids.back());
    for (size_t r = 0; r < prefixes.size(); ++r)
      ids[r] = prefixes[r].ids.back();
    const float *logits = step(ids, static_cast<int64_t>(len) - 1);
    ++steps;
    logProbs.resize(prefixes.size());
    for (size_t r = 0; r < prefixes.size(); ++r)
      logProbs[r] = logSoftmax(logits + r * V, V, allowed_);
  }

  int64_t steps = 0;

private:
  /// One decode step of IDS (one per row) at POS; the logits [B, 1, V].
  const float *step(const std::vector<int32_t> &ids, int64_t pos) {
    auto it = decode_.lower_bound(pos + 1);
    if (it == decode_.end())
      failWith("position " + std::to_string(pos) + " is past the key/value cache");
    m_.set(tokens_, ids.data());
    m_.set(pos_, &pos);
    check(loom_run(m_.session(), it->second.c_str()));
    loom_tensor_info info;
    const void *data;
    check(loom_get_output(m_.session(), it->second.c_str(), "logits", &info, &data));
    return static_cast<const float *>(data);
  }

  /// Row r of every cache becomes the row of the hypothesis prefixes[r]
  /// extends.
  void reorder(const std::vector<Prefix> &prefixes) {
    bool identity = true;
    for (size_t r = 0; r < prefixes.size(); ++r)
      identity &= prefixes[r].parent == static_cast<int64_t>(r);
    if (identity)
      return;
    for (const std::string &name : caches_) {
      loom_tensor_info info;
      void *data;
      check(loom_state_data(m_.session(), name.c_str(), &info, &data));
      size_t row = info.nbytes / static_cast<size_t>(info.shape[0]);
      scratch_.assign(static_cast<const char *>(data),
                      static_cast<const char *>(data) + info.nbytes);
      for (size_t r = 0; r < prefixes.size(); ++r) {
        int64_t parent = prefixes[r].parent;
        if (parent < 0 || parent >= info.shape[0])
          failWith("internal: a hypothesis without a parent row");
        std::memcpy(static_cast<char *>(data) + r * row,
                    scratch_.data() + static_cast<size_t>(parent) * row, row);
      }
    }
  }

  Model &m_;
  const Seq2Seq &s_;
  std::vector<bool> allowed_;
  std::map<int64_t, std::string> decode_;
  std::vector<std::string> caches_;
  std::vector<char> scratch_;
  loom_tensor_info tokens_, pos_;
  bool hasEncoder_ = false, encoded_ = false;
};

std::string bytesOf(const Hypothesis &h) {
  std::string s;
  for (int32_t id : h.ids)
    if (id != data::kEosId)
      s += static_cast<char>(id);
  return s;
}

} // namespace

int loom::cli::commandTranslate(int argc, char **argv) {
  if (wantsHelp(argc, argv, kTranslateUsage))
    return 0;
  BeamOptions beam;
  beam.maxLen = 0; // the artifact's T unless given
  beam.eos = data::kEosId;
  int64_t nBest = 1, evalCount = 0;
  uint64_t seed = 0;
  bool haveSeed = false, useCache = true;
  Common c = parseCommon(argc, argv, "translate", [&](Arg &a) {
    if (a.flag == "--beam")
      beam.beam = parseCount(a.flag, a.value(), 1, 256);
    else if (a.flag == "--length-penalty")
      beam.alpha = parseNumber(a.flag, a.value(), 0, 10);
    else if (a.flag == "--max-len")
      beam.maxLen = parseCount(a.flag, a.value(), 1, 1 << 20);
    else if (a.flag == "--n-best")
      nBest = parseCount(a.flag, a.value(), 1, 256);
    else if (a.flag == "--eval")
      evalCount = parseCount(a.flag, a.value(), 1, 1 << 20);
    else if (a.flag == "--seed") {
      seed = parseSeed(a.value());
      haveSeed = true;
    } else if (a.flag == "--no-cache" && !a.hasInline)
      useCache = false;
    else
      return false;
    return true;
  });
  requireWeights(c, "translate");
  if (nBest > beam.beam)
    failWith("--n-best " + std::to_string(nBest) + " exceeds --beam " +
             std::to_string(beam.beam));
  if (evalCount > 0 && c.positional.size() > 1)
    failWith("unexpected argument '" + c.positional[1] + "' (--eval takes no text)");
  if (evalCount > 0 && nBest > 1)
    failWith("--n-best applies to one text, not to --eval");
  if (evalCount == 0 && haveSeed)
    failWith("--seed only applies to --eval");
  if (evalCount == 0 && c.positional.size() < 2)
    failWith("loom translate: missing the source text (or --eval N)");
  if (c.positional.size() > 2)
    failWith("unexpected argument '" + c.positional[2] +
             "' (quote the source text: it is one argument)");
  Model m(c.positional[0], "translate");
  Seq2Seq s = openSeq2Seq(m);
  if (beam.maxLen > s.T)
    failWith("--max-len " + std::to_string(beam.maxLen) + " exceeds the artifact's T = " +
             std::to_string(s.T) + " (the decoder input holds [BOS] and T - 1 bytes)");
  if (beam.maxLen == 0)
    beam.maxLen = s.T;
  m.start(c.weights, c.threads);
  ForwardScorer forward(m, s);
  // The KV cache when the artifact has it (loomc --decode) and --no-cache
  // is not given; both score the same (up to rounding).
  std::unique_ptr<CachedScorer> cached;
  if (useCache && CachedScorer::available(m)) {
    if (beam.beam > s.B)
      failWith("--beam " + std::to_string(beam.beam) + " exceeds the artifact's batch B = " +
               std::to_string(s.B) + " (each hypothesis takes a row of the cache; "
               "compile with --dim B=" + std::to_string(beam.beam) + ", or --no-cache)");
    cached = std::make_unique<CachedScorer>(m, s);
  }
  NextTokenScorer &scorer = cached ? static_cast<NextTokenScorer &>(*cached)
                                   : static_cast<NextTokenScorer &>(forward);
  auto setSource = [&](const std::string &text) {
    if (cached)
      cached->setSource(text, forward);
    else
      forward.setSource(text);
  };
  const std::vector<int32_t> start = {data::kBosId};

  if (evalCount == 0) {
    setSource(c.positional[1]);
    std::vector<Hypothesis> hyps = beamSearch(scorer, start, beam);
    if (!hyps.empty() && !hyps[0].finished)
      std::fprintf(stderr,
                   "loom translate: no hypothesis ended within --max-len %lld; "
                   "showing the best cut one\n",
                   (long long)beam.maxLen);
    if (nBest == 1) {
      std::printf("%s\n", hyps.empty() ? "" : bytesOf(hyps[0]).c_str());
      return 0;
    }
    for (size_t i = 0; i < hyps.size() && i < static_cast<size_t>(nBest); ++i)
      std::printf("%.4f  %.4f  %s%s\n", hyps[i].score, hyps[i].logProb,
                  bytesOf(hyps[i]).c_str(), hyps[i].finished ? "" : "  (cut)");
    return 0;
  }

  std::string err;
  std::vector<data::TranslationPair> pairs =
      data::translationPairs(seed, evalCount, s.S, s.T, /*heldOut=*/true, err);
  if (!err.empty())
    failWith("--eval: " + err + "; the artifact has S = " + std::to_string(s.S) +
             ", T = " + std::to_string(s.T));
  int64_t exact = 0, shown = 0, steps = 0;
  for (const data::TranslationPair &pair : pairs) {
    setSource(pair.source);
    BeamStats stats;
    std::vector<Hypothesis> hyps = beamSearch(scorer, start, beam, &stats);
    steps += stats.steps;
    std::string got = hyps.empty() ? "" : bytesOf(hyps[0]);
    bool ok = !hyps.empty() && hyps[0].finished && got == pair.target;
    exact += ok;
    if (!ok && shown++ < 5)
      std::printf("  miss: '%s' -> '%s' (want '%s')\n", pair.source.c_str(), got.c_str(),
                  pair.target.c_str());
  }
  std::printf("held-out: %lld pairs (seed %llu), beam %lld, length penalty %g, "
              "%.1f steps and %.1f %s per pair\n",
              (long long)evalCount, (unsigned long long)seed, (long long)beam.beam,
              beam.alpha, double(steps) / double(evalCount),
              double(cached ? cached->steps : forward.forwards) / double(evalCount),
              cached ? "cached decode steps" : "forwards");
  std::printf("exact match: %.4f (%lld/%lld)\n", double(exact) / double(evalCount),
              (long long)exact, (long long)evalCount);
  return 0;
}

// ---- loom sample --------------------------------------------------------------------

int loom::cli::commandSample(int argc, char **argv) {
  if (wantsHelp(argc, argv, kSampleUsage))
    return 0;
  std::string kind, out;
  int64_t count = 0, H = 32, W = 32, C = 3, classes = 10, captionLen = 16;
  uint64_t seed = 0;
  for (int i = 2; i < argc; ++i) {
    Arg a(argc, argv, i);
    if (a.flag == "--count")
      count = parseCount(a.flag, a.value(), 1, 10000);
    else if (a.flag == "-o" || a.flag == "--out")
      out = a.value();
    else if (a.flag == "--seed")
      seed = parseSeed(a.value());
    else if (a.flag == "--size") {
      std::string v = a.value();
      size_t x = v.find('x');
      H = parseCount(a.flag, v.substr(0, x), 1, 512);
      W = x == std::string::npos ? H : parseCount(a.flag, v.substr(x + 1), 1, 512);
    } else if (a.flag == "--channels") {
      C = parseCount(a.flag, a.value(), 1, 3);
      if (C == 2)
        failWith("--channels is 3 (RGB) or 1 (gray), not 2");
    } else if (a.flag == "--classes")
      classes = parseCount(a.flag, a.value(), 2, 10);
    else if (a.flag == "--caption-len")
      captionLen = parseCount(a.flag, a.value(), 1, 4096);
    else if (a.isOption())
      failWith("unknown option '" + a.arg + "' (loom sample --help)");
    else if (kind.empty())
      kind = a.arg;
    else
      failWith("unexpected argument '" + a.arg + "'");
  }
  if (kind.empty())
    failWith("loom sample: missing the kind: images or captions");
  if (kind != "images" && kind != "captions")
    failWith("loom sample: unknown kind '" + kind + "' (images or captions)");
  if (count == 0)
    failWith("loom sample: missing --count N");
  if (out.empty())
    failWith("loom sample: missing -o DIR");
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec)
    failWith("-o " + out + ": cannot create the directory: " + ec.message());

  // Batches of 90 rows: the captions' permutations span 90 rows.
  const int64_t kRows = 90;
  std::vector<data::TensorSpec> specs = {{"pixels", LOOM_DTYPE_F32, {kRows, C, H, W}}};
  if (kind == "images")
    specs.push_back({"labels", LOOM_DTYPE_I32, {kRows}});
  else {
    specs.push_back({"tokens", LOOM_DTYPE_I32, {kRows, captionLen}});
    specs.push_back({"eot", LOOM_DTYPE_F32, {kRows, captionLen}});
  }
  data::DataOptions opt;
  opt.numClasses = classes;
  opt.heldOut = true;
  std::string err;
  auto source = data::makeDataSource(kind, specs, seed, err, opt);
  if (!source)
    failWith(err);
  data::PixelScale scale = data::pixelScale(kind);
  int digits = std::max<int>(4, static_cast<int>(std::to_string(count - 1).size()));
  std::string labels;
  data::Batch batch;
  for (int64_t i = 0; i < count; ++i) {
    int64_t row = i % kRows;
    if (row == 0)
      source->batch(static_cast<uint64_t>(i / kRows), batch);
    std::string name = std::to_string(i);
    name = std::string(
               static_cast<size_t>(digits) - std::min(name.size(), size_t(digits)), '0') +
           name + ".png";
    const float *px = batch.find("pixels")->data<float>() + row * C * H * W;
    if (!writePng(out + "/" + name, pixelsToImage(px, C, H, W, scale.mean, scale.std),
                  err))
      failWith(err);
    if (kind == "images") {
      int32_t label = batch.find("labels")->data<int32_t>()[row];
      labels +=
          name + "\t" + std::to_string(label) + "\t" + data::imageClassName(label) + "\n";
    } else {
      const int32_t *tok = batch.find("tokens")->data<int32_t>() + row * captionLen;
      std::string caption;
      for (int64_t t = 0; t < captionLen && tok[t] != data::kPadId; ++t)
        caption += static_cast<char>(tok[t]);
      labels += name + "\t" + caption + "\n";
    }
  }
  std::string labelsPath = out + "/labels.txt";
  loom::rt::Status st =
      loom::rt::writeFileAtomic(labelsPath, {{labels.data(), labels.size()}});
  if (!st.isOk())
    failWith(st.message());
  std::printf("wrote %lld %s (%lldx%lld, %lld channel%s) and %s\n", (long long)count,
              kind == "images" ? "images" : "captioned images", (long long)W,
              (long long)H, (long long)C, C == 1 ? "" : "s", labelsPath.c_str());
  return 0;
}
