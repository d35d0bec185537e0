// The file I/O group: create, open, read, write, flush, fsync, release,
// setattr, and the commit of a buffer.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "core/content_codec.h"
#include "core/document.h"
#include "core/path.h"
#include "fs/filesystem.h"
#include "fs/names.h"

namespace esfs::fs {

Status FileSystem::LoadContentLocked(Node& node, const Location& loc) {
  if (node.loaded) return Status::Ok();
  if (loc.IsHistory()) {
    auto bytes = history_.Bytes(loc);
    if (!bytes.ok()) return bytes.status();
    node.content = std::move(bytes.value());
  } else {
    struct stat st;
    const bool has_local = local_.Stat(loc, &st);
    if (resolver_.LocalOnly(loc) || (has_local && st.st_size > 0)) {
      // A local file that grew past the limit outside the mount (or before
      // it had one) is not read into memory.
      if (has_local) {
        if (Status s = resolver_.CheckFileSize(loc, 0, static_cast<uint64_t>(st.st_size), "open"); !s.ok()) return s;
      }
      auto local_path = LocalRelOf(loc);
      auto data = local_path.ok() ? local_.root().ReadFile(*local_path) : Result<std::string>(local_path.status());
      if (!data.ok() && data.status().code() != StatusCode::kNotFound) return data.status();
      node.content = data.ok() ? std::move(data.value()) : "";
    } else {
      std::string content = open_files_.TakeSpare();
      auto found = store_.replica().VisitWinner(
          loc.ws, loc.EsPath(), [&](const core::DocView& doc) { AssignFileBytes(loc, doc.content, &content); },
          core::Replica::WinnerUse::kContent);
      if (!found.ok()) return found.status();
      node.content = std::move(content);
    }
  }
  node.loaded = true;
  node.dirty = false;
  ++node.version;
  return Status::Ok();
}

Result<bool> FileSystem::HasBytes(const Location& loc) {
  // Where LoadContentLocked would read from: a non-empty local file, else
  // the winner (whose content is never empty unless it is a deletion).
  struct stat st;
  if (local_.Stat(loc, &st) && st.st_size > 0) return true;
  if (resolver_.LocalOnly(loc)) return false;
  return resolver_.LiveWinner(loc);
}

Result<std::pair<Attr, uint64_t>> FileSystem::Create(uint64_t parent_ino, const std::string& name, mode_t mode,
                                                     int flags) {
  std::shared_lock tree(tree_mu_);
  auto loc = ChildOf(parent_ino, name);
  if (!loc.ok()) return loc.status();
  if (loc->IsWorkspaceRoot()) return Status::InvalidArgument("only workspace folders live at the mount root");
  if (Status s = resolver_.CheckWritable(*loc, "create"); !s.ok()) return s;
  if (loc->EsPath().size() > core::kMaxPathLength && !resolver_.LocalOnly(*loc)) {
    Log("create " + Describe(*loc) + ": refused, its es.4 path would be longer than 512 characters");
    return Status::NameTooLong("es.4 path over 512 characters");
  }
  // The file exists at once as an open node (listed, found by lookups).
  // Its first flush writes it: one document if it got content, else an
  // empty local placeholder (es.4 cannot hold an empty document). Writing
  // the placeholder now would cost a durable file write per created file.
  std::shared_ptr<Node> node = inodes_.Remember(*loc, false, 1);
  {
    std::scoped_lock lock(node->mu);
    node->loaded = true;
    node->content.clear();
    node->dirty = true;
    ++node->version;
    node->refused_write = false;
    node->birth_ns = WallClockNs();
    // The usual 0644 is what a file shows anyway: no override to keep
    // beside the store, so no second write when the file is saved.
    node->mode_override = (mode & 07777) == kDefaultFileMode ? std::nullopt : std::optional<mode_t>(mode & 07777);
    node->mtime_override.reset();
    ++node->writers;
    inodes_.Opened(*node);
  }
  EntriesChanged(loc->Parent());
  const uint64_t fh = open_files_.Add({node, (flags & O_APPEND) != 0, true});
  auto attr = AttrOf(*node);
  if (!attr.ok()) {
    tree.unlock();  // Release may commit, which takes tree_mu_ itself
    (void)Release(node->ino, fh);
    inodes_.Forget(node->ino, 1);
    return attr.status();
  }
  return std::make_pair(*attr, fh);
}

Result<uint64_t> FileSystem::Open(uint64_t ino, int flags, bool* keep_cache) {
  auto node = inodes_.Find(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  const bool writable = (flags & O_ACCMODE) != O_RDONLY;
  *keep_cache = false;
  {
    // A node that is not loaded loads what the store holds at its place.
    // A rename over that place (or a save of it) holds the node's
    // commit_mu from its commit until the node is marked replaced: wait for
    // it, or this open could load the new file's content under the
    // replaced file's inode, whose size the kernel has cached (a torn
    // read: Editors.ReadersSeeACompleteOldOrNewVersionWhileAWriterSaves).
    std::unique_lock<std::mutex> commit(node->commit_mu, std::defer_lock);
    std::unique_lock<std::mutex> lock(node->mu);
    if (!node->loaded) {
      lock.unlock();
      commit.lock();
      lock.lock();
    }
    const InodeTable::NodeFacts facts = inodes_.Facts(*node);
    const Location& loc = facts.loc;
    if (facts.is_dir) return Status::IsFolder("is a folder");
    // Its content is gone from the store (a rename replaced it a moment
    // ago); loading now would give the new file's bytes under the old
    // file's size. The kernel retries the open with a fresh lookup.
    if (facts.unlinked && !node->loaded) return Status::Stale("stale: replaced or removed");
    if (writable || (flags & O_TRUNC)) {
      if (Status s = resolver_.CheckWritable(loc, "open for writing"); !s.ok()) return s;
    }
    if (!node->loaded && !resolver_.LocalOnly(loc) && !loc.IsHistory()) {
      // Published and not open: keep the kernel's pages if the winner is
      // the one they were read from (no local placeholder in between).
      struct stat st;
      auto seq = store_.replica().WinnerSeq(loc.ws, loc.EsPath());
      const uint64_t now_seq = seq.ok() && !local_.Stat(loc, &st) ? *seq : 0;
      *keep_cache = now_seq != 0 && now_seq == node->cached_seq;
      node->cached_seq = now_seq;
    }
    if ((flags & O_TRUNC) && !node->loaded) {
      // Truncated at open (an editor's or cp's save): what the file held is
      // not read, only whether it held anything (a 4 MB data URL was decoded
      // here to be thrown away, issue #18).
      auto had_bytes = HasBytes(loc);
      if (!had_bytes.ok()) return had_bytes.status();
      node->content = open_files_.TakeSpare();
      node->loaded = true;
      node->dirty = *had_bytes;
      ++node->version;
    }
    // Loaded now even when the kernel's cache may answer every read: if the
    // file changes while it is open, the pages are dropped and the reads
    // that follow must still come from the version this open saw.
    if (Status s = LoadContentLocked(*node, loc); !s.ok()) return s;
    // libfuse3 turns atomic_o_trunc on: truncation arrives here, not as setattr.
    if (flags & O_TRUNC) node->refused_write = false;
    if ((flags & O_TRUNC) && !node->content.empty()) {
      node->content.clear();
      node->dirty = true;
      ++node->version;
    }
    if (writable) ++node->writers;
    inodes_.Opened(*node);
  }
  return open_files_.Add({node, (flags & O_APPEND) != 0, writable});
}

Status FileSystem::Read(uint64_t ino, uint64_t fh, size_t size, off_t offset, const ReadReply& reply) {
  auto handle = open_files_.Get(fh);
  std::shared_ptr<Node> node = handle ? handle->node : inodes_.Find(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  // One copy of at most |size| bytes (the kernel's read size) per thread,
  // so that the reply goes out with no lock held.
  thread_local std::string bytes;
  {
    std::scoped_lock lock(node->mu);
    if (Status s = LoadContentLocked(*node, inodes_.LocationOf(*node)); !s.ok()) return s;
    const std::string_view content = node->content;
    if (offset < 0 || static_cast<size_t>(offset) >= content.size()) {
      bytes.clear();
    } else {
      bytes.assign(content.substr(static_cast<size_t>(offset), size));
    }
  }
  reply(bytes);
  return Status::Ok();
}

Result<size_t> FileSystem::Write(uint64_t, uint64_t fh, std::string_view data, off_t offset) {
  auto handle = open_files_.Get(fh);
  if (!handle) return Status::NotFound("stale handle");
  Node& node = *handle->node;
  if (offset < 0) return Status::InvalidArgument("negative offset");
  std::scoped_lock lock(node.mu);
  const Location loc = inodes_.LocationOf(node);
  if (Status s = LoadContentLocked(node, loc); !s.ok()) return s;
  const size_t at = handle->append ? node.content.size() : static_cast<size_t>(offset);
  // Open files live in memory: refuse what the file cannot hold before
  // allocating, and keep the partial buffer from being published.
  if (Status s = resolver_.CheckFileSize(loc, at, data.size(), "write"); !s.ok()) {
    node.refused_write = true;
    node.cached_seq = 0;  // the kernel's pages hold the refused writes: drop them at the next open
    return s;
  }
  // Past kMaxAlwaysFitTextBytes, whether the file still fits depends on
  // what it holds: bytes that are not UTF-8 text are stored as a data URL
  // (a third larger). The write that makes it too large is refused and
  // undone (DESIGN decision 8).
  const size_t old_size = node.content.size();
  const bool check_encoded = std::max(old_size, at + data.size()) > core::kMaxAlwaysFitTextBytes &&
                             KindOf(loc) == core::NameKind::kText && !resolver_.LocalOnly(loc);
  std::string overwritten;
  if (check_encoded && at < old_size) overwritten = node.content.substr(at, data.size());
  if (at == old_size) {
    node.content.append(data);  // the usual case: no zero fill to overwrite
  } else {
    if (at + data.size() > old_size) node.content.resize(at + data.size(), '\0');
    node.content.replace(at, data.size(), data);
  }
  if (check_encoded) {
    const size_t stored = core::EncodedSize(core::NameKind::kText, node.content, /*allow_partial_tail=*/true);
    if (stored > core::kMaxContentBytes) {
      if (!overwritten.empty()) node.content.replace(at, overwritten.size(), overwritten);
      node.content.resize(old_size);
      node.refused_write = true;
      node.cached_seq = 0;
      Log("write " + Describe(loc) + ": refused, the file would be " +
          std::to_string(std::max(old_size, at + data.size())) +
          " bytes, which are not UTF-8 text and so are stored as a data URL of " + std::to_string(stored) +
          " bytes, over the es.4 limit of 4,000,000");
      return Status::TooLarge("file too large");
    }
  }
  node.dirty = true;
  ++node.version;
  node.mtime_override.reset();  // written now: the time of this save shows
  return data.size();
}

}  // namespace esfs::fs
