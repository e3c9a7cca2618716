//===- Data.h - training data for `loom train` ------------------------------===//
//
// A DataSource turns a data spec ("text:PATH", "tokens:PATH.npy",
// "synthetic", ...) into one batch of host tensors per training step, shaped
// and typed like the artifact's inputs, ready for loom_set_input.
//
// Reproducibility: batch(step) is a pure function of (seed, step, the file):
// every random decision is drawn from a counter-based splitmix64 stream keyed
// by (seed, kind, step, row), so resuming at step k sees exactly the batches
// an uninterrupted run would, on any machine (integer RNG; pixels use only
// + - * on floats, compiled with -ffp-contract=off).
//
// Stream of row R of step S of data kind K (K = "lm", "mlm", "images",
// "captions", "translation"; captions draw the permutation of rows
// [90j, 90j + 90) from row R = 2^64 - 1 - j; the held-out stream of a kind,
// DataOptions::heldOut, is K + "/heldout", e.g. "images/heldout"):
//   base = mix64(mix64(mix64(fnv1a64(K) ^ mix64(seed)) + (S + 1) * G)
//                + (R + 1) * G),   G = 0x9E3779B97F4A7C15
//   draw n = mix64(base + (n + 1) * G)
//   an integer in [0, m) from a draw d = floor(d * m / 2^64).
//
// Data kinds and conventions (byte-level vocabulary of 256 unless
// DataOptions::vocab says otherwise):
//
//  lm (inputs tokens: i32[B, T], targets: i32[B, T]) from text or token ids:
//    row b takes the T + 1 ids at a uniformly drawn offset; tokens = the
//    first T, targets = the last T (the window shifted by one).
//
//  mlm (inputs tokens, token_types, attention_mask: i1, mlm_targets: i32[B,T]
//    and nsp_labels: i32[B]), BERT pre-training from text or token ids:
//    [CLS] A [SEP] B [SEP], exactly T long (A and B fill T - 3 ids; |A| is
//    drawn in [L/4, 3L/4], L = T - 3). Reserved ids: [PAD] = 0, [CLS] = 1,
//    [SEP] = 2, [MASK] = 3; text bytes 0..3 become a space (32), and a token
//    file must not contain ids 0..3. NSP: with probability 1/2 B is the text
//    that follows A (label 0 = IsNext), else a span from a random offset
//    (label 1). token_types: 0 for [CLS] A [SEP], 1 for B [SEP].
//    attention_mask: true for every id (the sequences are never shorter than
//    T; padding would be [PAD] with mask false). MLM: round(15%) (at least
//    one) of the non-special positions are chosen without replacement; of
//    those 80% become [MASK], 10% a random id in [4, vocab), 10% are kept;
//    mlm_targets = the original id at chosen positions, -100 elsewhere.
//
//  images (inputs pixels: f32[B, C, H, W], labels: i32[B]), synthetic:
//    DataOptions::numClasses (default 10, at most 10) classes; class c draws
//    pattern c % 5 (horizontal, vertical, diagonal, anti-diagonal stripes,
//    checkerboard) at variant c / 5 (0: period 8, warm colour (1, .6, .2);
//    1: period 4, cool colour (.2, .6, 1)), with a random phase, brightness
//    in [0.75, 1.25] and noise (sd about 0.3). Pixel = colour[ch % 3] *
//    brightness * (on ? 1 : -1) + noise: about zero mean, unit scale.
//    imageClassName(c) names class c; pixelScale("images") maps pixels to
//    and from 8-bit image files.
//
//  captions (inputs pixels: f32[B, C, H, W], tokens: i32[B, T], eot: f32[B,
//    T]), synthetic CLIP pairs: a shape (square, circle, cross) of a colour
//    (red, green, blue, yellow, cyan, white) at a position (top left, top
//    right, bottom left, bottom right, center) on a dark noisy background.
//    Caption bytes: the first template whose longest caption fits T
//    (maximum lengths in brackets):
//      "a red square at the top left" [35]   "red square top left" [26]
//      "red square tl" [16]                  "r s tl" [6]
//    (tl tr bl br c; shape letters s o x; below T = 6 the last is cut to T
//    bytes). tokens = caption bytes, then 0; eot = 1 at the caption's last
//    byte, 0 elsewhere. Rows take a random permutation of the 90
//    combinations, so the pairs of a batch are distinct whenever B <= 90.
//    Shape radius min(H, W)/8 (+0/1), centre jittered by W/16; pixel =
//    (colour * brightness in [0.8, 1] + noise sd 0.05 - 0.05) * 4
//    (8-bit files: pixelScale("captions")).
//
//  translation (inputs src_tokens: i32[B, S], src_mask: i1[B, S],
//    tgt_tokens: i32[B, T], tgt_targets: i32[B, T]), synthetic: the source
//    is 1..8 words from a fixed 20-word English list joined by spaces, the
//    target each word through a fixed English -> French dictionary (cat ->
//    chat, ...), in reverse order; words are drawn until the count or the
//    first that would not fit S (source) or T - 1 (target) bytes; needs
//    S >= 5 and T >= 8 so that every word fits.
//    src_tokens = source bytes, then [PAD] 0 with src_mask false;
//    tgt_tokens = [BOS] 1 + target bytes, tgt_targets = target bytes +
//    [EOS] 2; padding 0 in tgt_tokens and -100 in tgt_targets.
//    translationPairs gives the sentence pairs themselves.
//
// Nothing here throws or aborts on bad input: failures return a message.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_DATA_DATA_H
#define LOOM_DATA_DATA_H

#include "loom/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loom::data {

/// Reserved ids of the masked-LM (BERT) and translation data.
constexpr int32_t kPadId = 0;      // [PAD]: padding (both)
constexpr int32_t kClsId = 1;      // [CLS]: masked LM
constexpr int32_t kSepId = 2;      // [SEP]: masked LM
constexpr int32_t kMaskId = 3;     // [MASK]: masked LM
constexpr int32_t kBosId = 1;      // [BOS]: translation decoder input
constexpr int32_t kEosId = 2;      // [EOS]: translation targets
constexpr int32_t kIgnoreId = -100; // targets the loss ignores

/// An input of the artifact: name, dtype and static shape (every dim > 0).
struct TensorSpec {
  std::string name;
  loom_dtype dtype = LOOM_DTYPE_F32;
  std::vector<int64_t> shape;
};

/// One host tensor of a batch: little-endian C-order bytes, i1 one byte each.
struct Tensor {
  std::string name;
  loom_dtype dtype = LOOM_DTYPE_F32;
  std::vector<int64_t> shape;
  std::string bytes;

  int64_t numel() const;
  template <typename T> T *data() { return reinterpret_cast<T *>(&bytes[0]); }
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(bytes.data());
  }
};

/// The inputs of one step, in the order of the TensorSpecs given to
/// makeDataSource.
struct Batch {
  std::vector<Tensor> tensors;
  /// The tensor named NAME, or nullptr.
  const Tensor *find(const std::string &name) const;
};

/// Knowledge about the model that its inputs do not carry.
struct DataOptions {
  /// Ids must be < vocab (text needs 256; captions and translation 128).
  int64_t vocab = 256;
  /// Classes of the synthetic image data, 2..10.
  int64_t numClasses = 10;
  /// Draw from the kind's held-out stream ("K/heldout" instead of "K"):
  /// evaluation batches that no training run of any seed draws. (Items can
  /// still coincide by chance: there are only 20 one-word sentences.) Text
  /// and token data draw other windows and masks of the same file; hold a
  /// file out for those.
  bool heldOut = false;
};

class DataSource {
public:
  virtual ~DataSource();
  /// The batch of training step STEP (0-based): a pure function of (seed,
  /// step), no hidden state, so that resuming at step k yields exactly the
  /// batches an uninterrupted run would see. Reuses OUT's buffers. Const and
  /// thread-safe.
  void batch(uint64_t step, Batch &out) const { batchRows(step, 0, out); }
  /// Rows FIRST_ROW .. FIRST_ROW + B - 1 of step STEP's rows (row r of a
  /// step is drawn from its own stream, whatever the batch size): so K
  /// batches of B rows at FIRST_ROW = 0, B, 2B, ... are one batch of K*B
  /// rows, and data-parallel micro-batches see the data of the large batch.
  virtual void batchRows(uint64_t step, uint64_t firstRow, Batch &out) const = 0;
  /// "tokens" (lm, mlm) or "samples" (images, captions, translation).
  virtual const char *unit() const = 0;
  /// B * T for tokens, B for samples.
  virtual int64_t unitsPerBatch() const = 0;
  /// One line: kind, file, size, batch shape.
  virtual std::string describe() const = 0;
  /// "lm", "mlm", "images", "captions" or "translation".
  virtual const char *kind() const = 0;
};

/// SPEC: "text:PATH" (the bytes of a file, byte-level tokens 0..255),
/// "tokens:PATH" (a 1-D i32 or i64 .npy of token ids), "synthetic" (images,
/// captions or translation, whichever the model's inputs are), or one of
/// "images", "captions", "translation" explicitly. A bare PATH means
/// tokens:PATH if it ends in .npy, else text:PATH.
/// INPUTS: the artifact's inputs (names, dtypes, static shapes), matched by
/// name in any order. Returns nullptr and a message in ERR when the spec is
/// malformed or of an unknown kind, the file is missing, unreadable, empty
/// or too short for one window, an id is out of range for the model, or the
/// model's inputs do not fit the data kind (the message names the expected
/// and the actual inputs).
std::unique_ptr<DataSource> makeDataSource(const std::string &spec,
                                           const std::vector<TensorSpec> &inputs,
                                           uint64_t seed, std::string &err,
                                           const DataOptions &options = {});

/// The name of class C of the synthetic images (0..9), e.g. "horizontal
/// stripes, period 8, warm"; "class C" outside 0..9.
std::string imageClassName(int64_t c);

/// How a synthetic kind's pixels map to 8-bit image files: the byte u of a
/// channel stands for the pixel value (u / 255 - mean) / std. The range
/// covers every value the generator draws, so a batch written as 8-bit
/// images and read back is the same tensor up to rounding (|error| <= 0.5 /
/// 255 / std). KIND: "images" (mean 0.5, std 0.2: [-2.5, 2.5]) or "captions"
/// (mean 0.17, std 0.18: [-0.94, 4.61]; colour intensity i in [0, 1] is the
/// pixel (i - 0.05) * 4, so the dark background is byte ~34).
struct PixelScale {
  float mean, std;
};
PixelScale pixelScale(const std::string &kind);

/// One sentence pair of the translation data (bytes; no [BOS]/[EOS]).
struct TranslationPair {
  std::string source, target;
};

/// Pairs 0..COUNT-1 of the translation generator for source length S and
/// target length T: pair i is row i of step 0 of the (held-out, when
/// HELD_OUT) stream of SEED, the pair a batch of that stream would hold
/// there. Empty with a message in ERR when S or T is too small for a word.
std::vector<TranslationPair> translationPairs(uint64_t seed, int64_t count, int64_t S,
                                              int64_t T, bool heldOut, std::string &err);

/// "tokens: i32[4, 64], targets: i32[4, 64]".
std::string formatInputs(const std::vector<TensorSpec> &inputs);

/// A line of a chart: points (x[i], y[i]); non-finite points are skipped.
struct Series {
  std::string label;
  std::vector<double> x, y;
  std::string color; // an SVG colour; "" picks one
};

/// Writes an SVG line chart (axes with tick labels, title, axis labels, a
/// legend when there are several series) atomically: a temporary file next
/// to PATH is written, fsynced and renamed over it. Series with no finite
/// point are drawn as nothing; a chart with no data says so.
bool writeLineChartSvg(const std::string &path, const std::string &title,
                       const std::string &xLabel, const std::string &yLabel,
                       const std::vector<Series> &series, std::string &err);

/// The loss curve of a run: x = step, y = loss, plus (from 10 points on) an
/// exponential moving average as a second series ("smoothed"), atomically
/// written. STEPS and LOSSES must have the same size.
bool writeLossCurveSvg(const std::string &path, const std::string &title,
                       const std::vector<double> &steps,
                       const std::vector<double> &losses, std::string &err);

/// The exponential moving average used by writeLossCurveSvg (debiased like
/// Adam's moments, so the first points are not pulled toward 0), with
/// weight ALPHA on the newest value; non-finite values are skipped (and
/// copied through).
std::vector<double> smoothEma(const std::vector<double> &values, double alpha);

} // namespace loom::data

#endif // LOOM_DATA_DATA_H
