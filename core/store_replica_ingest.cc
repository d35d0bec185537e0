// Ingest from outside (spec §9): one document, a batch in one transaction,
// and many batches pipelined (signatures of one checked while the one
// before is written). The per-document rules are ApplyValidated, in
// core/store_replica.cc, shared with local writes.
#include <algorithm>
#include <deque>
#include <future>
#include <iterator>

#include "core/js_compat.h"
#include "core/printable.h"
#include "core/store_replica.h"
#include "core/store_state.h"
#include "core/validate.h"

namespace esfs::core {

using namespace store_codec;

// ---- ingest ----

Result<IngestOutcome> Replica::Ingest(const std::string& workspace, const Document& doc) {
  auto outcomes = IngestBatch(workspace, std::span<const Document>(&doc, 1));
  if (!outcomes.ok()) return outcomes.status();
  return std::move((*outcomes)[0]);
}

Result<IngestOutcome> Replica::IngestJson(const std::string& workspace, const OrderedJson& json) {
  // The reference's ingest checks the format first, with its own message.
  auto format = json.is_object() ? json.find("format") : json.end();
  if (!json.is_object() || format == json.end() || !format->is_string() || *format != kFormat) {
    const OrderedJson* value = json.is_object() && format != json.end() ? &*format : nullptr;
    return IngestOutcome{IngestResult::kInvalid, "ingestDocument: unrecognized format " + JsTemplate(value)};
  }
  auto doc = DocumentFromJson(json);
  if (!doc.ok()) return InvalidOutcome(doc.status());
  return Ingest(workspace, *doc);
}

namespace {

// A batch whose signatures have been checked, ready to be written.
struct CheckedBatch {
  int64_t now = 0;                      // the clock reading both steps use
  std::vector<IngestOutcome> outcomes;  // filled for known documents so far
  std::vector<size_t> to_apply;         // the others, by index in the batch
  std::vector<Status> verdicts;         // parallel to to_apply
};

// Steps 1-2 of a batch ingest; reads the store, writes nothing.
Result<CheckedBatch> CheckBatch(const StoreState& impl, const std::string& workspace, std::span<const Document> docs) {
  CheckedBatch checked;
  checked.now = impl.Now();
  checked.outcomes.resize(docs.size());
  // 1. Documents already stored exactly as given need no signature check
  //    (the common case when syncing): they are IGNORED as the reference's
  //    ingest would after verifying.
  {
    auto txn = impl.env->BeginRead();
    if (!txn.ok()) return txn.status();
    auto ws = impl.WorkspaceId(*txn, workspace);
    if (!ws.ok()) return ws.status();
    for (size_t i = 0; i < docs.size(); ++i) {
      auto existing = txn->Get(impl.docs, DocKey(*ws, docs[i].path, docs[i].author));
      StoredDoc stored;
      if (existing.ok() && DecodeDoc(*existing, workspace, &stored) && stored.doc == docs[i] &&
          !StoreState::Expired(stored.doc, checked.now)) {
        checked.outcomes[i] = {IngestResult::kIgnored, "already stored"};
      } else {
        checked.to_apply.push_back(i);
      }
    }
  }
  // 2. Verify the rest in parallel, outside any write transaction.
  std::vector<const Document*> to_check;
  to_check.reserve(checked.to_apply.size());
  for (size_t i : checked.to_apply) to_check.push_back(&docs[i]);
  checked.verdicts = ValidateBatch(std::span<const Document* const>(to_check), checked.now);
  return checked;
}

// Step 3: applies the valid documents in order, in one write transaction.
Status WriteBatch(StoreState& impl, const std::string& workspace, std::span<const Document> docs,
                  CheckedBatch& checked) {
  // Nothing valid and new (all stored already, or all invalid): no write
  // transaction at all, so a flood of junk or of copies costs no writer
  // lock and no commit.
  bool any_valid = false;
  for (const Status& verdict : checked.verdicts) any_valid = any_valid || verdict.ok();
  if (!any_valid) {
    for (size_t k = 0; k < checked.to_apply.size(); ++k) {
      checked.outcomes[checked.to_apply[k]] = InvalidOutcome(checked.verdicts[k]);
    }
    return Status::Ok();
  }
  Status written = impl.env->Write([&](WriteTxn& txn) -> Status {
    auto ws = impl.WorkspaceId(txn, workspace);
    if (!ws.ok()) return ws.status();
    for (size_t k = 0; k < checked.to_apply.size(); ++k) {
      const size_t i = checked.to_apply[k];
      if (!checked.verdicts[k].ok()) {
        checked.outcomes[i] = InvalidOutcome(checked.verdicts[k]);
        continue;
      }
      auto applied = ApplyValidated(impl, txn, *ws, workspace, docs[i], checked.now);
      if (!applied.ok()) return applied.status();
      checked.outcomes[i] = std::move(applied.value());
    }
    return Status::Ok();
  });
  // Conflicts are logged once committed (a transaction may run again).
  if (written.ok() && impl.log) {
    for (size_t i : checked.to_apply) {
      const IngestOutcome& o = checked.outcomes[i];
      if (o.result != IngestResult::kAccepted || o.conflict_with.empty()) continue;
      impl.log("conflict " + Printable(workspace + docs[i].path, 1024) + ": a save by " +
               Printable(docs[i].author, 128) + " replaced the save made here by " + Printable(o.conflict_with, 128) +
               " moments before; that content is kept in the history folder (esfs status counts conflicts)");
    }
  }
  return written;
}

}  // namespace

Result<std::vector<IngestOutcome>> Replica::IngestBatch(const std::string& workspace, std::span<const Document> docs) {
  auto checked = CheckBatch(state_, workspace, docs);
  if (!checked.ok()) return checked.status();
  if (Status s = WriteBatch(state_, workspace, docs, *checked); !s.ok()) return s;
  return std::move(checked->outcomes);
}

struct Replica::Ingester::State {
  StoreState* impl;
  std::string workspace;
  IngestProgress progress;
  struct Part {
    std::span<const Document> docs;
    std::future<Result<CheckedBatch>> checked;
  };
  std::deque<Part> in_flight;
  std::vector<IngestOutcome> outcomes;
  Status error = Status::Ok();

  // Waits for the oldest part's check, then writes it.
  Status WriteOldest() {
    Part part = std::move(in_flight.front());
    in_flight.pop_front();
    auto checked = part.checked.get();
    if (!checked.ok()) return checked.status();
    if (Status s = WriteBatch(*impl, workspace, part.docs, *checked); !s.ok()) return s;
    std::move(checked->outcomes.begin(), checked->outcomes.end(), std::back_inserter(outcomes));
    if (progress) progress(outcomes.size());
    return Status::Ok();
  }
};

Replica::Ingester::Ingester(std::unique_ptr<State> state) : state_(std::move(state)) {}
Replica::Ingester::Ingester(Ingester&&) noexcept = default;
Replica::Ingester::~Ingester() = default;  // a std::async future waits for its task

Status Replica::Ingester::Add(std::span<const Document> docs) {
  State& st = *state_;
  if (!st.error.ok()) return st.error;
  st.in_flight.push_back(
      {docs, std::async(std::launch::async, [&st, docs] { return CheckBatch(*st.impl, st.workspace, docs); })});
  // A document repeated in two parts in flight is checked twice; the write
  // of the later part decides, as one IngestBatch would.
  while (st.in_flight.size() > 1) {
    if (Status s = st.WriteOldest(); !s.ok()) return st.error = s;
  }
  return Status::Ok();
}

Result<std::vector<IngestOutcome>> Replica::Ingester::Finish() {
  State& st = *state_;
  while (st.error.ok() && !st.in_flight.empty()) {
    if (Status s = st.WriteOldest(); !s.ok()) st.error = s;
  }
  if (!st.error.ok()) return st.error;
  return std::move(st.outcomes);
}

Replica::Ingester Replica::StartIngest(const std::string& workspace, IngestProgress progress) {
  auto state = std::make_unique<Ingester::State>();
  state->impl = &state_;
  state->workspace = workspace;
  state->progress = std::move(progress);
  return Ingester(std::move(state));
}

Result<std::vector<IngestOutcome>> Replica::IngestMany(const std::string& workspace, std::span<const Document> docs,
                                                       size_t batch_size, const IngestProgress& progress) {
  batch_size = std::max<size_t>(1, batch_size);
  Ingester ingester = StartIngest(workspace, progress);
  for (size_t from = 0; from < docs.size(); from += batch_size) {
    if (Status s = ingester.Add(docs.subspan(from, std::min(batch_size, docs.size() - from))); !s.ok()) return s;
  }
  return ingester.Finish();
}

}  // namespace esfs::core
