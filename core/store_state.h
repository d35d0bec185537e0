// Internal to the store: the state its parts share (core/store_*.cc), and
// the replica's write rule that ingest and local writes both use. Not part
// of the store's interface: outside core/store_*.cc, use core/store.h.
//
// Store::Open fills a StoreState and owns it; every part (Replica,
// FolderIndex, LocalState, Workspaces) holds a reference for its life.
// After Open everything here is read-only except the workspace id cache,
// guarded by ids_mu. Lock order: ids_mu is a leaf (taken inside
// transactions, nothing is locked while holding it).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/lmdb_txn.h"
#include "core/store_codec.h"
#include "core/store_replica.h"

namespace esfs::core {

struct StoreState {
  std::string data_dir;
  std::unique_ptr<Clock> owned_clock;
  const Clock* clock = nullptr;
  std::unique_ptr<LmdbEnv> env;
  // The databases (docs/store.md). Who writes which: workspaces and the
  // removal of a workspace's entries: Workspaces; local_attrs and meta's
  // "local:" keys: LocalState; everything else: Replica. The local versions
  // (versions, versions_age, local_saves) are written by the replica when a
  // winner is replaced (KeepReplaced, core/store_versions.cc) and read and
  // expired by LocalState.
  MDB_dbi meta, workspaces, docs, winners, by_author, by_time, expiry, changes, local_attrs;
  MDB_dbi versions, versions_age, local_saves;
  // Where conflicts are logged (Replica::SetLog); set before other threads
  // use the store, read-only afterwards. Empty: not logged.
  std::function<void(const std::string&)> log;
  MDB_dbi by_seq;  // per-workspace numbering (core/store_replica_seq.cc)

  // Workspace address <-> id, filled lazily from the workspaces database
  // (another process may add workspaces at any time).
  mutable std::mutex ids_mu;  // guards id_of, address_of; a leaf
  mutable std::map<std::string, uint32_t> id_of;
  mutable std::map<uint32_t, std::string> address_of;

  int64_t Now() const { return clock->NowMicros(); }

  // The id of a workspace, NotFound if it is not in the store.
  Result<uint32_t> WorkspaceId(const ReadTxn& txn, const std::string& address) const;
  std::string WorkspaceAddress(const ReadTxn& txn, uint32_t id) const;
  // Drops a removed workspace from the id cache.
  void ForgetWorkspace(const std::string& address);

  // Every stored document at one path (all authors), expired ones included.
  // Without |with_content|, each one's content is left empty (choosing a
  // winner needs none of it, and a version can hold 4 MB).
  std::vector<store_codec::StoredDoc> VersionsAt(const ReadTxn& txn, uint32_t ws, const std::string& address,
                                                 const std::string& path, bool with_content = true) const;
  // The winner among |versions| that are alive at |now|, or nullptr.
  static const store_codec::StoredDoc* PickWinner(const std::vector<store_codec::StoredDoc>& versions, int64_t now);
  static bool Expired(const Document& doc, int64_t now) { return doc.deleteAfter && now > *doc.deleteAfter; }
};

// Spec §9 steps 3-6 for a document that passed validation at |now|: the
// per-author replacement, the indexes, the change feed and the winner, in
// |txn| (core/store_replica.cc; ingest and local writes share it).
// |local_write|: a save made here (Replica::Set), remembered so that a
// peer's save replacing it soon after counts as a conflict.
Result<IngestOutcome> ApplyValidated(StoreState& state, WriteTxn& txn, uint32_t ws, const std::string& address,
                                     const Document& doc, int64_t now, bool local_write = false);

// Local versions (core/store_versions.cc): before |doc| is stored, if it
// is about to replace the living winner at its path and that winner had
// other, non-empty content, keeps that content in |versions| (never
// synced). For a peer's document (!local_write) that replaces a save made
// here within kConflictWindowMicros (core/store_local.h), counts a conflict for the workspace and
// sets |*conflict_with| to the replaced save's author.
Status KeepReplaced(StoreState& state, WriteTxn& txn, uint32_t ws, const std::string& address, const Document& doc,
                    int64_t now, bool local_write, std::string* conflict_with);
// Remembers that |doc| was saved here (for the conflict rule above).
Status NoteLocalSave(StoreState& state, WriteTxn& txn, uint32_t ws, const Document& doc);
IngestOutcome InvalidOutcome(const Status& s);

// The per-workspace numbering (core/store_replica_seq.cc): an entry for
// the document stored as |seq| under |doc_key|, and its removal.
Status IndexSeq(StoreState& state, WriteTxn& txn, uint32_t ws, uint64_t seq, const std::string& doc_key);
Status UnindexSeq(StoreState& state, WriteTxn& txn, uint32_t ws, uint64_t seq);
// Numbers a store made before the numbering existed (once) and gives it its
// store_id. Called by Store::Open.
Status EnsureSeqIndex(StoreState& state);

}  // namespace esfs::core
