//===- tasks_decoding.h - the model-independent parts of the task commands --===//
//
// What `loom fill-mask | classify | clip-rank | translate` do with a
// model's outputs, apart from the model: probabilities and rankings, beam
// search over a next-token scorer (an interface, so a KV-cache decoder can
// replace the full recompute), and the text <-> ids seam of the masked LM.
// Pure functions of their arguments: the unit tests drive them with
// hand-made scores (test/unit/TasksTest.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOOLS_TASKS_DECODING_H
#define LOOM_TOOLS_TASKS_DECODING_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace loom::cli::tasks {

// ---- probabilities and rankings ---------------------------------------------

/// softmax(scale * x) over N values, in double (max subtracted first).
std::vector<double> softmax(const float *x, size_t n, double scale = 1.0);

/// log softmax(x) over the N values whose ALLOWED flag is set (all when
/// ALLOWED is empty); the others get -inf.
std::vector<float> logSoftmax(const float *x, size_t n,
                              const std::vector<bool> &allowed = {});

/// The indices of the K largest VALUES (K capped at the size), largest
/// first; equal values keep index order.
std::vector<size_t> topK(const std::vector<double> &values, size_t k);

/// The cosine similarity of A and B (N values each); 0 when either is zero.
double cosine(const float *a, const float *b, size_t n);

// ---- beam search -------------------------------------------------------------

/// GNMT's length normalisation (Wu et al. 2016): ((5 + len) / 6)^alpha.
double lengthPenalty(int64_t length, double alpha);

/// One prefix to score: the decoder input so far (the start ids, then the
/// generated ones) and which prefix of the previous call it extends by one
/// id (-1 in the first call). A scorer with a KV cache reorders its cache
/// by PARENT and runs only the last id; the full-recompute scorer ignores
/// it.
struct Prefix {
  std::vector<int32_t> ids;
  int64_t parent = -1;
};

class NextTokenScorer {
public:
  virtual ~NextTokenScorer();
  /// Fills LOG_PROBS[i] with the log-probability of every id following
  /// PREFIXES[i] (the vocabulary's size; -inf for ids that may not follow).
  virtual void scoreNext(const std::vector<Prefix> &prefixes,
                         std::vector<std::vector<float>> &logProbs) = 0;
};

struct BeamOptions {
  int64_t beam = 4;    // live hypotheses kept per step
  double alpha = 0.6;  // length penalty exponent (0: raw log-probability)
  int64_t maxLen = 64; // generated ids at most, [EOS] included
  int32_t eos = 2;
};

struct Hypothesis {
  std::vector<int32_t> ids; // generated ids; [EOS] last when finished
  double logProb = 0;       // the sum of their log-probabilities
  double score = 0;         // logProb / lengthPenalty(ids.size(), alpha)
  bool finished = false;    // ended with [EOS] (else cut at maxLen)
};

struct BeamStats {
  int64_t steps = 0;         // scoreNext calls
  bool stoppedEarly = false; // before maxLen, by the bound below
};

/// Beam search from the prefix START. Each step extends every live
/// hypothesis by its beam + 1 likeliest ids and keeps the beam best
/// extensions by log-probability; an extension by EOS that ranks among the
/// first beam candidates is finished and scored logProb / lengthPenalty.
/// The search stops when no live hypothesis can still beat the best
/// finished one: its log-probability only falls, so its best reachable
/// score is max(logProb / lp(len + 1), logProb / lp(maxLen)). With a beam
/// wide enough never to prune, the result is the best sequence of at most
/// maxLen ids. Returns up to beam hypotheses, best first: the finished ones
/// by score, then (when fewer than beam finished) the live ones cut at
/// maxLen.
std::vector<Hypothesis> beamSearch(NextTokenScorer &scorer,
                                   const std::vector<int32_t> &start,
                                   const BeamOptions &options,
                                   BeamStats *stats = nullptr);

// ---- masked-LM text ----------------------------------------------------------

/// Text <-> ids of a masked LM: the seam where a subword tokenizer
/// (WordPiece) replaces the byte-level one.
class MaskedLmCodec {
public:
  virtual ~MaskedLmCodec();
  /// The ids of TEXT, where the literal "[MASK]" is the mask id; false and
  /// a message naming the offending part when TEXT has no encoding.
  virtual bool encode(const std::string &text, std::vector<int32_t> &ids,
                      std::string &err) const = 0;
  /// The text an id stands for when it fills a mask ("e", " ", "[SEP]").
  virtual std::string piece(int32_t id) const = 0;
  /// How an id shows in a candidate list: 'e', ' ', '\n', '\xe9', [SEP].
  virtual std::string display(int32_t id) const = 0;
};

/// The byte-level ids of runtime/data's masked-LM data: byte b is id b,
/// bytes 0..3 read as a space (32), and [PAD] 0, [CLS] 1, [SEP] 2, [MASK] 3
/// are reserved. VOCAB bounds the ids.
class ByteMaskedLmCodec final : public MaskedLmCodec {
public:
  explicit ByteMaskedLmCodec(int64_t vocab) : vocab_(vocab) {}
  bool encode(const std::string &text, std::vector<int32_t> &ids,
              std::string &err) const override;
  std::string piece(int32_t id) const override;
  std::string display(int32_t id) const override;

private:
  int64_t vocab_;
};

} // namespace loom::cli::tasks

#endif // LOOM_TOOLS_TASKS_DECODING_H
