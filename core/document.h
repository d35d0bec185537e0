// The es.4 document and its JSON form (spec §6).
//
// Glossary (one word per idea, used across the code base):
//   workspace  "+name.suffix", a shared space of documents
//   author     "@shrt.b<pubkey>", who signed a document
//   path       "/wiki/Bees.md", where a document lives in its workspace
//   tombstone  a document with empty content: es.4's deletion
//   ephemeral  a document with deleteAfter set (its path contains '!')
//   winner     the document a path shows: highest timestamp, then signature
//   history    the newest document of every author at a path
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/js_compat.h"
#include "core/status.h"

namespace esfs::core {

inline constexpr std::string_view kFormat = "es.4";
// 6.8.5 (the pub) rejects content over this many UTF-8 bytes; so do we.
inline constexpr size_t kMaxContentBytes = 4'000'000;
// JSON nested deeper than this is refused (documents are flat).
inline constexpr size_t kMaxJsonDepth = 256;

struct Document {
  std::string format{kFormat};
  std::string workspace;
  std::string path;
  std::string contentHash;
  std::string content;
  std::string author;
  int64_t timestamp = 0;  // µs since the epoch; saturated if the JSON was out of range
  std::optional<int64_t> deleteAfter;
  std::string signature;

  bool IsEphemeral() const { return deleteAfter.has_value(); }
  bool IsTombstone() const { return content.empty(); }
  friend bool operator==(const Document&, const Document&) = default;
};

// A stored document read in place: views into the store's memory map,
// valid only while the call that hands it out runs. Metadata, sizes and
// one copy of the content cost no copy of the whole document.
struct DocView {
  std::string_view path;
  std::string_view author;
  std::string_view contentHash;
  std::string_view signature;
  std::string_view content;
  int64_t timestamp = 0;
  std::optional<int64_t> deleteAfter;

  bool IsTombstone() const { return content.empty(); }
};

// A copy of what |view| shows, as a document of |workspace|.
inline Document ToDocument(const DocView& view, const std::string& workspace) {
  Document doc;
  doc.workspace = workspace;
  doc.path.assign(view.path);
  doc.author.assign(view.author);
  doc.contentHash.assign(view.contentHash);
  doc.signature.assign(view.signature);
  doc.content.assign(view.content);
  doc.timestamp = view.timestamp;
  doc.deleteAfter = view.deleteAfter;
  return doc;
}

// A view of |doc| (valid while |doc| lives and does not change).
inline DocView ViewOf(const Document& doc) {
  return {.path = doc.path,
          .author = doc.author,
          .contentHash = doc.contentHash,
          .signature = doc.signature,
          .content = doc.content,
          .timestamp = doc.timestamp,
          .deleteAfter = doc.deleteAfter};
}

// Parses JSON text without throwing. InvalidArgument names the position on
// malformed JSON, nesting deeper than kMaxJsonDepth, bad UTF-8, or a lone
// surrogate escape (which the
// reference would silently hash as U+FFFD; see docs/conformance.md), or a
// raw NUL byte anywhere (nlohmann would stop at it and ignore what follows).
Result<OrderedJson> ParseJson(std::string_view text);

// The reference's basic shape check (spec §6, §8 step 1) and conversion:
// "doc must be an object, but is ...", "invalid format: ...",
// "invalid types or missing fields in document", "doc has extra fields".
// Numbers count as integers when their double value is integral.
Result<Document> DocumentFromJson(const OrderedJson& json);

// The reference's JSON shape, keys in its order (format, workspace, path,
// contentHash, content, author, timestamp, deleteAfter, signature).
OrderedJson DocumentToJson(const Document& doc);

// A JSON array (or a single object) of documents, each element kept as JSON
// so that callers can report per-index errors.
Result<std::vector<OrderedJson>> SplitDocumentList(const OrderedJson& json);

}  // namespace esfs::core
