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

  // ---- the interface before the split (issue #16) ----
  using IngestProgress = Replica::IngestProgress;
  using Ingester = Replica::Ingester;
  using WinnerUse = Replica::WinnerUse;
  using Durability = LocalState::Durability;
  static constexpr int kLocalAttrsDelayMs = LocalState::kAttrsDelayMs;

  // Forwarder (#16): callers move to the parts
  Status AddWorkspace(const std::string& address, const OrderedJson& config = OrderedJson::object()) {
    return workspaces_.Add(address, config);
  }
  // Forwarder (#16): callers move to the parts
  Status RemoveWorkspace(const std::string& address) { return workspaces_.Remove(address); }
  // Forwarder (#16): callers move to the parts
  Status SetWorkspaceConfig(const std::string& address, const OrderedJson& config) {
    return workspaces_.SetConfig(address, config);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<WorkspaceInfo>> ListWorkspaces(bool count_documents = false) const {
    return workspaces_.List(count_documents);
  }
  // Forwarder (#16): callers move to the parts
  Result<WorkspaceInfo> GetWorkspace(const std::string& address, bool count_documents = false) const {
    return workspaces_.Get(address, count_documents);
  }
  // Forwarder (#16): callers move to the parts
  Result<IngestOutcome> Ingest(const std::string& workspace, const Document& doc) {
    return replica_.Ingest(workspace, doc);
  }
  // Forwarder (#16): callers move to the parts
  Result<IngestOutcome> IngestJson(const std::string& workspace, const OrderedJson& json) {
    return replica_.IngestJson(workspace, json);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<IngestOutcome>> IngestBatch(const std::string& workspace, std::span<const Document> docs) {
    return replica_.IngestBatch(workspace, docs);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<IngestOutcome>> IngestMany(const std::string& workspace, std::span<const Document> docs,
                                                size_t batch_size = 1000, const IngestProgress& progress = {}) {
    return replica_.IngestMany(workspace, docs, batch_size, progress);
  }
  // Forwarder (#16): callers move to the parts
  Ingester StartIngest(const std::string& workspace, IngestProgress progress = {}) {
    return replica_.StartIngest(workspace, std::move(progress));
  }
  // Forwarder (#16): callers move to the parts
  Result<Document> Set(const Signer& signer, const std::string& workspace, const std::string& path, std::string content,
                       std::optional<int64_t> delete_after = std::nullopt) {
    return replica_.Set(signer, workspace, path, std::move(content), delete_after);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<Document>> SetMany(const Signer& signer, std::span<const SetRequest> requests) {
    return replica_.SetMany(signer, requests);
  }
  // Forwarder (#16): callers move to the parts
  void HoldCommitsForTest(size_t requests) { replica_.HoldCommitsForTest(requests); }
  // Forwarder (#16): callers move to the parts
  Result<std::optional<Document>> Winner(const std::string& workspace, const std::string& path) const {
    return replica_.Winner(workspace, path);
  }
  // Forwarder (#16): callers move to the parts
  Result<bool> VisitWinner(const std::string& workspace, const std::string& path,
                           const std::function<void(const DocView&)>& visit,
                           WinnerUse use = WinnerUse::kMetadata) const {
    return replica_.VisitWinner(workspace, path, visit, use);
  }
  // Forwarder (#16): callers move to the parts
  Result<uint64_t> WinnerSeq(const std::string& workspace, const std::string& path) const {
    return replica_.WinnerSeq(workspace, path);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::optional<Document>> GetDocument(const std::string& workspace, const std::string& path,
                                              const std::string& author) const {
    return replica_.GetDocument(workspace, path, author);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<Document>> Versions(const std::string& workspace, const std::string& path) const {
    return replica_.Versions(workspace, path);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<DirEntry>> ListFolder(const std::string& workspace, const std::string& prefix) const {
    return folders_.List(workspace, prefix);
  }
  // Forwarder (#16): callers move to the parts
  Result<bool> FolderExists(const std::string& workspace, const std::string& prefix) const {
    return folders_.Exists(workspace, prefix);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<Document>> ByAuthor(const std::string& workspace, const std::string& author) const {
    return replica_.ByAuthor(workspace, author);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<Document>> ByTime(const std::string& workspace, int64_t from, int64_t to,
                                       size_t limit = SIZE_MAX) const {
    return replica_.ByTime(workspace, from, to, limit);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<Document>> AllDocuments(const std::string& workspace) const {
    return replica_.AllDocuments(workspace);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<Document>> QueryDocuments(const std::string& workspace, const Query& query) const {
    return replica_.QueryDocuments(workspace, query);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<std::string>> QueryPaths(const std::string& workspace, const Query& query) const {
    return replica_.QueryPaths(workspace, query);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::vector<Change>> ChangesSince(uint64_t after, size_t limit = SIZE_MAX) const {
    return replica_.ChangesSince(after, limit);
  }
  // Forwarder (#16): callers move to the parts
  Result<uint64_t> LastSeq() const { return replica_.LastSeq(); }
  // Forwarder (#16): callers move to the parts
  Status SetLocalAttrs(const std::string& workspace, const std::string& path, const LocalAttrs& attrs,
                       Durability durability = Durability::kNow) {
    return local_.SetAttrs(workspace, path, attrs, durability);
  }
  // Forwarder (#16): callers move to the parts
  Result<std::optional<LocalAttrs>> GetLocalAttrs(const std::string& workspace, const std::string& path,
                                                  const std::string& current_signature) const {
    return local_.GetAttrs(workspace, path, current_signature);
  }
  // Forwarder (#16): callers move to the parts
  Status FlushLocalAttrs() { return local_.FlushAttrs(); }
  // Forwarder (#16): callers move to the parts
  Status FlushLocalAttrs(const std::string& workspace, const std::string& path) {
    return local_.FlushAttrs(workspace, path);
  }
  // Forwarder (#16): callers move to the parts
  Status SetLocalValue(const std::string& key, const OrderedJson& value) { return local_.SetValue(key, value); }
  // Forwarder (#16): callers move to the parts
  Result<std::optional<OrderedJson>> GetLocalValue(const std::string& key) const { return local_.GetValue(key); }
  // Forwarder (#16): callers move to the parts
  Result<size_t> SweepExpired() { return replica_.SweepExpired(); }

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
