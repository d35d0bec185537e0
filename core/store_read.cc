// The store's read side: winners, versions, folder listings, indexes and
// the reference's queries. Every call is one read transaction.
#include <algorithm>
#include <map>
#include <set>

#include "core/ordering.h"
#include "core/store.h"
#include "core/store_impl.h"

namespace esfs::core {

using namespace store_codec;

namespace {

// Below this, faulting pages in one by one costs less than the extra call.
constexpr size_t kPrefaultBytes = 64 * 1024;

// Newest first: the winner rule, so that element 0 is the winner.
void SortNewestFirst(std::vector<StoredDoc>& docs) {
  std::sort(docs.begin(), docs.end(), [](const StoredDoc& a, const StoredDoc& b) { return WinsOver(a.doc, b.doc); });
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

Result<bool> Store::VisitWinner(const std::string& workspace, const std::string& path,
                                const std::function<void(const DocView&)>& visit, WinnerUse use) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = impl_->Now();
  auto summary_value = txn->Get(impl_->winners, WinnerKey(*ws, path));
  if (!summary_value.ok()) return false;
  WinnerSummary summary;
  if (DecodeWinner(*summary_value, path, &summary) && summary.path == path &&
      !(summary.deleteAfter && now > *summary.deleteAfter)) {
    auto value = txn->Get(impl_->docs, DocKey(*ws, path, summary.author));
    DocView view;
    uint64_t seq = 0;
    if (value.ok() && DecodeDocView(*value, &view, &seq)) {
      if (use == WinnerUse::kContent && view.content.size() >= kPrefaultBytes) LmdbEnv::PrefaultMapped(view.content);
      visit(view);
      return true;
    }
  }
  // The indexed winner expired since it was chosen (or the index is for
  // another long path): decide again among the living versions.
  auto versions = impl_->VersionsAt(*txn, *ws, workspace, path);
  const StoredDoc* winner = Impl::PickWinner(versions, now);
  if (winner == nullptr) return false;
  visit(ViewOf(winner->doc));
  return true;
}

Result<std::optional<Document>> Store::Winner(const std::string& workspace, const std::string& path) const {
  std::optional<Document> out;
  auto found = VisitWinner(workspace, path, [&](const DocView& view) { out = ToDocument(view, workspace); });
  if (!found.ok()) return found.status();
  return out;
}

Result<uint64_t> Store::WinnerSeq(const std::string& workspace, const std::string& path) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  auto summary_value = txn->Get(impl_->winners, WinnerKey(*ws, path));
  if (!summary_value.ok()) return uint64_t{0};
  WinnerSummary summary;
  if (!DecodeWinner(*summary_value, path, &summary) || summary.path != path) return uint64_t{0};
  if (summary.deleteAfter && impl_->Now() > *summary.deleteAfter) return uint64_t{0};
  return summary.seq;
}

Result<std::optional<Document>> Store::GetDocument(const std::string& workspace, const std::string& path,
                                                   const std::string& author) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  auto value = txn->Get(impl_->docs, DocKey(*ws, path, author));
  StoredDoc stored;
  if (!value.ok() || !DecodeDoc(*value, workspace, &stored) || stored.doc.path != path ||
      Impl::Expired(stored.doc, impl_->Now())) {
    return std::optional<Document>();
  }
  return std::optional<Document>(std::move(stored.doc));
}

Result<std::vector<Document>> Store::Versions(const std::string& workspace, const std::string& path) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = impl_->Now();
  auto versions = impl_->VersionsAt(*txn, *ws, workspace, path);
  std::erase_if(versions, [now](const StoredDoc& d) { return Impl::Expired(d.doc, now); });
  SortNewestFirst(versions);
  std::vector<Document> out;
  for (auto& v : versions) out.push_back(std::move(v.doc));
  return out;
}

Result<std::vector<DirEntry>> Store::ListFolder(const std::string& workspace, const std::string& prefix) const {
  if (prefix.empty() || prefix.front() != '/' || prefix.back() != '/') {
    return Status::InvalidArgument("folder prefix must start and end with '/': " + prefix);
  }
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = impl_->Now();
  const std::string ws_key = U32(*ws);
  // Keys hold at most kPathKeyLimit bytes of a path: scan by that, filter
  // by the full path kept in the summary.
  const std::string scan_prefix = ws_key + prefix.substr(0, std::min(prefix.size(), kPathKeyLimit));
  std::vector<DirEntry> entries;
  std::set<std::string> folders;
  Cursor c(*txn, impl_->winners);
  bool ok = c.Seek(scan_prefix);
  while (ok && StartsWith(c.key(), scan_prefix)) {
    WinnerSummary s;
    std::string_view key_path = c.key().substr(4);
    if (!DecodeWinner(c.value(), key_path, &s) || !StartsWith(s.path, prefix)) {
      ok = c.Next();
      continue;
    }
    const std::string rest = s.path.substr(prefix.size());
    const size_t slash = rest.find('/');
    if (slash != std::string::npos) {
      // A folder exists while something living and non-empty is below it;
      // look on until one is found, then skip the rest of the sub-tree
      // (the next key after "<prefix><name>/" is at or after
      // "<prefix><name>0", as '0' follows '/').
      const std::string name = rest.substr(0, slash);
      const bool alive = s.content_bytes > 0 && !(s.deleteAfter && now > *s.deleteAfter);
      if (!alive) {
        ok = c.Next();
        continue;
      }
      if (folders.insert(name).second) entries.push_back(DirEntry{name, true});
      const std::string skip = prefix + name + "0";
      ok = skip.size() <= kPathKeyLimit ? c.Seek(ws_key + skip) : c.Next();
      continue;
    }
    if (s.deleteAfter && now > *s.deleteAfter) {
      // The indexed winner expired: an older living version may show.
      auto versions = impl_->VersionsAt(*txn, *ws, workspace, s.path);
      const StoredDoc* winner = Impl::PickWinner(versions, now);
      if (winner == nullptr) {
        ok = c.Next();
        continue;
      }
      s = WinnerSummary{s.path, winner->doc.author, winner->doc.timestamp, winner->doc.content.size(),
                        winner->doc.deleteAfter, winner->seq};
    }
    entries.push_back(DirEntry{rest, false, s.author, s.timestamp, s.content_bytes, s.deleteAfter, s.seq});
    ok = c.Next();
  }
  return entries;
}

Result<bool> Store::FolderExists(const std::string& workspace, const std::string& prefix) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = impl_->Now();
  const std::string scan_prefix = U32(*ws) + prefix.substr(0, std::min(prefix.size(), kPathKeyLimit));
  Cursor c(*txn, impl_->winners);
  for (bool ok = c.Seek(scan_prefix); ok && StartsWith(c.key(), scan_prefix); ok = c.Next()) {
    WinnerSummary s;
    if (!DecodeWinner(c.value(), c.key().substr(4), &s) || !StartsWith(s.path, prefix)) continue;
    if (s.content_bytes > 0 && !(s.deleteAfter && now > *s.deleteAfter)) return true;
  }
  return false;
}

Result<std::vector<Document>> Store::ByAuthor(const std::string& workspace, const std::string& author) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = impl_->Now();
  const std::string prefix = U32(*ws) + author + std::string(1, '\0');
  std::vector<Document> out;
  Cursor c(*txn, impl_->by_author);
  for (bool ok = c.Seek(prefix); ok && StartsWith(c.key(), prefix); ok = c.Next()) {
    auto value = txn->Get(impl_->docs, c.value());
    StoredDoc stored;
    if (value.ok() && DecodeDoc(*value, workspace, &stored) && !Impl::Expired(stored.doc, now)) {
      out.push_back(std::move(stored.doc));
    }
  }
  std::sort(out.begin(), out.end(), [](const Document& a, const Document& b) { return a.path < b.path; });
  return out;
}

Result<std::vector<Document>> Store::ByTime(const std::string& workspace, int64_t from, int64_t to,
                                            size_t limit) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = impl_->Now();
  const std::string end = TimeKey(*ws, to, 0);
  std::vector<Document> out;
  Cursor c(*txn, impl_->by_time);
  for (bool ok = c.Seek(TimeKey(*ws, from, 0)); ok && c.key() < end && out.size() < limit; ok = c.Next()) {
    auto value = txn->Get(impl_->docs, c.value());
    StoredDoc stored;
    if (value.ok() && DecodeDoc(*value, workspace, &stored) && !Impl::Expired(stored.doc, now)) {
      out.push_back(std::move(stored.doc));
    }
  }
  return out;
}

Result<std::vector<Document>> Store::AllDocuments(const std::string& workspace) const {
  Query all;
  all.includeHistory = true;
  return QueryDocuments(workspace, all);
}

// Spec §10.1, with one documented difference: expired documents are dropped
// before the winner is chosen (6.8.5 sqlite; see docs/store.md).
Result<std::vector<Document>> Store::QueryDocuments(const std::string& workspace, const Query& q) const {
  auto txn = impl_->env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = impl_->WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = q.now.value_or(impl_->Now());
  const std::string ws_key = U32(*ws);
  // Candidate range: the tightest start the filters allow.
  std::string start = q.path.value_or("");
  if (!q.path) {
    if (q.pathPrefix) start = std::max(start, *q.pathPrefix);
    if (q.lowPath) start = std::max(start, *q.lowPath);
  }
  std::map<std::string, std::vector<StoredDoc>> by_path;
  Cursor c(*txn, impl_->docs);
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
    if (Impl::Expired(stored.doc, now)) continue;
    by_path[path].push_back(std::move(stored));
  }
  std::vector<Document> out;
  for (auto& [path, versions] : by_path) {
    if (q.participatingAuthor &&
        std::none_of(versions.begin(), versions.end(),
                     [&](const StoredDoc& d) { return d.doc.author == *q.participatingAuthor; })) {
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

Result<std::vector<std::string>> Store::QueryPaths(const std::string& workspace, const Query& q) const {
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
