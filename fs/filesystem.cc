// Inodes, lookups, attributes and folders.
#include "fs/filesystem.h"

#include <algorithm>
#include <set>

#include "core/address.h"
#include "core/base64.h"
#include "core/path.h"
#include "core/printable.h"
#include "fs/filesystem_internal.h"
#include "fs/local_names.h"
#include "fs/names.h"

namespace esfs::fs {

using Location = FileSystem::Location;

// ---- locations ----

std::string Location::Key() const {
  std::string key = ws;
  key.push_back('\0');
  for (const auto& p : parts) key += p + "/";
  return key;
}

std::string Location::EsPath() const {
  std::string path;
  for (const auto& s : segs) path += "/" + s;
  return path;
}

std::string Location::EsFolderPrefix() const { return EsPath() + "/"; }

bool Location::IsRootLocal() const { return !ws.empty() && ws[0] != '+' && IsJunkName(ws); }

Location Location::Child(const std::string& name) const { return Child(name, NameToSegment(name)); }

Location Location::Child(const std::string& name, const std::string& seg) const {
  Location child = *this;
  child.file_twin = false;
  if (child.ws.empty()) {
    child.ws = name;
  } else {
    child.parts.push_back(name);
    child.segs.push_back(seg);
  }
  return child;
}

bool Location::IsChildOf(const Location& dir) const {
  return ws == dir.ws && parts.size() == dir.parts.size() + 1 &&
         std::equal(dir.parts.begin(), dir.parts.end(), parts.begin());
}

Location Location::Parent() const {
  Location parent = *this;
  parent.file_twin = false;
  if (!parent.parts.empty()) {
    parent.parts.pop_back();
    parent.segs.pop_back();
  } else {
    parent.ws.clear();
  }
  return parent;
}

std::string Location::DocName() const { return segs.empty() ? "" : SegmentToName(segs.back()); }

// ---- setup ----

FileSystem::FileSystem(core::Store& store, const core::Signer& signer, MountConfig config)
    : store_(store),
      signer_(signer),
      config_(std::move(config)),
      local_root_(config_.data_dir + "/local"),
      local_names_(config_.data_dir, config_.log) {
  // <data>/local is opened now and kept open for the mount's life.
  if (Status s = local_root_.MakeDirs(LocalRelPath()); !s.ok()) Log(s.message());
  auto root = std::make_unique<Node>();
  root->ino = kRootInode;
  root->is_dir = true;
  root->lookups = 1;
  if (config_.single_workspace) root->loc.ws = *config_.single_workspace;
  ino_of_[root->loc.Key()] = kRootInode;
  nodes_[kRootInode] = std::move(root);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  mount_time_ns_ = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

FileSystem::~FileSystem() = default;

void FileSystem::Log(const std::string& line) const {
  if (config_.log) config_.log(line);
}

Result<LocalRelPath> LocalRelOf(const Location& loc) {
  LocalRelPath path;
  if (loc.ws.empty()) return path;
  if (Status s = path.Append(loc.ws); !s.ok()) return s;
  for (const auto& p : loc.parts) {
    if (Status s = path.Append(p); !s.ok()) return s;
  }
  return path;
}

Result<LocalRelPath> FileSystem::CheckedLocalPath(const Location& loc, const char* operation) const {
  auto path = LocalRelOf(loc);
  if (!path.ok()) {
    Log(std::string(operation) + " " + Describe(loc) + ": refused, nothing written: " +
        path.status().message());
  }
  return path;
}

bool FileSystem::LocalStat(const Location& loc, struct stat* st) const {
  auto path = LocalRelOf(loc);
  return path.ok() && local_root_.Stat(*path, st);
}

std::string Describe(const Location& loc) {
  std::string text = loc.ws;
  for (const auto& p : loc.parts) text += "/" + p;
  return core::Printable(text, 1024);  // names from peers: never raw in a log line
}

namespace {

// The decoded bytes of content stored under a binary name; nullopt for
// text, or for content under such a name that is not base64.
std::optional<std::string> DecodedIfBinary(const Location& loc, std::string_view content) {
  if (loc.parts.empty() || !IsBinaryName(loc.DocName())) return std::nullopt;
  return core::Base64Decode(content);
}

}  // namespace

std::string FileBytes(const Location& loc, std::string content) {
  if (auto bytes = DecodedIfBinary(loc, content)) return std::move(*bytes);
  return content;
}

void AssignFileBytes(const Location& loc, std::string_view content, std::string* out) {
  if (auto bytes = DecodedIfBinary(loc, content)) {
    *out = std::move(*bytes);
  } else {
    out->assign(content);  // reuses |out|'s memory when it is large enough
  }
}

uint64_t FileSize(const Location& loc, std::string_view content) {
  if (loc.parts.empty() || !IsBinaryName(loc.DocName())) return content.size();
  return core::Base64DecodedSize(content).value_or(content.size());
}

std::string DocContent(const Location& loc, const std::string& bytes) {
  if (loc.parts.empty() || !IsBinaryName(loc.DocName())) return bytes;
  return core::Base64Encode(bytes);
}

// ---- names of store entries ----

namespace {

// The segments in |listed| that are both a folder and a document with
// content: the document is shown as "<name>.esfs-file" (docs/names.md).
std::set<std::string> TwinSegments(const std::vector<core::DirEntry>& listed) {
  std::set<std::string> folders, twins;
  for (const auto& e : listed) {
    if (e.is_folder) folders.insert(e.name);
  }
  for (const auto& e : listed) {
    if (!e.is_folder && e.content_bytes > 0 && folders.count(e.name)) twins.insert(e.name);
  }
  return twins;
}

// The name a folder lists for the store's entry |segment|: SegmentToName,
// and a segment "X.esfs-file" next to the twin pair "X" escaped to
// "X%2Eesfs-file", since "X.esfs-file" names the document "/X" then.
std::string ListedName(const std::string& segment, bool workspace_root, const std::set<std::string>& twins) {
  std::string name = SegmentToName(segment, workspace_root);
  const std::string_view suffix = kTwinSuffix;
  if (segment.ends_with(suffix) && name.ends_with(suffix) &&
      twins.count(segment.substr(0, segment.size() - suffix.size())) > 0) {
    name.resize(name.size() - suffix.size());
    name += "%2E";
    name += suffix.substr(1);
  }
  return name;
}

}  // namespace

// ---- nodes ----

FileSystem::Node* FileSystem::FindNode(uint64_t ino) {
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : it->second.get();
}

FileSystem::Node& FileSystem::NodeFor(const Location& loc, bool is_dir) {
  const std::string key = loc.Key();
  if (auto it = ino_of_.find(key); it != ino_of_.end()) {
    Node& node = *nodes_[it->second];
    node.is_dir = is_dir;
    return node;
  }
  auto node = std::make_unique<Node>();
  node->ino = next_ino_++;
  node->loc = loc;
  node->is_dir = is_dir;
  Node& ref = *node;
  ino_of_[key] = ref.ino;
  nodes_[ref.ino] = std::move(node);
  return ref;
}

void FileSystem::Forget(uint64_t ino, uint64_t count) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  if (node == nullptr || ino == kRootInode) return;
  node->lookups = node->lookups > count ? node->lookups - count : 0;
  if (node->lookups == 0 && node->open_count == 0) {
    if (auto it = ino_of_.find(node->loc.Key()); it != ino_of_.end() && it->second == ino) ino_of_.erase(it);
    nodes_.erase(ino);
  }
}

Result<Location> FileSystem::ChildLocation(const Node& parent, const std::string& name) const {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return Status::InvalidArgument("bad name");
  }
  if (name.size() > kMaxNameBytes) return Status::NameTooLong("name over 255 bytes");
  Location child = parent.loc.Child(name);
  if (child.IsHistory() && child.parts.size() > 1) {
    // The history of a path another app wrote: resolve in the workspace.
    const Location subject = parent.loc.HistorySubject();
    child.segs.back() = ResolveForeign(subject, subject.Child(name)).segs.back();
    return child;
  }
  if (child.parts.empty() || LocalOnly(child) || child.IsHistory()) return child;
  if (auto twin = TwinLocation(parent.loc, name)) return *twin;
  return ResolveForeign(parent.loc, child);
}

bool FileSystem::PublishedAt(const Location& loc, bool* is_folder) const {
  auto folder = store_.FolderExists(loc.ws, loc.EsFolderPrefix());
  *is_folder = folder.ok() && *folder;
  if (*is_folder) return true;
  auto live = LiveWinner(loc);
  return live.ok() && *live;
}

Result<bool> FileSystem::LiveWinner(const Location& loc) const {
  bool live = false;
  auto found = store_.VisitWinner(loc.ws, loc.EsPath(), [&](const core::DocView& doc) { live = !doc.IsTombstone(); });
  if (!found.ok()) return found.status();
  return live;
}

std::optional<Location> FileSystem::TwinLocation(const Location& parent, const std::string& name) const {
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

Location FileSystem::ResolveForeign(const Location& parent, Location child) const {
  // Only a name with '%' or '~' can be the decoding of a segment that is
  // not its canonical encoding (docs/names.md); the canonical path wins.
  const std::string& name = child.parts.back();
  if (name.find_first_of("%~") == std::string::npos) return child;
  bool is_folder = false;
  if (PublishedAt(child, &is_folder)) return child;
  auto listed = store_.ListFolder(parent.ws, parent.parts.empty() ? "/" : parent.EsFolderPrefix());
  if (!listed.ok()) return child;
  const std::set<std::string> twins = TwinSegments(*listed);
  for (const auto& e : *listed) {
    if (e.name != child.segs.back() && ListedName(e.name, parent.parts.empty(), twins) == name) {
      return parent.Child(name, e.name);
    }
  }
  return child;
}

// ---- existence and permissions ----

Result<bool> FileSystem::Exists(const Location& loc, bool* is_dir) {
  if (loc.IsMountRoot()) {
    *is_dir = true;
    return true;
  }
  if (loc.IsHistory()) return HistoryExists(loc, is_dir);
  if (loc.IsWorkspaceRoot()) {
    *is_dir = true;
    auto ws = store_.GetWorkspace(loc.ws);
    if (ws.ok()) return true;
    if (ws.status().code() == StatusCode::kNotFound) return false;
    return ws.status();
  }
  struct stat st;
  const bool has_local = LocalStat(loc, &st);
  if (has_local) {
    *is_dir = S_ISDIR(st.st_mode);
    // A published document shadows an empty local placeholder of the same
    // name (it got content elsewhere, e.g. from a sync).
    if (*is_dir || LocalOnly(loc) || st.st_size > 0) return true;
  }
  if (LocalOnly(loc)) return false;
  if (!loc.file_twin) {
    auto folder = store_.FolderExists(loc.ws, loc.EsFolderPrefix());
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
  // An empty local placeholder with no published content (the lock
  // keeps the local area as it was a moment ago).
  if (has_local) {
    *is_dir = S_ISDIR(st.st_mode);
    return true;
  }
  return false;
}

bool FileSystem::LocalOnly(const Location& loc) const {
  if (loc.IsRootLocal()) return true;
  if (loc.IsMountRoot() || loc.IsHistory()) return false;
  return local_names_.FirstLocal(loc.ws, loc.parts) < loc.parts.size();
}

std::string FileSystem::OwnershipPath(const Location& loc) const {
  if (loc.IsMountRoot() || loc.IsRootLocal()) return "";
  const size_t first_local = loc.IsHistory() ? loc.parts.size() : local_names_.FirstLocal(loc.ws, loc.parts);
  std::string path;
  for (size_t i = 0; i < first_local; ++i) path += "/" + loc.segs[i];
  // "/x" stands for the local-only name below a folder.
  if (first_local < loc.parts.size() && !path.empty()) path += "/x";
  return path;
}

void FileSystem::NoteLocalChange(const Location& loc) {
  if (loc.parts.size() == 1 && loc.parts[0] == kIgnoreFileName) local_names_.Changed(loc.ws);
}

bool FileSystem::Writable(const Location& loc) const {
  if (loc.IsHistory()) return false;
  const std::string path = OwnershipPath(loc);
  return path.empty() || core::AuthorCanWrite(signer_.address(), path);
}

Status FileSystem::CheckWritable(const Location& loc, const char* operation) const {
  if (Writable(loc)) return Status::Ok();
  if (loc.IsHistory()) {
    Log(std::string(operation) + " " + Describe(loc) + ": refused, " + kHistoryFolder +
        " only shows past versions (copy one over the file to restore it)");
    return Status::PermissionDenied("history is read-only");
  }
  const std::string path = OwnershipPath(loc);
  Log(std::string(operation) + " " + Describe(loc) + ": refused, the path belongs to another author (" + path +
      " has an owner marker that is not " + signer_.address() + ")");
  return Status::PermissionDenied("path owned by another author");
}

// ---- attributes ----

Result<Attr> FileSystem::AttrOf(Node& node, bool no_local_file) {
  Attr attr;
  attr.ino = node.ino;
  attr.is_dir = node.is_dir;
  const bool writable = Writable(node.loc);
  attr.mode = node.is_dir ? (writable ? 0755 : 0555) : (writable ? kDefaultFileMode : 0444);
  if (node.loc.IsHistory()) {
    if (Status s = HistoryAttr(node.loc, &attr); !s.ok()) return s;
    return attr;
  }
  struct stat st;
  if (node.is_dir) {
    attr.mtime_ns = mount_time_ns_;
    // The local folder's time and mode (touch, cp -a, rsync), if it has one.
    if (!node.loc.IsMountRoot() && LocalStat(node.loc, &st)) {
      attr.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      if (writable) attr.mode = st.st_mode & 07777;
    }
    if (node.mtime_override) attr.mtime_ns = *node.mtime_override;
    if (node.mode_override && writable) attr.mode = *node.mode_override & 07777;
    return attr;
  }
  attr.mtime_ns = node.birth_ns;
  if (node.loaded) {
    attr.size = node.content.size();
  }
  const bool local_only = LocalOnly(node.loc);
  // The mode of the local file: a local-only file's, or an empty file's
  // placeholder (used below when no document is there).
  std::optional<mode_t> local_mode;
  if (!no_local_file && LocalStat(node.loc, &st) && (local_only || st.st_size > 0 || !node.loaded)) {
    if (!node.loaded) attr.size = static_cast<uint64_t>(st.st_size);
    attr.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    local_mode = st.st_mode & 07777;
    if (local_only) attr.mode = *local_mode;
  }
  if (!local_only) {
    bool live = false;
    std::string signature;
    auto found = store_.VisitWinner(node.loc.ws, node.loc.EsPath(), [&](const core::DocView& doc) {
      live = !doc.IsTombstone();
      if (!live) return;
      if (!node.loaded) attr.size = FileSize(node.loc, doc.content);
      attr.mtime_ns = doc.timestamp * 1000;
      signature = doc.signature;
    });
    if (!found.ok()) return found.status();
    if (!live && local_mode && writable) attr.mode = *local_mode;
    if (live) {
      auto local_attrs = store_.GetLocalAttrs(node.loc.ws, node.loc.EsPath(), signature);
      if (local_attrs.ok() && local_attrs->has_value()) {
        if ((*local_attrs)->mtime_ns) attr.mtime_ns = *(*local_attrs)->mtime_ns;
        if ((*local_attrs)->mode && writable) attr.mode = *(*local_attrs)->mode & 07777;
      }
    }
  }
  if (node.mtime_override) attr.mtime_ns = *node.mtime_override;
  if (node.mode_override && writable) attr.mode = *node.mode_override & 07777;
  return attr;
}

Result<Attr> FileSystem::Lookup(uint64_t parent_ino, const std::string& name) {
  std::scoped_lock lock(mu_);
  Node* parent = FindNode(parent_ino);
  if (parent == nullptr || !parent->is_dir) return Status::NotFound("no such folder");
  auto loc = ChildLocation(*parent, name);
  if (!loc.ok()) return Status::NotFound(name);
  // A node with an open buffer exists even before its first commit.
  if (auto it = ino_of_.find(loc->Key()); it != ino_of_.end()) {
    Node& node = *nodes_[it->second];
    if (node.open_count > 0 && !node.unlinked) {
      ++node.lookups;
      return AttrOf(node);
    }
  }
  bool is_dir = false;
  auto exists = Exists(*loc, &is_dir);
  if (!exists.ok()) return exists.status();
  if (!*exists) return Status::NotFound(name);
  Node& node = NodeFor(*loc, is_dir);
  node.unlinked = false;
  ++node.lookups;
  return AttrOf(node);
}

Result<Attr> FileSystem::GetAttr(uint64_t ino) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  return AttrOf(*node);
}

// ---- folders ----

Result<std::vector<ListedEntry>> FileSystem::ReadDir(uint64_t ino) {
  std::scoped_lock lock(mu_);
  Node* dir = FindNode(ino);
  if (dir == nullptr) return Status::NotFound("stale inode");
  if (!dir->is_dir) return Status::NotFolder("not a folder");
  std::map<std::string, bool> names;  // name -> is_dir
  if (dir->loc.IsMountRoot()) {
    auto all = store_.ListWorkspaces();
    if (!all.ok()) return all.status();
    for (const auto& ws : *all) names[ws.address] = true;
    // Local-only junk made at the mount root (gio's .Trash-0).
    auto local_entries = local_root_.ListDir(LocalRelPath());
    if (local_entries.ok()) {
      for (const auto& [name, is_dir] : *local_entries) {
        if (dir->loc.Child(name).IsRootLocal()) names[name] = is_dir;
      }
    }
  } else if (dir->loc.IsHistory()) {
    if (Status s = HistoryList(dir->loc, &names); !s.ok()) return s;
  } else {
    // A folder whose names cannot be local ones has no local entries.
    if (auto local_dir = LocalRelOf(dir->loc); local_dir.ok()) {
      auto local_entries = local_root_.ListDir(*local_dir);
      if (!local_entries.ok()) return local_entries.status();
      for (const auto& [name, is_dir] : *local_entries) names[name] = is_dir;
    }
    if (!LocalOnly(dir->loc)) {
      auto listed = store_.ListFolder(dir->loc.ws, dir->loc.parts.empty() ? "/" : dir->loc.EsFolderPrefix());
      if (!listed.ok()) return listed.status();
      const std::set<std::string> twins = TwinSegments(*listed);
      // Documents under names that stay local-only are not shown (a lookup
      // would look for them in the local area only).
      const auto patterns = local_names_.For(dir->loc.ws);
      std::vector<std::string> child = dir->loc.parts;
      child.emplace_back();
      for (const auto& e : *listed) {
        const std::string name = ListedName(e.name, dir->loc.parts.empty(), twins);
        child.back() = name;
        if (FirstLocalName(child, patterns.get()) < child.size()) continue;
        if (e.is_folder) {
          names[name] = true;
        } else if (twins.count(e.name)) {
          names[name + kTwinSuffix] = false;  // the folder keeps the name (docs/names.md)
        } else if (e.content_bytes > 0 && !names.count(name)) {
          names[name] = false;
        }
      }
    }
  }
  // Files still being written (no commit yet) are listed too.
  for (const uint64_t open_ino : open_inodes_) {
    auto it = nodes_.find(open_ino);
    if (it == nodes_.end()) continue;  // never: nodes are forgotten only when closed
    const Node& node = *it->second;
    if (!node.unlinked && node.loc.IsChildOf(dir->loc)) names.emplace(node.loc.parts.back(), node.is_dir);
  }
  std::vector<ListedEntry> out;
  for (const auto& [name, is_dir] : names) {
    auto it = ino_of_.find(dir->loc.Child(name).Key());
    out.push_back({name, it == ino_of_.end() ? 0 : it->second, is_dir});
  }
  return out;
}

Result<Attr> FileSystem::Mkdir(uint64_t parent_ino, const std::string& name, mode_t mode) {
  std::scoped_lock lock(mu_);
  Node* parent = FindNode(parent_ino);
  if (parent == nullptr) return Status::NotFound("stale inode");
  auto loc = ChildLocation(*parent, name);
  if (!loc.ok()) return loc.status();
  if (loc->IsWorkspaceRoot()) {
    // mkdir at the mount root joins a workspace.
    if (auto parsed = core::ParseWorkspaceAddress(name); !parsed.ok()) {
      Log("mkdir " + name + ": refused at the mount root: only workspace addresses (+name.suffix) can be made here (" +
          parsed.status().message() + ")");
      return Status::InvalidArgument(parsed.status().message());
    }
    if (Status s = store_.AddWorkspace(name); !s.ok()) return s;
    Log("joined workspace " + name);
  } else {
    if (Status s = CheckWritable(*loc, "mkdir"); !s.ok()) return s;
    bool is_dir = false;
    auto exists = Exists(*loc, &is_dir);
    if (!exists.ok()) return exists.status();
    if (*exists) return Status::AlreadyExists(name);
    auto local_path = CheckedLocalPath(*loc, "mkdir");
    if (!local_path.ok()) return local_path.status();
    if (Status s = local_root_.MakeDirs(*local_path); !s.ok()) return s;
    (void)local_root_.Chmod(*local_path, mode & 07777);
  }
  Node& node = NodeFor(*loc, true);
  node.unlinked = false;
  node.mode_override = mode & 07777;
  ++node.lookups;
  return AttrOf(node);
}

Result<std::vector<std::pair<std::string, std::string>>> FileSystem::Xattrs(uint64_t ino) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  std::vector<std::pair<std::string, std::string>> attrs;
  if (node->is_dir || node->loc.parts.empty() || LocalOnly(node->loc)) return attrs;
  auto add = [&](const core::DocView& doc) {
    if (doc.IsTombstone()) return;
    attrs = {{"user.earthstar.author", std::string(doc.author)},
             {"user.earthstar.timestamp", std::to_string(doc.timestamp)},
             {"user.earthstar.signature", std::string(doc.signature)},
             {"user.earthstar.contentHash", std::string(doc.contentHash)},
             {"user.earthstar.path", std::string(doc.path)},
             {"user.earthstar.workspace", node->loc.ws}};
    if (doc.deleteAfter) attrs.emplace_back("user.earthstar.deleteAfter", std::to_string(*doc.deleteAfter));
  };
  if (!node->loc.IsHistory()) {
    auto found = store_.VisitWinner(node->loc.ws, node->loc.EsPath(), add);
    if (!found.ok()) return found.status();
    return attrs;
  }
  auto version = HistoryVersion(node->loc);
  if (!version.ok()) return version.status();
  if (version->has_value()) add(core::ViewOf(**version));
  return attrs;
}

Status FileSystem::RefuseXattrChange(uint64_t ino, const std::string& name) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  if (name.rfind("user.earthstar.", 0) == 0) {
    Log("setxattr " + (node ? Describe(node->loc) : std::string("?")) + " " + name +
        ": refused, document metadata is read-only (it is signed)");
    return Status::PermissionDenied("read-only attribute");
  }
  return Status::NotSupported("extended attributes are not stored");
}

std::string FileSystem::DescribeInode(uint64_t ino, const std::string& name) {
  std::scoped_lock lock(mu_);
  const Node* node = FindNode(ino);
  std::string text = node ? Describe(node->loc) : "inode " + std::to_string(ino);
  if (!name.empty()) text += "/" + name;
  return core::Printable(text);
}

Result<struct statvfs> FileSystem::StatFs() {
  struct statvfs st{};
  if (::statvfs(config_.data_dir.c_str(), &st) != 0) return Status::IoError("statfs failed");
  st.f_namemax = 255;
  return st;
}

}  // namespace esfs::fs
