// Sync between the store and the pubs of each workspace (DESIGN decision 11).
//
// One pass for a (workspace, pub): pull every document the pub has,
// validate and ingest them (invalid ones are counted, logged and never
// stored); then push exactly what the pub lacks, judged from that full
// listing (not from memory of earlier pushes: a pub restarted without its
// data, or killed half way through a push, gets the missing ones again),
// in batches under the pub's body limit. Between passes, the live pusher
// sends the store's changes since the last push to that pub (the change
// feed; the position is kept per (workspace, pub) in the store).
//
// Selective sync: a workspace config {"only": ["/wiki/", ...]} limits
// pull, push, the live stream and the live pusher to paths starting with
// one of the prefixes (plain string prefixes; docs/sync.md).
//
// Running: Start() gives every (workspace, pub) its own thread: a pass,
// then the pub's event stream for live pulls while local changes are
// pushed as they appear; on any error, retry with exponential backoff and
// jitter (sync/backoff.h). Nothing here is ever called from a FUSE callback.
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
  uint64_t pushed_seq = 0;          // every change up to here is on the pub
  int64_t last_success_us = 0;      // last complete pass (µs since epoch), 0: never
  std::string last_error;           // empty after a success
  uint64_t invalid_total = 0;       // invalid documents the pub sent, ever
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
  Syncer(core::Store& store, SyncLog log, HttpOptions http = {}, BackoffPolicy backoff = {});
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

  // Background sync of every workspace with pubs (re-read every few
  // seconds, so workspaces and pubs added later are picked up).
  void Start();
  void Stop();

 private:
  struct Worker;
  void Supervise();
  void RunWorker(Worker* worker);
  Status PullAll(PubClient& client, const std::string& workspace, const std::string& pub,
                 const std::vector<std::string>& only, const SyncProgress& progress, PassReport* report,
                 Holdings* held);
  Status PushMissing(PubClient& client, const std::string& workspace, const std::string& pub,
                     const std::vector<std::string>& only, const Holdings& held, const SyncProgress& progress,
                     size_t* pushed);
  Status PushPending(PubClient& client, const std::string& workspace, const std::string& pub,
                     const std::vector<std::string>& only, size_t* pushed, const SyncProgress& progress);
  void RecordError(const std::string& workspace, const std::string& pub, const std::string& error);
  void UpdateStatus(const std::string& workspace, const std::string& pub,
                    const std::function<void(PubStatus&)>& change);

  core::Store& store_;
  SyncLog log_;
  HttpOptions http_;
  BackoffPolicy backoff_;
  std::atomic<bool> stop_{false};
  std::mutex status_mu_;  // one status update (load, change, save) at a time
  std::mutex mu_;  // guards workers_ and wakes the sleepers
  std::condition_variable wake_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
  std::thread supervisor_;
};

}  // namespace esfs::sync
