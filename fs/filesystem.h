// The mount's semantics without FUSE types: the facade that the FUSE
// callbacks (fs/fuse_ops.cc) call, one method per kernel request. It owns
// the parts below and adds only what ties them together; each part's
// header says what it owns and how it is locked.
//
//   InodeTable   inodes, lookup counts, forget, node places   fs/inode_table.h
//   OpenFiles    handles, the spare buffer                     fs/open_files.h
//   Resolver     name <-> Location, twins, foreign names,      fs/resolver.h
//                the local-only decision, permissions, sizes
//   LocalArea    <data>/local and the local-only names         fs/local_area.h
//   Publisher    sign + commit through the store               fs/publisher.h
//   HistoryView  the read-only .esfs-history folder            fs/history_view.h
//   Invalidator  what the kernel must drop after a change      fs/invalidator.h
//   OwnWrites    what this mount wrote (the replay skips it)   fs/own_writes.h
//   FolderTimes  when each folder's entries last changed       fs/folder_times.h
//
// The methods are grouped by kind of request in three files:
// fs/filesystem.cc (lookup, attributes, xattrs), fs/filesystem_tree.cc
// (folders, unlink, rename), fs/filesystem_io.cc (open, read, write, save),
// fs/filesystem_replay.cc (the live view's replay, fs/replayer.h).
//
// Where things live:
//   published files   the store (winners with content) — signed documents
//   local-only files  <data>/local/<workspace>/<same relative path>: junk
//                     names (fs/names.h), everything under .git/.hg/.svn,
//                     empty files (es.4 cannot hold empty content) and
//                     folders made with mkdir
// A folder is the union of its local folder and the store's paths below it.
//
// Saving (DESIGN decision 4): an open file's content is one buffer per
// inode, loaded at open; write() changes only the buffer; flush (each
// close), fsync and the last writer's release commit it if it changed —
// one Store::Set for published files, one file write for local ones.
// Commit follows the inode, not the name it was opened under, so a rename
// before close publishes under the new name.
//
// Locking. No lock that another request needs is held across a disk flush
// (a store write, a local fsync or rename, a folder rename) or a reply.
// Lock order (outer first):
//   tree_mu_ -> Node::commit_mu -> Node::mu -> InodeTable::mu_ | OpenFiles::mu_
// - tree_mu_ (shared): every request that changes names or publishes
//   (create, mkdir, unlink, rmdir, a file's rename, a commit) holds it
//   shared, so these run concurrently, and saves of different files reach
//   the store together (group commit). A folder rename holds it exclusive:
//   the documents below must not change while they move. Lookups,
//   attributes, listings, open, read and write never take it, so they
//   answer while a folder rename runs.
// - Node::commit_mu: one file's commits, and a rename or unlink of that
//   file, one at a time (held across that file's store write only).
// - Node::mu: the buffer and per-file state (short; store reads allowed).
// - InodeTable::mu_ and OpenFiles::mu_: leaves, map work only.
// The kernel itself holds a folder's lock across lookups and changes of
// names in it, and serializes renames between folders.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/signer.h"
#include "core/store.h"
#include "fs/folder_times.h"
#include "fs/fs_types.h"
#include "fs/history_view.h"
#include "fs/inode_table.h"
#include "fs/invalidator.h"
#include "fs/local_area.h"
#include "fs/location.h"
#include "fs/open_files.h"
#include "fs/own_writes.h"
#include "fs/publisher.h"
#include "fs/replay_plan.h"
#include "fs/resolver.h"

namespace esfs::fs {

// Thread-safe (see the lock order above).
class FileSystem {
 public:
  FileSystem(core::Store& store, const core::Signer& signer, MountConfig config);
  ~FileSystem();

  // A successful Lookup, Mkdir or Create counts one lookup of the inode it
  // returns; if the reply to the kernel fails, the caller undoes it with
  // Forget(ino, 1) (the kernel never learned of it). A name that is not
  // there is kNotFound; |absence_cacheable| (if given) says whether the
  // kernel may cache that absence: not if a rename was under way or ended
  // while the name was resolved (InodeTable::MoveScope).
  Result<Attr> Lookup(uint64_t parent, const std::string& name, bool* absence_cacheable = nullptr);
  void Forget(uint64_t ino, uint64_t count);
  Result<Attr> GetAttr(uint64_t ino);
  Result<Attr> SetAttr(uint64_t ino, const SetAttrRequest& request);

  // A snapshot of the folder (stable while entries are deleted).
  Result<std::vector<ListedEntry>> ReadDir(uint64_t ino);
  Result<Attr> Mkdir(uint64_t parent, const std::string& name, mode_t mode);
  Status Rmdir(uint64_t parent, const std::string& name);
  Status Unlink(uint64_t parent, const std::string& name);
  // |noreplace|: fail with AlreadyExists instead of replacing. A folder
  // moves with all its documents in one store transaction.
  Status Rename(uint64_t parent, const std::string& name, uint64_t new_parent, const std::string& new_name,
                bool noreplace);

  // Returns the attributes and a file handle.
  Result<std::pair<Attr, uint64_t>> Create(uint64_t parent, const std::string& name, mode_t mode, int flags);
  // |keep_cache|: the kernel may keep the pages it cached at an earlier
  // open (the content has not changed since).
  Result<uint64_t> Open(uint64_t ino, int flags, bool* keep_cache);
  // Hands up to |size| bytes at |offset| to |reply| (empty at or past the
  // end). The bytes are a copy: no lock is held while |reply| runs.
  using ReadReply = std::function<void(std::string_view bytes)>;
  Status Read(uint64_t ino, uint64_t fh, size_t size, off_t offset, const ReadReply& reply);
  Result<size_t> Write(uint64_t ino, uint64_t fh, std::string_view data, off_t offset);
  Status Flush(uint64_t ino, uint64_t fh);
  Status Fsync(uint64_t ino, uint64_t fh);
  Status Release(uint64_t ino, uint64_t fh);
  Result<struct statvfs> StatFs();

  // Read-only metadata of a published file's winning document as
  // "user.earthstar.*" attributes (name, value); none for local files.
  Result<std::vector<std::pair<std::string, std::string>>> Xattrs(uint64_t ino);
  // Setting or removing attributes: PermissionDenied for user.earthstar.*
  // (with a log line), NotSupported otherwise.
  Status RefuseXattrChange(uint64_t ino, const std::string& name);

  // Changes seen in the store's feed (written by anyone, this mount
  // included): what the kernel should drop. Open buffers are kept.
  std::vector<Invalidation> OnChanges(const std::vector<core::Change>& changes);

  // The live view (fs/replayer.h). What the replay thread should do so
  // that watchers hear of |change| (made outside this mount); reads the
  // store and the inode table, changes nothing.
  // |hint|: what ReplayHintFor said when the change arrived (the first
  // of the changes of the path that the replay coalesced).
  ReplayPlan PlanReplay(const core::Change& change, const ReplayHint& hint);
  // Called by the change feed's thread before the change's invalidations.
  ReplayHint ReplayHintFor(const core::Change& change);
  // The replay thread's LOOKUP of a name that must still look present
  // while its unlink or rmdir is replayed (the store has it no more): an
  // uncached entry, one lookup counted. Nothing is stored.
  Result<Attr> ReplayPresentEntry(uint64_t parent, const std::string& name, bool is_dir);
  // The replay thread's UNLINK or RMDIR: the name went from the store
  // already; only the inode table forgets it. Nothing is stored.
  void ReplayRemoved(uint64_t parent, const std::string& name);
  // The replay thread's CREATE or MKDIR of an entry that arrived from
  // outside: the folder |parent|'s times move (EntriesChanged).
  void ReplayMadeEntry(uint64_t parent);
  OwnWrites& own_writes() { return own_writes_; }

  // One line in the daemon's log.
  void LogLine(const std::string& line) const { Log(line); }
  // The file |name| in folder |ino| (or |ino| itself if |name| is empty)
  // as log lines name files, escaped (core::Printable).
  std::string DescribeInode(uint64_t ino, const std::string& name);

  // The parts, for tests.
  const InodeTable& inodes() const { return inodes_; }
  const OpenFiles& open_files() const { return open_files_; }

 private:
  // Where |name| in folder |parent_ino| is (fs/resolver.h ChildLocation);
  // NotFound("stale inode") if the kernel's folder inode is gone.
  Result<Location> ChildOf(uint64_t parent_ino, const std::string& name);
  // |no_local_file|: the caller just saw that the node has no local file.
  Result<Attr> AttrOf(Node& node, bool no_local_file = false);
  Result<Attr> FileAttr(Node& node, const Location& loc, Attr attr, bool writable, bool no_local_file);
  // What chmod, chown and utimensat set on a node (Node's overrides).
  struct Overrides {
    std::optional<mode_t> mode;
    std::optional<int64_t> mtime, atime, ctime;
  };
  static Overrides OverridesOf(Node& node);
  static Overrides OverridesLocked(const Node& node);  // Node::mu held
  static void SetTimesFromStat(const struct stat& st, Attr* attr);
  // Shown over what the store or the local file says; ctime only if later.
  static void ApplyOverrides(const Overrides& overrides, bool writable, Attr* attr);
  // Node::mu held. Loads the buffer if it is not loaded.
  Status LoadContentLocked(Node& node, const Location& loc);
  // Whether the file at |loc| holds any bytes, without reading them.
  Result<bool> HasBytes(const Location& loc);
  // Commits |node|'s buffer if it changed; |release|: only if no writer is
  // left (a late release must not publish a newer open's half-made state).
  Status Commit(Node& node, bool release);
  struct Saved {
    bool published = false;
    uint64_t seq = 0;  // the new winner's seq when published
  };
  // Stores |bytes| (the file's content) as the document at |loc|, with the
  // file's mode and time kept beside it. Empty: a local placeholder, and a
  // tombstone over a living document.
  Result<Saved> CommitPublished(const Location& loc, const std::string& bytes, std::optional<mode_t> mode,
                                std::optional<int64_t> mtime_ns, std::optional<int64_t> atime_ns = std::nullopt);
  // A rename, checked and planned (RenamePlan), then done.
  struct RenamePlan;
  Result<RenamePlan> PlanRename(uint64_t parent, const std::string& name, uint64_t new_parent,
                                const std::string& new_name, bool noreplace);
  struct MovingFile;
  Result<MovingFile> ContentToMove(const Location& from, Node* moving);
  Status RenameFile(const Location& from, const Location& to, const std::shared_ptr<Node>& moving);
  Status RenameFolder(const Location& from, const Location& to);
  // A folder rename's plan (filesystem_rename.cc): the documents below
  // |from| and the local-only files that become documents.
  struct FolderMove;
  Status PlanDocumentsOut(const Location& from, const Location& to, FolderMove* move);
  Status PlanLocalFilesIn(const Location& from, const Location& to, FolderMove* move);
  // No entry in |dir|: local (junk included), published, or being written.
  Result<bool> FolderIsEmpty(const Location& dir);
  void Log(const std::string& line) const;
  // An entry of |folder| was made, removed or renamed: its mtime and ctime
  // move to now (POSIX), kept in folder_times_ and on its local folder if it
  // has one; a time set by hand on the folder gives way.
  void EntriesChanged(const Location& folder);
  // The folders above |loc|, from the top (all-workspaces mode: its
  // workspace folder first).
  std::vector<Location> FoldersAbove(const Location& loc) const;

  core::Store& store_;
  const MountConfig config_;
  OwnWrites own_writes_;  // before publisher_, which records into it
  // Shown as the time of folders that exist only as path prefixes.
  const int64_t mount_time_ns_;
  LocalArea local_;
  HistoryView history_;
  Resolver resolver_;
  Publisher publisher_;
  InodeTable inodes_;
  OpenFiles open_files_;
  Invalidator invalidator_;
  FolderTimes folder_times_;
  std::shared_mutex tree_mu_;  // see the lock order above
};

}  // namespace esfs::fs
