// The read-only history folder (DESIGN decision 9, docs/history.md):
// <workspace>/.esfs-history/ mirrors the workspace's tree, and at the place
// of each path with documents there is a folder holding one file per author
// whose newest version es.4 keeps, named by the author's address:
//
//   .esfs-history/wiki/Bees.md/@suzy.b…   Suzy's newest version of /wiki/Bees.md
//
// Deleted files keep their history folder (their versions are tombstones or
// older contents). Nothing here can be written; restoring is copying a
// version over the file, which saves it as a new document by the user.
#include "core/path.h"
#include "fs/filesystem.h"
#include "fs/filesystem_internal.h"
#include "fs/names.h"

namespace esfs::fs {

using Location = FileSystem::Location;

bool Location::IsHistory() const { return !IsRootLocal() && !parts.empty() && parts[0] == kHistoryFolder; }

Location Location::HistorySubject() const {
  Location subject;
  subject.ws = ws;
  if (parts.size() > 1) {
    subject.parts.assign(parts.begin() + 1, parts.end());
    subject.segs.assign(segs.begin() + 1, segs.end());
  }
  return subject;
}

Result<std::optional<core::Document>> FileSystem::HistoryVersion(const Location& loc) const {
  const Location subject = loc.HistorySubject();
  if (subject.parts.size() < 2 || subject.parts.back().empty() || subject.parts.back()[0] != '@') {
    return std::optional<core::Document>();
  }
  const std::string author = subject.parts.back();
  auto doc = store_.GetDocument(loc.ws, subject.Parent().EsPath(), author);
  if (!doc.ok()) return doc.status();
  return *doc;
}

Result<bool> FileSystem::HistoryExists(const Location& loc, bool* is_dir) const {
  *is_dir = true;
  const Location subject = loc.HistorySubject();
  if (subject.parts.empty()) return true;
  auto version = HistoryVersion(loc);
  if (!version.ok()) return version.status();
  if (version->has_value()) {
    *is_dir = false;
    return true;
  }
  // A folder: a path with versions, or a prefix of some (deleted ones too).
  auto versions = store_.Versions(loc.ws, subject.EsPath());
  if (!versions.ok()) return versions.status();
  if (!versions->empty()) return true;
  auto below = store_.ListFolder(loc.ws, subject.EsFolderPrefix());
  if (!below.ok()) return below.status();
  return !below->empty();
}

Status FileSystem::HistoryList(const Location& loc, std::map<std::string, bool>* names) const {
  const Location subject = loc.HistorySubject();
  auto below = store_.ListFolder(loc.ws, subject.parts.empty() ? "/" : subject.EsFolderPrefix());
  if (!below.ok()) return below.status();
  // Every name below is a folder here: a sub-folder, or a path's versions.
  for (const auto& e : *below) (*names)[SegmentToName(e.name, subject.parts.empty())] = true;
  if (subject.parts.empty()) return Status::Ok();
  auto versions = store_.Versions(loc.ws, subject.EsPath());
  if (!versions.ok()) return versions.status();
  for (const auto& doc : *versions) names->emplace(doc.author, false);
  return Status::Ok();
}

Status FileSystem::HistoryAttr(const Location& loc, Attr* attr) const {
  attr->mode = attr->is_dir ? 0555 : 0444;
  attr->uncached = true;
  if (attr->is_dir) {
    attr->mtime_ns = mount_time_ns_;
    return Status::Ok();
  }
  auto version = HistoryVersion(loc);
  if (!version.ok()) return version.status();
  if (!version->has_value()) return Status::NotFound("no such version");
  attr->size = FileSize(loc.HistorySubject().Parent(), (*version)->content);
  attr->mtime_ns = (*version)->timestamp * 1000;
  return Status::Ok();
}

}  // namespace esfs::fs
