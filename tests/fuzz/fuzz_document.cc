// libFuzzer target: bytes -> JSON -> es.4 documents (docs/fuzzing.md).
//
// Every input goes through ParseJson. A JSON array is taken as a list of
// documents, anything else as one document; each goes through
// ParseAndValidate at a fixed "now". Whenever the shape check passes
// (DocumentFromJson ok), the document must survive DocumentToJson -> dump ->
// ParseJson -> DocumentFromJson unchanged, and validating the copy must give
// the same verdict as validating the original. A difference aborts: it is a
// bug, not a bad input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/document.h"
#include "core/status.h"
#include "core/validate.h"

namespace {

using esfs::Status;
using esfs::core::OrderedJson;

// meta.now of ../shared/vectors: 2026-01-01T01:00:00Z in µs, so the seed
// documents taken from the vectors validate as the reference said they do.
constexpr int64_t kNow = 1'767'229'200'000'000;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_document: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

std::string Describe(const Status& s) { return std::to_string(static_cast<int>(s.code())) + " " + s.message(); }

void CheckOne(const OrderedJson& value) {
  auto validated = esfs::core::ParseAndValidate(value, kNow);

  auto doc = esfs::core::DocumentFromJson(value);
  if (!doc.ok()) {
    // The shape check failed, so the whole check must fail with its verdict.
    if (validated.ok()) Fail("ParseAndValidate ok but DocumentFromJson failed", value.dump());
    if (validated.status().code() != doc.status().code() || validated.status().message() != doc.status().message()) {
      Fail("ParseAndValidate and DocumentFromJson disagree",
           Describe(validated.status()) + "\n" + Describe(doc.status()));
    }
    return;
  }
  if (validated.ok() && !(*validated == *doc)) {
    Fail("ParseAndValidate returned a different document than DocumentFromJson", value.dump());
  }

  // Round trip through the reference's JSON shape and text.
  const std::string text = esfs::core::DocumentToJson(*doc).dump();
  auto reparsed_json = esfs::core::ParseJson(text);
  if (!reparsed_json.ok()) {
    Fail("DocumentToJson output does not parse", Describe(reparsed_json.status()) + "\n" + text);
  }
  auto again = esfs::core::DocumentFromJson(*reparsed_json);
  if (!again.ok()) {
    Fail("DocumentToJson output fails the shape check", Describe(again.status()) + "\n" + text);
  }
  if (!(*again == *doc)) {
    Fail("round trip changed the document", value.dump() + "\n->\n" + text);
  }

  // Validation looks at nothing but the Document: the copy gets the same verdict.
  Status verdict = esfs::core::ValidateDocument(*again, kNow);
  if (verdict.ok() != validated.ok() || (!verdict.ok() && (verdict.code() != validated.status().code() ||
                                                           verdict.message() != validated.status().message()))) {
    Fail("validation verdict changed across the round trip",
         Describe(validated.status()) + "\n" + Describe(verdict) + "\n" + text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = esfs::core::ParseJson(text);
  if (!json.ok()) {
    if (json.status().code() != esfs::StatusCode::kInvalidArgument) {
      Fail("ParseJson failed with an unexpected code", Describe(json.status()));
    }
    return 0;
  }
  if (json->is_array()) {
    for (const OrderedJson& element : *json) CheckOne(element);
  } else {
    CheckOne(*json);
  }
  // The list splitter agrees with the loop above on what a list is.
  auto list = esfs::core::SplitDocumentList(*json);
  if (list.ok()) {
    const size_t expected = json->is_array() ? json->size() : 1;
    if (list->size() != expected) Fail("SplitDocumentList lost elements", json->dump());
  } else if (json->is_array() || json->is_object()) {
    Fail("SplitDocumentList rejected an array or object", Describe(list.status()));
  }
  return 0;
}
