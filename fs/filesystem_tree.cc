// The folder group: listings, mkdir, rmdir, unlink and rename.
#include <unistd.h>

#include <map>
#include <mutex>

#include "core/address.h"
#include "core/path.h"
#include "core/printable.h"
#include "fs/filesystem.h"
#include "fs/names.h"

namespace esfs::fs {

// ---- listings ----

Result<std::vector<ListedEntry>> FileSystem::ReadDir(uint64_t ino) {
  auto dir_node = inodes_.Find(ino);
  if (dir_node == nullptr) return Status::NotFound("stale inode");
  const InodeTable::NodeFacts dir = inodes_.Facts(*dir_node);
  if (!dir.is_dir) return Status::NotFolder("not a folder");
  std::map<std::string, bool> names;  // name -> is_dir
  if (dir.loc.IsMountRoot()) {
    auto all = store_.workspaces().List();
    if (!all.ok()) return all.status();
    for (const auto& ws : *all) names[ws.address] = true;
    // Local-only junk made at the mount root (gio's .Trash-0).
    auto local_entries = local_.root().ListDir(LocalRelPath());
    if (local_entries.ok()) {
      for (const auto& [name, is_dir] : *local_entries) {
        if (dir.loc.Child(name).IsRootLocal()) names[name] = is_dir;
      }
    }
  } else if (dir.loc.IsHistory()) {
    if (Status s = history_.List(dir.loc, &names); !s.ok()) return s;
  } else {
    // A folder whose names cannot be local ones has no local entries.
    if (auto local_dir = LocalRelOf(dir.loc); local_dir.ok()) {
      auto local_entries = local_.root().ListDir(*local_dir);
      if (!local_entries.ok()) return local_entries.status();
      for (const auto& [name, is_dir] : *local_entries) names[name] = is_dir;
    }
    if (!resolver_.LocalOnly(dir.loc)) {
      auto listed = store_.folders().List(dir.loc.ws, dir.loc.parts.empty() ? "/" : dir.loc.EsFolderPrefix());
      if (!listed.ok()) return listed.status();
      const std::set<std::string> twins = Resolver::TwinSegments(*listed);
      // Documents under names that stay local-only are not shown (a lookup
      // would look for them in the local area only).
      const auto patterns = local_.names().For(dir.loc.ws);
      std::vector<std::string> child = dir.loc.parts;
      child.emplace_back();
      for (const auto& e : *listed) {
        const std::string name = Resolver::ListedName(e.name, dir.loc.parts.empty(), twins);
        child.back() = name;
        if (FirstLocalName(child, patterns.get()) < child.size()) continue;
        if (e.is_folder) {
          names[name] = true;
        } else if (twins.contains(e.name)) {
          names[name + kTwinSuffix] = false;  // the folder keeps the name (docs/names.md)
        } else if (e.content_bytes > 0 && !names.contains(name)) {
          names[name] = false;
        }
      }
    }
  }
  // Files still being written (no commit yet) are listed too.
  for (const auto& [name, is_dir] : inodes_.OpenChildren(dir.loc)) names.emplace(name, is_dir);
  std::vector<ListedEntry> out;
  out.reserve(names.size());
  for (const auto& [name, is_dir] : names) out.push_back({name, inodes_.InoAt(dir.loc.Child(name)), is_dir});
  return out;
}

// ---- mkdir, unlink, rmdir ----

Result<Location> FileSystem::ChildOf(uint64_t parent_ino, const std::string& name) {
  auto parent = inodes_.Find(parent_ino);
  if (parent == nullptr) return Status::NotFound("stale inode");
  return resolver_.ChildLocation(inodes_.LocationOf(*parent), name);
}

Result<Attr> FileSystem::Mkdir(uint64_t parent_ino, const std::string& name, mode_t mode) {
  std::shared_lock tree(tree_mu_);
  auto loc = ChildOf(parent_ino, name);
  if (!loc.ok()) return loc.status();
  if (loc->IsWorkspaceRoot()) {
    // mkdir at the mount root joins a workspace.
    if (auto parsed = core::ParseWorkspaceAddress(name); !parsed.ok()) {
      Log("mkdir " + core::Printable(name) +
          ": refused at the mount root: only workspace addresses (+name.suffix) "
          "can be made here (" +
          parsed.status().message() + ")");
      return Status::InvalidArgument(parsed.status().message());
    }
    if (Status s = store_.workspaces().Add(name); !s.ok()) return s;
    Log("joined workspace " + name);
  } else {
    if (Status s = resolver_.CheckWritable(*loc, "mkdir"); !s.ok()) return s;
    // es.4 paths are at most 512 characters: a folder whose "/<path>/" leaves
    // no room for a one-character name could never hold a file.
    if (!resolver_.LocalOnly(*loc) && loc->EsFolderPrefix().size() + 1 > core::kMaxPathLength) {
      Log("mkdir " + Describe(*loc) + ": refused, no file in it could have an es.4 path of at most 512 characters");
      return Status::NameTooLong("es.4 path over 512 characters");
    }
    bool is_dir = false;
    auto exists = resolver_.Exists(*loc, &is_dir);
    if (!exists.ok()) return exists.status();
    if (*exists) return Status::AlreadyExists(name);
    auto local_path = local_.CheckedPath(*loc, "mkdir");
    if (!local_path.ok()) return local_path.status();
    if (Status s = local_.root().MakeDirs(*local_path); !s.ok()) return s;
    (void)local_.root().Chmod(*local_path, mode & 07777);
  }
  if (!loc->IsWorkspaceRoot()) EntriesChanged(loc->Parent());
  auto node = inodes_.Remember(*loc, true, 1);
  {
    std::scoped_lock lock(node->mu);
    node->mode_override = mode & 07777;
  }
  auto attr = AttrOf(*node);
  if (!attr.ok()) inodes_.Forget(node->ino, 1);
  return attr;
}

Status FileSystem::Unlink(uint64_t parent_ino, const std::string& name) {
  std::shared_lock tree(tree_mu_);
  auto loc = ChildOf(parent_ino, name);
  if (!loc.ok()) return loc.status();
  if (loc->IsWorkspaceRoot()) return Status::PermissionDenied("workspaces are removed with esfs workspace remove");
  if (Status s = resolver_.CheckWritable(*loc, "delete"); !s.ok()) return s;
  // The file's own saves wait (and a save that started finishes first):
  // none may land after the tombstone.
  std::shared_ptr<Node> node = inodes_.FindAt(*loc);
  std::unique_lock<std::mutex> commits;
  if (node) commits = std::unique_lock(node->commit_mu);
  bool is_dir = false;
  auto exists = resolver_.Exists(*loc, &is_dir);
  if (!exists.ok()) return exists.status();
  // A file created and still open has no trace on disk or in the store yet.
  bool open_new = false;
  if (node) {
    const InodeTable::NodeFacts facts = inodes_.Facts(*node);
    open_new = facts.open_count > 0 && !facts.is_dir && !facts.unlinked;
  }
  if (!*exists && !open_new) return Status::NotFound(name);
  if (is_dir) return Status::IsFolder("is a folder");
  if (auto local_path = LocalRelOf(*loc); local_path.ok()) (void)local_.root().Unlink(*local_path);
  if (!resolver_.LocalOnly(*loc)) {
    auto live = resolver_.LiveWinner(*loc);
    if (!live.ok()) return live.status();
    if (*live) {
      // es.4 deletion: a newer, empty document (a tombstone).
      auto tombstone = publisher_.Publish(loc->ws, loc->EsPath(), "");
      if (!tombstone.ok()) return tombstone.status();
    }
  }
  local_.NoteChange(*loc);
  inodes_.Unhash(*loc);
  EntriesChanged(loc->Parent());
  return Status::Ok();
}

Status FileSystem::Rmdir(uint64_t parent_ino, const std::string& name) {
  std::shared_lock tree(tree_mu_);
  auto loc = ChildOf(parent_ino, name);
  if (!loc.ok()) return loc.status();
  if (loc->IsWorkspaceRoot()) return Status::PermissionDenied("workspaces are removed with esfs workspace remove");
  if (Status s = resolver_.CheckWritable(*loc, "rmdir"); !s.ok()) return s;
  uint64_t ino;
  {
    auto attr = Lookup(parent_ino, name);
    if (!attr.ok()) return attr.status();
    ino = attr->ino;
    if (!attr->is_dir) {
      Forget(ino, 1);
      return Status::NotFolder("not a folder");
    }
  }
  auto entries = ReadDir(ino);
  Forget(ino, 1);
  if (!entries.ok()) return entries.status();
  if (!entries->empty()) return Status::NotEmpty("folder not empty");
  if (auto local_path = LocalRelOf(*loc); local_path.ok()) {
    if (Status s = local_.root().Rmdir(*local_path); !s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  local_.NoteChange(*loc);
  inodes_.Unhash(*loc);
  EntriesChanged(loc->Parent());
  return Status::Ok();
}

}  // namespace esfs::fs
