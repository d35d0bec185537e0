// The replica's read side (core/store_replica.h): winners, versions,
// indexes and the reference's queries. Every call is one read transaction.
#include <algorithm>
#include <map>
#include <set>

#include "core/content_codec.h"
#include "core/ordering.h"
#include "core/store_replica.h"
#include "core/store_state.h"

namespace esfs::core {

using namespace store_codec;

namespace {

// Below this, faulting pages in one by one costs less than the extra call.
constexpr size_t kPrefaultBytes = size_t{64} * 1024;

// Newest first: the winner rule, so that element 0 is the winner.
void SortNewestFirst(std::vector<StoredDoc>& docs) {
  std::sort(docs.begin(), docs.end(), [](const StoredDoc& a, const StoredDoc& b) { return WinsOver(a.doc, b.doc); });
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

Result<bool> Replica::VisitWinner(const std::string& workspace, const std::string& path,
                                  const std::function<void(const DocView&)>& visit, WinnerUse use) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = state_.Now();
  auto summary_value = txn->Get(state_.winners, WinnerKey(*ws, path));
  if (!summary_value.ok()) return false;
  WinnerSummary summary;
  if (DecodeWinner(*summary_value, path, &summary) && summary.path == path &&
      !(summary.deleteAfter && now > *summary.deleteAfter)) {
    auto value = txn->Get(state_.docs, DocKey(*ws, path, summary.author));
    DocView view;
    uint64_t seq = 0;
    if (value.ok() && DecodeDocView(*value, &view, &seq)) {
      // The map is MADV_RANDOM: content read page by page from a cold disk
      // costs one read request per 4 KiB.
      if (view.content.size() >= kPrefaultBytes &&
          (use == WinnerUse::kContent || (use == WinnerUse::kDecodedSize && DecodedSizeReadsAll(view.content)))) {
        LmdbEnv::PrefaultMapped(view.content);
      }
      visit(view);
      return true;
    }
  }
  // The indexed winner expired since it was chosen (or the index is for
  // another long path): decide again among the living versions.
  auto versions = state_.VersionsAt(*txn, *ws, workspace, path);
  const StoredDoc* winner = StoreState::PickWinner(versions, now);
  if (winner == nullptr) return false;
  visit(ViewOf(winner->doc));
  return true;
}

Result<std::optional<Document>> Replica::Winner(const std::string& workspace, const std::string& path) const {
  std::optional<Document> out;
  auto found = VisitWinner(workspace, path, [&](const DocView& view) { out = ToDocument(view, workspace); });
  if (!found.ok()) return found.status();
  return out;
}

Result<uint64_t> Replica::WinnerSeq(const std::string& workspace, const std::string& path) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  auto summary_value = txn->Get(state_.winners, WinnerKey(*ws, path));
  if (!summary_value.ok()) return uint64_t{0};
  WinnerSummary summary;
  if (!DecodeWinner(*summary_value, path, &summary) || summary.path != path) return uint64_t{0};
  if (summary.deleteAfter && state_.Now() > *summary.deleteAfter) return uint64_t{0};
  return summary.seq;
}

Result<std::optional<Document>> Replica::GetDocument(const std::string& workspace, const std::string& path,
                                                     const std::string& author) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  auto value = txn->Get(state_.docs, DocKey(*ws, path, author));
  StoredDoc stored;
  if (!value.ok() || !DecodeDoc(*value, workspace, &stored) || stored.doc.path != path ||
      StoreState::Expired(stored.doc, state_.Now())) {
    return std::optional<Document>();
  }
  return std::optional<Document>(std::move(stored.doc));
}

Result<std::vector<Document>> Replica::Versions(const std::string& workspace, const std::string& path) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = state_.Now();
  auto versions = state_.VersionsAt(*txn, *ws, workspace, path);
  std::erase_if(versions, [now](const StoredDoc& d) { return StoreState::Expired(d.doc, now); });
  SortNewestFirst(versions);
  std::vector<Document> out;
  out.reserve(versions.size());
  for (auto& v : versions) out.push_back(std::move(v.doc));
  return out;
}

Result<std::vector<Document>> Replica::ByAuthor(const std::string& workspace, const std::string& author) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = state_.Now();
  const std::string prefix = U32(*ws) + author + std::string(1, '\0');
  std::vector<Document> out;
  Cursor c(*txn, state_.by_author);
  for (bool ok = c.Seek(prefix); ok && StartsWith(c.key(), prefix); ok = c.Next()) {
    auto value = txn->Get(state_.docs, c.value());
    StoredDoc stored;
    if (value.ok() && DecodeDoc(*value, workspace, &stored) && !StoreState::Expired(stored.doc, now)) {
      out.push_back(std::move(stored.doc));
    }
  }
  std::sort(out.begin(), out.end(), [](const Document& a, const Document& b) { return a.path < b.path; });
  return out;
}

Result<std::vector<Document>> Replica::ByTime(const std::string& workspace, int64_t from, int64_t to,
                                              size_t limit) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = state_.Now();
  const std::string end = TimeKey(*ws, to, 0);
  std::vector<Document> out;
  Cursor c(*txn, state_.by_time);
  for (bool ok = c.Seek(TimeKey(*ws, from, 0)); ok && c.key() < end && out.size() < limit; ok = c.Next()) {
    auto value = txn->Get(state_.docs, c.value());
    StoredDoc stored;
    if (value.ok() && DecodeDoc(*value, workspace, &stored) && !StoreState::Expired(stored.doc, now)) {
      out.push_back(std::move(stored.doc));
    }
  }
  return out;
}

Result<std::vector<Document>> Replica::AllDocuments(const std::string& workspace) const {
  Query all;
  all.includeHistory = true;
  return QueryDocuments(workspace, all);
}

// Spec §10.1, with one documented difference: expired documents are dropped
// before the winner is chosen (6.8.5 sqlite; see docs/store.md).
Result<std::vector<Document>> Replica::QueryDocuments(const std::string& workspace, const Query& q) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = q.now.value_or(state_.Now());
  const std::string ws_key = U32(*ws);
  // Candidate range: the tightest start the filters allow.
  std::string start = q.path.value_or("");
  if (!q.path) {
    if (q.pathPrefix) start = std::max(start, *q.pathPrefix);
    if (q.lowPath) start = std::max(start, *q.lowPath);
  }
  std::map<std::string, std::vector<StoredDoc>> by_path;
  Cursor c(*txn, state_.docs);
  for (bool ok = c.Seek(ws_key + PathKey(start).substr(0, kPathKeyLimit)); ok && StartsWith(c.key(), ws_key);
       ok = c.Next()) {
    StoredDoc stored;
    if (!DecodeDoc(c.value(), workspace, &stored)) continue;
    const std::string& path = stored.doc.path;
    // Stop once past every path the filters can still accept.
    if (q.path && path.substr(0, kPathKeyLimit) > q.path->substr(0, kPathKeyLimit)) break;
    if (q.pathPrefix && !StartsWith(path, *q.pathPrefix) && path.substr(0, kPathKeyLimit) > *q.pathPrefix) break;
    if (q.highPath && path.substr(0, kPathKeyLimit) >= *q.highPath && path >= *q.highPath) break;
    if (q.path && path != *q.path) continue;
    if (q.pathPrefix && !StartsWith(path, *q.pathPrefix)) continue;
    if (q.lowPath && path < *q.lowPath) continue;
    if (q.highPath && path >= *q.highPath) continue;
    if (StoreState::Expired(stored.doc, now)) continue;
    by_path[path].push_back(std::move(stored));
  }
  std::vector<Document> out;
  for (auto& [path, versions] : by_path) {
    if (q.participatingAuthor && std::none_of(versions.begin(), versions.end(), [&](const StoredDoc& d) {
          return d.doc.author == *q.participatingAuthor;
        })) {
      continue;
    }
    SortNewestFirst(versions);
    if (!q.includeHistory) versions.resize(1);
    for (auto& v : versions) {
      if (q.versionsByAuthor && v.doc.author != *q.versionsByAuthor) continue;
      if (q.contentIsEmpty && v.doc.content.empty() != *q.contentIsEmpty) continue;
      out.push_back(std::move(v.doc));
    }
  }
  // by_path is in path order and each path's versions newest first already.
  if (q.limit && *q.limit > 0 && out.size() > static_cast<size_t>(*q.limit)) out.resize(*q.limit);
  return out;
}

Result<std::vector<std::string>> Replica::QueryPaths(const std::string& workspace, const Query& q) const {
  Query without_limit = q;
  without_limit.limit.reset();
  auto docs = QueryDocuments(workspace, without_limit);
  if (!docs.ok()) return docs.status();
  std::vector<std::string> paths;
  for (const auto& d : *docs) {
    if (paths.empty() || paths.back() != d.path) paths.push_back(d.path);
    // The reference stops once it has |limit| paths; with limit 0 that is
    // after the first (queries.json "limit: 0").
    if (q.limit && paths.size() >= static_cast<size_t>(std::max<int64_t>(*q.limit, 0))) break;
  }
  return paths;
}

}  // namespace esfs::core
