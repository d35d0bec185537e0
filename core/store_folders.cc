// The folder index (core/store_folders.h): folder listings and existence
// from the replica's winners database, skipping sub-trees by seeking.
#include "core/store_folders.h"

#include <algorithm>
#include <set>

#include "core/store_state.h"

namespace esfs::core {

using namespace store_codec;

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

// Records a listing scans between two releases of its mapped pages.
constexpr size_t kReleaseEvery = 4096;

Result<std::vector<DirEntry>> FolderIndex::List(const std::string& workspace, const std::string& prefix) const {
  if (prefix.empty() || prefix.front() != '/' || prefix.back() != '/') {
    return Status::InvalidArgument("folder prefix must start and end with '/': " + prefix);
  }
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = state_.Now();
  const std::string ws_key = U32(*ws);
  // Keys hold at most kPathKeyLimit bytes of a path: scan by that, filter
  // by the full path kept in the summary.
  const std::string scan_prefix = ws_key + prefix.substr(0, std::min(prefix.size(), kPathKeyLimit));
  std::vector<DirEntry> entries;
  std::set<std::string> folders;
  Cursor c(*txn, state_.winners);
  bool ok = c.Seek(scan_prefix);
  size_t scanned = 0;
  while (ok && StartsWith(c.key(), scan_prefix)) {
    // A folder of 100,000 names would otherwise leave the whole file mapped
    // (the kernel maps the neighbours of every page read).
    if (++scanned % kReleaseEvery == 0) state_.env->ReleaseMappedPagesInTxn();
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
      auto versions = state_.VersionsAt(*txn, *ws, workspace, s.path);
      const StoredDoc* winner = StoreState::PickWinner(versions, now);
      if (winner == nullptr) {
        ok = c.Next();
        continue;
      }
      s = WinnerSummary{
          s.path,     winner->doc.author, winner->doc.timestamp, winner->doc.content.size(), winner->doc.deleteAfter,
          winner->seq};
    }
    entries.push_back(DirEntry{rest, false, s.author, s.timestamp, s.content_bytes, s.deleteAfter, s.seq});
    ok = c.Next();
  }
  return entries;
}

Result<bool> FolderIndex::Exists(const std::string& workspace, const std::string& prefix) const {
  auto txn = state_.env->BeginRead();
  if (!txn.ok()) return txn.status();
  auto ws = state_.WorkspaceId(*txn, workspace);
  if (!ws.ok()) return ws.status();
  const int64_t now = state_.Now();
  const std::string scan_prefix = U32(*ws) + prefix.substr(0, std::min(prefix.size(), kPathKeyLimit));
  Cursor c(*txn, state_.winners);
  for (bool ok = c.Seek(scan_prefix); ok && StartsWith(c.key(), scan_prefix); ok = c.Next()) {
    WinnerSummary s;
    if (!DecodeWinner(c.value(), c.key().substr(4), &s) || !StartsWith(s.path, prefix)) continue;
    if (s.content_bytes > 0 && !(s.deleteAfter && now > *s.deleteAfter)) return true;
  }
  return false;
}

}  // namespace esfs::core
