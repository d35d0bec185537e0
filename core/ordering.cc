#include "core/ordering.h"

#include <string>

#include "core/js_compat.h"

namespace esfs::core {
namespace {

std::string IngestKey(const Document& doc) {
  return JsNumber(static_cast<double>(doc.timestamp)) + "," + doc.signature;
}

}  // namespace

bool ReplacesForIngest(const Document& incoming, const Document& stored) {
  // Timestamps with the same number of digits compare like numbers, which
  // avoids building strings on the hot path (16 digits: 2001 to 2286).
  constexpr int64_t kLow = 1'000'000'000'000'000, kHigh = 10'000'000'000'000'000;
  auto sixteen_digits = [&](int64_t t) { return t >= kLow && t < kHigh; };
  if (!sixteen_digits(incoming.timestamp) || !sixteen_digits(stored.timestamp)) {
    return IngestKey(incoming) > IngestKey(stored);
  }
  if (incoming.timestamp != stored.timestamp) return incoming.timestamp > stored.timestamp;
  return incoming.signature > stored.signature;
}

bool WinsOver(const Document& a, const Document& b) {
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  return a.signature < b.signature;
}

}  // namespace esfs::core
