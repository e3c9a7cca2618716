//===- fuzz_text.cpp - libFuzzer target: the text syntax ------------------===//
//
// Any bytes must parse or fail with a diagnostic (no crash, no sanitizer
// report). A spec that parses must round-trip through both printers: every
// text spec without duplicate keys (see hasJsonForm) has a JSON form.
//
//===----------------------------------------------------------------------===//
#include "RoundTrip.h"

#include <cstddef>
#include <cstdint>

using namespace loom::spec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  Diagnostics diags;
  std::optional<Model> m = parseText(text, "fuzz.loom", diags);
  if (!m) {
    fuzz::checkFailure(diags, text);
    return 0;
  }
  fuzz::checkRoundTrip(*m, Syntax::Text);
  if (fuzz::hasJsonForm(*m))
    fuzz::checkRoundTrip(*m, Syntax::Json);
  return 0;
}
