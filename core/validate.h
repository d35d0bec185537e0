// Document validation, in the reference's order and with its messages
// (spec §8), at an injected "now" (µs).
//
// Where 5.7.6 and 6.8.5 differ we reject what either rejects (DESIGN
// decision 1): '*' in paths, content over 4,000,000 bytes, non-canonical
// base32, signature suffixes, '_' fields. docs/conformance.md lists each case.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/document.h"
#include "core/status.h"

namespace esfs::core {

inline constexpr int64_t kMinTimestamp = 10'000'000'000'000;     // > 9999999999999
inline constexpr int64_t kMaxTimestamp = 9'007'199'254'740'991;  // 2^53 - 1
inline constexpr int64_t kMaxFutureMicros = 600'000'000;         // 10 minutes

// Steps 2-8 for a document that passed the shape check (DocumentFromJson):
// size limit, write permission, timestamps, path, author, workspace,
// signature, content hash. OK or InvalidDocument with the reference's text.
Status ValidateDocument(const Document& doc, int64_t now);
// The same without the Ed25519 and content-hash checks, for a document
// this process has just signed with a key pair checked when it was loaded
// and whose contentHash it made from this very content (a local write,
// core/signer.h): every other rule still applies. Never for a document
// from outside.
Status ValidateOwnDocument(const Document& doc, int64_t now);

// The whole check for a JSON value: shape, then ValidateDocument.
Result<Document> ParseAndValidate(const OrderedJson& json, int64_t now);

}  // namespace esfs::core

namespace esfs::core {

// ValidateDocument for many documents at once, spread over |threads|
// threads (0: one per core). result[i] is the verdict for docs[i].
std::vector<Status> ValidateBatch(std::span<const Document> docs, int64_t now, unsigned threads = 0);
// The same over documents held elsewhere (no copies).
std::vector<Status> ValidateBatch(std::span<const Document* const> docs, int64_t now, unsigned threads = 0);

}  // namespace esfs::core
