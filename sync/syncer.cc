#include "sync/syncer.h"

#include <algorithm>
#include <chrono>
#include <deque>

#include "core/printable.h"
#include "core/validate.h"
#include "sync/reasons.h"
#include "sync/syncer_internal.h"

namespace esfs::sync {

using internal::RejectTally;
namespace {

int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// Documents per write transaction when ingesting a pull (Store::IngestMany
// checks the next batch's signatures while one is written and synced).
// 10,000 documents: 4 commits.
constexpr size_t kPullBatch = 2500;

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
  (void)store.local().SetValue(StatusKey(workspace, pub), {{"pushed_seq", s.pushed_seq},
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
  auto changes = store.replica().ChangesSince(LoadPubStatus(store, workspace, pub).pushed_seq);
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
  auto value = store.local().GetValue(StatusKey(workspace, pub));
  if (!value.ok() || !value->has_value()) return status;
  const auto& v = **value;
  status.pushed_seq = v.value("pushed_seq", uint64_t{0});
  status.last_success_us = v.value("last_success_us", int64_t{0});
  status.last_error = v.value("last_error", std::string());
  status.invalid_total = v.value("invalid_total", uint64_t{0});
  return status;
}

// ---- one pass ----

// The constructor and destructor are in sync/syncer_live.cc, where Worker
// is complete.

void Syncer::UpdateStatus(const std::string& workspace, const std::string& pub,
                          const std::function<void(PubStatus&)>& change) {
  // The pass, the live pusher and the stream of one pub each update its
  // status: one at a time, or one's change would overwrite another's.
  std::scoped_lock lock(status_mu_);
  const PubStatus before = LoadPubStatus(store_, workspace, pub);
  PubStatus status = before;
  change(status);
  // Unchanged: no write (a commit would wake every follower of the feed).
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
                           const std::vector<std::string>& only, size_t* pushed, const SyncProgress& progress,
                           const Holdings* held) {
  PubStatus status = LoadPubStatus(store_, workspace, pub);
  // The feed holds one entry per current document: everything after
  // pushed_seq is what the pub may not have yet.
  auto changes = store_.replica().ChangesSince(status.pushed_seq);
  if (!changes.ok()) return changes.status();
  std::vector<core::Document> docs;
  uint64_t last_seq = status.pushed_seq;
  for (const auto& change : *changes) {
    last_seq = change.seq;
    if (change.removed || change.workspace != workspace || !Selected(change.path, only)) continue;
    auto doc = store_.replica().GetDocument(workspace, change.path, change.author);
    if (!doc.ok()) return doc.status();
    // What the pub just sent us need not go back to it.
    if (doc->has_value() && !(held != nullptr && PubHasIt(*held, **doc))) docs.push_back(std::move(**doc));
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
  return Pass(http_, workspace, pub, progress);
}

Result<PassReport> Syncer::Pass(const HttpOptions& base, const std::string& workspace, const std::string& pub,
                                const SyncProgress& progress) {
  auto info = store_.workspaces().Get(workspace);
  if (!info.ok()) return info.status();
  const std::vector<std::string> only = OnlyPrefixesOf(info->config);
  PassReport report{workspace, pub};
  HttpOptions http = base;
  http.deadline = std::chrono::steady_clock::now() + PassDeadline();
  PubClient client(pub, http);
  Holdings held;
  // An esfs pub offers what came after the number we last saw (one small
  // request to ask); any other pub gets the reference's full protocol.
  auto incremental = client.OffersChanges();
  Status s = incremental.ok() ? Status::Ok() : incremental.status();
  if (s.ok() && *incremental) {
    s = IncrementalPass(client, workspace, pub, only, progress, &report);
  } else if (s.ok()) {
    s = PullAll(client, workspace, pub, only, progress, &report, &held);
    if (s.ok()) s = PushMissing(client, workspace, pub, only, held, progress, &report.pushed);
  }
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
  // (Replica::Ingester; each part one durable transaction). Every document is
  // validated by the store before it is stored.
  std::deque<std::vector<core::Document>> parts;  // alive until Finish()
  auto ingester = store_.replica().StartIngest(workspace, [&](size_t done) {
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
  auto seq = store_.replica().LastSeq();
  if (!seq.ok()) return seq.status();
  auto all = store_.replica().AllDocuments(workspace);
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

}  // namespace esfs::sync
