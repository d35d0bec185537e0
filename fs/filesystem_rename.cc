// The folder group, continued: rename of files and folders.
#include <map>
#include <mutex>

#include "core/document.h"
#include "core/path.h"
#include "core/printable.h"
#include "core/utf8.h"
#include "fs/filesystem.h"
#include "fs/names.h"

namespace esfs::fs {

struct FileSystem::RenamePlan {
  Location from, to;
  bool from_is_dir = false;
  bool same = false;             // from and to are one name: nothing to do
  std::shared_ptr<Node> moving;  // the node at |from|, if the kernel has one
};

Result<FileSystem::RenamePlan> FileSystem::PlanRename(uint64_t parent_ino, const std::string& name,
                                                      uint64_t new_parent_ino, const std::string& new_name,
                                                      bool noreplace) {
  auto parent = inodes_.Find(parent_ino);
  auto new_parent = inodes_.Find(new_parent_ino);
  if (parent == nullptr || new_parent == nullptr) return Status::NotFound("stale inode");
  auto from = resolver_.ChildLocation(inodes_.LocationOf(*parent), name);
  if (!from.ok()) return from.status();
  auto to = resolver_.ChildLocation(inodes_.LocationOf(*new_parent), new_name);
  if (!to.ok()) return to.status();
  RenamePlan plan{*from, *to};
  // Moving to or from the local-only area at the mount root (gio trash and
  // restore) is fine; between two workspaces it is not.
  const bool both_in_workspaces = !from->IsRootLocal() && !to->IsRootLocal();
  if (from->IsWorkspaceRoot() || to->IsWorkspaceRoot() || (both_in_workspaces && from->ws != to->ws)) {
    Log("rename " + Describe(*from) + " -> " + Describe(*to) + ": refused, documents cannot move between workspaces");
    return Status::CrossDevice("cross-workspace rename");
  }
  if (Status s = resolver_.CheckWritable(*from, "rename"); !s.ok()) return s;
  if (Status s = resolver_.CheckWritable(*to, "rename"); !s.ok()) return s;
  if (!resolver_.LocalOnly(*to) && to->EsPath().size() > core::kMaxPathLength) {
    Log("rename " + Describe(*from) + " -> " + Describe(*to) + ": refused, the es.4 path would be over 512 characters");
    return Status::NameTooLong("es.4 path over 512 characters");
  }
  bool to_is_dir = false;
  auto from_exists = resolver_.Exists(*from, &plan.from_is_dir);
  if (!from_exists.ok()) return from_exists.status();
  plan.moving = inodes_.FindAt(*from);
  const bool open_new = plan.moving && inodes_.Facts(*plan.moving).open_count > 0;
  if (!*from_exists && !open_new) return Status::NotFound(name);
  if (!*from_exists) plan.from_is_dir = false;
  // A folder no file could be in: "/<path>/" and one character over 512.
  if (plan.from_is_dir && !resolver_.LocalOnly(*to) && to->EsFolderPrefix().size() + 1 > core::kMaxPathLength) {
    Log("rename " + Describe(*from) + " -> " + Describe(*to) +
        ": refused, no file in that folder could have an es.4 "
        "path of at most 512 characters");
    return Status::NameTooLong("es.4 path over 512 characters");
  }
  auto to_exists = resolver_.Exists(*to, &to_is_dir);
  if (!to_exists.ok()) return to_exists.status();
  if (*to_exists) {
    if (noreplace) return Status::AlreadyExists(new_name);
    if (plan.from_is_dir && !to_is_dir) return Status::NotFolder("not a folder");
    if (!plan.from_is_dir && to_is_dir) return Status::IsFolder("is a folder");
  }
  plan.same = from->Key() == to->Key();
  if (*to_exists && plan.from_is_dir && !plan.same) {
    // POSIX: a folder replaces only an empty folder. (A merge would
    // overwrite the target's files of the same names: data loss.)
    auto empty = FolderIsEmpty(*to);
    if (!empty.ok()) return empty.status();
    if (!*empty) return Status::NotEmpty("folder not empty");
  }
  return plan;
}

Result<bool> FileSystem::FolderIsEmpty(const Location& dir) {
  // Local entries, junk names included: they would be lost too.
  if (auto local_dir = LocalRelOf(dir); local_dir.ok()) {
    auto entries = local_.root().ListDir(*local_dir);
    if (!entries.ok()) return entries.status();
    if (!entries->empty()) return false;
  }
  if (!resolver_.LocalOnly(dir)) {
    auto listed = store_.folders().List(dir.ws, dir.EsFolderPrefix());
    if (!listed.ok()) return listed.status();
    for (const auto& e : *listed) {
      if (e.is_folder || e.content_bytes > 0) return false;
    }
  }
  return inodes_.OpenChildren(dir).empty();  // files being written
}

Status FileSystem::Rename(uint64_t parent_ino, const std::string& name, uint64_t new_parent_ino,
                          const std::string& new_name, bool noreplace) {
  std::shared_lock shared(tree_mu_);
  auto plan = PlanRename(parent_ino, name, new_parent_ino, new_name, noreplace);
  if (!plan.ok() || plan->same) return plan.status();
  std::unique_lock<std::shared_mutex> exclusive;
  if (plan->from_is_dir) {
    // A folder: its documents must not change while they move, so every
    // commit and change of names waits (lookups, reads and listings go on).
    // The tree may change between the two locks: plan again.
    shared.unlock();
    exclusive = std::unique_lock(tree_mu_);
    plan = PlanRename(parent_ino, name, new_parent_ino, new_name, noreplace);
    if (!plan.ok() || plan->same) return plan.status();
  }
  // From here the store and the local area may show the new names before
  // the inode table does: lookups meanwhile must not cache an absence.
  InodeTable::MoveScope under_way(inodes_);
  Status moved = Status::Ok();
  if (plan->from_is_dir) {
    moved = RenameFolder(plan->from, plan->to);
    // Between the local-only area and published names the files below were
    // made anew at canonical paths (a peer's odd segment, "..", becomes the
    // escaped name it was shown as): the inodes below follow.
    if (moved.ok())
      inodes_.MoveTree(plan->from, plan->to, resolver_.LocalOnly(plan->from) != resolver_.LocalOnly(plan->to));
  } else {
    // The moving file's saves and the replaced file's wait (and one that
    // started finishes first): a save after the rename lands under the new
    // name, none lands under a name that is gone.
    std::shared_ptr<Node> target = inodes_.FindAt(plan->to);
    std::unique_lock<std::mutex> lock_moving, lock_target;
    if (plan->moving && target && plan->moving != target) {
      std::lock(plan->moving->commit_mu, target->commit_mu);
      lock_moving = std::unique_lock(plan->moving->commit_mu, std::adopt_lock);
      lock_target = std::unique_lock(target->commit_mu, std::adopt_lock);
    } else if (plan->moving) {
      lock_moving = std::unique_lock(plan->moving->commit_mu);
    } else if (target) {
      lock_target = std::unique_lock(target->commit_mu);
    }
    const bool replacing = target && target != plan->moving;
    if (replacing) {
      // The kernel knows the replaced file and may open it by the inode it
      // resolved before this rename (a reader racing an editor's save):
      // that open must get the replaced file whole, at the size the kernel
      // has for it, not the new file's bytes. Its content is read now,
      // while the store still holds it, and kept (Release and the
      // invalidator leave a replaced file's buffer alone).
      // Test: Editors.ReadersSeeACompleteOldOrNewVersionWhileAWriterSaves.
      std::scoped_lock lock(target->mu);
      target->being_replaced = true;
      if (!target->loaded && !inodes_.Facts(*target).is_dir) (void)LoadContentLocked(*target, plan->to);
    }
    moved = RenameFile(plan->from, plan->to, plan->moving);
    if (moved.ok()) inodes_.MoveTree(plan->from, plan->to);
    if (replacing) {
      std::scoped_lock lock(target->mu);
      target->being_replaced = false;
      // Not replaced after all: the next open loads what the store holds.
      if (!moved.ok() && inodes_.Facts(*target).open_count == 0) target->loaded = false;
    }
  }
  if (!moved.ok()) {
    Log("rename " + Describe(plan->from) + " -> " + Describe(plan->to) + ": " + moved.message());
    return moved;
  }
  local_.NoteChange(plan->from);
  local_.NoteChange(plan->to);
  // A folder keeps its times (and those below) under its new name; both
  // parents' entries changed.
  folder_times_.MoveTree(plan->from, plan->to);
  EntriesChanged(plan->from.Parent());
  if (!plan->to.IsChildOf(plan->from.Parent())) EntriesChanged(plan->to.Parent());
  return Status::Ok();
}

// The content that moves: an open buffer, a local file, or the document;
// and its time, which a rename keeps (rsync sets it on its temp file).
struct FileSystem::MovingFile {
  std::string content;
  mode_t mode = kDefaultFileMode;
  std::optional<int64_t> mtime_ns;
  bool from_buffer = false;
  uint64_t version = 0;  // of the buffer, when it is the content
};

Result<FileSystem::MovingFile> FileSystem::ContentToMove(const Location& from, Node* moving) {
  MovingFile file;
  std::optional<mode_t> mode_override;
  std::optional<int64_t> mtime_override;
  if (moving) {
    std::scoped_lock lock(moving->mu);
    if (moving->loaded) {
      file.content = moving->content;
      file.version = moving->version;
      file.from_buffer = true;
    }
    mode_override = moving->mode_override;
    mtime_override = moving->mtime_override;
  }
  const bool from_local_only = resolver_.LocalOnly(from);
  const auto from_local = LocalRelOf(from);
  struct stat st;
  const bool has_local = from_local.ok() && local_.root().Stat(*from_local, &st);
  if (has_local) file.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (file.from_buffer) {
    // The buffer is the content.
  } else if (has_local && (from_local_only || st.st_size > 0)) {
    auto data = local_.root().ReadFile(*from_local);
    if (!data.ok()) return data.status();
    file.content = std::move(data.value());
    file.mode = st.st_mode & 07777;
  } else if (!from_local_only) {
    auto winner = store_.replica().Winner(from.ws, from.EsPath());
    if (!winner.ok()) return winner.status();
    if (winner->has_value()) {
      file.content = FileBytes(from, std::move((*winner)->content));
      file.mtime_ns = (*winner)->timestamp * 1000;
      auto attrs = store_.local().GetAttrs(from.ws, from.EsPath(), (*winner)->signature);
      if (attrs.ok() && attrs->has_value() && (*attrs)->mtime_ns) file.mtime_ns = (*attrs)->mtime_ns;
    }
  }
  if (mode_override) file.mode = *mode_override;
  if (mtime_override) file.mtime_ns = mtime_override;
  return file;
}

Status FileSystem::RenameFile(const Location& from, const Location& to, const std::shared_ptr<Node>& moving) {
  const auto from_local = LocalRelOf(from);
  auto to_local = local_.CheckedPath(to, "rename");
  if (!to_local.ok()) return to_local.status();
  const bool from_local_only = resolver_.LocalOnly(from), to_local_only = resolver_.LocalOnly(to);
  auto moved = ContentToMove(from, moving.get());
  if (!moved.ok()) return moved.status();
  const std::string& content = moved->content;
  const mode_t mode = moved->mode;
  const std::optional<int64_t> mtime_ns = moved->mtime_ns;
  const bool from_buffer = moved->from_buffer;
  const uint64_t version = moved->version;
  // 1. The target gets the content (replacing what was there at once).
  Saved saved;
  if (to_local_only || content.empty()) {
    if (Status s = local_.root().WriteFileAtomic(*to_local, content, mode); !s.ok()) return s;
    if (!to_local_only) {
      if (auto live = resolver_.LiveWinner(to); live.ok() && *live) {
        if (auto t = publisher_.Publish(to.ws, to.EsPath(), ""); !t.ok()) return t.status();
      }
    }
  } else {
    auto published = CommitPublished(to, content, mode, mtime_ns);
    if (!published.ok()) return published.status();
    saved = *published;
  }
  // 2. The source goes away.
  if (from_local.ok()) (void)local_.root().Unlink(*from_local);
  if (!from_local_only) {
    if (auto live = resolver_.LiveWinner(from); live.ok() && *live) {
      if (auto t = publisher_.Publish(from.ws, from.EsPath(), ""); !t.ok()) return t.status();
    }
  }
  if (moving) {
    std::scoped_lock lock(moving->mu);
    if (from_buffer && moving->version == version) moving->dirty = false;  // its buffer is what was just stored
    if (!to_local_only && !content.empty()) moving->cached_seq = saved.published ? saved.seq : resolver_.CurrentSeq(to);
  }
  return Status::Ok();
}

namespace {

// The location of the document at |rest| (the es.4 path below a folder,
// "a/b%20c") below the folder |dir|: one name per segment.
Location LocationBelow(const Location& dir, const std::string& rest) {
  Location target = dir;
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t slash = rest.find('/', start);
    const std::string seg = rest.substr(start, slash - start);
    target = target.Child(SegmentToName(seg), seg);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return target;
}

}  // namespace

// What a folder rename does, worked out before anything changes: a
// refusal leaves the folder, the local area and the store as they were.
struct FileSystem::FolderMove {
  // Documents and tombstones, all published in one transaction.
  std::vector<Publisher::Item> items;
  // Documents moving into the local-only area: their bytes (decoded, as
  // the file showed them) and time, at their new local path.
  struct LocalWrite {
    LocalRelPath path;
    std::string bytes;
    int64_t mtime_ns;
  };
  std::vector<LocalWrite> local_writes;
  // Local-only files that become documents: their local file, at its new
  // place, goes once the documents are stored.
  std::vector<LocalRelPath> published_locals;
};

Status FileSystem::PlanDocumentsOut(const Location& from, const Location& to, FolderMove* move) {
  const std::string from_prefix = from.EsFolderPrefix();
  core::Query below;
  below.pathPrefix = from_prefix;
  auto found = store_.replica().QueryDocuments(from.ws, below);
  if (!found.ok()) return found.status();
  for (auto& doc : *found) {
    if (doc.IsTombstone()) continue;
    const std::string rest = doc.path.substr(from_prefix.size());
    const Location target = LocationBelow(to, rest);
    if (resolver_.LocalOnly(target)) {
      // A peer's document may hold ".." or a name no local file can have:
      // one that cannot be a local file refuses the whole rename.
      auto local = LocalRelOf(target);
      if (!local.ok()) {
        return Status::InvalidArgument("refused, nothing moved: document " + core::Printable(doc.path) +
                                       " cannot be a local file (" + local.status().message() + ")");
      }
      // The file's bytes, not the document's text (base64 under binary names).
      move->local_writes.push_back(
          {std::move(*local), FileBytes(LocationOfPath(from.ws, doc.path), doc.content), doc.timestamp * 1000});
    } else {
      const std::string path = target.EsPath();
      if (path.size() > core::kMaxPathLength) {
        return Status::NameTooLong("refused, nothing moved: " + Describe(target) +
                                   " would have an es.4 path over 512 characters");
      }
      move->items.push_back({to.ws, path, doc.content});
    }
    move->items.push_back({from.ws, doc.path, ""});
  }
  return Status::Ok();
}

Status FileSystem::PlanLocalFilesIn(const Location& from, const Location& to, FolderMove* move) {
  auto from_local = LocalRelOf(from);
  if (!from_local.ok()) return Status::Ok();  // no local folder can be there
  // Depth-first over the local folder; names below are checked by Append.
  struct Pending {
    LocalRelPath local;
    Location source, target;
  };
  std::vector<Pending> folders = {{*from_local, from, to}};
  while (!folders.empty()) {
    Pending dir = std::move(folders.back());
    folders.pop_back();
    auto entries = local_.root().ListDir(dir.local);
    if (!entries.ok()) return entries.status();
    for (const auto& [name, is_dir] : *entries) {
      Pending child{dir.local, dir.source.Child(name), dir.target.Child(name)};
      if (Status s = child.local.Append(name); !s.ok()) return s;
      if (is_dir) {
        folders.push_back(std::move(child));
        continue;
      }
      // Only a local-only file whose new name is published becomes a
      // document; the rest moves with the local folder as it is.
      if (!resolver_.LocalOnly(child.source) || resolver_.LocalOnly(child.target)) continue;
      auto bytes = local_.root().ReadFile(child.local);
      if (!bytes.ok()) return bytes.status();
      if (bytes->empty()) continue;  // an empty file stays a local placeholder
      const std::string what = "refused, nothing moved: " + Describe(child.source);
      std::string content = DocContent(child.target, *bytes);
      if (content.size() > core::kMaxContentBytes) {
        return Status::TooLarge(what + " is " + std::to_string(bytes->size()) + " bytes (" +
                                std::to_string(content.size()) + " as stored), over the es.4 limit of 4,000,000");
      }
      if (!core::IsValidUtf8(content)) {
        return Status::InvalidArgument(what + " is not UTF-8 text and its name is not one of the binary types");
      }
      const std::string path = child.target.EsPath();
      if (path.size() > core::kMaxPathLength) {
        return Status::NameTooLong(what + " would have an es.4 path over 512 characters");
      }
      auto new_local = LocalRelOf(child.target);
      if (!new_local.ok()) return new_local.status();
      move->items.push_back({to.ws, path, std::move(content)});
      move->published_locals.push_back(std::move(*new_local));
    }
  }
  return Status::Ok();
}

Status FileSystem::RenameFolder(const Location& from, const Location& to) {
  auto to_local = local_.CheckedPath(to, "rename");
  if (!to_local.ok()) return to_local.status();
  // 1. The plan; nothing changes yet. Every living document below moves (a
  // new document at the new path, or a local file if the new name is
  // local-only, and a tombstone at the old path); every local-only file
  // whose new name is published becomes a document.
  FolderMove move;
  if (!resolver_.LocalOnly(from)) {
    if (Status s = PlanDocumentsOut(from, to, &move); !s.ok()) return s;
  }
  if (Status s = PlanLocalFilesIn(from, to, &move); !s.ok()) return s;
  // 2. The local part: one rename of the local folder.
  struct stat st;
  const auto from_local = LocalRelOf(from);
  const bool local_moved = from_local.ok() && local_.root().Stat(*from_local, &st);
  if (local_moved) {
    (void)local_.root().Rmdir(*to_local);  // an empty target folder is replaced
    if (Status s = local_.root().Rename(*from_local, *to_local); !s.ok()) return s;
  }
  // 3. Documents that became local files, then one store transaction with
  // one flush. If it fails, the local part is put back.
  Status done = Status::Ok();
  size_t written = 0;
  for (; written < move.local_writes.size() && done.ok(); ++written) {
    const auto& w = move.local_writes[written];
    done = local_.root().WriteFileAtomic(w.path, w.bytes, kDefaultFileMode);
    if (done.ok()) (void)local_.root().SetMtime(w.path, w.mtime_ns);
  }
  if (done.ok() && !move.items.empty()) done = publisher_.PublishMany(std::move(move.items)).status();
  if (!done.ok()) {
    for (size_t i = 0; i < written; ++i) (void)local_.root().Unlink(move.local_writes[i].path);
    if (local_moved) (void)local_.root().Rename(*to_local, *from_local);
    return done;
  }
  // 4. The local files that are documents now.
  for (const auto& path : move.published_locals) (void)local_.root().Unlink(path);
  return Status::Ok();
}

}  // namespace esfs::fs
