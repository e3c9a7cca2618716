//===- decoding.h - next-token logits and sampling for `loom` commands ----===//
//
// A Stepper gives the logits of the token that follows a sequence; the
// sequence grows by one token per call (or changes, then it starts over).
// Two implementations:
//
//  * forward: runs the artifact's `forward` on the last T tokens every call
//    (O(T^2) attention and a pass over the weights per token);
//  * cached: uses the KV-cache functions of `loomc --decode`
//    (prefill_<L>: C tokens at positions [pos, pos + C); decode_<L>: one
//    token at pos, returning its logits), picking the smallest bucket L
//    that holds the sequence. The caches are session state; nothing is
//    allocated per token. Once the sequence outgrows the cache (T
//    positions) it restarts from its last T/2 tokens. An encoder-decoder's
//    `encode` (its encoder output and cross-attention keys and values, as
//    session state) runs before the first step after reset().
//
// Other inputs of the model (an encoder-decoder's source) are set on the
// session by the caller; after changing them, call reset().
//
// sampleToken is greedy (temperature 0) or samples after a repetition
// penalty, temperature, top-k and top-p, from a counter-based stream:
// (seed, step) -> the same token on every machine and run.
//
//===----------------------------------------------------------------------===//
#ifndef LOOM_TOOLS_DECODING_H
#define LOOM_TOOLS_DECODING_H

#include "loom/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace loom::cli {

struct SamplingOptions {
  double temperature = 0.8; // 0: greedy
  int64_t topK = 40;        // 0: no limit
  double topP = 1.0;        // 1: no limit
  /// CTRL's penalty (Keskar et al. 2019) on every id already in the
  /// sequence: a positive logit is divided by it, a negative one
  /// multiplied. 1: off.
  double repetitionPenalty = 1.0;
  uint64_t seed = 0;
};

/// The next token after HISTORY given its LOGITS (VOCAB values). STEP keys
/// the random draw (the same (seed, step) always draws the same number).
int32_t sampleToken(const float *logits, int64_t vocab,
                    const std::vector<int32_t> &history,
                    const SamplingOptions &options, uint64_t step);

/// Input NAME of the artifact into OUT; false when it has none.
bool findInput(const loom_artifact *artifact, const std::string &name,
               loom_tensor_info &out);

class Stepper {
public:
  virtual ~Stepper();
  /// The logits (vocab values) of the token after SEQ (non-empty); valid
  /// until the next call.
  virtual const float *next(const std::vector<int32_t> &seq) = 0;
  /// Forget what is cached (the caller changed another input).
  virtual void reset() = 0;
  virtual int64_t vocab() const = 0;
  /// "cached" or "forward".
  virtual const char *kind() const = 0;
};

/// Recomputes the forward over the last T tokens of the sequence. INPUT is
/// the forward's token input ([B, T] i32), whose row 0 is used; the output
/// is "logits" ([B, T, V] f32). Fails (loom::cli::Failure) with a message
/// naming what the artifact lacks.
std::unique_ptr<Stepper> makeForwardStepper(loom_session *session,
                                            const loom_artifact *artifact,
                                            const std::string &input);

/// The KV-cache stepper, or null when the artifact has no decode_<L>
/// functions (compiled without --decode).
std::unique_ptr<Stepper> makeCachedStepper(loom_session *session,
                                           const loom_artifact *artifact);

} // namespace loom::cli

#endif // LOOM_TOOLS_DECODING_H
