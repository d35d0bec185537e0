// Open files: buffers, reads, writes, commits and setattr.
#include <fcntl.h>
#include <unistd.h>

#include "core/document.h"
#include "core/path.h"
#include "core/printable.h"
#include "core/utf8.h"
#include "fs/filesystem.h"
#include "fs/filesystem_internal.h"
#include "fs/names.h"

namespace esfs::fs {

size_t FileSystem::MaxFileBytes(const Location& loc) const {
  if (LocalOnly(loc)) return kMaxLocalFileBytes;
  if (!loc.parts.empty() && IsBinaryName(loc.DocName())) return kMaxBinaryFileBytes;
  return core::kMaxContentBytes;
}

Status FileSystem::CheckFileSize(const Location& loc, uint64_t offset, uint64_t size, const char* operation) const {
  const uint64_t limit = MaxFileBytes(loc);
  if (offset <= limit && size <= limit - offset) return Status::Ok();
  Log(std::string(operation) + " " + Describe(loc) + ": refused, the file would be " +
      (offset > limit ? "" : std::to_string(offset + size) + " bytes, ") + "over the " +
      (LocalOnly(loc) ? "local-only file" : "es.4") + " limit of " + std::to_string(limit) + " bytes");
  return Status::TooLarge("file too large");
}

Status FileSystem::LoadContent(Node& node) {
  if (node.loaded) return Status::Ok();
  if (node.loc.IsHistory()) {
    auto version = HistoryVersion(node.loc);
    if (!version.ok()) return version.status();
    node.content =
        version->has_value() ? FileBytes(node.loc.HistorySubject().Parent(), std::move((*version)->content)) : "";
    node.loaded = true;
    node.dirty = false;
    return Status::Ok();
  }
  struct stat st;
  const bool has_local = LocalStat(node.loc, &st);
  if (LocalOnly(node.loc) || (has_local && st.st_size > 0)) {
    // A local file that grew past the limit outside the mount (or before
    // it had one) is not read into memory.
    if (has_local) {
      if (Status s = CheckFileSize(node.loc, 0, static_cast<uint64_t>(st.st_size), "open"); !s.ok()) return s;
    }
    auto local_path = LocalRelOf(node.loc);
    auto data = local_path.ok() ? local_root_.ReadFile(*local_path) : Result<std::string>(local_path.status());
    if (!data.ok() && data.status().code() != StatusCode::kNotFound) return data.status();
    node.content = data.ok() ? std::move(data.value()) : "";
  } else {
    std::string content = std::exchange(spare_buffer_, std::string());
    content.clear();
    auto found = store_.VisitWinner(
        node.loc.ws, node.loc.EsPath(),
        [&](const core::DocView& doc) { AssignFileBytes(node.loc, doc.content, &content); },
        core::Store::WinnerUse::kContent);
    if (!found.ok()) return found.status();
    node.content = std::move(content);
  }
  node.loaded = true;
  node.dirty = false;
  return Status::Ok();
}

Result<std::pair<Attr, uint64_t>> FileSystem::Create(uint64_t parent_ino, const std::string& name, mode_t mode,
                                                     int flags) {
  std::scoped_lock lock(mu_);
  Node* parent = FindNode(parent_ino);
  if (parent == nullptr) return Status::NotFound("stale inode");
  auto loc = ChildLocation(*parent, name);
  if (!loc.ok()) return loc.status();
  if (loc->IsWorkspaceRoot()) return Status::InvalidArgument("only workspace folders live at the mount root");
  if (Status s = CheckWritable(*loc, "create"); !s.ok()) return s;
  if (loc->EsPath().size() > core::kMaxPathLength && !LocalOnly(*loc)) {
    Log("create " + Describe(*loc) + ": refused, its es.4 path would be longer than 512 characters");
    return Status::NameTooLong("es.4 path over 512 characters");
  }
  // The file exists at once as an open node (listed, found by lookups).
  // Its first flush writes it: one document if it got content, else an
  // empty local placeholder (es.4 cannot hold an empty document). Writing
  // the placeholder now would cost a durable file write per created file.
  Node& node = NodeFor(*loc, false);
  node.unlinked = false;
  node.loaded = true;
  node.content.clear();
  node.dirty = true;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  node.birth_ns = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
  // The usual 0644 is what a file shows anyway: no override to keep beside
  // the store, so no second write when the file is saved.
  node.mode_override = (mode & 07777) == kDefaultFileMode ? std::nullopt : std::optional<mode_t>(mode & 07777);
  node.mtime_override.reset();
  ++node.lookups;
  if (node.open_count++ == 0) open_inodes_.insert(node.ino);
  ++node.writers;
  auto handle = std::make_unique<Handle>();
  handle->ino = node.ino;
  handle->append = (flags & O_APPEND) != 0;
  handle->writable = true;
  const uint64_t fh = next_fh_++;
  handles_[fh] = std::move(handle);
  auto attr = AttrOf(node);
  if (!attr.ok()) return attr.status();
  return std::make_pair(*attr, fh);
}

Result<uint64_t> FileSystem::Open(uint64_t ino, int flags, bool* keep_cache) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  if (node->is_dir) return Status::IsFolder("is a folder");
  // Its content is gone from the store (a rename replaced it a moment
  // ago); loading now would give the new file's bytes under the old
  // file's size. The kernel retries the open with a fresh lookup.
  if (node->unlinked && !node->loaded) return Status::Stale("stale: replaced or removed");
  const bool writable = (flags & O_ACCMODE) != O_RDONLY;
  if (writable || (flags & O_TRUNC)) {
    if (Status s = CheckWritable(node->loc, "open for writing"); !s.ok()) return s;
  }
  *keep_cache = false;
  if (!node->loaded && !LocalOnly(node->loc) && !node->loc.IsHistory()) {
    // Published and not open: keep the kernel's pages if the winner is
    // the one they were read from (no local placeholder in between).
    struct stat st;
    auto seq = store_.WinnerSeq(node->loc.ws, node->loc.EsPath());
    const uint64_t now_seq = seq.ok() && !LocalStat(node->loc, &st) ? *seq : 0;
    *keep_cache = now_seq != 0 && now_seq == node->cached_seq;
    node->cached_seq = now_seq;
  }
  // Loaded now even when the kernel's cache may answer every read: if the
  // file changes while it is open, the pages are dropped and the reads
  // that follow must still come from the version this open saw.
  if (Status s = LoadContent(*node); !s.ok()) return s;
  // libfuse3 turns atomic_o_trunc on: truncation arrives here, not as setattr.
  if (flags & O_TRUNC) node->refused_write = false;
  if ((flags & O_TRUNC) && !node->content.empty()) {
    node->content.clear();
    node->dirty = true;
  }
  if (node->open_count++ == 0) open_inodes_.insert(ino);
  if (writable) ++node->writers;
  auto handle = std::make_unique<Handle>();
  handle->ino = ino;
  handle->append = (flags & O_APPEND) != 0;
  handle->writable = writable;
  const uint64_t fh = next_fh_++;
  handles_[fh] = std::move(handle);
  return fh;
}

Status FileSystem::Read(uint64_t ino, uint64_t, size_t size, off_t offset, const ReadReply& reply) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  if (Status s = LoadContent(*node); !s.ok()) return s;
  const std::string_view content = node->content;
  reply(offset < 0 || static_cast<size_t>(offset) >= content.size() ? std::string_view()
                                                                    : content.substr(static_cast<size_t>(offset), size));
  return Status::Ok();
}

Result<size_t> FileSystem::Write(uint64_t ino, uint64_t fh, std::string_view data, off_t offset) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  auto handle = handles_.find(fh);
  if (node == nullptr || handle == handles_.end()) return Status::NotFound("stale handle");
  if (Status s = LoadContent(*node); !s.ok()) return s;
  if (offset < 0) return Status::InvalidArgument("negative offset");
  const size_t at = handle->second->append ? node->content.size() : static_cast<size_t>(offset);
  // Open files live in memory: refuse what the file cannot hold before
  // allocating, and keep the partial buffer from being published.
  if (Status s = CheckFileSize(node->loc, at, data.size(), "write"); !s.ok()) {
    node->refused_write = true;
    node->cached_seq = 0;  // the kernel's pages hold the refused writes: drop them at the next open
    return s;
  }
  if (at == node->content.size()) {
    node->content.append(data);  // the usual case: no zero fill to overwrite
  } else {
    if (at + data.size() > node->content.size()) node->content.resize(at + data.size(), '\0');
    node->content.replace(at, data.size(), data);
  }
  node->dirty = true;
  node->mtime_override.reset();  // written now: the time of this save shows
  return data.size();
}

Status FileSystem::Commit(Node& node) {
  if (!node.dirty) return Status::Ok();
  if (node.unlinked) {
    node.dirty = false;
    return Status::Ok();
  }
  if (node.refused_write) {
    Log("save " + Describe(node.loc) +
        ": not saved: a write past the file's size limit was refused, so the content is incomplete; the previous "
        "version stays");
    return Status::TooLarge("file too large");
  }
  if (LocalOnly(node.loc)) {
    auto local_path = CheckedLocalPath(node.loc, "save");
    if (!local_path.ok()) return local_path.status();
    Status s = local_root_.WriteFileAtomic(*local_path, node.content, node.mode_override.value_or(0644));
    if (s.ok()) node.dirty = false;
    NoteLocalChange(node.loc);
    return s;
  }
  Status s = CommitPublished(node, node.loc);
  bool is_dir = false;
  if (!s.ok() && node.birth_ns != 0) {
    // Created here and its content refused (not UTF-8, too large): the
    // file stays, empty, as on a disk where the create succeeded.
    auto exists = Exists(node.loc, &is_dir);
    if (exists.ok() && !*exists) {
      if (auto local_path = CheckedLocalPath(node.loc, "save"); local_path.ok()) {
        (void)local_root_.WriteFileAtomic(*local_path, "", node.mode_override.value_or(0644));
      }
    }
  }
  return s;
}

Status FileSystem::CommitPublished(Node& node, const Location& loc) {
  const std::string path = loc.EsPath();
  if (node.content.empty()) {
    // Empty: a local placeholder; a published version becomes a tombstone.
    auto local_path = CheckedLocalPath(loc, "save");
    if (!local_path.ok()) return local_path.status();
    if (Status s = local_root_.WriteFileAtomic(*local_path, "", node.mode_override.value_or(0644)); !s.ok()) {
      return s;
    }
    if (auto live = LiveWinner(loc); live.ok() && *live) {
      auto tombstone = Publish(loc.ws, path, "");
      if (!tombstone.ok()) return tombstone.status();
    }
    node.dirty = false;
    return Status::Ok();
  }
  std::string content = DocContent(loc, node.content);
  if (!core::IsValidUtf8(content)) {
    Log("save " + Describe(loc) + ": not published: the content is not UTF-8 text and the name is not one of "
        "the binary types (docs/mount.md); the previous version stays");
    return Status::InvalidArgument("not UTF-8");
  }
  if (content.size() > core::kMaxContentBytes) {
    Log("save " + Describe(loc) + ": not published: " + std::to_string(node.content.size()) + " bytes (" +
        std::to_string(content.size()) + " as stored) is over the es.4 limit of 4,000,000; the previous "
        "version stays");
    return Status::TooLarge("content too large");
  }
  // Saving what is already there (an editor rewriting an unchanged file)
  // makes no new version.
  bool unchanged = false;
  (void)store_.VisitWinner(loc.ws, path, [&](const core::DocView& doc) { unchanged = doc.content == content; });
  const auto local_path = LocalRelOf(loc);
  if (unchanged) {
    if (local_path.ok()) (void)local_root_.Unlink(*local_path);
    node.dirty = false;
    return Status::Ok();
  }
  auto saved = Publish(loc.ws, path, std::move(content));
  if (!saved.ok()) {
    Log("save " + Describe(loc) + ": " + saved.status().message());
    return saved.status();
  }
  if (local_path.ok()) (void)local_root_.Unlink(*local_path);  // the placeholder, if there was one
  node.dirty = false;
  // The kernel's pages of this inode hold what was just stored.
  if (&loc == &node.loc) {
    auto seq = store_.WinnerSeq(loc.ws, path);
    node.cached_seq = seq.ok() ? *seq : 0;
  }
  // A time or mode set after the last write (cp -a, rsync) belongs to
  // this document; keep it beside the store.
  // The mode chosen for an earlier version stays (core::LocalAttrs).
  if (node.mtime_override || node.mode_override) {
    core::LocalAttrs attrs{saved->signature, node.mode_override, node.mtime_override};
    if (!attrs.mode) {
      auto kept = store_.GetLocalAttrs(loc.ws, path, saved->signature);
      if (kept.ok() && kept->has_value()) attrs.mode = (*kept)->mode;
    }
    (void)store_.SetLocalAttrs(loc.ws, path, attrs, core::Store::Durability::kSoon);
  }
  return Status::Ok();
}

Result<core::Document> FileSystem::Publish(const std::string& ws, const std::string& path, std::string content) {
  std::optional<int64_t> delete_after;
  if (path.find('!') != std::string::npos) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    delete_after = int64_t{now.tv_sec} * 1'000'000 + now.tv_nsec / 1000 + config_.ephemeral_lifetime_us;
  }
  return store_.Set(signer_, ws, path, std::move(content), delete_after);
}

// Only handles open for writing commit: a reader's close must not publish
// a buffer another handle is still writing, and a writer's release that
// the kernel delivers late (after the next open already truncated the
// buffer) must not publish that half-made state. The last writer to go
// commits; every writer's flush (each close) and fsync commits too, which
// is what makes close() == 0 mean durable.
Status FileSystem::Flush(uint64_t ino, uint64_t fh) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  auto handle = handles_.find(fh);
  if (node == nullptr || handle == handles_.end() || !handle->second->writable) return Status::Ok();
  return Commit(*node);
}

// fsync also writes the file's time and mode if they still wait to be
// stored (Store::Durability::kSoon): after it, everything about the file
// is on disk. Only this file's: the temp file of an atomic save is fsynced
// right after the previous save queued the target's time.
Status FileSystem::Fsync(uint64_t ino, uint64_t fh) {
  if (Status s = Flush(ino, fh); !s.ok()) return s;
  {
    std::scoped_lock lock(mu_);
    Node* node = FindNode(ino);
    // Local-only files are written with their own fsync (LocalRoot).
    if (node == nullptr || LocalOnly(node->loc) || node->loc.IsHistory() || node->loc.parts.empty()) {
      return Status::Ok();
    }
    if (Status s = store_.FlushLocalAttrs(node->loc.ws, node->loc.EsPath()); !s.ok()) return s;
  }
  // The commit at flush cost one disk flush (its data pages, MDB_NOMETASYNC);
  // this second one (the meta page) makes it survive a power cut. Outside
  // mu_: other requests do not wait for the disk.
  return store_.Sync();
}

Status FileSystem::Release(uint64_t ino, uint64_t fh) {
  std::scoped_lock lock(mu_);
  auto handle = handles_.find(fh);
  const bool writer = handle != handles_.end() && handle->second->writable;
  if (handle != handles_.end()) handles_.erase(handle);
  Node* node = FindNode(ino);
  if (node == nullptr) return Status::Ok();
  Status s = Status::Ok();
  if (writer && --node->writers <= 0) {
    node->writers = 0;
    s = Commit(*node);
    if (!s.ok()) Log("close " + Describe(node->loc) + ": changes could not be saved: " + s.message());
  }
  if (--node->open_count <= 0) {
    node->open_count = 0;
    open_inodes_.erase(ino);
    node->loaded = false;
    node->refused_write = false;
    const size_t capacity = node->content.capacity();
    if (capacity >= kSpareBufferMinBytes && capacity <= kSpareBufferMaxBytes && capacity > spare_buffer_.capacity()) {
      spare_buffer_.swap(node->content);
    }
    node->content.clear();
    node->content.shrink_to_fit();
    node->dirty = false;
    if (node->lookups == 0) {
      if (auto it = ino_of_.find(node->loc.Key()); it != ino_of_.end() && it->second == ino) ino_of_.erase(it);
      nodes_.erase(ino);
    }
  }
  return s;
}

Result<Attr> FileSystem::SetAttr(uint64_t ino, const SetAttrRequest& request) {
  std::scoped_lock lock(mu_);
  Node* node = FindNode(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  if (node->loc.IsHistory()) return CheckWritable(node->loc, "setattr");
  if (request.size) {
    if (node->is_dir) return Status::IsFolder("is a folder");
    if (Status s = CheckWritable(node->loc, "truncate"); !s.ok()) return s;
    // Before loading or resizing anything: truncate -s 1T allocates nothing.
    if (Status s = CheckFileSize(node->loc, 0, *request.size, "truncate"); !s.ok()) return s;
    if (Status s = LoadContent(*node); !s.ok()) return s;
    node->refused_write = false;  // the size is set anew
    if (node->content.size() != *request.size) {
      node->content.resize(*request.size, '\0');
      node->dirty = true;
    }
    // truncate(2) by path (or with only readers open): no writer will
    // commit later, so commit now.
    if (node->writers == 0) {
      Status s = Commit(*node);
      if (node->open_count == 0) {
        node->loaded = false;
        node->content.clear();
      }
      if (!s.ok()) return s;
    }
  }
  const auto local_path = LocalRelOf(node->loc);
  struct stat st;
  bool has_local = local_path.ok() && local_root_.Stat(*local_path, &st);
  // A folder's time and mode live on its local folder (made here if the
  // folder so far only existed as a path prefix), so they survive a remount.
  if (node->is_dir && !has_local && !node->loc.IsMountRoot() && (request.mode || request.mtime_ns)) {
    has_local = local_path.ok() && local_root_.MakeDirs(*local_path).ok();
  }
  if (request.mode) {
    node->mode_override = *request.mode & 07777;
    if (has_local) (void)local_root_.Chmod(*local_path, *request.mode & 07777);
  }
  if (request.mtime_ns) {
    node->mtime_override = *request.mtime_ns;
    if (has_local) (void)local_root_.SetMtime(*local_path, *request.mtime_ns);
  }
  // A published file with no pending save: remember the attributes for
  // its current document (they are shown until the document changes).
  if ((request.mode || request.mtime_ns) && !node->is_dir && !node->dirty && !LocalOnly(node->loc)) {
    std::string signature;
    (void)store_.VisitWinner(node->loc.ws, node->loc.EsPath(), [&](const core::DocView& doc) {
      if (!doc.IsTombstone()) signature = doc.signature;
    });
    if (!signature.empty()) {
      auto existing = store_.GetLocalAttrs(node->loc.ws, node->loc.EsPath(), signature);
      core::LocalAttrs attrs;
      if (existing.ok() && existing->has_value()) attrs = **existing;
      attrs.signature = signature;
      if (request.mode) attrs.mode = *request.mode & 07777;
      if (request.mtime_ns) attrs.mtime_ns = *request.mtime_ns;
      // Written within a moment, as a disk journals inode changes; fsync
      // and unmount write it at once.
      Status s = store_.SetLocalAttrs(node->loc.ws, node->loc.EsPath(), attrs, core::Store::Durability::kSoon);
      if (!s.ok()) return s;
    }
  }
  return AttrOf(*node, !has_local);
}

}  // namespace esfs::fs
