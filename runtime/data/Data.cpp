//===- Data.cpp - data specs, input matching, corpora ----------------------===//
#include "DataInternal.h"

#include "loom/formats/dtype.h"
#include "loom/formats/io.h"
#include "loom/formats/npy.h"

#include <cstring>
#include <fstream>
#include <map>

namespace loom::data {

using namespace detail;

DataSource::~DataSource() = default;

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const Tensor *Batch::find(const std::string &name) const {
  for (const Tensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

static std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

static const char *dtypeText(loom_dtype t) {
  const char *n = rt::dtypeName(t);
  return n ? n : "?";
}

std::string formatInputs(const std::vector<TensorSpec> &inputs) {
  if (inputs.empty())
    return "(none)";
  std::string s;
  for (size_t i = 0; i < inputs.size(); ++i)
    s += (i ? ", " : "") + inputs[i].name + ": " + dtypeText(inputs[i].dtype) +
         formatShape(inputs[i].shape);
  return s;
}

namespace detail {

void prepareBatch(const std::vector<TensorSpec> &inputs, Batch &out) {
  out.tensors.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor &t = out.tensors[i];
    t.name = inputs[i].name;
    t.dtype = inputs[i].dtype;
    t.shape = inputs[i].shape;
    t.bytes.resize(static_cast<size_t>(t.numel()) * rt::dtypeSize(t.dtype));
  }
}

size_t inputIndex(const std::vector<TensorSpec> &inputs, const std::string &name) {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].name == name)
      return i;
  return inputs.size();
}

bool Corpus::loadText(const std::string &path, const int32_t *byteMap,
                      std::string &err) {
  isText_ = true;
  path_ = path;
  for (int b = 0; b < 256; ++b)
    byteMap_[b] = byteMap ? byteMap[b] : b;
  rt::Status s = rt::readFile(path, text_);
  if (!s.isOk()) {
    err = "cannot read text data: " + s.message();
    return false;
  }
  if (text_.empty()) {
    err = "text data '" + path + "' is empty";
    return false;
  }
  return true;
}

bool Corpus::loadTokens(const std::string &path, int64_t minId, int64_t vocab,
                        std::string &err) {
  isText_ = false;
  path_ = path;
  rt::NpyArray a;
  rt::Status s = rt::readNpy(path, a);
  if (!s.isOk()) {
    err = "cannot read token data: " + s.message();
    return false;
  }
  if (a.dtype != LOOM_DTYPE_I32 && a.dtype != LOOM_DTYPE_I64) {
    err = "token data '" + path + "' holds " + dtypeText(a.dtype) +
          "; token ids must be i32 or i64";
    return false;
  }
  if (a.shape.size() != 1) {
    err = "token data '" + path + "' has shape " + formatShape(a.shape) +
          "; token ids must be a 1-D array";
    return false;
  }
  size_t n = static_cast<size_t>(a.shape[0]);
  if (n == 0) {
    err = "token data '" + path + "' is empty";
    return false;
  }
  ids_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t v;
    if (a.dtype == LOOM_DTYPE_I32) {
      int32_t x;
      std::memcpy(&x, &a.data[4 * i], 4);
      v = x;
    } else {
      std::memcpy(&v, &a.data[8 * i], 8);
    }
    if (v < minId || v >= vocab) {
      err = "token data '" + path + "': id " + std::to_string(v) + " at index " +
            std::to_string(i) + " is out of range for the model (ids must be in [" +
            std::to_string(minId) + ", " + std::to_string(vocab) + ")" +
            (minId > 0 ? "; ids 0..3 are reserved for [PAD] [CLS] [SEP] [MASK]" : "") +
            ")";
      ids_.clear();
      return false;
    }
    ids_[i] = static_cast<int32_t>(v);
  }
  return true;
}

std::string Corpus::describe() const {
  if (isText_)
    return "text '" + path_ + "' (" + std::to_string(text_.size()) + " bytes)";
  return "tokens '" + path_ + "' (" + std::to_string(ids_.size()) + " ids)";
}

} // namespace detail

namespace {

enum class Kind { Lm, Mlm, Images, Captions, Translation };

/// An expected input: dims are letters bound consistently across inputs.
struct Want {
  const char *name;
  loom_dtype dtype;
  const char *dims;
};

const std::vector<Want> &wants(Kind k) {
  static const std::vector<Want> lm = {{"tokens", LOOM_DTYPE_I32, "BT"},
                                       {"targets", LOOM_DTYPE_I32, "BT"}};
  static const std::vector<Want> mlm = {{"tokens", LOOM_DTYPE_I32, "BT"},
                                        {"token_types", LOOM_DTYPE_I32, "BT"},
                                        {"attention_mask", LOOM_DTYPE_I1, "BT"},
                                        {"mlm_targets", LOOM_DTYPE_I32, "BT"},
                                        {"nsp_labels", LOOM_DTYPE_I32, "B"}};
  static const std::vector<Want> images = {{"pixels", LOOM_DTYPE_F32, "BCHW"},
                                           {"labels", LOOM_DTYPE_I32, "B"}};
  static const std::vector<Want> captions = {{"pixels", LOOM_DTYPE_F32, "BCHW"},
                                             {"tokens", LOOM_DTYPE_I32, "BT"},
                                             {"eot", LOOM_DTYPE_F32, "BT"}};
  static const std::vector<Want> translation = {
      {"src_tokens", LOOM_DTYPE_I32, "BS"},
      {"src_mask", LOOM_DTYPE_I1, "BS"},
      {"tgt_tokens", LOOM_DTYPE_I32, "BT"},
      {"tgt_targets", LOOM_DTYPE_I32, "BT"}};
  switch (k) {
  case Kind::Lm: return lm;
  case Kind::Mlm: return mlm;
  case Kind::Images: return images;
  case Kind::Captions: return captions;
  case Kind::Translation: return translation;
  }
  return lm;
}

const char *kindTitle(Kind k) {
  switch (k) {
  case Kind::Lm: return "a language model";
  case Kind::Mlm: return "a masked language model";
  case Kind::Images: return "an image classifier";
  case Kind::Captions: return "an image-caption (CLIP) model";
  case Kind::Translation: return "an encoder-decoder (translation) model";
  }
  return "";
}

std::string formatWants(Kind k) {
  std::string s;
  for (const Want &w : wants(k)) {
    s += (s.empty() ? "" : ", ") + std::string(w.name) + ": " + dtypeText(w.dtype) + "[";
    for (const char *d = w.dims; *d; ++d)
      s += (d == w.dims ? "" : ", ") + std::string(1, *d);
    s += "]";
  }
  return s;
}

std::string describeWants(Kind k) {
  return std::string(kindTitle(k)) + " (" + formatWants(k) + ")";
}

/// Whether INPUTS are exactly the names of kind K.
bool namesMatch(Kind k, const std::vector<TensorSpec> &inputs) {
  const std::vector<Want> &w = wants(k);
  if (w.size() != inputs.size())
    return false;
  for (const Want &x : w)
    if (inputIndex(inputs, x.name) == inputs.size())
      return false;
  return true;
}

/// Checks dtypes, ranks and consistent dims of inputs whose names match K.
bool checkSpecs(Kind k, const std::vector<TensorSpec> &inputs, std::string &err) {
  std::map<char, std::pair<int64_t, std::string>> bound;
  uint64_t totalBytes = 0;
  for (const Want &w : wants(k)) {
    const TensorSpec &in = inputs[inputIndex(inputs, w.name)];
    size_t rank = std::strlen(w.dims);
    std::string wantText = std::string(dtypeText(w.dtype)) + "[";
    for (size_t i = 0; i < rank; ++i)
      wantText += (i ? ", " : "") + std::string(1, w.dims[i]);
    wantText += "]";
    std::string mismatch = "input '" + in.name + "' is " + dtypeText(in.dtype) +
                           formatShape(in.shape) + " but " + kindTitle(k) +
                           " takes " + wantText + " (model inputs: " +
                           formatInputs(inputs) + ")";
    if (in.dtype != w.dtype || in.shape.size() != rank) {
      err = mismatch;
      return false;
    }
    uint64_t numel = 1;
    for (size_t i = 0; i < rank; ++i) {
      int64_t d = in.shape[i];
      if (d <= 0 || d > (int64_t(1) << 32)) {
        err = "input '" + in.name + "' has shape " + formatShape(in.shape) +
              "; training data needs static, positive dims";
        return false;
      }
      auto it = bound.find(w.dims[i]);
      if (it == bound.end()) {
        bound[w.dims[i]] = {d, in.name};
      } else if (it->second.first != d) {
        err = "dim " + std::string(1, w.dims[i]) + " is " +
              std::to_string(it->second.first) + " in input '" + it->second.second +
              "' but " + std::to_string(d) + " in input '" + in.name +
              "' (model inputs: " + formatInputs(inputs) + ")";
        return false;
      }
      numel *= static_cast<uint64_t>(d);
      if (numel > (uint64_t(1) << 34)) {
        err = "input '" + in.name + "' " + formatShape(in.shape) +
              " is too large for a batch";
        return false;
      }
    }
    totalBytes += numel * rt::dtypeSize(w.dtype);
    if (totalBytes > (uint64_t(1) << 34)) {
      err = "the model's inputs are too large for a batch (" + formatInputs(inputs) + ")";
      return false;
    }
  }
  return true;
}

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

bool isLowerWord(const std::string &s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || c == '_' || c == '-'))
      return false;
  return true;
}

const char *kSpecHelp =
    "expected text:PATH, tokens:PATH.npy, synthetic, images, captions, "
    "translation, or a file path";

} // namespace

std::unique_ptr<DataSource> makeDataSource(const std::string &spec,
                                           const std::vector<TensorSpec> &inputs,
                                           uint64_t seed, std::string &err,
                                           const DataOptions &options) {
  err.clear();
  // ---- parse the spec ----
  std::string kind, path;
  size_t colon = spec.find(':');
  std::string prefix = colon == std::string::npos ? spec : spec.substr(0, colon);
  static const char *kKinds[] = {"text", "tokens", "synthetic", "images", "captions",
                                 "translation"};
  bool known = false;
  for (const char *k : kKinds)
    known |= prefix == k;
  if (spec.empty()) {
    err = "empty data spec; " + std::string(kSpecHelp);
    return nullptr;
  }
  if (known) {
    kind = prefix;
    path = colon == std::string::npos ? "" : spec.substr(colon + 1);
    bool takesPath = kind == "text" || kind == "tokens";
    if (takesPath && path.empty()) {
      err = "data spec '" + spec + "' names no file (" + kind + ":PATH)";
      return nullptr;
    }
    if (!takesPath && colon != std::string::npos) {
      err = "data spec '" + spec + "': " + kind + " takes no argument";
      return nullptr;
    }
  } else if (colon != std::string::npos && isLowerWord(prefix) &&
             !std::ifstream(spec).good()) {
    err = "unknown data kind '" + prefix + "' in '" + spec + "'; " + kSpecHelp;
    return nullptr;
  } else {
    path = spec;
    kind = endsWith(spec, ".npy") ? "tokens" : "text";
  }

  if (options.vocab <= 0 || options.vocab > (int64_t(1) << 31)) {
    err = "vocabulary size " + std::to_string(options.vocab) + " is out of range";
    return nullptr;
  }

  // ---- text and token ids: a language model or a masked language model ----
  if (kind == "text" || kind == "tokens") {
    Kind k;
    if (namesMatch(Kind::Lm, inputs)) {
      k = Kind::Lm;
    } else if (namesMatch(Kind::Mlm, inputs)) {
      k = Kind::Mlm;
    } else {
      err = kind + " data feeds " + describeWants(Kind::Lm) + " or " +
            describeWants(Kind::Mlm) + "; the model's inputs are " +
            formatInputs(inputs);
      return nullptr;
    }
    if (!checkSpecs(k, inputs, err))
      return nullptr;
    const TensorSpec &tok = inputs[inputIndex(inputs, "tokens")];
    int64_t T = tok.shape[1];
    if (k == Kind::Mlm && T < 5) {
      err = "masked-LM data needs T >= 5 ([CLS] A [SEP] B [SEP]); the model's "
            "inputs are " + formatInputs(inputs);
      return nullptr;
    }
    if (k == Kind::Mlm && options.vocab <= 4) {
      err = "masked-LM data needs a vocabulary above the 4 reserved ids";
      return nullptr;
    }
    auto corpus = std::make_shared<Corpus>();
    int64_t minId = k == Kind::Mlm ? 4 : 0;
    if (kind == "text") {
      int32_t map[256];
      for (int b = 0; b < 256; ++b)
        map[b] = (k == Kind::Mlm && b < 4) ? 32 : b;
      if (!corpus->loadText(path, map, err))
        return nullptr;
      // Only the bytes that occur must fit the vocabulary.
      if (options.vocab < 256) {
        for (size_t i = 0; i < corpus->size(); ++i)
          if (corpus->at(i) >= options.vocab) {
            err = "text data '" + path + "': byte " + std::to_string(corpus->at(i)) +
                  " at offset " + std::to_string(i) +
                  " is out of range for the model's vocabulary of " +
                  std::to_string(options.vocab);
            return nullptr;
          }
      }
    } else if (!corpus->loadTokens(path, minId, options.vocab, err)) {
      return nullptr;
    }
    uint64_t need = k == Kind::Lm ? static_cast<uint64_t>(T) + 1
                                  : static_cast<uint64_t>(T) - 3;
    if (corpus->size() < need) {
      err = corpus->describe() + " is too short for one window: " +
            (k == Kind::Lm ? "a language model with T = " + std::to_string(T) +
                                 " needs T + 1 = "
                           : "masked-LM sequences of T = " + std::to_string(T) +
                                 " need T - 3 = ") +
            std::to_string(need) + " tokens";
      return nullptr;
    }
    if (k == Kind::Lm)
      return makeLmSource(std::move(corpus), inputs, seed, options.heldOut);
    return makeMlmSource(std::move(corpus), inputs, seed, options.vocab,
                         options.heldOut);
  }

  // ---- synthetic data ----
  const Kind synthetic[] = {Kind::Images, Kind::Captions, Kind::Translation};
  Kind k = Kind::Images;
  if (kind == "synthetic") {
    bool found = false;
    for (Kind c : synthetic)
      if (!found && namesMatch(c, inputs)) {
        k = c;
        found = true;
      }
    if (!found) {
      err = "synthetic data feeds " + describeWants(Kind::Images) + ", " +
            describeWants(Kind::Captions) + " or " +
            describeWants(Kind::Translation) + "; the model's inputs are " +
            formatInputs(inputs);
      if (namesMatch(Kind::Lm, inputs) || namesMatch(Kind::Mlm, inputs))
        err += " (give text:PATH or tokens:PATH.npy for a language model)";
      return nullptr;
    }
  } else {
    k = kind == "images" ? Kind::Images
                         : kind == "captions" ? Kind::Captions : Kind::Translation;
    if (!namesMatch(k, inputs)) {
      err = kind + " data feeds " + describeWants(k) + "; the model's inputs are " +
            formatInputs(inputs);
      return nullptr;
    }
  }
  if (!checkSpecs(k, inputs, err))
    return nullptr;
  if (k != Kind::Images && options.vocab < 128) {
    err = std::string(kind) + " data uses ASCII bytes and needs a vocabulary of at "
          "least 128, not " + std::to_string(options.vocab);
    return nullptr;
  }
  switch (k) {
  case Kind::Images:
    if (options.numClasses < 2 || options.numClasses > 10) {
      err = "synthetic images have 2..10 classes, not " +
            std::to_string(options.numClasses);
      return nullptr;
    }
    return makeImageSource(inputs, seed, options.numClasses, options.heldOut);
  case Kind::Captions:
    return makeCaptionSource(inputs, seed, options.heldOut, err);
  default:
    return makeTranslationSource(inputs, seed, options.heldOut, err);
  }
}

} // namespace loom::data
