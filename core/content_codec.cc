#include "core/content_codec.h"

#include "core/base64.h"
#include "core/utf8.h"

namespace esfs::core {
namespace {

// A media type longer than this is not one (bounds the scan for ',').
constexpr size_t kMaxMediaTypeChars = 256;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

// The base64 payload of a data URL ("data:<type>;base64,<payload>"), or
// npos when |content| has no such header. The payload is not checked.
size_t PayloadStart(std::string_view content) {
  if (!StartsWithNoCase(content, "data:")) return std::string_view::npos;
  const size_t comma = content.substr(0, kMaxMediaTypeChars + 5 + 1).find(',');
  if (comma == std::string_view::npos) return std::string_view::npos;
  constexpr std::string_view kBase64Marker = ";base64";
  if (comma < 5 + kBase64Marker.size() ||
      !StartsWithNoCase(content.substr(comma - kBase64Marker.size()), kBase64Marker)) {
    return std::string_view::npos;
  }
  return comma + 1;
}

size_t Base64Length(size_t n) { return (n + 2) / 3 * 4; }

// A lead byte's sequence length (2-4), 0 for anything else.
size_t SequenceLength(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// UTF-8 except for an incomplete sequence at the very end.
bool IsUtf8WithPartialTail(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return true;
  for (size_t k = 1; k <= 3 && k <= bytes.size(); ++k) {
    const std::string_view tail = bytes.substr(bytes.size() - k);
    const size_t len = SequenceLength(static_cast<unsigned char>(tail[0]));
    if (len <= k) continue;
    bool continuation = true;
    for (size_t i = 1; i < k; ++i) continuation &= (static_cast<unsigned char>(tail[i]) & 0xC0) == 0x80;
    if (continuation && IsValidUtf8(bytes.substr(0, bytes.size() - k))) return true;
  }
  return false;
}

// Whether text |bytes| can be stored as it is under a text name.
bool StoredAsText(std::string_view bytes, bool allow_partial_tail) {
  if (IsBase64DataUrl(bytes)) return false;
  return allow_partial_tail ? IsUtf8WithPartialTail(bytes) : IsValidUtf8(bytes);
}

}  // namespace

bool IsBase64DataUrl(std::string_view content) {
  const size_t start = PayloadStart(content);
  return start != std::string_view::npos && Base64DecodedSize(content.substr(start)).has_value();
}

std::string EncodeContent(NameKind kind, std::string_view bytes) {
  if (bytes.empty()) return std::string();
  if (kind == NameKind::kBinary) return Base64Encode(bytes);
  if (StoredAsText(bytes, false)) return std::string(bytes);
  std::string out;
  out.reserve(kDataUrlPrefix.size() + Base64Length(bytes.size()));
  out.append(kDataUrlPrefix);
  Base64EncodeAppend(bytes, &out);
  return out;
}

size_t EncodedSize(NameKind kind, std::string_view bytes, bool allow_partial_tail) {
  if (bytes.empty()) return 0;
  if (kind == NameKind::kBinary) return Base64Length(bytes.size());
  if (StoredAsText(bytes, allow_partial_tail)) return bytes.size();
  return kDataUrlPrefix.size() + Base64Length(bytes.size());
}

void DecodeContentInto(NameKind kind, std::string_view content, std::string* out) {
  if (kind == NameKind::kBinary) {
    if (auto bytes = Base64Decode(content)) {
      *out = std::move(*bytes);
      return;
    }
  }
  // A data URL under either kind of name (a peer's app may use one for a
  // .png too); anything else is the text it is.
  if (const size_t start = PayloadStart(content); start != std::string_view::npos) {
    if (auto bytes = Base64Decode(content.substr(start))) {
      *out = std::move(*bytes);
      return;
    }
  }
  out->assign(content);
}

std::string DecodeContent(NameKind kind, std::string_view content) {
  std::string out;
  DecodeContentInto(kind, content, &out);
  return out;
}

uint64_t DecodedSize(NameKind kind, std::string_view content) {
  if (kind == NameKind::kBinary) {
    if (auto size = Base64DecodedSize(content)) return *size;
  }
  if (const size_t start = PayloadStart(content); start != std::string_view::npos) {
    if (auto size = Base64DecodedSize(content.substr(start))) return *size;
  }
  return content.size();
}

bool DecodedSizeReadsAll(std::string_view content) {
  if (PayloadStart(content) != std::string_view::npos) return true;
  // Plain base64 (a binary-extension name): a text's first line is rarely
  // 64 characters of the base64 alphabet only.
  const std::string_view head = content.substr(0, 64);
  return !head.empty() && Base64DecodedSize(head.substr(0, head.size() / 4 * 4)).has_value();
}

}  // namespace esfs::core
