#include "fs/history_view.h"

#include <charconv>
#include <cstdio>
#include <ctime>

#include "core/path.h"
#include "fs/names.h"

namespace esfs::fs {

namespace {

constexpr size_t kTimeChars = 27;  // 2026-12-03T17.10.45.123456Z

}  // namespace

std::string LocalVersionName(int64_t timestamp, const std::string& author) {
  const time_t seconds = static_cast<time_t>(timestamp / 1'000'000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d.%02d.%02d.%06lldZ_", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(timestamp % 1'000'000));
  return text + author;
}

bool ParseLocalVersionName(std::string_view name, int64_t* timestamp, std::string* author) {
  if (name.size() <= kTimeChars + 1 || name[kTimeChars - 1] != 'Z' || name[kTimeChars] != '_' ||
      name[kTimeChars + 1] != '@') {
    return false;
  }
  struct tm tm {};
  int fields[7];
  const size_t at[7] = {0, 5, 8, 11, 14, 17, 20};
  const size_t len[7] = {4, 2, 2, 2, 2, 2, 6};
  for (int i = 0; i < 7; ++i) {
    const char* begin = name.data() + at[i];
    auto [end, ec] = std::from_chars(begin, begin + len[i], fields[i]);
    if (ec != std::errc() || end != begin + len[i]) return false;
  }
  tm.tm_year = fields[0] - 1900;
  tm.tm_mon = fields[1] - 1;
  tm.tm_mday = fields[2];
  tm.tm_hour = fields[3];
  tm.tm_min = fields[4];
  tm.tm_sec = fields[5];
  const int64_t seconds = static_cast<int64_t>(timegm(&tm));
  *timestamp = seconds * 1'000'000 + fields[6];
  *author = std::string(name.substr(kTimeChars + 1));
  // Only the canonical spelling names a version (one name per version).
  return LocalVersionName(*timestamp, *author) == name;
}

Result<std::optional<core::Document>> HistoryView::Version(const Location& loc) const {
  const Location subject = loc.HistorySubject();
  if (subject.parts.size() < 2 || subject.parts.back().empty()) return std::optional<core::Document>();
  const std::string& name = subject.parts.back();
  const std::string path = subject.Parent().EsPath();
  int64_t timestamp = 0;
  std::string author;
  if (ParseLocalVersionName(name, &timestamp, &author)) {
    // A local version: content this machine kept when it was replaced.
    auto kept = store_.local().Version(loc.ws, path, timestamp, author);
    if (!kept.ok()) return kept.status();
    if (!kept->has_value()) return std::optional<core::Document>();
    core::Document doc;
    doc.workspace = loc.ws;
    doc.path = path;
    doc.author = std::move((*kept)->author);
    doc.timestamp = (*kept)->timestamp;
    doc.content = std::move((*kept)->content);
    return std::optional<core::Document>(std::move(doc));
  }
  if (name[0] != '@') return std::optional<core::Document>();
  auto doc = store_.replica().GetDocument(loc.ws, path, name);
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
  auto kept = store_.local().Versions(loc.ws, subject.EsPath());
  if (!kept.ok()) return kept.status();
  if (!kept->empty()) return true;
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
  auto kept = store_.local().Versions(loc.ws, subject.EsPath());
  if (!kept.ok()) return kept.status();
  for (const auto& v : *kept) names->emplace(LocalVersionName(v.timestamp, v.author), false);
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
