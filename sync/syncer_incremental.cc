// A sync pass with an esfs pub's incremental extension (docs/pub-api.md,
// sync/syncer.h). The pub numbers what it stores per workspace; we keep,
// per (workspace, pub), the pub's store id and the number up to which we
// have pulled. A pass then pulls only what the pub numbered after it and
// pushes only our changes since the last push (the syncer's pushed_seq):
// a resync after one change moves about one document, whatever the size
// of the workspace.
//
// The first pass with a pub, and any pass after the pub's store changed
// (another store id: a pub rebuilt from nothing numbers again from 1),
// pulls from 0 and then pushes what the pub lacks judged from everything
// it sent, as a full pass does.
#include <deque>

#include "core/printable.h"
#include "sync/syncer.h"
#include "sync/syncer_internal.h"

namespace esfs::sync {
namespace {

// Documents per page (the pub serves at most 5,000, and about 8 MB).
constexpr size_t kPageDocs = 2500;

std::string PositionKey(const std::string& workspace, const std::string& pub) {
  return "sync-after/" + workspace + "/" + pub;
}

struct Position {
  std::string store_id;
  uint64_t after = 0;
};

Position LoadPosition(const core::Store& store, const std::string& workspace, const std::string& pub) {
  Position p;
  auto value = store.local().GetValue(PositionKey(workspace, pub));
  if (!value.ok() || !value->has_value() || !(*value)->is_object()) return p;
  p.store_id = (*value)->value("store_id", std::string());
  p.after = (*value)->value("after", uint64_t{0});
  return p;
}

}  // namespace

Status Syncer::IncrementalPass(PubClient& client, const std::string& workspace, const std::string& pub,
                               const std::vector<std::string>& only, const SyncProgress& progress, PassReport* report) {
  Position pos = LoadPosition(store_, workspace, pub);
  Holdings held;
  internal::RejectTally rejected;
  bool from_start = pos.store_id.empty() || pos.after == 0;
  uint64_t after = from_start ? 0 : pos.after;
  std::string store_id;
  // Pages are ingested as the full pull's parts are (Replica::Ingester):
  // page k+1 is fetched while page k's signatures are checked on every
  // core and page k-1 is written.
  std::deque<std::vector<core::Document>> parts;  // alive until Finish()
  core::Replica::Ingester ingester = store_.replica().StartIngest(workspace);
  for (;;) {
    auto page = client.Changes(workspace, after, kPageDocs);
    if (!page.ok()) {
      // A pub that does not know the workspace holds nothing: push it all.
      if (page.status().code() != StatusCode::kNotFound) return page.status();
      from_start = true;
      break;
    }
    if (store_id.empty() && page->store_id != pos.store_id && !from_start) {
      // Another store behind the same URL: its numbers are not the ones
      // we kept. Start again from its beginning.
      from_start = true;
      after = 0;
      store_id = page->store_id;
      continue;
    }
    if (store_id.empty() && page->store_id != pos.store_id) from_start = true;
    store_id = page->store_id;
    std::vector<core::Document> docs;
    docs.reserve(page->docs.size());
    for (const auto& json : page->docs) {
      ++report->pulled;
      auto doc = core::DocumentFromJson(json);
      if (!doc.ok()) {
        ++report->invalid;
        rejected.Add("document", doc.status().message());
        continue;
      }
      if (PathSelected(doc->path, only)) docs.push_back(std::move(doc.value()));
    }
    parts.push_back(std::move(docs));
    if (Status s = ingester.Add(parts.back()); !s.ok()) return s;
    if (progress) progress("pull", report->pulled, report->pulled + (page->more ? 1 : 0));
    after = page->next;
    if (!page->more) break;
  }
  auto outcomes = ingester.Finish();
  if (!outcomes.ok()) return outcomes.status();
  size_t k = 0;
  for (const auto& part : parts) {
    for (const core::Document& doc : part) {
      const auto& o = (*outcomes)[k++];
      if (o.result == core::IngestResult::kInvalid) {
        ++report->invalid;
        rejected.Add(doc.path, o.reason);
        continue;
      }
      if (o.result == core::IngestResult::kAccepted) ++report->accepted;
      held[doc.path + "\n" + doc.author] = Held{doc.timestamp, doc.signature};
    }
  }
  if (rejected.total() > 0) {
    log_("pub " + core::Printable(pub) + " " + workspace + ": rejected " + std::to_string(rejected.total()) +
         " documents " + rejected.Summary());
  }
  Status pushed = from_start ? PushMissing(client, workspace, pub, only, held, progress, &report->pushed)
                             : PushPending(client, workspace, pub, only, &report->pushed, progress, &held);
  if (!pushed.ok()) return pushed;
  // Recorded only after the push: a pass cut off before it pulls again.
  if (!store_id.empty()) {
    (void)store_.local().SetValue(PositionKey(workspace, pub), {{"store_id", store_id}, {"after", after}});
  }
  return Status::Ok();
}

}  // namespace esfs::sync
