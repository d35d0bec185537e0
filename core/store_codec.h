// How the store lays documents out in LMDB keys and values (docs/store.md).
// Internal to core/store*.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/document.h"

namespace esfs::core::store_codec {

// Paths up to this many bytes are stored whole in keys; longer ones are
// cut and followed by 0x01 and 16 bytes of their SHA-256, so every key
// stays under LMDB's 511-byte limit (workspace id 4 + path 400 + 17 +
// separator + author 59 = 481).
inline constexpr size_t kPathKeyLimit = 400;

std::string U32(uint32_t v);
std::string U64(uint64_t v);
uint32_t ReadU32(std::string_view s);
uint64_t ReadU64(std::string_view s);

// The key form of a path: order-preserving for paths that differ within
// their first kPathKeyLimit bytes.
std::string PathKey(std::string_view path);
bool IsLongPath(std::string_view path);

// docs:       ws | PathKey | 0x00 | author          -> EncodeDoc
std::string DocKey(uint32_t ws, std::string_view path, std::string_view author);
// winners:    ws | PathKey                           -> EncodeWinner
std::string WinnerKey(uint32_t ws, std::string_view path);
// by_author:  ws | author | 0x00 | PathKey           -> DocKey
std::string AuthorKey(uint32_t ws, std::string_view author, std::string_view path);
// by_time:    ws | timestamp | seq                   -> DocKey
std::string TimeKey(uint32_t ws, int64_t timestamp, uint64_t seq);
// changes:    seq                                    -> kind | DocKey

// A stored document plus its local sequence number.
struct StoredDoc {
  Document doc;
  uint64_t seq = 0;
};
// The stored value of a document is EncodeDocHead(doc, seq) followed by
// doc.content (kept apart so that a large content is copied only once, into
// the store: WriteTxn::PutJoined).
std::string EncodeDocHead(const Document& doc, uint64_t seq);
// The workspace is not stored in the value; the caller supplies it.
bool DecodeDoc(std::string_view in, const std::string& workspace, StoredDoc* out);
// The same value decoded in place: |out| points into |in|.
bool DecodeDocView(std::string_view in, DocView* out, uint64_t* seq);

// What a directory listing needs without reading content.
struct WinnerSummary {
  std::string path;  // full path
  std::string author;
  int64_t timestamp = 0;
  uint64_t content_bytes = 0;
  std::optional<int64_t> deleteAfter;
  uint64_t seq = 0;
};
std::string EncodeWinner(const Document& doc, uint64_t seq);
// |key_path| is the path part of the key, used when the value has no path.
bool DecodeWinner(std::string_view in, std::string_view key_path, WinnerSummary* out);

}  // namespace esfs::core::store_codec
