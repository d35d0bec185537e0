// The replica's per-workspace numbering (core/store_replica.h, "numbers
// per workspace"): the database by_seq, ws · seq -> docs key, one entry
// per stored document, written in the transaction that stores it and
// dropped in the one that replaces or expires it. With it a pub answers
// "what came after N in this workspace" by one range scan (docs/pub-api.md).
//
// Stores made before by_seq existed are numbered when first opened
// (EnsureSeqIndex: one write transaction over every document, once). The
// store's id in meta ("store_id") tells a client whose numbers it holds:
// a store made again from nothing starts its numbers again with a new id.
#include <fcntl.h>
#include <unistd.h>

#include <array>

#include "core/base32.h"
#include "core/store_replica.h"
#include "core/store_state.h"

namespace esfs::core {

using namespace store_codec;

namespace {

std::string SeqKey(uint32_t ws, uint64_t seq) { return U32(ws) + U64(seq); }

// 10 random bytes in base32 (without the multibase 'b'): a store's id.
std::string NewStoreId() {
  std::array<uint8_t, 10> bytes{};
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) bytes.fill(0);
    close(fd);
  }
  return Base32Encode(bytes).substr(1);
}

}  // namespace

Status IndexSeq(StoreState& state, WriteTxn& txn, uint32_t ws, uint64_t seq, const std::string& doc_key) {
  return txn.Put(state.by_seq, SeqKey(ws, seq), doc_key);
}

Status UnindexSeq(StoreState& state, WriteTxn& txn, uint32_t ws, uint64_t seq) {
  return txn.Del(state.by_seq, SeqKey(ws, seq));
}

Status EnsureSeqIndex(StoreState& state) {
  {
    auto txn = state.env->BeginRead();
    if (!txn.ok()) return txn.status();
    if (txn->Get(state.meta, "store_id").ok()) return Status::Ok();
  }
  return state.env->Write([&](WriteTxn& txn) -> Status {
    if (txn.Get(state.meta, "store_id").ok()) return Status::Ok();  // another process was first
    Cursor c(txn, state.docs);
    std::vector<std::pair<std::string, std::string>> entries;
    for (bool ok = c.First(); ok; ok = c.Next()) {
      DocView view;
      uint64_t seq = 0;
      if (c.key().size() < 4 || !DecodeDocView(c.value(), &view, &seq)) continue;
      entries.emplace_back(SeqKey(ReadU32(c.key()), seq), std::string(c.key()));
    }
    for (const auto& [key, doc_key] : entries) {
      if (Status s = txn.Put(state.by_seq, key, doc_key); !s.ok()) return s;
    }
    return txn.Put(state.meta, "store_id", NewStoreId());
  });
}

Result<std::string> Replica::StoreId() const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto id = txn->Get(state_.meta, "store_id");
  if (!id.ok()) return Status::Corruption("the store has no store_id");
  return std::string(*id);
}

Result<Replica::SeqPage> Replica::DocumentsAfter(const std::string& workspace, uint64_t after, size_t limit,
                                                 size_t max_bytes) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = state_.Now();
  const std::string prefix = U32(*ws);
  SeqPage page;
  page.next = after;
  size_t bytes = 0;
  Cursor c(*txn, state_.by_seq);
  // The newest number of the workspace: the last key with its prefix.
  if (c.Seek(U32(*ws + 1)) ? c.Prev() : c.Last()) {
    if (c.key().substr(0, 4) == prefix) page.last = ReadU64(c.key().substr(4));
  }
  for (bool ok = c.Seek(SeqKey(*ws, after + 1)); ok && c.key().substr(0, 4) == prefix; ok = c.Next()) {
    if (page.docs.size() >= limit || (!page.docs.empty() && bytes >= max_bytes)) {
      page.more = true;
      break;
    }
    const uint64_t seq = ReadU64(c.key().substr(4));
    page.next = seq;
    auto value = txn->Get(state_.docs, c.value());
    StoredDoc stored;
    if (!value.ok() || !DecodeDoc(*value, workspace, &stored)) continue;
    if (StoreState::Expired(stored.doc, now)) continue;
    bytes += stored.doc.content.size() + 400;
    page.docs.push_back(std::move(stored.doc));
  }
  if (page.last < page.next) page.last = page.next;
  return page;
}

Result<std::vector<Document>> Replica::LatestBySeq(const std::string& workspace, size_t n) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = state_.Now();
  const std::string prefix = U32(*ws);
  std::vector<Document> docs;
  Cursor c(*txn, state_.by_seq);
  for (bool ok = c.Seek(U32(*ws + 1)) ? c.Prev() : c.Last(); ok && docs.size() < n && c.key().substr(0, 4) == prefix;
       ok = c.Prev()) {
    auto value = txn->Get(state_.docs, c.value());
    StoredDoc stored;
    if (!value.ok() || !DecodeDoc(*value, workspace, &stored) || StoreState::Expired(stored.doc, now)) continue;
    docs.push_back(std::move(stored.doc));
  }
  return docs;
}

}  // namespace esfs::core
