//===- Text.cpp - language-model and masked-LM batches from a corpus -------===//
#include "DataInternal.h"

#include <algorithm>
#include <utility>

namespace loom::data::detail {
namespace {

/// GPT-style next-token prediction: windows of T + 1 ids.
class LmSource final : public DataSource {
public:
  LmSource(std::shared_ptr<const Corpus> corpus, const std::vector<TensorSpec> &inputs,
           uint64_t seed, bool heldOut)
      : corpus_(std::move(corpus)), inputs_(inputs), seed_(seed), heldOut_(heldOut),
        key_(streamKey("lm", seed, heldOut)) {
    tokens_ = inputIndex(inputs_, "tokens");
    targets_ = inputIndex(inputs_, "targets");
    B_ = inputs_[tokens_].shape[0];
    T_ = inputs_[tokens_].shape[1];
  }

  void batchRows(uint64_t step, uint64_t firstRow, Batch &out) const override {
    prepareBatch(inputs_, out);
    int32_t *tok = out.tensors[tokens_].data<int32_t>();
    int32_t *tgt = out.tensors[targets_].data<int32_t>();
    const Corpus &c = *corpus_;
    uint64_t offsets = c.size() - static_cast<uint64_t>(T_); // >= 1
    for (int64_t b = 0; b < B_; ++b) {
      RowStream rs(key_, step, firstRow + static_cast<uint64_t>(b));
      size_t off = static_cast<size_t>(rs.below(0, offsets));
      int32_t *tr = tok + b * T_, *gr = tgt + b * T_;
      for (int64_t t = 0; t < T_; ++t) {
        tr[t] = c.at(off + static_cast<size_t>(t));
        gr[t] = c.at(off + static_cast<size_t>(t) + 1);
      }
    }
  }

  const char *unit() const override { return "tokens"; }
  int64_t unitsPerBatch() const override { return B_ * T_; }
  const char *kind() const override { return "lm"; }
  std::string describe() const override {
    return "language-model data from " + corpus_->describe() + ": " +
           std::to_string(B_) + " windows of " + std::to_string(T_) +
           " tokens per batch at random offsets" + seedText(seed_, heldOut_);
  }

private:
  std::shared_ptr<const Corpus> corpus_;
  std::vector<TensorSpec> inputs_;
  uint64_t seed_;
  bool heldOut_;
  uint64_t key_;
  size_t tokens_, targets_;
  int64_t B_, T_;
};

/// BERT pre-training: [CLS] A [SEP] B [SEP] with NSP and MLM (see Data.h).
class MlmSource final : public DataSource {
public:
  MlmSource(std::shared_ptr<const Corpus> corpus, const std::vector<TensorSpec> &inputs,
            uint64_t seed, int64_t vocab, bool heldOut)
      : corpus_(std::move(corpus)), inputs_(inputs), seed_(seed), heldOut_(heldOut),
        key_(streamKey("mlm", seed, heldOut)), vocab_(vocab) {
    tokens_ = inputIndex(inputs_, "tokens");
    types_ = inputIndex(inputs_, "token_types");
    mask_ = inputIndex(inputs_, "attention_mask");
    targets_ = inputIndex(inputs_, "mlm_targets");
    nsp_ = inputIndex(inputs_, "nsp_labels");
    B_ = inputs_[tokens_].shape[0];
    T_ = inputs_[tokens_].shape[1];
  }

  void batchRows(uint64_t step, uint64_t firstRow, Batch &out) const override {
    prepareBatch(inputs_, out);
    int32_t *tok = out.tensors[tokens_].data<int32_t>();
    int32_t *typ = out.tensors[types_].data<int32_t>();
    uint8_t *msk = out.tensors[mask_].data<uint8_t>();
    int32_t *tgt = out.tensors[targets_].data<int32_t>();
    int32_t *nsp = out.tensors[nsp_].data<int32_t>();
    const Corpus &c = *corpus_;
    const uint64_t n = c.size();
    const int64_t L = T_ - 3; // A and B together
    std::vector<int32_t> candidates(static_cast<size_t>(L));
    for (int64_t b = 0; b < B_; ++b) {
      RowStream rs(key_, step, firstRow + static_cast<uint64_t>(b));
      Draws d(rs);
      int64_t lo = std::max<int64_t>(1, L / 4);
      int64_t hi = std::min<int64_t>(L - 1, (3 * L) / 4);
      int64_t lenA = lo + static_cast<int64_t>(d.below(static_cast<uint64_t>(hi - lo + 1)));
      int64_t lenB = L - lenA;
      bool isNext = d.below(2) == 0;
      uint64_t offA, offB;
      if (isNext) {
        offA = d.below(n - static_cast<uint64_t>(L) + 1);
        offB = offA + static_cast<uint64_t>(lenA);
      } else {
        offA = d.below(n - static_cast<uint64_t>(lenA) + 1);
        uint64_t m = n - static_cast<uint64_t>(lenB) + 1;
        offB = d.below(m);
        // Not the true continuation, where the corpus allows another span.
        if (m > 1 && offB == offA + static_cast<uint64_t>(lenA))
          offB = (offB + 1 + d.below(m - 1)) % m;
      }
      nsp[b] = isNext ? 0 : 1;

      int32_t *tr = tok + b * T_, *yr = typ + b * T_, *gr = tgt + b * T_;
      uint8_t *mr = msk + b * T_;
      int64_t p = 0;
      tr[p] = kClsId;
      yr[p++] = 0;
      for (int64_t i = 0; i < lenA; ++i) {
        candidates[static_cast<size_t>(i)] = static_cast<int32_t>(p);
        tr[p] = c.at(static_cast<size_t>(offA) + static_cast<size_t>(i));
        yr[p++] = 0;
      }
      tr[p] = kSepId;
      yr[p++] = 0;
      for (int64_t i = 0; i < lenB; ++i) {
        candidates[static_cast<size_t>(lenA + i)] = static_cast<int32_t>(p);
        tr[p] = c.at(static_cast<size_t>(offB) + static_cast<size_t>(i));
        yr[p++] = 1;
      }
      tr[p] = kSepId;
      yr[p++] = 1;
      for (int64_t t = 0; t < T_; ++t) {
        mr[t] = 1;
        gr[t] = kIgnoreId;
      }

      // Choose round(15%) of the L candidates (at least one) by a partial
      // Fisher-Yates shuffle, then mask 80% / replace 10% / keep 10%.
      int64_t k = std::max<int64_t>(1, (15 * L + 50) / 100);
      for (int64_t i = 0; i < k; ++i) {
        int64_t j = i + static_cast<int64_t>(d.below(static_cast<uint64_t>(L - i)));
        std::swap(candidates[static_cast<size_t>(i)], candidates[static_cast<size_t>(j)]);
        int32_t pos = candidates[static_cast<size_t>(i)];
        gr[pos] = tr[pos];
        uint64_t r = d.below(10);
        if (r < 8)
          tr[pos] = kMaskId;
        else if (r == 8)
          tr[pos] = static_cast<int32_t>(4 + d.below(static_cast<uint64_t>(vocab_ - 4)));
      }
    }
  }

  const char *unit() const override { return "tokens"; }
  int64_t unitsPerBatch() const override { return B_ * T_; }
  const char *kind() const override { return "mlm"; }
  std::string describe() const override {
    return "masked-LM data from " + corpus_->describe() + ": " + std::to_string(B_) +
           " sequences of [CLS] A [SEP] B [SEP] x " + std::to_string(T_) +
           " tokens per batch, 15% masked, 50% random next sentence" +
           seedText(seed_, heldOut_);
  }

private:
  std::shared_ptr<const Corpus> corpus_;
  std::vector<TensorSpec> inputs_;
  uint64_t seed_;
  bool heldOut_;
  uint64_t key_;
  int64_t vocab_;
  size_t tokens_, types_, mask_, targets_, nsp_;
  int64_t B_, T_;
};

} // namespace

std::unique_ptr<DataSource> makeLmSource(std::shared_ptr<const Corpus> corpus,
                                         const std::vector<TensorSpec> &inputs,
                                         uint64_t seed, bool heldOut) {
  return std::make_unique<LmSource>(std::move(corpus), inputs, seed, heldOut);
}

std::unique_ptr<DataSource> makeMlmSource(std::shared_ptr<const Corpus> corpus,
                                          const std::vector<TensorSpec> &inputs,
                                          uint64_t seed, int64_t vocab, bool heldOut) {
  return std::make_unique<MlmSource>(std::move(corpus), inputs, seed, vocab, heldOut);
}

} // namespace loom::data::detail
