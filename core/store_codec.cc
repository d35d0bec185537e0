#include "core/store_codec.h"

#include "core/crypto.h"

namespace esfs::core::store_codec {
namespace {

constexpr char kDocFormat = 1;

void PutString(std::string& out, std::string_view s) {
  out += U32(static_cast<uint32_t>(s.size()));
  out.append(s);
}

bool TakeView(std::string_view& in, std::string_view* s) {
  if (in.size() < 4) return false;
  uint32_t n = ReadU32(in);
  in.remove_prefix(4);
  if (in.size() < n) return false;
  *s = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

bool TakeString(std::string_view& in, std::string* s) {
  std::string_view view;
  if (!TakeView(in, &view)) return false;
  s->assign(view);
  return true;
}

bool TakeU64(std::string_view& in, uint64_t* v) {
  if (in.size() < 8) return false;
  *v = ReadU64(in);
  in.remove_prefix(8);
  return true;
}

}  // namespace

std::string U32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

std::string U64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

uint32_t ReadU32(std::string_view s) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

uint64_t ReadU64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

bool IsLongPath(std::string_view path) { return path.size() > kPathKeyLimit; }

std::string PathKey(std::string_view path) {
  if (!IsLongPath(path)) return std::string(path);
  auto digest = Sha256(path);
  std::string key(path.substr(0, kPathKeyLimit));
  key.push_back('\x01');
  key.append(reinterpret_cast<const char*>(digest.data()), 16);
  return key;
}

std::string DocKey(uint32_t ws, std::string_view path, std::string_view author) {
  std::string key = U32(ws) + PathKey(path);
  key.push_back('\0');
  key.append(author);
  return key;
}

std::string WinnerKey(uint32_t ws, std::string_view path) { return U32(ws) + PathKey(path); }

std::string AuthorKey(uint32_t ws, std::string_view author, std::string_view path) {
  std::string key = U32(ws);
  key.append(author);
  key.push_back('\0');
  key += PathKey(path);
  return key;
}

std::string TimeKey(uint32_t ws, int64_t timestamp, uint64_t seq) {
  // Offset binary keeps negative timestamps (never valid, but never UB) in order.
  return U32(ws) + U64(static_cast<uint64_t>(timestamp) ^ (uint64_t{1} << 63)) + U64(seq);
}

std::string EncodeDocHead(const Document& doc, uint64_t seq) {
  std::string out;
  out.reserve(64 + doc.path.size() + doc.author.size() + 160);
  out.push_back(kDocFormat);
  out += U64(seq);
  out += U64(static_cast<uint64_t>(doc.timestamp));
  out.push_back(doc.deleteAfter ? 1 : 0);
  out += U64(static_cast<uint64_t>(doc.deleteAfter.value_or(0)));
  PutString(out, doc.path);
  PutString(out, doc.author);
  PutString(out, doc.contentHash);
  PutString(out, doc.signature);
  out += U32(static_cast<uint32_t>(doc.content.size()));  // the content follows
  return out;
}

bool DecodeDocView(std::string_view in, DocView* out, uint64_t* seq) {
  if (in.empty() || in[0] != kDocFormat) return false;
  in.remove_prefix(1);
  uint64_t ts, da;
  if (!TakeU64(in, seq) || !TakeU64(in, &ts) || in.empty()) return false;
  const bool ephemeral = in[0] == 1;
  in.remove_prefix(1);
  if (!TakeU64(in, &da)) return false;
  out->timestamp = static_cast<int64_t>(ts);
  out->deleteAfter = ephemeral ? std::optional<int64_t>(static_cast<int64_t>(da)) : std::nullopt;
  return TakeView(in, &out->path) && TakeView(in, &out->author) && TakeView(in, &out->contentHash) &&
         TakeView(in, &out->signature) && TakeView(in, &out->content) && in.empty();
}

bool DecodeDoc(std::string_view in, const std::string& workspace, StoredDoc* out) {
  DocView view;
  if (!DecodeDocView(in, &view, &out->seq)) return false;
  out->doc = ToDocument(view, workspace);
  return true;
}

std::string EncodeWinner(const Document& doc, uint64_t seq) {
  std::string out;
  out += U64(static_cast<uint64_t>(doc.timestamp));
  out += U64(doc.content.size());
  out.push_back(doc.deleteAfter ? 1 : 0);
  out += U64(static_cast<uint64_t>(doc.deleteAfter.value_or(0)));
  out += U64(seq);
  PutString(out, doc.author);
  PutString(out, IsLongPath(doc.path) ? std::string_view(doc.path) : std::string_view());
  return out;
}

bool DecodeWinner(std::string_view in, std::string_view key_path, WinnerSummary* out) {
  uint64_t ts, size, da;
  if (!TakeU64(in, &ts) || !TakeU64(in, &size) || in.empty()) return false;
  const bool ephemeral = in[0] == 1;
  in.remove_prefix(1);
  if (!TakeU64(in, &da) || !TakeU64(in, &out->seq) || !TakeString(in, &out->author)) return false;
  std::string long_path;
  if (!TakeString(in, &long_path) || !in.empty()) return false;
  out->path = long_path.empty() ? std::string(key_path) : long_path;
  out->timestamp = static_cast<int64_t>(ts);
  out->content_bytes = size;
  out->deleteAfter = ephemeral ? std::optional<int64_t>(static_cast<int64_t>(da)) : std::nullopt;
  return true;
}

}  // namespace esfs::core::store_codec
