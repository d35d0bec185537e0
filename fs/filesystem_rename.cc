// The folder group, continued: rename of files and folders.
#include <map>
#include <mutex>

#include "core/path.h"
#include "core/printable.h"
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
  auto to_exists = resolver_.Exists(*to, &to_is_dir);
  if (!to_exists.ok()) return to_exists.status();
  if (*to_exists) {
    if (noreplace) return Status::AlreadyExists(new_name);
    if (plan.from_is_dir && !to_is_dir) return Status::NotFolder("not a folder");
    if (!plan.from_is_dir && to_is_dir) return Status::IsFolder("is a folder");
  }
  plan.same = from->Key() == to->Key();
  return plan;
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
  Status moved = Status::Ok();
  if (plan->from_is_dir) {
    moved = RenameFolder(plan->from, plan->to);
    if (moved.ok()) inodes_.MoveTree(plan->from, plan->to);
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
    moved = RenameFile(plan->from, plan->to, plan->moving);
    if (moved.ok()) inodes_.MoveTree(plan->from, plan->to);
  }
  if (!moved.ok()) {
    Log("rename " + Describe(plan->from) + " -> " + Describe(plan->to) + ": " + moved.message());
    return moved;
  }
  local_.NoteChange(plan->from);
  local_.NoteChange(plan->to);
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
  auto to_local = local_.CheckedPath(to, "rename");
  if (!to_local.ok()) return to_local.status();
  const bool to_local_only = resolver_.LocalOnly(to);
  const bool docs_move = !(resolver_.LocalOnly(from) && to_local_only);
  // Published part: every living document below moves (a new document at
  // the new path, a tombstone at the old one), all in one store
  // transaction with one flush. Into the local area, each lands at a local
  // path made from its segments; a peer's document may hold "..": all are
  // checked before anything moves, and one that cannot be a local file
  // refuses the rename.
  std::vector<core::Document> docs;
  std::vector<LocalRelPath> targets;
  const std::string from_prefix = from.EsFolderPrefix(), to_prefix = to.EsFolderPrefix();
  if (docs_move) {
    core::Query below;
    below.pathPrefix = from_prefix;
    auto found = store_.replica().QueryDocuments(from.ws, below);
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
  if (auto from_local = LocalRelOf(from); from_local.ok() && local_.root().Stat(*from_local, &st)) {
    (void)local_.root().Rmdir(*to_local);  // an empty target folder is replaced
    if (Status s = local_.root().Rename(*from_local, *to_local); !s.ok()) return s;
  }
  std::vector<Publisher::Item> items;
  items.reserve(docs.size() * 2);
  for (size_t i = 0; i < docs.size(); ++i) {
    core::Document& doc = docs[i];
    if (to_local_only) {
      if (Status s = local_.root().WriteFileAtomic(targets[i], doc.content, kDefaultFileMode); !s.ok()) return s;
    } else {
      items.push_back({to.ws, to_prefix + doc.path.substr(from_prefix.size()), std::move(doc.content)});
    }
    items.push_back({from.ws, doc.path, ""});
  }
  if (items.empty()) return Status::Ok();
  auto published = publisher_.PublishMany(std::move(items));
  return published.ok() ? Status::Ok() : published.status();
}

}  // namespace esfs::fs
