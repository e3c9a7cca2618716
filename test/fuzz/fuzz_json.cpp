//===- fuzz_json.cpp - libFuzzer target: the JSON syntax ------------------===//
//
// Any bytes must parse or fail with a diagnostic (no crash, no abort from
// nlohmann, no sanitizer report). A spec that parses must round-trip through
// printJson. Built with -DLOOM_FUZZ_JSON_TO_TEXT it must also survive
// printText: JSON can spell names that the text syntax reserves (a statement
// defining `model`), so that check is opt-in.
//
//===----------------------------------------------------------------------===//
#include "RoundTrip.h"

#include <cstddef>
#include <cstdint>

using namespace loom::spec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  Diagnostics diags;
  std::optional<Model> m = parseJson(text, "fuzz.json", diags);
  if (!m) {
    fuzz::checkFailure(diags, text);
    return 0;
  }
  fuzz::checkRoundTrip(*m, Syntax::Json);
#ifdef LOOM_FUZZ_JSON_TO_TEXT
  fuzz::checkRoundTrip(*m, Syntax::Text);
#endif
  return 0;
}
