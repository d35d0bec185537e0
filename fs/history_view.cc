#include "fs/history_view.h"

#include "core/path.h"
#include "fs/names.h"

namespace esfs::fs {

Result<std::optional<core::Document>> HistoryView::Version(const Location& loc) const {
  const Location subject = loc.HistorySubject();
  if (subject.parts.size() < 2 || subject.parts.back().empty() || subject.parts.back()[0] != '@') {
    return std::optional<core::Document>();
  }
  const std::string author = subject.parts.back();
  auto doc = store_.replica().GetDocument(loc.ws, subject.Parent().EsPath(), author);
  if (!doc.ok()) return doc.status();
  return *doc;
}

Result<bool> HistoryView::Exists(const Location& loc, bool* is_dir) const {
  *is_dir = true;
  const Location subject = loc.HistorySubject();
  if (subject.parts.empty()) return true;
  auto version = Version(loc);
  if (!version.ok()) return version.status();
  if (version->has_value()) {
    *is_dir = false;
    return true;
  }
  // A folder: a path with versions, or a prefix of some (deleted ones too).
  auto versions = store_.replica().Versions(loc.ws, subject.EsPath());
  if (!versions.ok()) return versions.status();
  if (!versions->empty()) return true;
  auto below = store_.folders().List(loc.ws, subject.EsFolderPrefix());
  if (!below.ok()) return below.status();
  return !below->empty();
}

Status HistoryView::List(const Location& loc, std::map<std::string, bool>* names) const {
  const Location subject = loc.HistorySubject();
  auto below = store_.folders().List(loc.ws, subject.parts.empty() ? "/" : subject.EsFolderPrefix());
  if (!below.ok()) return below.status();
  // Every name below is a folder here: a sub-folder, or a path's versions.
  for (const auto& e : *below) (*names)[SegmentToName(e.name, subject.parts.empty())] = true;
  if (subject.parts.empty()) return Status::Ok();
  auto versions = store_.replica().Versions(loc.ws, subject.EsPath());
  if (!versions.ok()) return versions.status();
  for (const auto& doc : *versions) names->emplace(doc.author, false);
  return Status::Ok();
}

Status HistoryView::Fill(const Location& loc, Attr* attr) const {
  attr->mode = attr->is_dir ? 0555 : 0444;
  attr->uncached = true;
  if (attr->is_dir) {
    attr->mtime_ns = folder_time_ns_;
    return Status::Ok();
  }
  auto version = Version(loc);
  if (!version.ok()) return version.status();
  if (!version->has_value()) return Status::NotFound("no such version");
  attr->size = FileSize(loc.HistorySubject().Parent(), (*version)->content);
  attr->mtime_ns = (*version)->timestamp * 1000;
  return Status::Ok();
}

Result<std::string> HistoryView::Bytes(const Location& loc) const {
  auto version = Version(loc);
  if (!version.ok()) return version.status();
  if (!version->has_value()) return std::string();
  return FileBytes(loc.HistorySubject().Parent(), std::move((*version)->content));
}

}  // namespace esfs::fs
