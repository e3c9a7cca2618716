//===- tasks.cpp - one command per model family -----------------------------===//
//
//   loom fill-mask ARTIFACT --weights W "text with [MASK]"     (BERT)
//   loom classify  ARTIFACT --weights W IMAGE...               (ViT)
//   loom clip-rank ARTIFACT --weights W IMAGE CAPTION...       (CLIP)
//   loom sample images|captions --count N -o DIR               (test inputs)
//
// (loom translate, the encoder-decoder's, is in tasks_translate.cpp.)
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
#include "tasks_cli.h"
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
