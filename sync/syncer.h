// Sync between the store and the pubs of each workspace (DESIGN decision 11).
//
// One pass for a (workspace, pub): pull every document the pub has,
// validate and ingest them (invalid ones are counted, logged and never
// stored); then push what the pub may lack: the store's changes since the
// last successful push to that pub (the change feed), in batches under the
// pub's body limit. Progress per (workspace, pub) is kept in the store
// (local values), so a push that was cut off is resumed, and a document is
// never lost or sent twice within one successful pass.
//
// Running: Start() gives every (workspace, pub) its own thread: a pass,
// then the pub's event stream for live pulls while local changes are
// pushed as they appear; on any error, retry with exponential backoff and
// jitter. Nothing here is ever called from a FUSE callback.
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
#include <vector>

#include "core/store.h"
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

PubStatus LoadPubStatus(const core::Store& store, const std::string& workspace, const std::string& pub);

class Syncer {
 public:
  Syncer(core::Store& store, SyncLog log, HttpOptions http = {});
  ~Syncer();  // stops the threads

  // One pass for |workspace| with |pub| (progress optional).
  Result<PassReport> SyncOnce(const std::string& workspace, const std::string& pub,
                              const SyncProgress& progress = nullptr);

  // Background sync of every workspace with pubs (re-read every few
  // seconds, so workspaces and pubs added later are picked up).
  void Start();
  void Stop();

 private:
  struct Worker;
  void Supervise();
  void RunWorker(Worker* worker);
  Status PushPending(PubClient& client, const std::string& workspace, const std::string& pub,
                     const std::vector<std::string>& only, size_t* pushed, const SyncProgress& progress);
  void RecordError(const std::string& workspace, const std::string& pub, const std::string& error);

  core::Store& store_;
  SyncLog log_;
  HttpOptions http_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards workers_ and wakes the sleepers
  std::condition_variable wake_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
  std::thread supervisor_;
};

}  // namespace esfs::sync
