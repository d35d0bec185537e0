// The replica's write rule (spec §9 steps 3-6, shared by ingest and local
// writes), expiry and the change log (core/store_replica.h). Ingest is in
// store_replica_ingest.cc, local writes in store_replica_commit.cc, reads
// in store_replica_read.cc.
#include "core/store_replica.h"

#include <algorithm>

#include "core/ordering.h"
#include "core/store_state.h"
#include "core/validate.h"

namespace esfs::core {

using namespace store_codec;

namespace {

constexpr char kChangeStored = 'D';
constexpr char kChangeRemoved = 'X';

std::string ChangeValue(char kind, uint32_t ws, const std::string& path, const std::string& author) {
  std::string v(1, kind);
  v += U32(ws) + U32(static_cast<uint32_t>(path.size())) + path + author;
  return v;
}

}  // namespace

const char* IngestResultName(IngestResult r) {
  switch (r) {
    case IngestResult::kAccepted: return "ACCEPTED";
    case IngestResult::kIgnored: return "IGNORED";
    case IngestResult::kInvalid: return "INVALID";
  }
  return "?";
}

namespace {

uint64_t NextSeq(WriteTxn& txn, MDB_dbi meta, Status* status) {
  auto current = txn.Get(meta, "seq");
  uint64_t next = (current.ok() && current->size() == 8 ? ReadU64(*current) : 0) + 1;
  *status = txn.Put(meta, "seq", U64(next));
  return next;
}

// Rewrites the winners entry of one path after its versions changed.
Status RefreshWinner(StoreState& state, WriteTxn& txn, uint32_t ws, const std::string& address, const std::string& path,
                     int64_t now) {
  auto versions = state.VersionsAt(txn, ws, address, path);
  const StoredDoc* winner = StoreState::PickWinner(versions, now);
  const std::string key = WinnerKey(ws, path);
  if (winner == nullptr) return txn.Del(state.winners, key);
  return txn.Put(state.winners, key, EncodeWinner(winner->doc, winner->seq));
}

// The winners entry after |doc| (alive: it passed validation at |now|) was
// stored as |seq|. When the path had no living winner, or |doc| is strictly
// newer than the one it had, |doc| wins and the other versions need not be
// read (the common case: a new file, a newer save); otherwise every version
// is compared again (ties, the reference's string-order quirk, expiry).
Status RefreshWinnerWith(StoreState& state, WriteTxn& txn, uint32_t ws, const std::string& address, const Document& doc,
                         uint64_t seq, int64_t now) {
  const std::string key = WinnerKey(ws, doc.path);
  auto current = txn.Get(state.winners, key);
  bool wins = false;
  if (!current.ok()) {
    wins = current.status().code() == StatusCode::kNotFound;
  } else {
    WinnerSummary summary;
    wins = DecodeWinner(*current, doc.path, &summary) && summary.path == doc.path &&
           !(summary.deleteAfter && now > *summary.deleteAfter) && doc.timestamp > summary.timestamp;
  }
  if (!wins) return RefreshWinner(state, txn, ws, address, doc.path, now);
  return txn.Put(state.winners, key, EncodeWinner(doc, seq));
}

// Drops one stored document and its index entries (not the winner).
Status DropIndexes(StoreState& state, WriteTxn& txn, uint32_t ws, const StoredDoc& old) {
  const std::string doc_key = DocKey(ws, old.doc.path, old.doc.author);
  if (Status s = txn.Del(state.by_time, TimeKey(ws, old.doc.timestamp, old.seq)); !s.ok()) return s;
  if (Status s = txn.Del(state.changes, U64(old.seq)); !s.ok()) return s;
  if (Status s = UnindexSeq(state, txn, ws, old.seq); !s.ok()) return s;
  if (old.doc.deleteAfter) {
    if (Status s = txn.Del(state.expiry, U64(static_cast<uint64_t>(*old.doc.deleteAfter)) + doc_key); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<IngestOutcome> ApplyValidated(StoreState& state, WriteTxn& txn, uint32_t ws, const std::string& address,
                                     const Document& doc, int64_t now, bool local_write) {
  if (doc.workspace != address) {
    return IngestOutcome{IngestResult::kInvalid, "ingestDocument: can't ingest doc from different workspace"};
  }
  const std::string doc_key = DocKey(ws, doc.path, doc.author);
  std::optional<StoredDoc> old;
  if (auto existing = txn.Get(state.docs, doc_key); existing.ok()) {
    DocView view;
    uint64_t seq = 0;
    if (DecodeDocView(*existing, &view, &seq) && view.path == doc.path) {
      // Replacing it needs its times, signature and keys, never its
      // content: a save over a 4 MB file copied 4 MB here.
      view.content = {};
      old = StoredDoc{ToDocument(view, address), seq};
    }
  }
  if (old && !StoreState::Expired(old->doc, now) && !ReplacesForIngest(doc, old->doc)) {
    return IngestOutcome{IngestResult::kIgnored, "an equal or newer document by this author is already stored"};
  }
  // The content this document replaces, kept locally before the same
  // author's older version is overwritten below.
  std::string conflict_with;
  if (Status s = KeepReplaced(state, txn, ws, address, doc, now, local_write, &conflict_with); !s.ok()) return s;
  if (old) {
    if (Status s = DropIndexes(state, txn, ws, *old); !s.ok()) return s;
  }
  Status s;
  const uint64_t seq = NextSeq(txn, state.meta, &s);
  if (!s.ok()) return s;
  if (s = txn.PutJoined(state.docs, doc_key, {EncodeDocHead(doc, seq), doc.content}); !s.ok()) return s;
  // The author's older version at this path had the same by_author entry:
  // writing it again would copy its B-tree path for nothing (every page a
  // commit touches is one more write to sync).
  if (!old) {
    if (s = txn.Put(state.by_author, AuthorKey(ws, doc.author, doc.path), doc_key); !s.ok()) return s;
  }
  if (s = txn.Put(state.by_time, TimeKey(ws, doc.timestamp, seq), doc_key); !s.ok()) return s;
  if (s = txn.Put(state.changes, U64(seq), ChangeValue(kChangeStored, ws, doc.path, doc.author)); !s.ok()) return s;
  if (s = IndexSeq(state, txn, ws, seq, doc_key); !s.ok()) return s;
  if (doc.deleteAfter) {
    if (s = txn.Put(state.expiry, U64(static_cast<uint64_t>(*doc.deleteAfter)) + doc_key, ""); !s.ok()) return s;
  }
  if (s = RefreshWinnerWith(state, txn, ws, address, doc, seq, now); !s.ok()) return s;
  if (local_write) {
    if (s = NoteLocalSave(state, txn, ws, doc); !s.ok()) return s;
  }
  IngestOutcome outcome{IngestResult::kAccepted, "", seq};
  outcome.conflict_with = std::move(conflict_with);
  return outcome;
}

IngestOutcome InvalidOutcome(const Status& s) { return {IngestResult::kInvalid, s.message()}; }

// ---- expiry ----

Result<size_t> Replica::SweepExpired() {
  StoreState& state = state_;
  size_t removed = 0;
  Status written = state.env->Write([&](WriteTxn& txn) -> Status {
    removed = 0;
    const int64_t now = state.Now();
    std::vector<std::string> doomed;
    {
      Cursor c(txn, state.expiry);
      for (bool ok = c.First(); ok; ok = c.Next()) {
        if (static_cast<int64_t>(ReadU64(c.key())) >= now) break;
        doomed.emplace_back(c.key().substr(8));
      }
    }
    for (const auto& doc_key : doomed) {
      const uint32_t ws = ReadU32(doc_key);
      const std::string address = state.WorkspaceAddress(txn, ws);
      auto value = txn.Get(state.docs, doc_key);
      StoredDoc stored;
      if (!value.ok() || !DecodeDoc(*value, address, &stored)) continue;
      if (!StoreState::Expired(stored.doc, now)) continue;
      if (Status s = DropIndexes(state, txn, ws, stored); !s.ok()) return s;
      if (Status s = txn.Del(state.docs, doc_key); !s.ok()) return s;
      if (Status s = txn.Del(state.by_author, AuthorKey(ws, stored.doc.author, stored.doc.path)); !s.ok()) return s;
      Status seq_status;
      const uint64_t seq = NextSeq(txn, state.meta, &seq_status);
      if (!seq_status.ok()) return seq_status;
      if (Status s =
              txn.Put(state.changes, U64(seq), ChangeValue(kChangeRemoved, ws, stored.doc.path, stored.doc.author));
          !s.ok()) {
        return s;
      }
      if (Status s = RefreshWinner(state, txn, ws, address, stored.doc.path, now); !s.ok()) return s;
      ++removed;
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return removed;
}

// ---- change feed ----

Result<std::vector<Change>> Replica::ChangesSince(uint64_t after, size_t limit) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  std::vector<Change> changes;
  Cursor c(*txn, state_.changes);
  for (bool ok = c.Seek(U64(after + 1)); ok && changes.size() < limit; ok = c.Next()) {
    std::string_view v = c.value();
    if (v.size() < 9) continue;
    Change change;
    change.seq = ReadU64(c.key());
    change.removed = v[0] == kChangeRemoved;
    change.workspace = state_.WorkspaceAddress(*txn, ReadU32(v.substr(1)));
    const uint32_t path_len = ReadU32(v.substr(5));
    if (v.size() < 9 + path_len) continue;
    change.path = std::string(v.substr(9, path_len));
    change.author = std::string(v.substr(9 + path_len));
    changes.push_back(std::move(change));
  }
  return changes;
}

void Replica::SetLog(std::function<void(const std::string&)> log) { state_.log = std::move(log); }

Result<uint64_t> Replica::LastSeq() const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto seq = txn->Get(state_.meta, "seq");
  return seq.ok() && seq->size() == 8 ? ReadU64(*seq) : uint64_t{0};
}

}  // namespace esfs::core
