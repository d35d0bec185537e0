#include "fs/resolver.h"

#include "core/document.h"
#include "core/path.h"
#include "fs/fs_types.h"
#include "fs/names.h"

namespace esfs::fs {

Resolver::Resolver(const core::Store& store, const LocalArea& local, const HistoryView& history, std::string author,
                   Log log)
    : store_(store), local_(local), history_(history), author_(std::move(author)), log_(std::move(log)) {}

std::set<std::string> Resolver::TwinSegments(const std::vector<core::DirEntry>& listed) {
  std::set<std::string> folders, twins;
  for (const auto& e : listed) {
    if (e.is_folder) folders.insert(e.name);
  }
  for (const auto& e : listed) {
    if (!e.is_folder && e.content_bytes > 0 && folders.contains(e.name)) twins.insert(e.name);
  }
  return twins;
}

// SegmentToName, and a segment "X.esfs-file" next to the twin pair "X"
// escaped to "X%2Eesfs-file", since "X.esfs-file" names the document "/X".
std::string Resolver::ListedName(const std::string& segment, bool workspace_root, const std::set<std::string>& twins) {
  std::string name = SegmentToName(segment, workspace_root);
  const std::string_view suffix = kTwinSuffix;
  if (segment.ends_with(suffix) && name.ends_with(suffix) &&
      twins.contains(segment.substr(0, segment.size() - suffix.size()))) {
    name.resize(name.size() - suffix.size());
    name += "%2E";
    name += suffix.substr(1);
  }
  return name;
}

Result<Location> Resolver::ChildLocation(const Location& parent, const std::string& name) const {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return Status::InvalidArgument("bad name");
  }
  if (name.size() > kMaxNameBytes) return Status::NameTooLong("name over 255 bytes");
  Location child = parent.Child(name);
  if (child.IsHistory() && child.parts.size() > 1) {
    // The history of a path another app wrote: resolve in the workspace.
    const Location subject = parent.HistorySubject();
    child.segs.back() = ResolveForeign(subject, subject.Child(name)).segs.back();
    return child;
  }
  if (child.parts.empty() || LocalOnly(child) || child.IsHistory()) return child;
  if (auto twin = TwinLocation(parent, name)) return *twin;
  return ResolveForeign(parent, child);
}

bool Resolver::PublishedAt(const Location& loc, bool* is_folder) const {
  auto folder = store_.folders().Exists(loc.ws, loc.EsFolderPrefix());
  *is_folder = folder.ok() && *folder;
  if (*is_folder) return true;
  auto live = LiveWinner(loc);
  return live.ok() && *live;
}

Result<bool> Resolver::LiveWinner(const Location& loc) const {
  bool live = false;
  auto found =
      store_.replica().VisitWinner(loc.ws, loc.EsPath(), [&](const core::DocView& doc) { live = !doc.IsTombstone(); });
  if (!found.ok()) return found.status();
  return live;
}

uint64_t Resolver::CurrentSeq(const Location& loc) const {
  auto seq = store_.replica().WinnerSeq(loc.ws, loc.EsPath());
  return seq.ok() ? *seq : 0;
}

std::optional<Location> Resolver::TwinLocation(const Location& parent, const std::string& name) const {
  const std::string suffix = kTwinSuffix;
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  const std::string base = name.substr(0, name.size() - suffix.size());
  Location twin = ResolveForeign(parent, parent.Child(base));
  bool is_folder = false;
  if (!PublishedAt(twin, &is_folder) || !is_folder) return std::nullopt;
  auto live = LiveWinner(twin);
  if (!live.ok() || !*live) return std::nullopt;
  twin.parts.back() = name;
  twin.file_twin = true;
  return twin;
}

Location Resolver::ResolveForeign(const Location& parent, Location child) const {
  // Only a name with '%' or '~' can be the decoding of a segment that is
  // not its canonical encoding (docs/names.md); the canonical path wins.
  const std::string& name = child.parts.back();
  if (name.find_first_of("%~") == std::string::npos) return child;
  bool is_folder = false;
  if (PublishedAt(child, &is_folder)) return child;
  auto listed = store_.folders().List(parent.ws, parent.parts.empty() ? "/" : parent.EsFolderPrefix());
  if (!listed.ok()) return child;
  const std::set<std::string> twins = TwinSegments(*listed);
  for (const auto& e : *listed) {
    if (e.name != child.segs.back() && ListedName(e.name, parent.parts.empty(), twins) == name) {
      return parent.Child(name, e.name);
    }
  }
  return child;
}

Result<bool> Resolver::Exists(const Location& loc, bool* is_dir) const {
  if (loc.IsMountRoot()) {
    *is_dir = true;
    return true;
  }
  if (loc.IsHistory()) return history_.Exists(loc, is_dir);
  if (loc.IsWorkspaceRoot()) {
    *is_dir = true;
    auto ws = store_.workspaces().Get(loc.ws);
    if (ws.ok()) return true;
    if (ws.status().code() == StatusCode::kNotFound) return false;
    return ws.status();
  }
  struct stat st;
  const bool has_local = local_.Stat(loc, &st);
  if (has_local) {
    *is_dir = S_ISDIR(st.st_mode);
    // A published document shadows an empty local placeholder of the same
    // name (it got content elsewhere, e.g. from a sync).
    if (*is_dir || LocalOnly(loc) || st.st_size > 0) return true;
  }
  if (LocalOnly(loc)) return false;
  if (!loc.file_twin) {
    auto folder = store_.folders().Exists(loc.ws, loc.EsFolderPrefix());
    if (!folder.ok()) return folder.status();
    if (*folder) {
      *is_dir = true;
      return true;
    }
  }
  auto live = LiveWinner(loc);
  if (!live.ok()) return live.status();
  if (*live) {
    *is_dir = false;
    return true;
  }
  // An empty local placeholder with no published content.
  if (has_local) {
    *is_dir = S_ISDIR(st.st_mode);
    return true;
  }
  return false;
}

std::string Resolver::OwnershipPath(const Location& loc) const {
  if (loc.IsMountRoot() || loc.IsRootLocal()) return "";
  const size_t first_local = loc.IsHistory() ? loc.parts.size() : local_.names().FirstLocal(loc.ws, loc.parts);
  std::string path;
  for (size_t i = 0; i < first_local; ++i) path += "/" + loc.segs[i];
  // "/x" stands for the local-only name below a folder.
  if (first_local < loc.parts.size() && !path.empty()) path += "/x";
  return path;
}

bool Resolver::Writable(const Location& loc) const {
  if (loc.IsHistory()) return false;
  const std::string path = OwnershipPath(loc);
  return path.empty() || core::AuthorCanWrite(author_, path);
}

Status Resolver::CheckWritable(const Location& loc, const char* operation) const {
  if (Writable(loc)) return Status::Ok();
  if (loc.IsHistory()) {
    log_(std::string(operation) + " " + Describe(loc) + ": refused, " + kHistoryFolder +
         " only shows past versions (copy one over the file to restore it)");
    return Status::PermissionDenied("history is read-only");
  }
  const std::string path = OwnershipPath(loc);
  log_(std::string(operation) + " " + Describe(loc) + ": refused, the path belongs to another author (" + path +
       " has an owner marker that is not " + author_ + ")");
  return Status::PermissionDenied("path owned by another author");
}

size_t Resolver::MaxFileBytes(const Location& loc) const {
  if (LocalOnly(loc)) return kMaxLocalFileBytes;
  if (!loc.parts.empty() && IsBinaryName(loc.DocName())) return kMaxBinaryFileBytes;
  return core::kMaxContentBytes;
}

Status Resolver::CheckFileSize(const Location& loc, uint64_t offset, uint64_t size, const char* operation) const {
  const uint64_t limit = MaxFileBytes(loc);
  if (offset <= limit && size <= limit - offset) return Status::Ok();
  log_(std::string(operation) + " " + Describe(loc) + ": refused, the file would be " +
       (offset > limit ? "" : std::to_string(offset + size) + " bytes, ") + "over the " +
       (LocalOnly(loc) ? "local-only file" : "es.4") + " limit of " + std::to_string(limit) + " bytes");
  return Status::TooLarge("file too large");
}

}  // namespace esfs::fs
