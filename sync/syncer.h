// Sync between the store and the pubs of each workspace (DESIGN decision 11).
//
// One pass for a (workspace, pub): pull every document the pub has,
// validate and ingest them (invalid ones are counted, logged and never
// stored); then push exactly what the pub lacks, judged from that full
// listing (not from memory of earlier pushes: a pub restarted without its
// data, or killed half way through a push, gets the missing ones again),
// in batches under the pub's body limit. Between passes, the live pusher
// sends the store's changes since the last push to that pub (the position
// is kept per (workspace, pub) in the store). It is woken by the process's
// change feed (core/change_feed.h) when a change of its workspace arrives:
// nothing polls the store.
//
// Selective sync: a workspace config {"only": ["/wiki/", ...]} limits
// pull, push, the live stream and the live pusher to paths starting with
// one of the prefixes (plain string prefixes; docs/sync.md).
//
// Running: Start() gives every (workspace, pub) its own worker thread (or,
// after LimitToWorkspace, those of one workspace only: a one-workspace
// mount syncs only what it shows): a
// pass, then the pub's event stream for live pulls while local changes are
// pushed as they appear; on any error, retry with exponential backoff and
// jitter (sync/backoff.h). A supervisor thread re-reads the workspaces at
// each look of the change feed (any commit, by any process) and at least
// every minute: it starts workers for new (workspace, pub) pairs and stops
// those of a workspace removed or a pub taken out of its config (their
// transfers are cancelled; the worker's thread ends); a worker whose
// workspace's "only" prefixes changed is stopped and started again, so the
// new prefixes hold from its next pass on. Nothing here is ever
// called from a FUSE callback.
//
// Threads and locks: the supervisor, per worker one thread for the pass and
// the stream plus one live pusher while the stream is open. Lock order:
// mu_ (workers_), then a worker's own mutex; status_mu_ is a leaf; no lock
// is held across HTTP or a store write except status_mu_ (one status
// write).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/change_feed.h"
#include "core/store.h"
#include "sync/backoff.h"
#include "sync/pub_client.h"

namespace esfs::sync {

struct PassReport {
  std::string workspace;
  std::string pub;
  size_t pulled = 0;    // documents the pub sent
  size_t accepted = 0;  // of those, new to us
  size_t invalid = 0;   // rejected by validation
  size_t pushed = 0;    // documents we sent
  int64_t pub_ingested = 0;
};

// What `esfs status` shows for one (workspace, pub); kept in the store.
struct PubStatus {
  uint64_t pushed_seq = 0;      // every change up to here is on the pub
  int64_t last_success_us = 0;  // last complete pass (µs since epoch), 0: never
  std::string last_error;       // empty after a success
  uint64_t invalid_total = 0;   // invalid documents the pub sent, ever
};

using SyncLog = std::function<void(const std::string&)>;
using SyncProgress = std::function<void(const std::string& phase, size_t done, size_t total)>;

// The workspace config's list of pubs and path prefixes ("only").
std::vector<std::string> PubsOf(const core::OrderedJson& config);
std::vector<std::string> OnlyPrefixesOf(const core::OrderedJson& config);
// True if |path| is synced under |only| (empty: everything is).
bool PathSelected(const std::string& path, const std::vector<std::string>& only);
// Local changes to |workspace| within |only| not yet pushed to |pub|.
Result<size_t> PendingPushes(const core::Store& store, const std::string& workspace, const std::string& pub,
                             const std::vector<std::string>& only);

PubStatus LoadPubStatus(const core::Store& store, const std::string& workspace, const std::string& pub);

class Syncer {
 public:
  // |backoff|: the wait between failed passes (and after live streams that
  // end at once); tests shorten it.
  // |feed|: the process's change feed (it must outlive the syncer); null:
  // Start() starts one of its own.
  Syncer(core::Store& store, SyncLog log, HttpOptions http = {}, BackoffPolicy backoff = {},
         core::ChangeFeed* feed = nullptr);
  ~Syncer();  // stops the threads

  // One pass for |workspace| with |pub| (progress optional).
  Result<PassReport> SyncOnce(const std::string& workspace, const std::string& pub,
                              const SyncProgress& progress = nullptr);

  // What a pub holds, from its full listing: per "path\nauthor" the
  // timestamp and signature of its copy.
  struct Held {
    int64_t timestamp = 0;
    std::string signature;
  };
  using Holdings = std::unordered_map<std::string, Held>;

  // Background sync of every workspace with pubs (workspaces and pubs added
  // or removed later are picked up, see above). Without a feed given, one
  // is started here; if that fails, it is logged and nothing runs.
  void Start();
  void Stop();
  // Before Start(): sync only |workspace| (the others' pubs are left alone).
  void LimitToWorkspace(std::string workspace) { only_workspace_ = std::move(workspace); }
  // Pubs that every workspace syncs with besides those of its config
  // (`esfs pub --peer`), limited to |workspaces| unless that is empty.
  // Call before Start().
  void SetPeers(std::vector<std::string> pubs, std::vector<std::string> workspaces);

  // For tests. The (workspace, pub) pairs whose worker thread runs now, as
  // "workspace pub".
  std::vector<std::string> RunningWorkers() const;
  // How many times live pushers read the store's changes: when the feed
  // brings a change of their workspace, once as each live stream opens, and
  // after a failed push; never on a timer.
  uint64_t live_push_looks() const { return live_push_looks_.load(); }

 private:
  struct Worker;
  struct Live;
  // A pass with |base| (a worker's HTTP options, cancelled when it stops).
  Result<PassReport> Pass(const HttpOptions& base, const std::string& workspace, const std::string& pub,
                          const SyncProgress& progress);
  // The supervisor and the steps of a worker (sync/syncer_live.cc).
  void Supervise();
  void ReconcileWorkers();
  void RunWorker(Worker& worker);
  bool PassStep(Worker& worker);
  Status LiveStep(Worker& worker);
  void AfterStreamStep(Worker& worker, const Status& streamed);
  void RunLivePusher(Worker& worker, Live& live);
  bool CatchUpPull(Worker& worker, Live& live);
  void PushLive(Worker& worker, Live& live);
  void FlushStreamRejects(Worker& worker, Live& live);
  Status PullAll(PubClient& client, const std::string& workspace, const std::string& pub,
                 const std::vector<std::string>& only, const SyncProgress& progress, PassReport* report,
                 Holdings* held);
  Status PushMissing(PubClient& client, const std::string& workspace, const std::string& pub,
                     const std::vector<std::string>& only, const Holdings& held, const SyncProgress& progress,
                     size_t* pushed);
  Status PushPending(PubClient& client, const std::string& workspace, const std::string& pub,
                     const std::vector<std::string>& only, size_t* pushed, const SyncProgress& progress,
                     const Holdings* held = nullptr);
  // The pass with an esfs pub's incremental extension (sync/syncer_incremental.cc):
  // pull what it numbered after the last pass, push our changes since then.
  Status IncrementalPass(PubClient& client, const std::string& workspace, const std::string& pub,
                         const std::vector<std::string>& only, const SyncProgress& progress, PassReport* report);
  void RecordError(const std::string& workspace, const std::string& pub, const std::string& error);
  void UpdateStatus(const std::string& workspace, const std::string& pub,
                    const std::function<void(PubStatus&)>& change);

  core::Store& store_;
  SyncLog log_;
  HttpOptions http_;
  BackoffPolicy backoff_;
  core::ChangeFeed* feed_;
  std::unique_ptr<core::ChangeFeed> own_feed_;  // when none was given
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> live_push_looks_{0};
  std::mutex status_mu_;          // one status update (load, change, save) at a time
  mutable std::mutex mu_;         // guards workers_ and supervise_due_; before a worker's mutex
  std::condition_variable wake_;  // the supervisor waits here
  bool supervise_due_ = false;    // the feed looked since the last reconcile
  std::map<std::string, std::unique_ptr<Worker>> workers_;  // by "workspace pub"
  std::string only_workspace_;                              // empty: every workspace; set before Start()
  std::vector<std::string> peers_, peer_workspaces_;        // SetPeers; read-only once started
  std::thread supervisor_;
};

}  // namespace esfs::sync
