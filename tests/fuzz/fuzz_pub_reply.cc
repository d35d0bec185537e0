// libFuzzer target: bytes from a pub -> the reply parsers of sync/
// (docs/fuzzing.md).
//
// Every input is taken both ways a pub's bytes reach esfs:
//   * as a pull listing (PubClient::Pull, Syncer): SplitJsonArray, then
//     ParseJson and DocumentFromJson for each element, as the syncer does;
//   * as a live stream (PubClient::Stream): SseParser, fed in small chunks,
//     then ParseJson and DocumentFromJson for each event's data.
// Checks, any failure aborts (a bug, not a bad input):
//   * no crash and no sanitizer finding;
//   * every element SplitJsonArray returns lies inside the input, is not
//     empty and has no surrounding whitespace; a text that ParseJson reads as
//     an array is split into exactly its elements (a leading UTF-8 BOM
//     aside: nlohmann skips it, the splitter refuses the reply);
//   * SseParser gives the same events whether the bytes come in one piece
//     or in chunks, and never an empty event;
//   * every document accepted as valid (ParseAndValidate at a fixed "now")
//     survives DocumentToJson -> dump -> ParseJson and validates again with
//     core's validator (ValidateDocument), unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/document.h"
#include "core/status.h"
#include "core/validate.h"
#include "sync/json_array.h"
#include "sync/pub_client.h"

namespace {

using esfs::Status;
using esfs::core::OrderedJson;

// meta.now of ../shared/vectors (2026-01-01T01:00:00Z in µs), so the seed
// documents from the vectors validate as the reference said they do.
constexpr int64_t kNow = 1'767'229'200'000'000;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_pub_reply: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A document the parsers hand on: if it is valid, it must stay valid.
void CheckDocument(const OrderedJson& json) {
  auto shaped = esfs::core::DocumentFromJson(json);  // what the syncer does
  auto validated = esfs::core::ParseAndValidate(json, kNow);
  if (!validated.ok()) return;
  if (!shaped.ok() || !(*shaped == *validated)) Fail("ParseAndValidate and DocumentFromJson disagree", json.dump());
  const std::string text = esfs::core::DocumentToJson(*validated).dump();
  auto reparsed = esfs::core::ParseJson(text);
  if (!reparsed.ok()) Fail("a valid document's JSON does not parse", text);
  auto again = esfs::core::DocumentFromJson(*reparsed);
  if (!again.ok() || !(*again == *validated)) Fail("a valid document changed across its JSON", text);
  Status verdict = esfs::core::ValidateDocument(*again, kNow);
  if (!verdict.ok()) Fail("a valid document no longer validates", verdict.message() + "\n" + text);
}

// One element or event text: parsed as the syncer parses it.
void CheckText(std::string_view text) {
  auto json = esfs::core::ParseJson(text);
  if (json.ok()) CheckDocument(*json);
}

void CheckListing(std::string_view text) {
  auto elements = esfs::sync::SplitJsonArray(text);
  auto whole = esfs::core::ParseJson(text);
  const bool bom = text.substr(0, 3) == "\xEF\xBB\xBF";
  if (whole.ok() && whole->is_array() && !bom) {
    if (!elements.ok()) Fail("SplitJsonArray refused a JSON array", elements.status().message());
    if (elements->size() != whole->size()) Fail("SplitJsonArray miscounted the elements", whole->dump());
  }
  if (!elements.ok()) return;
  for (size_t i = 0; i < elements->size(); ++i) {
    std::string_view element = (*elements)[i];
    if (element.empty() || element.data() < text.data() ||
        element.data() + element.size() > text.data() + text.size()) {
      Fail("SplitJsonArray returned an element outside the input", std::string(element));
    }
    if (IsSpace(element.front()) || IsSpace(element.back())) Fail("an element is not trimmed", std::string(element));
    if (whole.ok() && whole->is_array()) {
      auto one = esfs::core::ParseJson(element);
      if (!one.ok() || *one != (*whole)[i]) Fail("an element differs from the parsed array's", std::string(element));
    }
    CheckText(element);
  }
}

std::vector<std::string> Events(std::string_view bytes, size_t chunk_seed) {
  esfs::sync::SseParser parser;
  std::vector<std::string> events;
  auto on_event = [&](const std::string& data) { events.push_back(data); };
  if (chunk_seed == 0) {
    parser.Feed(bytes, on_event);
    return events;
  }
  size_t chunk = chunk_seed;
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), chunk % 13 + 1);
    parser.Feed(bytes.substr(0, n), on_event);
    bytes.remove_prefix(n);
    chunk = chunk * 7 + 3;
  }
  return events;
}

void CheckStream(std::string_view bytes) {
  const std::vector<std::string> events = Events(bytes, 0);
  if (Events(bytes, bytes.size() + 1) != events) Fail("SseParser depends on how the bytes are chunked", "");
  for (const std::string& data : events) {
    if (data.empty()) Fail("SseParser gave an empty event", "");
    if (data != "KEEPALIVE") CheckText(data);  // PubClient::Stream skips keep-alives
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckListing(text);
  CheckStream(text);
  return 0;
}
