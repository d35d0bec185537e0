// The file I/O group, continued: saving a buffer (flush, fsync, release),
// and setattr.
#include <ctime>
#include <mutex>

#include "core/document.h"
#include "fs/filesystem.h"

namespace esfs::fs {

// Only handles open for writing commit: a reader's close must not publish
// a buffer another handle is still writing, and a writer's release that
// the kernel delivers late (after the next open already truncated the
// buffer) must not publish that half-made state. The last writer to go
// commits; every writer's flush (each close) and fsync commits too, which
// is what makes close() == 0 mean committed.
//
// The buffer is copied under Node::mu and stored with no lock but the
// file's commit_mu and a shared tree_mu_: saves of different files reach
// the store together and share its flush.
Status FileSystem::Commit(Node& node, bool release) {
  std::shared_lock tree(tree_mu_);
  std::scoped_lock commit(node.commit_mu);
  const InodeTable::NodeFacts facts = inodes_.Facts(node);
  const Location& loc = facts.loc;
  const bool local_only = resolver_.LocalOnly(loc);
  std::string bytes;
  uint64_t version;
  std::optional<mode_t> mode;
  std::optional<int64_t> mtime, atime;
  bool born_here;
  {
    std::scoped_lock lock(node.mu);
    if (!node.dirty || (release && node.writers > 0)) return Status::Ok();
    if (facts.unlinked) {
      node.dirty = false;
      return Status::Ok();
    }
    if (node.refused_write) {
      Log("save " + Describe(loc) +
          ": not saved: a write past the file's size limit was refused, so the content "
          "is incomplete; the previous version stays");
      return Status::TooLarge("file too large");
    }
    bytes = node.content;
    version = node.version;
    mode = node.mode_override;
    mtime = node.mtime_override;
    atime = node.atime_override;
    born_here = node.birth_ns != 0;
  }
  auto mark_saved = [&](const Saved& saved) {
    std::scoped_lock lock(node.mu);
    if (node.version == version) node.dirty = false;   // else written since: the next commit saves it
    if (saved.published) node.cached_seq = saved.seq;  // the kernel's pages hold what was stored
  };
  if (local_only) {
    auto local_path = local_.CheckedPath(loc, "save");
    if (!local_path.ok()) return local_path.status();
    Status s = local_.root().WriteFileAtomic(*local_path, bytes, mode.value_or(kDefaultFileMode));
    local_.NoteChange(loc);
    if (s.ok()) mark_saved({});
    return s;
  }
  auto saved = CommitPublished(loc, bytes, mode, mtime, atime);
  if (saved.ok()) {
    mark_saved(*saved);
    return Status::Ok();
  }
  bool is_dir = false;
  if (born_here && saved.status().code() == StatusCode::kTooLarge) {
    // Created here and its content refused (over the es.4 limit): the
    // create is undone, as cp and rsync expect of a write that failed with
    // EFBIG; no empty or truncated file is left (DESIGN decision 8). The
    // kernel may show its cached entry for up to a second more.
    auto exists = resolver_.Exists(loc, &is_dir);
    if (exists.ok() && !*exists) inodes_.UnhashIf(loc, node.ino);
  }
  return saved.status();
}

Result<FileSystem::Saved> FileSystem::CommitPublished(const Location& loc, const std::string& bytes,
                                                      std::optional<mode_t> mode, std::optional<int64_t> mtime_ns,
                                                      std::optional<int64_t> atime_ns) {
  const std::string path = loc.EsPath();
  if (bytes.empty()) {
    // Empty: a local placeholder; a published version becomes a tombstone.
    auto local_path = local_.CheckedPath(loc, "save");
    if (!local_path.ok()) return local_path.status();
    if (Status s = local_.root().WriteFileAtomic(*local_path, "", mode.value_or(kDefaultFileMode)); !s.ok()) {
      return s;
    }
    if (auto live = resolver_.LiveWinner(loc); live.ok() && *live) {
      auto tombstone = publisher_.Publish(loc.ws, path, "");
      if (!tombstone.ok()) return tombstone.status();
    }
    return Saved{};
  }
  // Bytes that are not UTF-8 text become a data URL (core/content_codec.h).
  std::string content = DocContent(loc, bytes);
  if (content.size() > core::kMaxContentBytes) {
    Log("save " + Describe(loc) + ": not published: " + std::to_string(bytes.size()) + " bytes (" +
        std::to_string(content.size()) +
        " as stored) is over the es.4 limit of 4,000,000; the previous "
        "version stays");
    return Status::TooLarge("content too large");
  }
  // Saving what is already there (an editor rewriting an unchanged file)
  // makes no new version.
  bool unchanged = false;
  (void)store_.replica().VisitWinner(loc.ws, path,
                                     [&](const core::DocView& doc) { unchanged = doc.content == content; });
  const auto local_path = LocalRelOf(loc);
  if (unchanged) {
    if (local_path.ok()) (void)local_.root().Unlink(*local_path);
    return Saved{};
  }
  auto saved = publisher_.Publish(loc.ws, path, std::move(content));
  if (!saved.ok()) {
    Log("save " + Describe(loc) + ": " + saved.status().message());
    return saved.status();
  }
  if (local_path.ok()) (void)local_.root().Unlink(*local_path);  // the placeholder, if there was one
  Saved result{true, resolver_.CurrentSeq(loc)};
  // A time or mode set after the last write (cp -a, rsync) belongs to
  // this document; keep it beside the store. The mode chosen for an
  // earlier version stays (core::LocalAttrs).
  if (mtime_ns || mode || atime_ns) {
    core::LocalAttrs attrs{saved->signature, mode, mtime_ns, atime_ns, std::nullopt};
    if (!attrs.mode) {
      auto kept = store_.local().GetAttrs(loc.ws, path, saved->signature);
      if (kept.ok() && kept->has_value()) attrs.mode = (*kept)->mode;
    }
    (void)store_.local().SetAttrs(loc.ws, path, attrs, core::LocalState::Durability::kSoon);
  }
  return result;
}

Status FileSystem::Flush(uint64_t, uint64_t fh) {
  auto handle = open_files_.Get(fh);
  if (!handle || !handle->writable) return Status::Ok();
  return Commit(*handle->node, false);
}

// fsync also writes the file's time and mode if they still wait to be
// stored (LocalState::Durability::kSoon): after it, everything about the file
// is on disk. Only this file's: the temp file of an atomic save is fsynced
// right after the previous save queued the target's time.
Status FileSystem::Fsync(uint64_t ino, uint64_t fh) {
  if (Status s = Flush(ino, fh); !s.ok()) return s;
  auto node = inodes_.Find(ino);
  if (node == nullptr) return Status::Ok();
  const Location loc = inodes_.LocationOf(*node);
  // Local-only files are written with their own fsync (LocalRoot).
  if (resolver_.LocalOnly(loc) || loc.IsHistory() || loc.parts.empty()) return Status::Ok();
  if (Status s = store_.local().FlushAttrs(loc.ws, loc.EsPath()); !s.ok()) return s;
  // The commit at flush cost one disk flush (its data pages, MDB_NOMETASYNC);
  // this second one (the meta page) makes it survive a power cut. No lock.
  return store_.Sync();
}

Status FileSystem::Release(uint64_t ino, uint64_t fh) {
  auto handle = open_files_.Remove(fh);
  std::shared_ptr<Node> node = handle ? handle->node : inodes_.Find(ino);
  if (node == nullptr) return Status::Ok();
  const bool writer = handle && handle->writable;
  bool last_writer = false;
  if (writer) {
    std::scoped_lock lock(node->mu);
    last_writer = --node->writers <= 0;
    if (last_writer) node->writers = 0;
  }
  Status s = Status::Ok();
  if (last_writer) {
    s = Commit(*node, true);
    if (!s.ok()) Log("close " + DescribeInode(ino, "") + ": changes could not be saved: " + s.message());
  }
  if (!handle) return s;
  std::scoped_lock lock(node->mu);
  // A replaced or removed file (or one a rename is replacing right now)
  // keeps its content while the kernel knows it: an open by the inode it
  // resolved before the rename or unlink must still read it whole (its
  // memory goes at FORGET, soon after the last reference).
  if (inodes_.Closed(*node) == 0 && !node->being_replaced && !inodes_.Facts(*node).unlinked) {
    node->loaded = false;
    node->refused_write = false;
    node->dirty = false;
    ++node->version;
    open_files_.OfferSpare(node->content);
  }
  return s;
}

Result<Attr> FileSystem::SetAttr(uint64_t ino, const SetAttrRequest& request) {
  auto node = inodes_.Find(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  const InodeTable::NodeFacts facts = inodes_.Facts(*node);
  const Location& loc = facts.loc;
  if (loc.IsHistory()) return resolver_.CheckWritable(loc, "setattr");
  if (request.size) {
    if (facts.is_dir) return Status::IsFolder("is a folder");
    if (Status s = resolver_.CheckWritable(loc, "truncate"); !s.ok()) return s;
    // Before loading or resizing anything: truncate -s 1T allocates nothing.
    if (Status s = resolver_.CheckFileSize(loc, 0, *request.size, "truncate"); !s.ok()) return s;
    bool commit_now;
    {
      std::scoped_lock lock(node->mu);
      if (Status s = LoadContentLocked(*node, loc); !s.ok()) return s;
      node->refused_write = false;  // the size is set anew
      if (node->content.size() != *request.size) {
        node->content.resize(*request.size, '\0');
        node->dirty = true;
        ++node->version;
        node->mtime_override.reset();  // changed now, as by a write: the save's time shows
      }
      // truncate(2) by path (or with only readers open): no writer will
      // commit later, so commit now.
      commit_now = node->writers == 0;
    }
    if (commit_now) {
      Status s = Commit(*node, false);
      {
        std::scoped_lock lock(node->mu);
        if (inodes_.Facts(*node).open_count == 0) {
          node->loaded = false;
          node->content.clear();
        }
      }
      if (!s.ok()) return s;
    }
  }
  // Every change of attributes sets ctime (POSIX); a chown is accepted
  // and not stored, but moves ctime too.
  const bool attrs_change = request.mode || request.mtime_ns || request.atime_ns || request.owner_change;
  if (!attrs_change && !request.size) return AttrOf(*node);
  const int64_t now_ns = WallClockNs();
  const auto local_path = LocalRelOf(loc);
  struct stat st;
  bool has_local = local_path.ok() && local_.root().Stat(*local_path, &st);
  // A folder's times and mode live on its local folder (made here if the
  // folder so far only existed as a path prefix), so they survive a remount.
  if (facts.is_dir && !has_local && !loc.IsMountRoot() && attrs_change) {
    has_local = local_path.ok() && local_.root().MakeDirs(*local_path).ok() && local_.root().Stat(*local_path, &st);
  }
  bool dirty;
  {
    std::scoped_lock lock(node->mu);
    if (request.mode) node->mode_override = *request.mode & 07777;
    if (request.mtime_ns) node->mtime_override = *request.mtime_ns;
    if (request.atime_ns) node->atime_override = *request.atime_ns;
    // A folder's time set by hand replaces what its entries said.
    if (facts.is_dir && request.mtime_ns) folder_times_.Forget(loc);
    // A local file or folder keeps its own ctime (the calls below move it).
    if (!has_local) node->ctime_override = now_ns;
    dirty = node->dirty;
  }
  if (has_local) {
    if (request.mode) (void)local_.root().Chmod(*local_path, *request.mode & 07777);
    if (request.mtime_ns || request.atime_ns)
      (void)local_.root().SetTimes(*local_path, request.atime_ns, request.mtime_ns);
    // A chown changes nothing that the local file holds; a chmod to the
    // mode it has moves its ctime, as the chown would have.
    if (request.owner_change && !request.mode) (void)local_.root().Chmod(*local_path, st.st_mode & 07777);
  }
  // A published file with no pending save: remember the attributes for
  // its current document (they are shown until the document changes).
  if (attrs_change && !facts.is_dir && !dirty && !resolver_.LocalOnly(loc)) {
    std::string signature;
    (void)store_.replica().VisitWinner(loc.ws, loc.EsPath(), [&](const core::DocView& doc) {
      if (!doc.IsTombstone()) signature = doc.signature;
    });
    if (!signature.empty()) {
      auto existing = store_.local().GetAttrs(loc.ws, loc.EsPath(), signature);
      core::LocalAttrs attrs;
      if (existing.ok() && existing->has_value()) attrs = **existing;
      attrs.signature = signature;
      if (request.mode) attrs.mode = *request.mode & 07777;
      if (request.mtime_ns) attrs.mtime_ns = *request.mtime_ns;
      if (request.atime_ns) attrs.atime_ns = *request.atime_ns;
      attrs.ctime_ns = now_ns;
      // Written within a moment, as a disk journals inode changes; fsync
      // and unmount write it at once.
      Status s = store_.local().SetAttrs(loc.ws, loc.EsPath(), attrs, core::LocalState::Durability::kSoon);
      if (!s.ok()) return s;
    }
  }
  return AttrOf(*node, !has_local);
}

}  // namespace esfs::fs
