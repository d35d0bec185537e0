// Removing and moving: unlink, rmdir, rename; and invalidations for
// changes that came from outside.
#include <unistd.h>

#include <cstdio>

#include "core/path.h"
#include "core/printable.h"

#include "fs/filesystem.h"
#include "fs/filesystem_internal.h"
#include "fs/names.h"

namespace esfs::fs {

Status FileSystem::Unlink(uint64_t parent_ino, const std::string& name) {
  std::scoped_lock lock(mu_);
  Node* parent = FindNode(parent_ino);
  if (parent == nullptr) return Status::NotFound("stale inode");
  auto loc = ChildLocation(*parent, name);
  if (!loc.ok()) return loc.status();
  if (loc->IsWorkspaceRoot()) return Status::PermissionDenied("workspaces are removed with esfs workspace remove");
  if (Status s = CheckWritable(*loc, "delete"); !s.ok()) return s;
  bool is_dir = false;
  auto exists = Exists(*loc, &is_dir);
  if (!exists.ok()) return exists.status();
  // A file created and still open has no trace on disk or in the store yet.
  auto open_it = ino_of_.find(loc->Key());
  const bool open_new = open_it != ino_of_.end() && nodes_[open_it->second]->open_count > 0 &&
                        !nodes_[open_it->second]->is_dir;
  if (!*exists && !open_new) return Status::NotFound(name);
  if (is_dir) return Status::IsFolder("is a folder");
  if (auto local_path = LocalRelOf(*loc); local_path.ok()) (void)local_root_.Unlink(*local_path);
  if (!LocalOnly(*loc)) {
    auto live = LiveWinner(*loc);
    if (!live.ok()) return live.status();
    if (*live) {
      // es.4 deletion: a newer, empty document (a tombstone).
      auto tombstone = Publish(loc->ws, loc->EsPath(), "");
      if (!tombstone.ok()) return tombstone.status();
    }
  }
  NoteLocalChange(*loc);
  if (auto it = ino_of_.find(loc->Key()); it != ino_of_.end()) {
    nodes_[it->second]->unlinked = true;
    ino_of_.erase(it);
  }
  return Status::Ok();
}

Status FileSystem::Rmdir(uint64_t parent_ino, const std::string& name) {
  Node* parent;
  Result<Location> loc = Status::NotFound(name);
  {
    std::scoped_lock lock(mu_);
    parent = FindNode(parent_ino);
    if (parent == nullptr) return Status::NotFound("stale inode");
    loc = ChildLocation(*parent, name);
    if (!loc.ok()) return loc.status();
    if (loc->IsWorkspaceRoot()) return Status::PermissionDenied("workspaces are removed with esfs workspace remove");
    if (Status s = CheckWritable(*loc, "rmdir"); !s.ok()) return s;
  }
  uint64_t ino;
  {
    auto attr = Lookup(parent_ino, name);
    if (!attr.ok()) return attr.status();
    if (!attr->is_dir) return Status::NotFolder("not a folder");
    ino = attr->ino;
  }
  auto entries = ReadDir(ino);
  Forget(ino, 1);
  if (!entries.ok()) return entries.status();
  if (!entries->empty()) return Status::NotEmpty("folder not empty");
  std::scoped_lock lock(mu_);
  if (auto local_path = LocalRelOf(*loc); local_path.ok()) {
    if (Status s = local_root_.Rmdir(*local_path); !s.ok() && s.code() != StatusCode::kNotFound) {
      return Status::IoError("cannot remove local folder: " + s.message());
    }
  }
  NoteLocalChange(*loc);
  if (auto it = ino_of_.find(loc->Key()); it != ino_of_.end()) {
    nodes_[it->second]->unlinked = true;
    ino_of_.erase(it);
  }
  return Status::Ok();
}

void FileSystem::MoveNodes(const Location& from, const Location& to) {
  const std::string from_key = from.Key(), to_key = to.Key();
  // The node at the target is replaced: its handles write nowhere now.
  if (auto it = ino_of_.find(to_key); it != ino_of_.end()) {
    nodes_[it->second]->unlinked = true;
    ino_of_.erase(it);
  }
  // Every name ends with '/' in a key, so the moving node and everything
  // under it are exactly the keys that start with its own: one range of the
  // ordered map (a save's rename must not walk every known inode).
  std::vector<std::pair<std::string, uint64_t>> moved;
  for (auto it = ino_of_.lower_bound(from_key); it != ino_of_.end() && it->first.starts_with(from_key);) {
    moved.emplace_back(to_key + it->first.substr(from_key.size()), it->second);
    it = ino_of_.erase(it);
  }
  for (auto& [key, ino] : moved) {
    Node& node = *nodes_[ino];
    const auto skip = static_cast<long>(from.parts.size());
    std::vector<std::string> rest(node.loc.parts.begin() + skip, node.loc.parts.end());
    std::vector<std::string> rest_segs(node.loc.segs.begin() + skip, node.loc.segs.end());
    const bool twin = node.loc.file_twin && !rest.empty();
    node.loc = to;
    node.loc.parts.insert(node.loc.parts.end(), rest.begin(), rest.end());
    node.loc.segs.insert(node.loc.segs.end(), rest_segs.begin(), rest_segs.end());
    if (twin) node.loc.file_twin = true;
    ino_of_[node.loc.Key()] = ino;
  }
}

Status FileSystem::RenameFile(const Location& from, const Location& to, Node* moving) {
  const auto from_local = LocalRelOf(from);
  auto to_local = CheckedLocalPath(to, "rename");
  if (!to_local.ok()) return to_local.status();
  const bool from_local_only = LocalOnly(from), to_local_only = LocalOnly(to);
  // The content that moves: an open buffer, a local file, or the document.
  // ... and its time, which a rename keeps (rsync sets it on its temp file).
  std::string content;
  mode_t mode = 0644;
  std::optional<int64_t> mtime_ns;
  struct stat st;
  const bool has_local = from_local.ok() && local_root_.Stat(*from_local, &st);
  if (has_local) mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (moving && moving->loaded) {
    content = moving->content;
  } else if (has_local && (from_local_only || st.st_size > 0)) {
    auto data = local_root_.ReadFile(*from_local);
    if (!data.ok()) return data.status();
    content = std::move(data.value());
    mode = st.st_mode & 07777;
  } else if (!from_local_only) {
    auto winner = store_.Winner(from.ws, from.EsPath());
    if (!winner.ok()) return winner.status();
    if (winner->has_value()) {
      content = FileBytes(from, std::move((*winner)->content));
      mtime_ns = (*winner)->timestamp * 1000;
      auto attrs = store_.GetLocalAttrs(from.ws, from.EsPath(), (*winner)->signature);
      if (attrs.ok() && attrs->has_value() && (*attrs)->mtime_ns) mtime_ns = (*attrs)->mtime_ns;
    }
  }
  if (moving && moving->mode_override) mode = *moving->mode_override;
  if (moving && moving->mtime_override) mtime_ns = moving->mtime_override;
  // 1. The target gets the content (replacing what was there at once).
  if (to_local_only || content.empty()) {
    if (Status s = local_root_.WriteFileAtomic(*to_local, content, mode); !s.ok()) return s;
    if (!to_local_only) {
      if (auto live = LiveWinner(to); live.ok() && *live) {
        if (auto t = Publish(to.ws, to.EsPath(), ""); !t.ok()) return t.status();
      }
    }
  } else {
    Node scratch;
    scratch.content = content;
    scratch.mode_override = mode;
    scratch.mtime_override = mtime_ns;
    if (Status s = CommitPublished(scratch, to); !s.ok()) return s;
  }
  // 2. The source goes away.
  if (from_local.ok()) (void)local_root_.Unlink(*from_local);
  if (!from_local_only) {
    if (auto live = LiveWinner(from); live.ok() && *live) {
      if (auto t = Publish(from.ws, from.EsPath(), ""); !t.ok()) return t.status();
    }
  }
  if (moving && moving->loaded) moving->dirty = false;  // its buffer is what was just stored
  if (moving && !to_local_only && !content.empty()) moving->cached_seq = CurrentSeq(to);
  return Status::Ok();
}

namespace {

// Where the document at |rest| (the es.4 path below a folder, "a/b%20c")
// lands below the local folder |dir|: each segment's name, checked.
Result<LocalRelPath> LocalTargetBelow(const LocalRelPath& dir, const std::string& rest) {
  LocalRelPath target = dir;
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t slash = rest.find('/', start);
    if (Status s = target.Append(SegmentToName(rest.substr(start, slash - start))); !s.ok()) return s;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return target;
}

}  // namespace

Status FileSystem::RenameFolder(const Location& from, const Location& to) {
  auto to_local = CheckedLocalPath(to, "rename");
  if (!to_local.ok()) return to_local.status();
  const bool to_local_only = LocalOnly(to);
  const bool docs_move = !(LocalOnly(from) && to_local_only);
  // Published part: every living document below moves (a new document at
  // the new path, a tombstone at the old one). Cost: two signatures per
  // document. Into the local area, each lands at a local path made from its
  // segments; a peer's document may hold "..": all are checked before
  // anything moves, and one that cannot be a local file refuses the rename.
  std::vector<core::Document> docs;
  std::vector<LocalRelPath> targets;
  const std::string from_prefix = from.EsFolderPrefix(), to_prefix = to.EsFolderPrefix();
  if (docs_move) {
    core::Query below;
    below.pathPrefix = from_prefix;
    auto found = store_.QueryDocuments(from.ws, below);
    if (!found.ok()) return found.status();
    for (auto& doc : *found) {
      if (doc.IsTombstone()) continue;
      if (to_local_only) {
        auto target = LocalTargetBelow(*to_local, doc.path.substr(from_prefix.size()));
        if (!target.ok()) {
          return Status::InvalidArgument("refused, nothing moved: document " + core::Printable(doc.path) +
                                         " cannot be a local file (" + target.status().message() + ")");
        }
        targets.push_back(std::move(*target));
      }
      docs.push_back(std::move(doc));
    }
  }
  // Local part: one rename of the local folder.
  struct stat st;
  if (auto from_local = LocalRelOf(from); from_local.ok() && local_root_.Stat(*from_local, &st)) {
    (void)local_root_.Rmdir(*to_local);  // an empty target folder is replaced
    if (Status s = local_root_.Rename(*from_local, *to_local); !s.ok()) return s;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    const core::Document& doc = docs[i];
    if (to_local_only) {
      if (Status s = local_root_.WriteFileAtomic(targets[i], doc.content, 0644); !s.ok()) return s;
    } else if (auto moved = Publish(to.ws, to_prefix + doc.path.substr(from_prefix.size()), doc.content);
               !moved.ok()) {
      return moved.status();
    }
    if (auto gone = Publish(from.ws, doc.path, ""); !gone.ok()) return gone.status();
  }
  return Status::Ok();
}

Status FileSystem::Rename(uint64_t parent_ino, const std::string& name, uint64_t new_parent_ino,
                          const std::string& new_name, bool noreplace) {
  std::scoped_lock lock(mu_);
  Node* parent = FindNode(parent_ino);
  Node* new_parent = FindNode(new_parent_ino);
  if (parent == nullptr || new_parent == nullptr) return Status::NotFound("stale inode");
  auto from = ChildLocation(*parent, name);
  auto to = ChildLocation(*new_parent, new_name);
  if (!from.ok()) return from.status();
  if (!to.ok()) return to.status();
  // Moving to or from the local-only area at the mount root (gio trash and
  // restore) is fine; between two workspaces it is not.
  const bool both_in_workspaces = !from->IsRootLocal() && !to->IsRootLocal();
  if (from->IsWorkspaceRoot() || to->IsWorkspaceRoot() || (both_in_workspaces && from->ws != to->ws)) {
    Log("rename " + Describe(*from) + " -> " + Describe(*to) + ": refused, documents cannot move between workspaces");
    return Status::CrossDevice("cross-workspace rename");
  }
  if (Status s = CheckWritable(*from, "rename"); !s.ok()) return s;
  if (Status s = CheckWritable(*to, "rename"); !s.ok()) return s;
  if (!LocalOnly(*to) && to->EsPath().size() > core::kMaxPathLength) {
    Log("rename " + Describe(*from) + " -> " + Describe(*to) + ": refused, the es.4 path would be over 512 characters");
    return Status::NameTooLong("es.4 path over 512 characters");
  }
  bool from_is_dir = false, to_is_dir = false;
  auto from_exists = Exists(*from, &from_is_dir);
  if (!from_exists.ok()) return from_exists.status();
  Node* moving = nullptr;
  if (auto it = ino_of_.find(from->Key()); it != ino_of_.end()) moving = nodes_[it->second].get();
  if (!*from_exists && !(moving && moving->open_count > 0)) return Status::NotFound(name);
  if (moving && moving->open_count > 0 && !*from_exists) from_is_dir = false;
  auto to_exists = Exists(*to, &to_is_dir);
  if (!to_exists.ok()) return to_exists.status();
  if (*to_exists) {
    if (noreplace) return Status::AlreadyExists(new_name);
    if (from_is_dir && !to_is_dir) return Status::NotFolder("not a folder");
    if (!from_is_dir && to_is_dir) return Status::IsFolder("is a folder");
  }
  if (from->Key() == to->Key()) return Status::Ok();
  Status moved = from_is_dir ? RenameFolder(*from, *to) : RenameFile(*from, *to, moving);
  if (!moved.ok()) {
    Log("rename " + Describe(*from) + " -> " + Describe(*to) + ": " + moved.message());
    return moved;
  }
  MoveNodes(*from, *to);
  NoteLocalChange(*from);
  NoteLocalChange(*to);
  return Status::Ok();
}

void FileSystem::InvalidateHistory(const Location& loc, std::vector<Invalidation>* out) {
  // The version files of |loc| are the nodes one level below its history
  // folder; keys sort so that they follow that folder's key.
  Location folder = loc;
  folder.parts.insert(folder.parts.begin(), kHistoryFolder);
  folder.segs.insert(folder.segs.begin(), NameToSegment(kHistoryFolder));
  const std::string prefix = folder.Key();
  for (auto it = ino_of_.lower_bound(prefix); it != ino_of_.end() && it->first.starts_with(prefix); ++it) {
    Node& node = *nodes_[it->second];
    if (node.loc.parts.size() != folder.parts.size() + 1) continue;
    if (node.open_count == 0) node.loaded = false;
    out->push_back({.inode = it->second, .parent = 0, .name = {}});
  }
}

void FileSystem::InvalidateTwin(const Location& loc, std::vector<Invalidation>* out) {
  if (loc.parts.empty()) return;
  const Location parent = loc.Parent();
  const std::string name = loc.parts.back() + kTwinSuffix;
  auto it = ino_of_.find(parent.Child(name).Key());
  auto parent_it = ino_of_.find(parent.Key());
  if (it == ino_of_.end() || parent_it == ino_of_.end()) return;
  if (nodes_[it->second]->open_count == 0) nodes_[it->second]->loaded = false;
  nodes_[it->second]->cached_seq = 0;
  out->push_back({.inode = it->second, .parent = parent_it->second, .name = name});
}

uint64_t FileSystem::CurrentSeq(const Location& loc) const {
  auto seq = store_.WinnerSeq(loc.ws, loc.EsPath());
  return seq.ok() ? *seq : 0;
}

bool FileSystem::StillThere(const Location& loc, const Node* node) {
  if (node == nullptr) return false;
  bool is_dir = false;
  auto exists = Exists(loc, &is_dir);
  return exists.ok() && *exists && is_dir == node->is_dir;
}

std::vector<Invalidation> FileSystem::OnChanges(const std::vector<core::Change>& changes) {
  std::scoped_lock lock(mu_);
  std::vector<Invalidation> out;
  for (const auto& change : changes) {
    // Path "/a/b%20c" -> names a, "b c".
    Location loc;
    loc.ws = change.workspace;
    size_t start = 1;
    while (start <= change.path.size()) {
      size_t slash = change.path.find('/', start);
      const std::string seg = change.path.substr(start, slash - start);
      loc.parts.push_back(SegmentToName(seg, loc.parts.empty()));
      loc.segs.push_back(seg);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (config_.single_workspace && *config_.single_workspace != loc.ws) continue;
    // This mount's own save, already shown (the file's node holds this
    // document's seq): the kernel made the entry itself, and only the
    // file's attributes change (its mtime is the document's timestamp).
    // Walking the folders up would cost lookups and stats under the lock
    // for every file tar or cp writes.
    if (auto own = ino_of_.find(loc.Key());
        !change.removed && own != ino_of_.end() && nodes_[own->second]->cached_seq == change.seq) {
      InvalidateHistory(loc, &out);
      out.push_back({.inode = own->second, .attributes_only = true});
      continue;
    }
    InvalidateHistory(loc, &out);
    InvalidateTwin(loc, &out);
    // Every level: the entry in its parent (it may be new or gone) and
    // the node's attributes and pages. An entry the kernel knows (we have
    // its node) that still exists as the same kind is left alone:
    // invalidating it would unhash a folder that is some process's working
    // directory (getcwd() then fails with ENOENT).
    // A node with open handles keeps the content it was opened with until
    // the last close, so a reader never mixes two versions.
    Location level = loc;
    while (!level.parts.empty() || (!config_.single_workspace && !level.ws.empty())) {
      Location parent = level.Parent();
      auto parent_it = ino_of_.find(parent.Key());
      auto it = ino_of_.find(level.Key());
      Invalidation inv;
      if (parent_it != ino_of_.end() && !StillThere(level, it == ino_of_.end() ? nullptr : nodes_[it->second].get())) {
        inv.parent = parent_it->second;
        inv.name = level.parts.empty() ? level.ws : level.parts.back();
      }
      if (it != ino_of_.end()) {
        inv.inode = it->second;
        Node& node = *nodes_[it->second];
        if (node.is_dir) {
          inv.attributes_only = true;
        } else if (node.cached_seq != 0 && node.cached_seq == CurrentSeq(level)) {
          // It already shows the current winner (this mount's own save, or
          // a notice that arrived after a newer change): keep its pages.
          inv.attributes_only = true;
        } else if (node.open_count > 0 && node.writers == 0 && parent_it != ino_of_.end()) {
          // Only readers have it open: they keep the version they opened
          // on this inode (pages included), and the name gets a fresh
          // inode with the new version at the next lookup.
          node.unlinked = true;
          ino_of_.erase(it);
          inv.attributes_only = true;
          inv.parent = parent_it->second;
          inv.name = level.parts.back();
        } else {
          if (node.open_count == 0) node.loaded = false;  // the next open loads the new content
          node.cached_seq = 0;                             // ... and drops the kernel's pages
        }
      }
      if (inv.parent || inv.inode) out.push_back(inv);
      if (level.parts.empty()) break;
      level = parent;
    }
  }
  return out;
}

}  // namespace esfs::fs
