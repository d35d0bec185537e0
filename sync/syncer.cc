#include "sync/syncer.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <random>

#include "core/printable.h"
#include "core/validate.h"
#include "sync/reasons.h"

namespace esfs::sync {
namespace {

int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// How often the live pusher looks at the change feed: one LMDB read
// transaction, so cheap; it bounds the save-to-pub delay.
constexpr int kLivePushIntervalMs = 50;
// Documents per write transaction when ingesting a pull (Store::IngestMany
// checks the next batch's signatures while one is written and synced).
// 10,000 documents: 4 commits.
constexpr size_t kPullBatch = 2500;
// After a live push (or catch-up pull) failed while the stream stays open.
constexpr int kLiveRetryMs = 1000;
// A live stream that ends sooner than this after it started counts as a
// failure for the backoff (the pub does not stream, or drops it at once).
constexpr int kStreamSettledMs = 10'000;

// Rejected documents are told in one line per pass (or per stream
// summary), never one line each: a pub listing a million junk objects
// must not write a million log lines.
constexpr size_t kMaxReasons = 8;       // distinct reasons counted apart
constexpr size_t kMaxExamples = 3;      // examples quoted in the line
constexpr size_t kReasonBytes = 80;     // a reason is cut to this
constexpr size_t kExampleBytes = 120;   // an example is cut to this
// The stream's rejections are saved in the status and told in the log at
// most this often (and when the stream ends), not per event.
constexpr int kStreamTallyMs = 1000;

// Counts of rejected documents by reason, with the first few examples.
class RejectTally {
 public:
  void Add(const std::string& what, const std::string& why) {
    ++total_;
    std::string reason = ReasonKind(why, kReasonBytes);
    if (!by_reason_.count(reason) && by_reason_.size() >= kMaxReasons) reason = "other reasons";
    ++by_reason_[reason];
    if (examples_.size() < kMaxExamples) examples_.push_back(core::Printable(what + ": " + why, kExampleBytes));
  }
  size_t total() const { return total_; }
  // "N by reason (a: 3, b: 2); first: x; y; z"
  std::string Summary() const {
    std::string text;
    for (const auto& [reason, count] : by_reason_) {
      text += (text.empty() ? "" : ", ") + reason + ": " + std::to_string(count);
    }
    text = "by reason (" + text + "); first:";
    for (const auto& e : examples_) text += " [" + e + "]";
    return text;
  }
  void Clear() { *this = RejectTally(); }

 private:
  size_t total_ = 0;
  std::map<std::string, size_t> by_reason_;
  std::vector<std::string> examples_;
};

// The live stream's rejections, added by the stream's thread and taken
// (saved and logged) by the pusher's thread at most every kStreamTallyMs.
class StreamTally {
 public:
  void Add(const std::string& what, const std::string& why) {
    std::scoped_lock lock(mu_);
    tally_.Add(what, why);
  }
  // True if rejections wait and the last Take was kStreamTallyMs ago.
  bool Due() {
    std::scoped_lock lock(mu_);
    return tally_.total() > 0 &&
           std::chrono::steady_clock::now() - last_take_ >= std::chrono::milliseconds(kStreamTallyMs);
  }
  // The summary of the rejections since the last Take, and their count in |n|.
  std::string Take(size_t* n) {
    std::scoped_lock lock(mu_);
    *n = tally_.total();
    std::string summary = tally_.Summary();
    tally_.Clear();
    last_take_ = std::chrono::steady_clock::now();
    return summary;
  }

 private:
  std::mutex mu_;
  RejectTally tally_;
  std::chrono::steady_clock::time_point last_take_{};
};

std::string StatusKey(const std::string& workspace, const std::string& pub) { return "sync/" + workspace + "/" + pub; }

bool Selected(const std::string& path, const std::vector<std::string>& only) { return PathSelected(path, only); }

std::string HoldKey(const std::string& path, const std::string& author) { return path + "\n" + author; }

// True if the pub's copy is this document or newer: sending ours would
// change nothing there (it would answer "ignored").
bool PubHasIt(const Syncer::Holdings& held, const core::Document& doc) {
  auto it = held.find(HoldKey(doc.path, doc.author));
  return it != held.end() && (it->second.signature == doc.signature || it->second.timestamp > doc.timestamp);
}

void SaveStatus(core::Store& store, const std::string& workspace, const std::string& pub, const PubStatus& s) {
  (void)store.SetLocalValue(StatusKey(workspace, pub), {{"pushed_seq", s.pushed_seq},
                                                         {"last_success_us", s.last_success_us},
                                                         {"last_error", s.last_error},
                                                         {"invalid_total", s.invalid_total}});
}

}  // namespace

bool PathSelected(const std::string& path, const std::vector<std::string>& only) {
  if (only.empty()) return true;
  for (const auto& prefix : only) {
    if (path.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

Result<size_t> PendingPushes(const core::Store& store, const std::string& workspace, const std::string& pub,
                             const std::vector<std::string>& only) {
  auto changes = store.ChangesSince(LoadPubStatus(store, workspace, pub).pushed_seq);
  if (!changes.ok()) return changes.status();
  size_t pending = 0;
  for (const auto& c : *changes) {
    if (!c.removed && c.workspace == workspace && PathSelected(c.path, only)) ++pending;
  }
  return pending;
}

std::vector<std::string> PubsOf(const core::OrderedJson& config) {
  std::vector<std::string> pubs;
  if (config.is_object() && config.contains("pubs") && config["pubs"].is_array()) {
    for (const auto& p : config["pubs"]) {
      if (p.is_string()) pubs.push_back(p.get<std::string>());
    }
  }
  return pubs;
}

std::vector<std::string> OnlyPrefixesOf(const core::OrderedJson& config) {
  std::vector<std::string> only;
  if (config.is_object() && config.contains("only") && config["only"].is_array()) {
    for (const auto& p : config["only"]) {
      if (p.is_string()) only.push_back(p.get<std::string>());
    }
  }
  return only;
}

PubStatus LoadPubStatus(const core::Store& store, const std::string& workspace, const std::string& pub) {
  PubStatus status;
  auto value = store.GetLocalValue(StatusKey(workspace, pub));
  if (!value.ok() || !value->has_value()) return status;
  const auto& v = **value;
  status.pushed_seq = v.value("pushed_seq", uint64_t{0});
  status.last_success_us = v.value("last_success_us", int64_t{0});
  status.last_error = v.value("last_error", std::string());
  status.invalid_total = v.value("invalid_total", uint64_t{0});
  return status;
}

// ---- one pass ----

Syncer::Syncer(core::Store& store, SyncLog log, HttpOptions http, BackoffPolicy backoff)
    : store_(store), log_(std::move(log)), http_(std::move(http)), backoff_(backoff) {
  http_.cancel = &stop_;
}

Syncer::~Syncer() { Stop(); }

void Syncer::UpdateStatus(const std::string& workspace, const std::string& pub,
                          const std::function<void(PubStatus&)>& change) {
  // The pass, the live pusher and the stream of one pub each update its
  // status: one at a time, or one's change would overwrite another's.
  std::scoped_lock lock(status_mu_);
  const PubStatus before = LoadPubStatus(store_, workspace, pub);
  PubStatus status = before;
  change(status);
  // Unchanged: no write (the live pusher asks every 50 ms).
  if (status.pushed_seq == before.pushed_seq && status.last_success_us == before.last_success_us &&
      status.last_error == before.last_error && status.invalid_total == before.invalid_total) {
    return;
  }
  SaveStatus(store_, workspace, pub, status);
}

void Syncer::RecordError(const std::string& workspace, const std::string& pub, const std::string& error) {
  UpdateStatus(workspace, pub, [&](PubStatus& s) { s.last_error = error; });
}

Status Syncer::PushPending(PubClient& client, const std::string& workspace, const std::string& pub,
                           const std::vector<std::string>& only, size_t* pushed, const SyncProgress& progress) {
  PubStatus status = LoadPubStatus(store_, workspace, pub);
  // The feed holds one entry per current document: everything after
  // pushed_seq is what the pub may not have yet.
  auto changes = store_.ChangesSince(status.pushed_seq);
  if (!changes.ok()) return changes.status();
  std::vector<core::Document> docs;
  uint64_t last_seq = status.pushed_seq;
  for (const auto& change : *changes) {
    last_seq = change.seq;
    if (change.removed || change.workspace != workspace || !Selected(change.path, only)) continue;
    auto doc = store_.GetDocument(workspace, change.path, change.author);
    if (!doc.ok()) return doc.status();
    if (doc->has_value()) docs.push_back(std::move(**doc));
  }
  if (!docs.empty()) {
    size_t sent = 0;
    auto stats = client.Push(workspace, docs, [&](size_t batch) {
      sent += batch;
      if (progress) progress("push", sent, docs.size());
    });
    if (!stats.ok()) return stats.status();
    *pushed = docs.size();
  }
  // Only now, after the pub took every batch, is the progress recorded: a
  // push cut off half way is simply sent again (the pub ignores copies).
  // A push that sent something is also the latest success, in the same
  // update: `esfs status` never shows nothing pending beside the error of
  // the attempt that just succeeded.
  UpdateStatus(workspace, pub, [&](PubStatus& s) {
    s.pushed_seq = std::max(s.pushed_seq, last_seq);
    if (!docs.empty()) {
      s.last_success_us = NowMicros();
      s.last_error.clear();
    }
  });
  return Status::Ok();
}

Result<PassReport> Syncer::SyncOnce(const std::string& workspace, const std::string& pub,
                                    const SyncProgress& progress) {
  auto info = store_.GetWorkspace(workspace);
  if (!info.ok()) return info.status();
  const std::vector<std::string> only = OnlyPrefixesOf(info->config);
  PassReport report{workspace, pub};
  HttpOptions http = http_;
  http.deadline = std::chrono::steady_clock::now() + PassDeadline();
  PubClient client(pub, http);
  Holdings held;
  Status s = PullAll(client, workspace, pub, only, progress, &report, &held);
  if (s.ok()) s = PushMissing(client, workspace, pub, only, held, progress, &report.pushed);
  if (!s.ok()) {
    RecordError(workspace, pub, s.message());
    return s;
  }
  UpdateStatus(workspace, pub, [&](PubStatus& s) {
    s.last_success_us = NowMicros();
    s.last_error.clear();
    s.invalid_total += report.invalid;
  });
  return report;
}

Status Syncer::PullAll(PubClient& client, const std::string& workspace, const std::string& pub,
                       const std::vector<std::string>& only, const SyncProgress& progress, PassReport* report,
                       Holdings* held) {
  auto listing = client.Pull(workspace);
  // A pub that does not know the workspace yet holds nothing: push it all.
  if (!listing.ok()) return listing.status().code() == StatusCode::kNotFound ? Status::Ok() : listing.status();
  const std::vector<std::string_view>& elements = listing->elements;
  report->pulled = elements.size();
  RejectTally rejected;
  auto reject = [&](const std::string& what, const std::string& why) {
    ++report->invalid;
    rejected.Add(what, why);
  };
  // The documents of elements [from, to) that this workspace syncs.
  auto parse_part = [&](size_t from, size_t to) {
    std::vector<core::Document> docs;
    docs.reserve(to - from);
    for (size_t i = from; i < to; ++i) {
      auto json = core::ParseJson(elements[i]);
      if (!json.ok()) {
        reject("document " + std::to_string(i), "not JSON (" + json.status().message() + ")");
        continue;
      }
      auto doc = core::DocumentFromJson(*json);
      if (!doc.ok()) {
        reject("document " + std::to_string(i), doc.status().message());
        continue;
      }
      if (Selected(doc->path, only)) docs.push_back(std::move(doc.value()));
    }
    return docs;
  };
  // Parts of kPullBatch elements: part k+1 is parsed on this thread while
  // the store checks part k's signatures on every core and writes part k-1
  // (Store::Ingester; each part one durable transaction). Every document is
  // validated by the store before it is stored.
  std::deque<std::vector<core::Document>> parts;  // alive until Finish()
  auto ingester = store_.StartIngest(workspace, [&](size_t done) {
    if (progress) progress("pull", done, report->pulled);
  });
  for (size_t from = 0; from < elements.size(); from += kPullBatch) {
    parts.push_back(parse_part(from, std::min(elements.size(), from + kPullBatch)));
    if (Status s = ingester.Add(parts.back()); !s.ok()) return s;
  }
  auto outcomes = ingester.Finish();
  if (!outcomes.ok()) return outcomes.status();
  if (progress) progress("pull", elements.size(), elements.size());  // --only may skip some
  size_t k = 0;
  for (const auto& part : parts) {
    for (const core::Document& doc : part) {
      const auto& o = (*outcomes)[k++];
      if (o.result == core::IngestResult::kInvalid) {
        reject(doc.path, o.reason);
        continue;
      }
      if (o.result == core::IngestResult::kAccepted) ++report->accepted;
      (*held)[HoldKey(doc.path, doc.author)] = Held{doc.timestamp, doc.signature};
    }
  }
  if (rejected.total() > 0) {
    log_("pub " + core::Printable(pub) + " " + workspace + ": rejected " + std::to_string(rejected.total()) + " of " +
         std::to_string(elements.size()) + " documents " + rejected.Summary());
  }
  return Status::Ok();
}

Status Syncer::PushMissing(PubClient& client, const std::string& workspace, const std::string& pub,
                           const std::vector<std::string>& only, const Holdings& held, const SyncProgress& progress,
                           size_t* pushed) {
  // The pub's full listing, not our memory of past pushes, says what it
  // lacks: a pub restarted without its data (memory storage) or killed in
  // the middle of a push gets exactly the missing documents again.
  // The feed position is read before the documents: a write landing in
  // between is then sent now and again by the live pusher (the pub ignores
  // the copy), never by neither.
  auto seq = store_.LastSeq();
  if (!seq.ok()) return seq.status();
  auto all = store_.AllDocuments(workspace);
  if (!all.ok()) return all.status();
  std::vector<core::Document> missing;
  for (auto& doc : *all) {
    if (Selected(doc.path, only) && !PubHasIt(held, doc)) missing.push_back(std::move(doc));
  }
  if (!missing.empty()) {
    size_t sent = 0;
    auto stats = client.Push(workspace, missing, [&](size_t batch) {
      sent += batch;
      if (progress) progress("push", sent, missing.size());
    });
    if (!stats.ok()) return stats.status();
    *pushed = missing.size();
  }
  UpdateStatus(workspace, pub, [&](PubStatus& s) { s.pushed_seq = std::max(s.pushed_seq, *seq); });
  return Status::Ok();
}

// ---- background ----

struct Syncer::Worker {
  std::string workspace;
  std::string pub;
  std::thread thread;
};

void Syncer::Start() {
  stop_ = false;
  supervisor_ = std::thread([this] { Supervise(); });
}

void Syncer::Stop() {
  stop_ = true;
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  std::map<std::string, std::unique_ptr<Worker>> workers;
  {
    std::scoped_lock lock(mu_);
    workers.swap(workers_);
  }
  for (auto& [key, worker] : workers) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void Syncer::Supervise() {
  while (!stop_) {
    auto all = store_.ListWorkspaces();
    if (all.ok()) {
      std::scoped_lock lock(mu_);
      for (const auto& ws : *all) {
        for (const auto& pub : PubsOf(ws.config)) {
          const std::string key = ws.address + " " + pub;
          if (workers_.count(key)) continue;
          auto worker = std::make_unique<Worker>();
          worker->workspace = ws.address;
          worker->pub = pub;
          Worker* raw = worker.get();
          worker->thread = std::thread([this, raw] { RunWorker(raw); });
          workers_[key] = std::move(worker);
        }
      }
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::seconds(5), [this] { return stop_.load(); });
  }
}

void Syncer::RunWorker(Worker* worker) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int failures = 0;     // passes failed in a row
  int quick_drops = 0;  // live streams in a row that failed or ended within kStreamSettledMs
  auto sleep_for = [&](std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, d, [this] { return stop_.load(); });
  };
  while (!stop_) {
    auto pass = SyncOnce(worker->workspace, worker->pub);
    if (!pass.ok()) {
      if (stop_) break;
      // Exponential backoff with jitter (sync/backoff.h): 1 s, 2 s, 4 s
      // ... 5 min, each ±50 %.
      const auto wait = BackoffDelay(++failures, unit(rng), backoff_);
      log_("sync " + worker->workspace + " with " + worker->pub + " failed: " + pass.status().message() +
           " (retrying in " + std::to_string(wait.count() / 1000.0).substr(0, 4) + " s)");
      sleep_for(wait);
      continue;
    }
    if (failures > 0 || pass->accepted > 0 || pass->pushed > 0) {
      log_("synced " + worker->workspace + " with " + worker->pub + ": " + std::to_string(pass->accepted) +
           " new from the pub, " + std::to_string(pass->pushed) + " sent" +
           (pass->invalid ? ", " + std::to_string(pass->invalid) + " invalid rejected" : ""));
    }
    failures = 0;
    // Live: pull from the event stream; push local changes as they come.
    PubClient client(worker->pub, http_);
    auto info = store_.GetWorkspace(worker->workspace);
    const auto only = info.ok() ? OnlyPrefixesOf(info->config) : std::vector<std::string>{};
    std::atomic<bool> stream_done{false}, stream_open{false};
    StreamTally tally;  // the stream's rejections, saved by the pusher thread
    auto flush_rejected = [&] {
      size_t n = 0;
      const std::string summary = tally.Take(&n);
      if (n == 0) return;
      UpdateStatus(worker->workspace, worker->pub, [n](PubStatus& st) { st.invalid_total += n; });
      log_("pub " + core::Printable(worker->pub) + " " + worker->workspace + ": rejected " + std::to_string(n) +
           " streamed events " + summary);
    };
    std::thread pusher([&] {
      bool caught_up = false;
      while (!stop_ && !stream_done) {
        if (!caught_up && stream_open) {
          // What others pushed between this pass's pull and the moment the
          // stream opened is in neither: pull once more now that the
          // stream covers everything after.
          PassReport catch_up{worker->workspace, worker->pub};
          Holdings held;
          HttpOptions bounded = http_;
          bounded.deadline = std::chrono::steady_clock::now() + PassDeadline();
          PubClient puller(worker->pub, bounded);
          Status s = PullAll(puller, worker->workspace, worker->pub, only, nullptr, &catch_up, &held);
          if (catch_up.invalid > 0) {
            UpdateStatus(worker->workspace, worker->pub, [&](PubStatus& st) { st.invalid_total += catch_up.invalid; });
          }
          if (!s.ok()) {
            RecordError(worker->workspace, worker->pub, s.message());
            sleep_for(std::chrono::milliseconds(kLiveRetryMs));
            continue;
          }
          caught_up = true;
          if (catch_up.accepted > 0) {
            log_("synced " + worker->workspace + " with " + worker->pub + ": " + std::to_string(catch_up.accepted) +
                 " new from the pub (caught up as the live stream opened)");
          }
        }
        size_t pushed = 0;
        Status s = PushPending(client, worker->workspace, worker->pub, only, &pushed, nullptr);
        if (!s.ok()) {
          // Not break: the stream may stay open for hours, and until it
          // drops nothing else would push the saves made meanwhile.
          RecordError(worker->workspace, worker->pub, s.message());
          log_("live push of " + worker->workspace + " to " + worker->pub + " failed: " + s.message() +
               " (retrying in " + std::to_string(kLiveRetryMs / 1000) + " s)");
          sleep_for(std::chrono::milliseconds(kLiveRetryMs));
          continue;
        }
        if (tally.Due()) flush_rejected();
        sleep_for(std::chrono::milliseconds(kLivePushIntervalMs));
      }
    });
    PubClient streamer(worker->pub, http_);
    // Invalid documents from the stream count in `esfs status` as those of
    // a pull do (invalid_total), saved and logged as one summary at most
    // every kStreamTallyMs (by the pusher thread) and when the stream ends:
    // never a store write or a log line per junk event.
    auto reject_event = [&](const std::string& what, const std::string& why) { tally.Add(what, why); };
    const auto stream_start = std::chrono::steady_clock::now();
    Status streamed = streamer.Stream(
        worker->workspace, [&] { stream_open = true; },
        [&](const core::OrderedJson& json) {
          auto doc = core::DocumentFromJson(json);
          if (!doc.ok()) {
            reject_event("a streamed document", doc.status().message());
            return !stop_.load();
          }
          if (!Selected(doc->path, only)) return !stop_.load();
          auto outcome = store_.Ingest(worker->workspace, *doc);
          if (outcome.ok() && outcome->result == core::IngestResult::kInvalid) reject_event(doc->path, outcome->reason);
          return !stop_.load();
        },
        [&] {
          // Events that are not JSON at all are rejected documents too.
          reject_event("a streamed event", "not JSON");
        });
    flush_rejected();
    stream_done = true;
    pusher.join();
    if (stop_) break;
    // The stream dropped (or the pub does not stream): sync again soon —
    // after a second if the stream had settled, else with backoff, so a
    // pub whose stream fails at once (404, 500, closed) does not get a full
    // pass every second.
    if (!streamed.ok()) RecordError(worker->workspace, worker->pub, streamed.message());
    const bool settled = stream_open && std::chrono::steady_clock::now() - stream_start >=
                                            std::chrono::milliseconds(kStreamSettledMs);
    if (settled) {
      quick_drops = 0;
      sleep_for(std::chrono::milliseconds(1000));
    } else {
      const auto wait = BackoffDelay(++quick_drops, unit(rng), backoff_);
      log_("live stream of " + worker->workspace + " from " + worker->pub + " ended at once" +
           (streamed.ok() ? std::string() : ": " + streamed.message()) + " (next pass in " +
           std::to_string(wait.count() / 1000.0).substr(0, 4) + " s)");
      sleep_for(wait);
    }
  }
}

}  // namespace esfs::sync
