#include "core/validate.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/address.h"
#include "core/path.h"
#include "core/signing.h"

namespace esfs::core {
namespace {

Status Bad(std::string message) { return Status::InvalidDocument(std::move(message)); }

Status CheckTimes(const Document& doc, int64_t now) {
  if (doc.timestamp < kMinTimestamp) return Bad("timestamp less than minimum allowed value");
  if (doc.timestamp > kMaxTimestamp) return Bad("timestamp greater than maximum allowed value");
  if (doc.timestamp > now + kMaxFutureMicros) return Bad("timestamp too far in the future");
  if (!doc.deleteAfter) return Status::Ok();
  const int64_t delete_after = *doc.deleteAfter;
  if (delete_after < kMinTimestamp) return Bad("deleteAfter less than minimum allowed value");
  if (delete_after > kMaxTimestamp) return Bad("deleteAfter greater than maximum allowed value");
  if (now > delete_after) return Bad("ephemeral doc has expired");
  if (delete_after <= doc.timestamp) return Bad("ephemeral doc expired before it was created");
  return Status::Ok();
}

}  // namespace

namespace {

Status Validate(const Document& doc, int64_t now, bool own) {
  if (doc.format != kFormat) return Bad("invalid format: " + doc.format);
  // 6.8.5 checks the size right after the shape (spec §8 step 1).
  if (doc.content.size() > kMaxContentBytes) {
    return Bad("doc content is greater than max allowed length (4000000 bytes when encoded as utf-8)");
  }
  if (!AuthorCanWrite(doc.author, doc.path)) {
    return Bad(CheckAuthorCanWrite(doc.author, doc.path).message());
  }
  if (Status s = CheckTimes(doc, now); !s.ok()) return s;
  if (Status s = CheckPath(doc.path, doc.IsEphemeral()); !s.ok()) return s;
  if (auto author = ParseAuthorAddress(doc.author); !author.ok()) return author.status();
  if (auto ws = ParseWorkspaceAddress(doc.workspace); !ws.ok()) return ws.status();
  if (own) return Status::Ok();  // signed and hashed here (validate.h)
  if (!SignatureIsValid(doc)) return Bad("signature is invalid");
  const std::string computed = ContentHash(doc.content);
  if (computed != doc.contentHash) {
    return Bad("content does not match contentHash.  sha256(content) is " + computed + " but contentHash is " +
               doc.contentHash);
  }
  return Status::Ok();
}

}  // namespace

Status ValidateDocument(const Document& doc, int64_t now) { return Validate(doc, now, false); }

Status ValidateOwnDocument(const Document& doc, int64_t now) { return Validate(doc, now, true); }

Result<Document> ParseAndValidate(const OrderedJson& json, int64_t now) {
  auto doc = DocumentFromJson(json);
  if (!doc.ok()) return doc;
  if (Status s = ValidateDocument(*doc, now); !s.ok()) return s;
  return doc;
}

}  // namespace esfs::core

namespace esfs::core {

std::vector<Status> ValidateBatch(std::span<const Document> docs, int64_t now, unsigned threads) {
  std::vector<const Document*> pointers(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) pointers[i] = &docs[i];
  return ValidateBatch(std::span<const Document* const>(pointers), now, threads);
}

std::vector<Status> ValidateBatch(std::span<const Document* const> docs, int64_t now, unsigned threads) {
  std::vector<Status> verdicts(docs.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // Below a few hundred documents a thread costs more than it saves.
  threads = std::min<size_t>(threads, std::max<size_t>(1, docs.size() / 256));
  // The threads take small runs of documents as they go, so that they all
  // finish together (fixed halves leave a core idle when one half is
  // slower); the calling thread is one of them.
  constexpr size_t kRun = 16;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t begin = next.fetch_add(kRun); begin < docs.size(); begin = next.fetch_add(kRun)) {
      const size_t end = std::min(docs.size(), begin + kRun);
      for (size_t i = begin; i < end; ++i) verdicts[i] = ValidateDocument(*docs[i], now);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return verdicts;
}

}  // namespace esfs::core
