// Internal to the store: the shared state of store.cc (writes) and
// store_read.cc (reads). Not part of the store's interface.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "core/lmdb_txn.h"
#include "core/store.h"
#include "core/store_codec.h"

namespace esfs::core {

struct Store::Impl {
  std::string data_dir;
  std::unique_ptr<Clock> owned_clock;
  const Clock* clock = nullptr;
  std::unique_ptr<LmdbEnv> env;
  MDB_dbi meta, workspaces, docs, winners, by_author, by_time, expiry, changes, local_attrs;

  // Workspace address <-> id, filled lazily from the workspaces database
  // (another process may add workspaces at any time).
  mutable std::mutex ids_mu;  // guards id_of, address_of
  mutable std::map<std::string, uint32_t> id_of;
  mutable std::map<uint32_t, std::string> address_of;

  // Local attributes set with Durability::kSoon, not yet written
  // (core/store_local.cc). Keyed by workspace address and path.
  struct PendingAttrs {
    std::mutex mu;  // guards the members below
    std::condition_variable wake;
    std::map<std::pair<std::string, std::string>, LocalAttrs> attrs;
    Status last_error = Status::Ok();
    bool stopping = false;
    std::thread writer;  // started by the first kSoon change
    // Held while writing local attributes, so that a kNow write and the
    // writer's batch land in the order they were made.
    std::mutex write_mu;
  } pending;

  // Group commit of local writes (core/store_commit.cc): callers queue a
  // LocalWrite; the one at the front commits everything queued behind it
  // in one write transaction, then wakes the others.
  struct LocalWrite;
  struct Committer {
    // Guards the members below. Never held across a transaction or a
    // flush, and nothing else is locked while holding it.
    std::mutex mu;
    std::deque<LocalWrite*> queue;  // the front one is committing or about to
    size_t queued_requests = 0;     // requests in |queue|
    size_t hold_until = 0;          // HoldCommitsForTest: 0 = no hold
    std::condition_variable queued;  // a request was queued or the hold changed
  } committer;

  int64_t Now() const { return clock->NowMicros(); }

  // The id of a workspace, NotFound if it is not in the store.
  Result<uint32_t> WorkspaceId(const ReadTxn& txn, const std::string& address) const;
  std::string WorkspaceAddress(const ReadTxn& txn, uint32_t id) const;

  // Every stored document at one path (all authors), expired ones included.
  std::vector<store_codec::StoredDoc> VersionsAt(const ReadTxn& txn, uint32_t ws, const std::string& address,
                                                 const std::string& path) const;
  // The winner among |versions| that are alive at |now|, or nullptr.
  static const store_codec::StoredDoc* PickWinner(const std::vector<store_codec::StoredDoc>& versions, int64_t now);
  static bool Expired(const Document& doc, int64_t now) { return doc.deleteAfter && now > *doc.deleteAfter; }
};

// Spec §9 steps 3-6 for a document that passed validation at |now|: the
// per-author replacement, the indexes, the change feed and the winner, in
// |txn| (core/store.cc; ingest and local writes share it).
Result<IngestOutcome> ApplyValidated(Store::Impl& impl, WriteTxn& txn, uint32_t ws, const std::string& address,
                                     const Document& doc, int64_t now);
IngestOutcome InvalidOutcome(const Status& s);

}  // namespace esfs::core
