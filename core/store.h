// The document store: every workspace's documents in one LMDB environment
// under the data folder. The single source of truth for the mount, sync
// and the command line; several processes may use one store at once.
//
// Store opens the environment and owns four parts, each for one kind of
// user, each with its contract in its header:
//   replica()     core/store_replica.h     the documents: ingest, local
//                                          writes (group commit), winners,
//                                          queries, expiry, the change log
//   folders()     core/store_folders.h     folder listings and existence
//   local()       core/store_local.h       local attributes and values,
//                                          never synced
//   workspaces()  core/store_workspaces.h  which workspaces, their config
// Layout and rules: docs/store.md.
//
// Thread safety: Store and every part are thread-safe; the parts share
// the environment and a workspace id cache (core/store_state.h, internal).
// Lock order, outermost first: the replica's committer mutex, or the local
// state's write_mu then its pending mutex (the two groups are never held
// together); then LmdbEnv's resize lock (held shared by every
// transaction); then StoreState::ids_mu (a leaf). Only write_mu is held
// across a write transaction (local attribute writes stay in order); no
// lock a reader or a local write needs is held across a flush.
//
// Durability (DESIGN decision 4): a write that returned OK is committed —
// in the store for every process, surviving any crash of esfs — with one
// disk flush. Sync() makes everything committed so far survive a power cut.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/document.h"
#include "core/query.h"
#include "core/signer.h"
#include "core/status.h"
#include "core/store_folders.h"
#include "core/store_local.h"
#include "core/store_replica.h"
#include "core/store_workspaces.h"

namespace esfs::core {

inline constexpr uint32_t kStoreFormatVersion = 1;

struct StoreOptions {
  std::string data_dir;
  const Clock* clock = nullptr;  // default: the system clock
  size_t initial_map_bytes = size_t{1} << 30;
};

class Store {
 public:
  // Opens the store in |data_dir|/store, creating it when |data_dir| is
  // missing or empty. InvalidArgument when the folder is not an esfs store
  // or its format is newer than this program; Storage when it cannot be
  // opened (the message names the folder and the reason).
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  // Writes pending local attributes, then Sync().
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The parts. Each lives as long as the Store.
  Replica& replica() { return replica_; }
  const Replica& replica() const { return replica_; }
  FolderIndex& folders() { return folders_; }
  const FolderIndex& folders() const { return folders_; }
  LocalState& local() { return local_; }
  const LocalState& local() const { return local_; }
  Workspaces& workspaces() { return workspaces_; }
  const Workspaces& workspaces() const { return workspaces_; }

  const Clock& clock() const;
  const std::string& data_dir() const;

  // How many write transactions that changed something this store has
  // committed, ever, by any part and any process (each one a write and a
  // flush to disk). For tests and benchmarks that count flushes or check
  // that nothing is written.
  uint64_t CommitCount() const;
  // Size of the LMDB map (grows on demand) — for status and tests.
  size_t map_bytes() const;
  // Lets go of the store pages this process has mapped (they count in its
  // RSS); they stay in the OS page cache. For long-running readers.
  void ReleaseMappedPages();
  // Makes everything committed so far survive a power cut (one flush,
  // mdb_env_sync); fsync in the mount calls it, and so does the
  // destructor. Storage on failure. Takes no lock of ours.
  Status Sync();

 private:
  explicit Store(std::unique_ptr<StoreState> state);
  // Declared first: destroyed last, after the parts that refer to it.
  std::unique_ptr<StoreState> state_;
  Replica replica_;
  FolderIndex folders_;
  LocalState local_;
  Workspaces workspaces_;
};

}  // namespace esfs::core
