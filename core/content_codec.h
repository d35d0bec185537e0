// The content codec: how a file's bytes become an es.4 document's content
// and back (DESIGN decision 8, docs/content.md). Pure functions, no state.
//
// es.4 content is UTF-8 text. A file's bytes are stored as:
//   - under one of the reference's 15 binary extensions (NameKind::kBinary,
//     fs/names.h IsBinaryName): standard padded base64 (RFC 4648 §4), as the
//     reference's own folder sync stores them;
//   - under any other name (NameKind::kText): the text itself when the
//     bytes are UTF-8 and would not read back as something else, otherwise
//     an RFC 2397 data URL, "data:application/octet-stream;base64,<base64>".
// Text that itself looks like a base64 data URL is therefore encoded too,
// so every byte string round-trips under every name.
//
// Decoding is lenient for what peers store: a base64 data URL with any
// media type (data:image/png;base64,...) reads as its bytes; content that
// is not what its name leads us to expect (text under a .png name, a
// malformed data URL) reads as the text it is. Never fails, never throws
// except std::bad_alloc.
//
// Thread safety: pure functions, callable from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace esfs::core {

enum class NameKind {
  kText,    // any name outside the binary-extension list
  kBinary,  // one of the 15 binary extensions: plain base64
};

// The media type esfs writes; others are read too.
inline constexpr std::string_view kDataUrlPrefix = "data:application/octet-stream;base64,";
// The largest file whose stored form fits the es.4 limit (4,000,000 bytes)
// whatever it holds: under a text name 37 + 4 * ceil(n / 3) <= 4,000,000.
inline constexpr size_t kMaxAlwaysFitTextBytes = 2'999'970;
// Under a binary name, 4 * ceil(n / 3) <= 4,000,000.
inline constexpr size_t kMaxBinaryBytes = 3'000'000;

// The stored content of |bytes| under a name of |kind|. "" stays "".
std::string EncodeContent(NameKind kind, std::string_view bytes);
// The size EncodeContent(kind, bytes) has, without encoding. With
// |allow_partial_tail|, bytes that end inside a UTF-8 sequence count as text
// (a file being written in pieces: the next write may complete it).
size_t EncodedSize(NameKind kind, std::string_view bytes, bool allow_partial_tail = false);

// The file bytes of stored |content| under a name of |kind|.
std::string DecodeContent(NameKind kind, std::string_view content);
// The same into |out| (its memory is reused for text).
void DecodeContentInto(NameKind kind, std::string_view content, std::string* out);
// DecodeContent(kind, content).size(), without decoding or allocating.
// Reads all of |content| when it is (or may be) base64: the size of a
// payload depends on every character being valid.
uint64_t DecodedSize(NameKind kind, std::string_view content);
// Whether DecodedSize may read all of |content| whatever the kind of its
// name: it is a data URL, or it begins like base64. Cheap (looks at the
// first characters only); a store that maps content from disk reads such
// content in one go before DecodedSize scans it (issue #18: page by page,
// the st_size of a cold 3.9 MB data URL took ~100 ms).
bool DecodedSizeReadsAll(std::string_view content);

// Whether |content| is a base64 data URL (any media type) whose payload is
// canonical base64: the content Decode turns into bytes under a text name.
bool IsBase64DataUrl(std::string_view content);

}  // namespace esfs::core
