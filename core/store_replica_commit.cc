// Local writes (Replica::Set, Replica::SetMany) and their group commit.
//
// Every local write is a LocalWrite: one Set, or a SetMany whose requests
// stand or fall together. Callers queue it under Committer::mu. The caller
// at the front of the queue is the leader: it takes everything queued (up
// to a bound), lets go of the lock, runs one write transaction for the lot,
// commits once (one disk flush with MDB_NOMETASYNC), then marks each one
// done and hands the lead to the next caller in line. A caller alone in the
// queue leads at once: no added latency. The pattern is leveldb's
// DBImpl::Write (writers queue; the front one writes the group).
//
// Failure of one LocalWrite does not fail the others. A write that fails
// before it changed anything in the transaction (an unknown workspace, an
// invalid path) just keeps its error. One that fails after writing part of
// itself (the second request of a SetMany) cannot be taken back inside the
// transaction: the transaction is aborted and run again without it.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>

#include "core/signing.h"
#include "core/store_replica.h"
#include "core/store_state.h"
#include "core/validate.h"

namespace esfs::core {

using namespace store_codec;

// Bounds of one commit, so that the leader's own latency stays bounded
// under a flood (the leader's own write is always taken, whatever its size).
constexpr size_t kMaxBatchRequests = 1024;
constexpr size_t kMaxBatchBytes = size_t{32} << 20;

namespace {

struct LocalWrite {
  struct Item {
    const std::string* workspace;
    const std::string* path;
    std::optional<int64_t> delete_after;
    Document doc;  // content filled in by the caller; the rest by the commit
  };
  const Signer* signer = nullptr;
  std::vector<Item> items;
  size_t content_bytes = 0;
  // Written by the leader, read by the caller once |done|.
  Status status = Status::Ok();
  bool left_out = false;  // failed after writing: not in the transaction's next run
  bool done = false;      // guarded by Replica::Committer::mu
  std::condition_variable wake;
};

}  // namespace

// Callers queue a LocalWrite; the one at the front commits everything
// queued behind it in one write transaction, then wakes the others.
struct Replica::Committer {
  // Guards the members below. Never held across a transaction or a
  // flush, and nothing else is locked while holding it.
  std::mutex mu;
  std::deque<LocalWrite*> queue;   // the front one is committing or about to
  size_t queued_requests = 0;      // requests in |queue|
  size_t hold_until = 0;           // HoldCommitsForTest: 0 = no hold
  std::condition_variable queued;  // a request was queued or the hold changed

  // Queues |w| and returns once it is committed or failed (w.status).
  void Commit(StoreState& state, LocalWrite& w);
};

Replica::Replica(StoreState& state) : state_(state), committer_(std::make_unique<Committer>()) {}
Replica::~Replica() = default;

namespace {

// One request: timestamp, sign, validate, store. |*wrote| tells whether it
// may have changed the transaction (an error after that point).
Status ApplyItem(StoreState& state, WriteTxn& txn, const Signer& signer, LocalWrite::Item& item, bool* wrote) {
  const std::string& workspace = *item.workspace;
  const std::string& path = *item.path;
  auto ws = state.WorkspaceId(txn, workspace);
  if (!ws.ok()) return ws.status().WithContext("doc " + path);
  const int64_t now = state.Now();
  Document& doc = item.doc;
  doc.workspace = workspace;
  doc.path = path;
  doc.timestamp = now;
  doc.deleteAfter.reset();
  // Reads the transaction: a request earlier in this commit for the same
  // path is seen, so the later one gets the later timestamp and wins.
  auto versions = state.VersionsAt(txn, *ws, workspace, path, /*with_content=*/false);
  if (const StoredDoc* latest = StoreState::PickWinner(versions, now)) {
    doc.timestamp = std::max(now, latest->doc.timestamp + 1);
  }
  if (item.delete_after) doc.deleteAfter = *item.delete_after + (doc.timestamp - now);
  signer.SignHashed(doc);  // Set hashed the content
  // The signer's key pair was checked when it was loaded (core/signer.h):
  // verifying the signature just made would double the CPU of a save, and
  // the content hash was made from this content by Set (hashing it again
  // would double a big save's hashing).
  if (Status valid = ValidateOwnDocument(doc, now); !valid.ok()) {
    return Status::InvalidDocument("doc " + path + ": " + valid.message());
  }
  *wrote = true;
  auto applied = ApplyValidated(state, txn, *ws, workspace, doc, now, /*local_write=*/true);
  if (!applied.ok()) return applied.status().WithContext("doc " + path);
  if (applied->result != IngestResult::kAccepted) {
    return Status::Storage("doc " + path + ": local write was not accepted: " + applied->reason);
  }
  return Status::Ok();
}

Status ApplyLocalWrite(StoreState& state, WriteTxn& txn, LocalWrite& w, bool* wrote) {
  for (LocalWrite::Item& item : w.items) {
    // Every error of ApplyItem names the path it is about.
    if (Status s = ApplyItem(state, txn, *w.signer, item, wrote); !s.ok()) return s;
  }
  return Status::Ok();
}

// One write transaction for every LocalWrite of |batch| that can be stored.
void RunBatch(StoreState& state, const std::vector<LocalWrite*>& batch) {
  for (;;) {
    LocalWrite* spoiler = nullptr;  // failed after writing: run again without it
    Status committed = state.env->Write([&](WriteTxn& txn) -> Status {
      spoiler = nullptr;
      for (LocalWrite* w : batch) {
        if (w->left_out) continue;
        bool wrote = false;
        w->status = ApplyLocalWrite(state, txn, *w, &wrote);
        if (w->status.ok()) continue;
        // A full map: LmdbEnv::Write grows it and runs all of this again.
        if (txn.last_rc() == MDB_MAP_FULL) return w->status;
        if (wrote) {
          spoiler = w;
          return w->status;
        }
      }
      // Nothing stored (every write failed alone): the commit is empty and
      // LMDB writes nothing.
      return Status::Ok();
    });
    if (spoiler != nullptr) {
      spoiler->left_out = true;
      continue;
    }
    if (!committed.ok()) {
      for (LocalWrite* w : batch) {
        if (!w->left_out && w->status.ok()) w->status = committed;
      }
    }
    return;
  }
}

}  // namespace

void Replica::Committer::Commit(StoreState& state, LocalWrite& w) {
  std::unique_lock lock(mu);
  queue.push_back(&w);
  queued_requests += w.items.size();
  if (hold_until > 0) queued.notify_all();
  w.wake.wait(lock, [&] { return w.done || queue.front() == &w; });
  if (w.done) return;
  // This caller leads the next commit.
  if (hold_until > 0) {
    queued.wait(lock, [&] { return hold_until == 0 || queued_requests >= hold_until; });
    hold_until = 0;
  }
  std::vector<LocalWrite*> batch;
  size_t requests = 0, bytes = 0;
  for (LocalWrite* queued : queue) {
    if (!batch.empty() &&
        (requests + queued->items.size() > kMaxBatchRequests || bytes + queued->content_bytes > kMaxBatchBytes)) {
      break;
    }
    batch.push_back(queued);
    requests += queued->items.size();
    bytes += queued->content_bytes;
  }
  lock.unlock();
  try {
    RunBatch(state, batch);
  } catch (const std::exception& e) {  // allocation: nothing may leave the others waiting
    for (LocalWrite* b : batch) b->status = Status::Storage(std::string("local write failed: ") + e.what());
  }
  lock.lock();
  for (LocalWrite* b : batch) {
    queue.pop_front();
    queued_requests -= b->items.size();
    b->done = true;
    if (b != &w) b->wake.notify_one();
  }
  if (!queue.empty()) queue.front()->wake.notify_one();
}

Result<Document> Replica::Set(const Signer& signer, const std::string& workspace, const std::string& path,
                              std::string content, std::optional<int64_t> delete_after) {
  LocalWrite w;
  w.signer = &signer;
  w.content_bytes = content.size();
  w.items.push_back({&workspace, &path, delete_after, Document{}});
  // Moved in once, outside the transaction, which may run again (a full
  // map grows and retries): a 4 MB save is not copied again.
  w.items[0].doc.content = std::move(content);
  // Hashed here, in the saver's thread: the commit's leader signs for
  // every saver queued behind it, and 4 MB take milliseconds to hash.
  w.items[0].doc.contentHash = ContentHash(w.items[0].doc.content);
  committer_->Commit(state_, w);
  if (!w.status.ok()) return w.status;
  return std::move(w.items[0].doc);
}

Result<std::vector<Document>> Replica::SetMany(const Signer& signer, std::span<const SetRequest> requests) {
  if (requests.empty()) return std::vector<Document>{};
  LocalWrite w;
  w.signer = &signer;
  w.items.reserve(requests.size());
  for (const SetRequest& r : requests) {
    w.items.push_back({&r.workspace, &r.path, r.delete_after, Document{}});
    w.items.back().doc.content = r.content;
    w.items.back().doc.contentHash = ContentHash(r.content);
    w.content_bytes += r.content.size();
  }
  committer_->Commit(state_, w);
  if (!w.status.ok()) return w.status;
  std::vector<Document> docs;
  docs.reserve(w.items.size());
  for (auto& item : w.items) docs.push_back(std::move(item.doc));
  return docs;
}

void Replica::HoldCommitsForTest(size_t requests) {
  Committer& c = *committer_;
  std::scoped_lock lock(c.mu);
  c.hold_until = requests;
  c.queued.notify_all();
}

}  // namespace esfs::core
