// The syncer in the background (sync/syncer.h): the supervisor that keeps
// one worker per (workspace, pub), and each worker's steps.
#include <algorithm>
#include <random>
#include <set>

#include "core/printable.h"
#include "sync/syncer.h"
#include "sync/syncer_internal.h"

namespace esfs::sync {

using internal::kLiveRetryMs;
using internal::kStreamSettledMs;
using internal::kSuperviseSafetyMs;
using internal::StreamTally;

// One (workspace, pub). Its thread runs RunWorker; the supervisor creates,
// stops and joins it.
struct Syncer::Worker {
  Worker(std::string ws, std::string p, std::vector<std::string> prefixes, const HttpOptions& base)
      : workspace(std::move(ws)), pub(std::move(p)), only(std::move(prefixes)), http(base) {
    http.cancel = &cancel;
  }
  bool stopping() const { return cancel.load(); }
  // Cancels its transfers and ends its waits; the thread then ends.
  void Stop() {
    {
      std::scoped_lock lock(mu);
      cancel = true;
    }
    wake.notify_all();
  }
  // Waits |d|, or less if it is stopped.
  void SleepFor(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    wake.wait_for(lock, d, [this] { return cancel.load(); });
  }
  double Unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

  const std::string workspace;
  const std::string pub;
  const std::vector<std::string> only;  // the config's prefixes when it started
  std::atomic<bool> cancel{false};      // set by Stop(); every transfer of this worker watches it
  HttpOptions http;                     // the syncer's, cancelled by |cancel|
  std::atomic<bool> running{true};      // false once RunWorker returned
  // Guards the waits of this worker and of its live session (Live's
  // fields marked so). After Syncer::mu_ in the lock order.
  std::mutex mu;
  std::condition_variable wake;
  // Only the worker's own thread touches these.
  std::mt19937 rng{std::random_device{}()};
  int failures = 0;     // passes failed in a row
  int quick_drops = 0;  // live streams in a row that failed or ended within kStreamSettledMs
  bool stream_settled = false;
  std::thread thread;
};

// One live session of a worker: its event stream (on the worker's thread)
// and its live pusher (a thread of its own), until the stream ends.
struct Syncer::Live {
  Live(const Worker& worker, std::vector<std::string> prefixes)
      : only(std::move(prefixes)), client(worker.pub, worker.http) {}
  const std::vector<std::string> only;
  PubClient client;   // the pusher's
  StreamTally tally;  // the stream's rejections, saved by the pusher
  // Guarded by Worker::mu.
  bool stream_open = false;
  bool stream_done = false;
  bool caught_up = false;     // the catch-up pull after the stream opened is done
  bool dirty = true;          // changes of the workspace may wait to be pushed
  bool first_reject = false;  // the tally was empty and got a rejection: its summary is now due in time
};

// ---- the supervisor ----

Syncer::Syncer(core::Store& store, SyncLog log, HttpOptions http, BackoffPolicy backoff, core::ChangeFeed* feed)
    : store_(store), log_(std::move(log)), http_(std::move(http)), backoff_(backoff), feed_(feed) {
  http_.cancel = &stop_;
}

Syncer::~Syncer() { Stop(); }

void Syncer::Start() {
  if (feed_ == nullptr) {
    auto feed = core::ChangeFeed::Start(store_);
    if (!feed.ok()) {
      log_("sync not started: cannot follow the store's changes: " + feed.status().message());
      return;
    }
    own_feed_ = std::move(feed.value());
    feed_ = own_feed_.get();
  }
  stop_ = false;
  supervisor_ = std::thread([this] { Supervise(); });
}

void Syncer::Stop() {
  {
    std::scoped_lock lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  std::map<std::string, std::unique_ptr<Worker>> workers;
  {
    std::scoped_lock lock(mu_);
    workers.swap(workers_);
  }
  for (auto& [key, worker] : workers) worker->Stop();
  for (auto& [key, worker] : workers) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

std::vector<std::string> Syncer::RunningWorkers() const {
  std::scoped_lock lock(mu_);
  std::vector<std::string> keys;
  for (const auto& [key, worker] : workers_) {
    if (worker->running) keys.push_back(key);
  }
  return keys;
}

void Syncer::Supervise() {
  // Workspaces and their pubs change by commits that change no document:
  // every look of the feed (an empty batch too) is a reason to re-read them.
  const auto id = feed_
                      ->Subscribe(
                          [this](const core::ChangeFeed::Batch&) {
                            {
                              std::scoped_lock lock(mu_);
                              supervise_due_ = true;
                            }
                            wake_.notify_all();
                          },
                          core::ChangeFeed::Wants::kEveryLook)
                      .id;
  while (!stop_) {
    ReconcileWorkers();
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(kSuperviseSafetyMs), [this] { return stop_ || supervise_due_; });
    supervise_due_ = false;
  }
  feed_->Unsubscribe(id);
}

void Syncer::SetPeers(std::vector<std::string> pubs, std::vector<std::string> workspaces) {
  peers_ = std::move(pubs);
  peer_workspaces_ = std::move(workspaces);
}

void Syncer::ReconcileWorkers() {
  auto all = store_.workspaces().List();
  if (!all.ok()) return;
  std::set<std::string> wanted;
  std::vector<std::unique_ptr<Worker>> leaving;
  {
    std::scoped_lock lock(mu_);
    if (stop_) return;
    for (const auto& ws : *all) {
      if (!only_workspace_.empty() && ws.address != only_workspace_) continue;
      const std::vector<std::string> only = OnlyPrefixesOf(ws.config);
      std::vector<std::string> pubs = PubsOf(ws.config);
      const bool peered = peer_workspaces_.empty() || std::find(peer_workspaces_.begin(), peer_workspaces_.end(),
                                                                ws.address) != peer_workspaces_.end();
      for (const auto& peer : peers_) {
        if (peered && std::find(pubs.begin(), pubs.end(), peer) == pubs.end()) pubs.push_back(peer);
      }
      for (const auto& pub : pubs) {
        const std::string key = ws.address + " " + pub;
        auto running = workers_.find(key);
        if (running != workers_.end() && running->second->only != only) {
          // New "only" prefixes: this worker ends, a new one starts below.
          running->second->Stop();
          leaving.push_back(std::move(running->second));
          workers_.erase(running);
          log_("the paths synced of " + ws.address + " with " + pub + " changed; starting again");
        }
        wanted.insert(key);
        if (workers_.contains(key)) continue;
        auto worker = std::make_unique<Worker>(ws.address, pub, only, http_);
        Worker* raw = worker.get();
        worker->thread = std::thread([this, raw] { RunWorker(*raw); });
        workers_[key] = std::move(worker);
      }
    }
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (wanted.contains(it->first)) {
        ++it;
        continue;
      }
      it->second->Stop();
      leaving.push_back(std::move(it->second));
      it = workers_.erase(it);
    }
  }
  // Joined without the lock: a cancelled transfer takes up to a second to
  // notice (libcurl's progress callback).
  for (auto& worker : leaving) {
    worker->thread.join();
    if (!wanted.contains(worker->workspace + " " + worker->pub)) {
      log_("stopped syncing " + worker->workspace + " with " + worker->pub +
           " (the workspace was removed or the pub taken out of its config)");
    }
  }
}

// ---- a worker: its loop and its steps ----

void Syncer::RunWorker(Worker& worker) {
  while (!worker.stopping()) {
    if (!PassStep(worker)) continue;     // 1. a full pass (false: it failed and the backoff was waited)
    Status streamed = LiveStep(worker);  // 2. live stream and live pusher, until the stream ends
    if (worker.stopping()) break;
    AfterStreamStep(worker, streamed);  // 3. the wait before the next pass
  }
  worker.running = false;
}

bool Syncer::PassStep(Worker& worker) {
  auto pass = Pass(worker.http, worker.workspace, worker.pub, nullptr);
  if (!pass.ok()) {
    if (worker.stopping()) return false;
    // Exponential backoff with jitter (sync/backoff.h): 1 s, 2 s, 4 s
    // ... 5 min, each ±50 %.
    const auto wait = BackoffDelay(++worker.failures, worker.Unit(), backoff_);
    log_("sync " + worker.workspace + " with " + worker.pub + " failed: " + pass.status().message() + " (retrying in " +
         std::to_string(wait.count() / 1000.0).substr(0, 4) + " s)");
    worker.SleepFor(wait);
    return false;
  }
  if (worker.failures > 0 || pass->accepted > 0 || pass->pushed > 0) {
    log_("synced " + worker.workspace + " with " + worker.pub + ": " + std::to_string(pass->accepted) +
         " new from the pub, " + std::to_string(pass->pushed) + " sent" +
         (pass->invalid ? ", " + std::to_string(pass->invalid) + " invalid rejected" : ""));
  }
  worker.failures = 0;
  return true;
}

Status Syncer::LiveStep(Worker& worker) {
  auto info = store_.workspaces().Get(worker.workspace);
  Live live(worker, info.ok() ? OnlyPrefixesOf(info->config) : std::vector<std::string>{});
  std::thread pusher([&] { RunLivePusher(worker, live); });
  // Invalid documents from the stream count in `esfs status` as those of
  // a pull do (invalid_total), saved and logged as one summary at most
  // every kStreamTallyMs (by the pusher thread) and when the stream ends:
  // never a store write or a log line per junk event.
  auto reject_event = [&](const std::string& what, const std::string& why) {
    const bool first = !live.tally.UntilDue().has_value();
    live.tally.Add(what, why);
    if (!first) return;
    {
      std::scoped_lock lock(worker.mu);
      live.first_reject = true;
    }
    worker.wake.notify_all();  // the pusher works out when the summary is due
  };
  PubClient streamer(worker.pub, worker.http);
  const auto start = std::chrono::steady_clock::now();
  Status streamed = streamer.Stream(
      worker.workspace,
      [&] {
        {
          std::scoped_lock lock(worker.mu);
          live.stream_open = true;
        }
        worker.wake.notify_all();
      },
      [&](const core::OrderedJson& json) {
        auto doc = core::DocumentFromJson(json);
        if (!doc.ok()) {
          reject_event("a streamed document", doc.status().message());
          return !worker.stopping();
        }
        if (!PathSelected(doc->path, live.only)) return !worker.stopping();
        auto outcome = store_.replica().Ingest(worker.workspace, *doc);
        if (outcome.ok() && outcome->result == core::IngestResult::kInvalid) reject_event(doc->path, outcome->reason);
        return !worker.stopping();
      },
      // Events that are not JSON at all are rejected documents too.
      [&] { reject_event("a streamed event", "not JSON"); });
  {
    std::scoped_lock lock(worker.mu);
    worker.stream_settled =
        live.stream_open && std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(kStreamSettledMs);
    live.stream_done = true;
  }
  worker.wake.notify_all();
  pusher.join();
  FlushStreamRejects(worker, live);
  return streamed;
}

void Syncer::AfterStreamStep(Worker& worker, const Status& streamed) {
  // The stream dropped (or the pub does not stream): sync again soon —
  // after a second if the stream had settled, else with backoff, so a
  // pub whose stream fails at once (404, 500, closed) does not get a full
  // pass every second.
  if (!streamed.ok()) RecordError(worker.workspace, worker.pub, streamed.message());
  if (worker.stream_settled) {
    worker.quick_drops = 0;
    worker.SleepFor(std::chrono::milliseconds(1000));
    return;
  }
  const auto wait = BackoffDelay(++worker.quick_drops, worker.Unit(), backoff_);
  log_("live stream of " + worker.workspace + " from " + worker.pub + " ended at once" +
       (streamed.ok() ? std::string() : ": " + streamed.message()) + " (next pass in " +
       std::to_string(wait.count() / 1000.0).substr(0, 4) + " s)");
  worker.SleepFor(wait);
}

// ---- the live pusher ----

void Syncer::RunLivePusher(Worker& worker, Live& live) {
  // The feed's thread only marks the session dirty; the push runs here.
  const auto id = feed_
                      ->Subscribe([&](const core::ChangeFeed::Batch& batch) {
                        const bool mine = std::any_of(batch.begin(), batch.end(), [&](const core::Change& c) {
                          return !c.removed && c.workspace == worker.workspace && PathSelected(c.path, live.only);
                        });
                        if (!mine) return;
                        {
                          std::scoped_lock lock(worker.mu);
                          live.dirty = true;
                        }
                        worker.wake.notify_all();
                      })
                      .id;
  while (true) {
    bool catch_up = false;
    {
      std::unique_lock lock(worker.mu);
      auto ready = [&] {
        return worker.stopping() || live.stream_done || live.dirty || live.first_reject ||
               (live.stream_open && !live.caught_up);
      };
      // Lock order: Worker::mu, then the tally's own.
      if (auto until_due = live.tally.UntilDue()) {
        worker.wake.wait_for(lock, *until_due, ready);
      } else {
        worker.wake.wait(lock, ready);
      }
      if (worker.stopping() || live.stream_done) break;
      live.first_reject = false;
      catch_up = live.stream_open && !live.caught_up;
    }
    if (live.tally.Due()) FlushStreamRejects(worker, live);
    if (catch_up && !CatchUpPull(worker, live)) {
      worker.SleepFor(std::chrono::milliseconds(kLiveRetryMs));
      continue;
    }
    PushLive(worker, live);
  }
  feed_->Unsubscribe(id);
}

bool Syncer::CatchUpPull(Worker& worker, Live& live) {
  // What others pushed between this pass's pull and the moment the stream
  // opened is in neither: pull once more now that the stream covers
  // everything after.
  PassReport catch_up{worker.workspace, worker.pub};
  Holdings held;
  HttpOptions bounded = worker.http;
  bounded.deadline = std::chrono::steady_clock::now() + PassDeadline();
  PubClient puller(worker.pub, bounded);
  Status s = PullAll(puller, worker.workspace, worker.pub, live.only, nullptr, &catch_up, &held);
  if (catch_up.invalid > 0) {
    UpdateStatus(worker.workspace, worker.pub, [&](PubStatus& st) { st.invalid_total += catch_up.invalid; });
  }
  if (!s.ok()) {
    if (!worker.stopping()) RecordError(worker.workspace, worker.pub, s.message());
    return false;
  }
  {
    std::scoped_lock lock(worker.mu);
    live.caught_up = true;
  }
  if (catch_up.accepted > 0) {
    log_("synced " + worker.workspace + " with " + worker.pub + ": " + std::to_string(catch_up.accepted) +
         " new from the pub (caught up as the live stream opened)");
  }
  return true;
}

void Syncer::PushLive(Worker& worker, Live& live) {
  {
    std::scoped_lock lock(worker.mu);
    if (!live.dirty) return;
    live.dirty = false;
  }
  ++live_push_looks_;
  size_t pushed = 0;
  Status s = PushPending(live.client, worker.workspace, worker.pub, live.only, &pushed, nullptr);
  if (s.ok() || worker.stopping()) return;
  // Not the end of the session: the stream may stay open for hours, and
  // until it drops nothing else would push the saves made meanwhile.
  RecordError(worker.workspace, worker.pub, s.message());
  log_("live push of " + worker.workspace + " to " + worker.pub + " failed: " + s.message() + " (retrying in " +
       std::to_string(kLiveRetryMs / 1000) + " s)");
  {
    std::scoped_lock lock(worker.mu);
    live.dirty = true;
  }
  worker.SleepFor(std::chrono::milliseconds(kLiveRetryMs));
}

void Syncer::FlushStreamRejects(Worker& worker, Live& live) {
  size_t n = 0;
  const std::string summary = live.tally.Take(&n);
  if (n == 0) return;
  UpdateStatus(worker.workspace, worker.pub, [n](PubStatus& st) { st.invalid_total += n; });
  log_("pub " + core::Printable(worker.pub) + " " + worker.workspace + ": rejected " + std::to_string(n) +
       " streamed events " + summary);
}

}  // namespace esfs::sync
