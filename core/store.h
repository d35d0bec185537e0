// The document store: every workspace's documents in one LMDB environment
// under the data folder. The single source of truth for the mount, sync
// and the command line; several processes may use one store at once.
//
// Per workspace and path it keeps the newest document of each author
// (spec §9) and an index of the winner. Every stored document gets a local
// sequence number from a store-wide counter; ChangesSince() is the change
// feed that sync pushes from and mounts follow. Layout: docs/store.md.
//
// Thread-safe. Every call is one LMDB transaction (a batch ingest too).
// A write that returned OK is on disk.
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

namespace esfs::core {

inline constexpr uint32_t kStoreFormatVersion = 1;

enum class IngestResult { kAccepted, kIgnored, kInvalid };
const char* IngestResultName(IngestResult r);  // "ACCEPTED", "IGNORED", "INVALID"

struct IngestOutcome {
  IngestResult result = IngestResult::kInvalid;
  std::string reason;  // why INVALID (the reference's message) or IGNORED
  uint64_t seq = 0;    // the new sequence number when ACCEPTED
};

struct WorkspaceInfo {
  std::string address;
  OrderedJson config;  // {"pubs": [...], ...}: owned by the command line and sync
  uint64_t documents = 0;
};

// One entry of a folder listing: a file (a winning document) or a folder.
struct DirEntry {
  std::string name;  // the path segment after the prefix
  bool is_folder = false;
  // For files: the winner's summary.
  std::string author;
  int64_t timestamp = 0;
  uint64_t content_bytes = 0;
  std::optional<int64_t> deleteAfter;
  uint64_t seq = 0;
};

// One change in the feed.
struct Change {
  uint64_t seq = 0;
  std::string workspace;
  std::string path;
  std::string author;
  bool removed = false;  // the document was dropped (expired), not replaced
};

// Attributes a user set on a file (chmod, utimensat) that es.4 cannot
// carry: kept locally. The time is valid while the document with
// |signature| is the winner at its path ("until the document changes");
// the mode stays with the path through later versions (a file made
// private stays private when it is saved again or a peer updates it).
struct LocalAttrs {
  std::string signature;
  std::optional<uint32_t> mode;
  std::optional<int64_t> mtime_ns;
};

// One local write for Store::SetMany: what Store::Set takes.
struct SetRequest {
  std::string workspace, path, content;
  std::optional<int64_t> delete_after;  // absolute time; moves with a bumped timestamp
};

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
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const Clock& clock() const;
  const std::string& data_dir() const;

  // Workspaces. Add is idempotent (it updates the config); Remove drops
  // the workspace and all its documents.
  Status AddWorkspace(const std::string& address, const OrderedJson& config = OrderedJson::object());
  Status RemoveWorkspace(const std::string& address);
  Status SetWorkspaceConfig(const std::string& address, const OrderedJson& config);
  // |count_documents| fills WorkspaceInfo::documents by walking every
  // stored document (O(documents): for the command line, never for the
  // mount or the syncer); otherwise it stays 0 and the call is O(workspaces).
  Result<std::vector<WorkspaceInfo>> ListWorkspaces(bool count_documents = false) const;
  // One workspace (documents counted only if asked, as above); NotFound
  // if it is not here.
  Result<WorkspaceInfo> GetWorkspace(const std::string& address, bool count_documents = false) const;

  // Spec §9 ingest at the store's clock: validation, workspace check,
  // per-author replacement. NotFound if the workspace is not in the store.
  Result<IngestOutcome> Ingest(const std::string& workspace, const Document& doc);
  // Like Ingest for a JSON value, with the reference's format check first.
  Result<IngestOutcome> IngestJson(const std::string& workspace, const OrderedJson& json);
  // Many documents in one write transaction; signatures are verified in
  // parallel beforehand, and documents already stored are not verified again.
  Result<std::vector<IngestOutcome>> IngestBatch(const std::string& workspace, std::span<const Document> docs);
  // Many documents as consecutive IngestBatch calls of |batch_size|, each
  // its own durable transaction, with the signatures of one batch checked
  // while the previous one is written. On an error, the batches before it
  // stay stored. |progress| is called with the count done after each batch.
  using IngestProgress = std::function<void(size_t done)>;
  Result<std::vector<IngestOutcome>> IngestMany(const std::string& workspace, std::span<const Document> docs,
                                                size_t batch_size = 1000, const IngestProgress& progress = {});

  // The same for documents that arrive in parts (a pub's listing, parsed
  // part by part): each Add() is one IngestBatch-like durable transaction
  // whose signatures start being checked at once, on every core, while the
  // caller prepares the next part and the part before is written. At most
  // two parts are in flight; Add() writes the older one before it returns.
  class Ingester {
   public:
    ~Ingester();  // waits for checks still running (nothing more is written)
    Ingester(Ingester&&) noexcept;
    // |docs| must stay alive until Finish() returns. After an error every
    // call returns it (the parts written before it stay stored).
    Status Add(std::span<const Document> docs);
    // Writes what is left; the outcomes of every part, in order.
    Result<std::vector<IngestOutcome>> Finish();

   private:
    friend class Store;
    struct State;
    explicit Ingester(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
  };
  Ingester StartIngest(const std::string& workspace, IngestProgress progress = {});

  // A local write: timestamp = max(now, newest at path + 1) so that it wins,
  // then sign, validate and store, all in one transaction. |delete_after|
  // is an absolute time; it moves with a bumped timestamp.
  // Group commit: Set calls that arrive while another commit runs are
  // queued; the first of them in line then takes everything queued and
  // writes it in one write transaction with one disk flush, and wakes each
  // caller with its own result. A request that fails (NotFound workspace,
  // InvalidDocument) fails alone; the others are stored. A caller that is
  // alone commits at once (no waiting for company). Storage when the commit
  // fails (every request of that commit gets it). Thread-safe; |signer| may
  // be called from another caller's thread.
  Result<Document> Set(const Signer& signer, const std::string& workspace, const std::string& path,
                       std::string content, std::optional<int64_t> delete_after = std::nullopt);
  // Many local writes, all signed, validated and stored in one write
  // transaction (one flush, shared with concurrent Set calls as above), or
  // none: then the first failure's Status, whose message names its path.
  // Timestamps as Set: each one wins locally; of two requests for one path,
  // the later one wins. The contents are copied (a 4 MB document too).
  Result<std::vector<Document>> SetMany(const Signer& signer, std::span<const SetRequest> requests);
  // For tests: the next commit of queued local writes waits until at least
  // |requests| of them are queued (then the hold ends), so that batching
  // can be checked without relying on timing. 0 cancels a hold.
  void HoldCommitsForTest(size_t requests);

  // The winning document at a path, ignoring expired ones; nullopt if none.
  Result<std::optional<Document>> Winner(const std::string& workspace, const std::string& path) const;
  // The same winner read in place: |visit| runs with views into the store
  // (valid only during the call) unless there is no winner (false). For
  // sizes, times and existence, and one copy of the content at most.
  // kContent: |visit| reads all of the content (it is mapped in one go first).
  enum class WinnerUse { kMetadata, kContent };
  Result<bool> VisitWinner(const std::string& workspace, const std::string& path,
                           const std::function<void(const DocView&)>& visit,
                           WinnerUse use = WinnerUse::kMetadata) const;
  // The local sequence number of the winner at a path, read from the
  // winner index without touching content: it changes whenever the winner
  // does. 0 if there is none, or if the indexed winner has expired (the
  // caller then knows nothing and should assume a change).
  Result<uint64_t> WinnerSeq(const std::string& workspace, const std::string& path) const;
  // One author's document at a path (expired ones left out).
  Result<std::optional<Document>> GetDocument(const std::string& workspace, const std::string& path,
                                              const std::string& author) const;
  // Every author's document at a path, newest first (expired ones left out).
  Result<std::vector<Document>> Versions(const std::string& workspace, const std::string& path) const;
  // The direct children of a folder |prefix| ("/" or "/wiki/"), by name:
  // winners (tombstones included) and sub-folders. Skips sub-trees, so the
  // cost grows with the number of children, not of documents below.
  Result<std::vector<DirEntry>> ListFolder(const std::string& workspace, const std::string& prefix) const;
  // True if some living, non-empty winner lies below folder |prefix|
  // ("/wiki/"): the folder exists on the network side.
  Result<bool> FolderExists(const std::string& workspace, const std::string& prefix) const;
  // Documents by one author (newest of theirs per path), in path order.
  Result<std::vector<Document>> ByAuthor(const std::string& workspace, const std::string& author) const;
  // Documents with from <= timestamp < to, oldest first.
  Result<std::vector<Document>> ByTime(const std::string& workspace, int64_t from, int64_t to,
                                       size_t limit = SIZE_MAX) const;
  // Every document of the workspace (history included), path order.
  Result<std::vector<Document>> AllDocuments(const std::string& workspace) const;

  // The reference's documents(query) and paths(query) (spec §10.1).
  Result<std::vector<Document>> QueryDocuments(const std::string& workspace, const Query& query) const;
  Result<std::vector<std::string>> QueryPaths(const std::string& workspace, const Query& query) const;

  // The change feed: changes with seq > |after|, oldest first, at most |limit|.
  Result<std::vector<Change>> ChangesSince(uint64_t after, size_t limit = SIZE_MAX) const;
  Result<uint64_t> LastSeq() const;
  // How many write transactions that changed something this store has
  // committed, ever (each one a write and a flush to disk). For tests and
  // benchmarks that check that nothing is written.
  uint64_t CommitCount() const;

  // Local, never synced: the attributes a user set on a document's file.
  // kNow: in the store when this returns. kSoon: seen by GetLocalAttrs at
  // once and written within kLocalAttrsDelayMs, many in one transaction (or
  // at FlushLocalAttrs, or when the store closes), as a disk keeps inode
  // changes in its journal for a few seconds: tar and rsync set the time
  // of every file they write, and a durable commit each doubled their cost.
  enum class Durability { kNow, kSoon };
  static constexpr int kLocalAttrsDelayMs = 200;
  Status SetLocalAttrs(const std::string& workspace, const std::string& path, const LocalAttrs& attrs,
                       Durability durability = Durability::kNow);
  // nullopt when none were set. For a document other than the one they
  // were set on (|current_signature| differs): the mode alone, if one was
  // set, with |signature| = |current_signature|.
  Result<std::optional<LocalAttrs>> GetLocalAttrs(const std::string& workspace, const std::string& path,
                                                  const std::string& current_signature) const;
  // Writes every kSoon change still pending; the error of the last failed
  // attempt, if the write fails again.
  Status FlushLocalAttrs();
  // The same, but only if a change of this path is pending (fsync of one
  // file must not pay for writing what other files changed).
  Status FlushLocalAttrs(const std::string& workspace, const std::string& path);

  // Small local, never-synced values (sync progress and status): keys are
  // free text, values JSON.
  Status SetLocalValue(const std::string& key, const OrderedJson& value);
  Result<std::optional<OrderedJson>> GetLocalValue(const std::string& key) const;

  // Removes expired ephemeral documents (and fixes winners); returns how many.
  Result<size_t> SweepExpired();

  // Size of the LMDB map (grows on demand) — for status and tests.
  size_t map_bytes() const;
  // Lets go of the store pages this process has mapped (they count in its
  // RSS); they stay in the OS page cache. For long-running readers.
  void ReleaseMappedPages();

  // Durability (DESIGN decision 4): a write that returned OK is committed —
  // in the store for every process, surviving any crash of esfs — with one
  // disk flush. Sync() makes everything committed so far survive a power
  // cut too (one more flush); fsync in the mount calls it, and so does the
  // destructor. Storage on failure. Thread-safe.
  Status Sync();

  // Opaque outside core/store*.cc (declared public only so that the
  // helpers in those files can name it).
  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  void StopLocalAttrsWriter();
  std::unique_ptr<Impl> impl_;
};

}  // namespace esfs::core
