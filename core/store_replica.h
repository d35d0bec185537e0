// The document replica: the part of the store (core/store.h) that holds
// the documents themselves. Ingest from peers (spec §9), local writes
// (Set, SetMany, with group commit), the winner of each path, the
// reference's queries, expiry, and the change log that sync pushes from
// and mounts follow.
//
// Owns the databases docs, winners, by_author, by_time, expiry, changes, by_seq
// and meta's "seq" counter (docs/store.md). Per workspace and path it keeps
// the newest document of each author and an index of the winner. Every
// stored document gets a local sequence number from a store-wide counter.
//
// Thread safety: every method may be called from any thread at once. Each
// read is one LMDB read transaction (a snapshot; readers never wait for
// writers); each write is one write transaction (writers of all processes
// take turns). Local writes queue for the committer (Committer::mu, a
// mutex never held across a transaction; nothing else is locked under it).
//
// Status codes: NotFound when the workspace is not in the store;
// InvalidDocument for a local write that es.4 forbids; InvalidArgument for
// malformed arguments; Storage when LMDB fails (a full disk, an unlinked
// store file); Corruption for damaged records. A document that is missing
// or expired is an ordinary answer (nullopt, false, 0), never an error.
//
// Durability (DESIGN decision 4): a write that returned OK is committed: in
// the store for every process and safe from any crash of esfs, at the cost
// of one disk flush. Store::Sync() makes it survive a power cut too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/document.h"
#include "core/query.h"
#include "core/signer.h"
#include "core/status.h"

namespace esfs::core {

struct StoreState;

enum class IngestResult { kAccepted, kIgnored, kInvalid };
const char* IngestResultName(IngestResult r);  // "ACCEPTED", "IGNORED", "INVALID"

struct IngestOutcome {
  IngestResult result = IngestResult::kInvalid;
  std::string reason;  // why INVALID (the reference's message) or IGNORED
  uint64_t seq = 0;    // the new sequence number when ACCEPTED
  // ACCEPTED and replaced a save made here moments before (a conflict,
  // kConflictWindowMicros in core/store_local.h): that save's author.
  std::string conflict_with;
};

// One change in the feed.
struct Change {
  uint64_t seq = 0;
  std::string workspace;
  std::string path;
  std::string author;
  bool removed = false;  // the document was dropped (expired), not replaced
};

// One local write for Replica::SetMany: what Replica::Set takes.
struct SetRequest {
  std::string workspace, path, content;
  std::optional<int64_t> delete_after;  // absolute time; moves with a bumped timestamp
};

class Replica {
 public:
  // Made by Store::Open only; lives as long as its Store.
  explicit Replica(StoreState& state);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // ---- ingest (spec §9) ----

  // Ingest at the store's clock: validation, workspace check, per-author
  // replacement. NotFound if the workspace is not in the store.
  Result<IngestOutcome> Ingest(const std::string& workspace, const Document& doc);
  // Like Ingest for a JSON value, with the reference's format check first.
  Result<IngestOutcome> IngestJson(const std::string& workspace, const OrderedJson& json);
  // Many documents in one write transaction; signatures are verified in
  // parallel beforehand, and documents already stored are not verified again.
  Result<std::vector<IngestOutcome>> IngestBatch(const std::string& workspace, std::span<const Document> docs);
  // Many documents as consecutive IngestBatch calls of |batch_size|, each
  // its own transaction, with the signatures of one batch checked while
  // the previous one is written. On an error, the batches before it stay
  // stored. |progress| is called with the count done after each batch.
  using IngestProgress = std::function<void(size_t done)>;
  Result<std::vector<IngestOutcome>> IngestMany(const std::string& workspace, std::span<const Document> docs,
                                                size_t batch_size = 1000, const IngestProgress& progress = {});

  // The same for documents that arrive in parts (a pub's listing, parsed
  // part by part): each Add() is one IngestBatch-like transaction whose
  // signatures start being checked at once, on every core, while the
  // caller prepares the next part and the part before is written. At most
  // two parts are in flight; Add() writes the older one before it returns.
  // One Ingester is used by one thread at a time.
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
    friend class Replica;
    struct State;
    explicit Ingester(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
  };
  Ingester StartIngest(const std::string& workspace, IngestProgress progress = {});

  // ---- local writes ----

  // A local write: timestamp = max(now, newest at path + 1) so that it wins,
  // then sign, validate and store. |delete_after| is an absolute time; it
  // moves with a bumped timestamp.
  // Group commit: Set calls that arrive while another commit runs are
  // queued; the first of them in line then takes everything queued and
  // writes it in one write transaction with one disk flush, and wakes each
  // caller with its own result. A request that fails (NotFound workspace,
  // InvalidDocument) fails alone; the others are stored. A caller that is
  // alone commits at once (no waiting for company). Storage when the commit
  // fails (every request of that commit gets it). |signer| may be called
  // from another caller's thread.
  Result<Document> Set(const Signer& signer, const std::string& workspace, const std::string& path, std::string content,
                       std::optional<int64_t> delete_after = std::nullopt);
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

  // ---- winners, versions, queries ----

  // The winning document at a path, ignoring expired ones; nullopt if none.
  Result<std::optional<Document>> Winner(const std::string& workspace, const std::string& path) const;
  // The same winner read in place: |visit| runs with views into the store
  // (valid only during the call) unless there is no winner (false). For
  // sizes, times and existence, and one copy of the content at most.
  // kContent: |visit| reads all of the content (it is mapped in one go first).
  // kDecodedSize: |visit| computes DecodedSize (core/content_codec.h); content
  // that it reads all of is mapped in one go first.
  enum class WinnerUse { kMetadata, kContent, kDecodedSize };
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

  // ---- expiry and the change log ----

  // Removes expired ephemeral documents (and fixes winners), writing an
  // X entry to the change log for each; returns how many.
  Result<size_t> SweepExpired();
  // The change feed: changes with seq > |after|, oldest first, at most
  // |limit|. One entry per current document plus one per swept one.
  Result<std::vector<Change>> ChangesSince(uint64_t after, size_t limit = SIZE_MAX) const;
  // The newest sequence number (0 for an empty store).
  Result<uint64_t> LastSeq() const;

  // Where conflicts are logged (one line each: the path and both authors,
  // escaped). Call before other threads use the store.
  void SetLog(std::function<void(const std::string&)> log);

  // ---- numbers per workspace (core/store_replica_seq.cc) ----

  // Every stored document of a workspace has the sequence number it was
  // stored with; within a workspace they only grow, and a document that
  // replaces another gets a new one. DocumentsAfter reads the documents
  // numbered above |after| in number order (expired ones left out), at
  // most |limit| of them and, past the first, about |max_bytes|.
  struct SeqPage {
    std::vector<Document> docs;
    uint64_t next = 0;  // ask for what came after this next
    uint64_t last = 0;  // the workspace's newest number now
    bool more = false;  // documents above |next| are waiting
  };
  Result<SeqPage> DocumentsAfter(const std::string& workspace, uint64_t after, size_t limit = 1000,
                                 size_t max_bytes = size_t{8} << 20) const;
  // The |n| documents of a workspace with the highest numbers (the ones
  // that arrived last), newest first, expired ones left out.
  Result<std::vector<Document>> LatestBySeq(const std::string& workspace, size_t n) const;
  // The id of this store's numbering: numbers from another id mean nothing here.
  Result<std::string> StoreId() const;

 private:
  struct Committer;  // core/store_replica_commit.cc
  StoreState& state_;
  std::unique_ptr<Committer> committer_;
};

}  // namespace esfs::core
