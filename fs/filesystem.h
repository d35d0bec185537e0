// The mount's semantics, without FUSE types: inodes, lookups, folder
// listings, open-file buffers, sign-on-save, the local-only area and the
// tilde permissions. fs/fuse_ops.cc turns kernel requests into calls here
// and Status into errno (fs/errno_map.cc).
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
// inode, loaded at open; write() changes only the buffer; flush, fsync and
// release commit it if it changed — one Store::Set for published files,
// one file write for local ones. Commit follows the inode, not the name it
// was opened under, so a rename before close publishes under the new name.
//
// Thread-safe: one mutex guards the inode table and buffers (held across
// store calls, which never touch the network).
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/signer.h"
#include "core/store.h"
#include "fs/local_names.h"
#include "fs/local_path.h"

namespace esfs::fs {

inline constexpr uint64_t kRootInode = 1;
// Open files are buffered in memory, so every file has a size limit that is
// checked before anything is allocated (docs/mount.md, "File sizes"): a
// published file can hold what a document's content can (es.4: 4,000,000
// bytes; 3,000,000 under a binary name, whose content is base64), a
// local-only file up to this.
inline constexpr size_t kMaxLocalFileBytes = size_t{64} << 20;
// 3,000,000 bytes encode to exactly 4,000,000 characters of base64.
inline constexpr size_t kMaxBinaryFileBytes = 3'000'000;
// Closed files' buffers of this size are kept for reuse (FileSystem::spare_buffer_).
inline constexpr size_t kSpareBufferMinBytes = size_t{256} << 10;
inline constexpr size_t kSpareBufferMaxBytes = size_t{8} << 20;

// The read-only history folder at each workspace's root (docs/history.md).
inline constexpr const char* kHistoryFolder = ".esfs-history";

// es.4 needs a deleteAfter on every document whose path has '!'.
inline constexpr int64_t kDefaultEphemeralLifetimeUs = int64_t{24} * 3600 * 1'000'000;

struct Attr {
  uint64_t ino = 0;
  bool is_dir = false;
  mode_t mode = 0;  // permission bits only
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  // Not to be cached by the kernel: it changes without a change of its
  // own (history versions follow the file they belong to).
  bool uncached = false;
};

struct ListedEntry {
  std::string name;
  uint64_t ino;
  bool is_dir;
};

struct SetAttrRequest {
  std::optional<uint64_t> size;
  std::optional<mode_t> mode;
  std::optional<int64_t> mtime_ns;  // already resolved from UTIME_NOW
  bool owner_change = false;        // chown: accepted, not stored
};

struct MountConfig {
  std::string data_dir;
  // Set: the mount point is this workspace. Unset: one folder per workspace.
  std::optional<std::string> single_workspace;
  std::function<void(const std::string&)> log;  // one line per event
  // Saves to ephemeral paths (with '!') get deleteAfter = now + this.
  int64_t ephemeral_lifetime_us = kDefaultEphemeralLifetimeUs;
};

// What the kernel must forget after a change arrived from outside.
struct Invalidation {
  uint64_t inode = 0;         // drop attributes and cached pages (0: none)
  bool attributes_only = false;  // ... but keep the pages
  uint64_t parent = 0;        // drop the entry |name| in |parent| (0: none)
  std::string name;
};

class FileSystem {
 public:
  FileSystem(core::Store& store, const core::Signer& signer, MountConfig config);
  ~FileSystem();

  Result<Attr> Lookup(uint64_t parent, const std::string& name);
  void Forget(uint64_t ino, uint64_t count);
  Result<Attr> GetAttr(uint64_t ino);
  Result<Attr> SetAttr(uint64_t ino, const SetAttrRequest& request);

  // A snapshot of the folder (stable while entries are deleted).
  Result<std::vector<ListedEntry>> ReadDir(uint64_t ino);
  Result<Attr> Mkdir(uint64_t parent, const std::string& name, mode_t mode);
  Status Rmdir(uint64_t parent, const std::string& name);
  Status Unlink(uint64_t parent, const std::string& name);
  // |noreplace|: fail with AlreadyExists instead of replacing.
  Status Rename(uint64_t parent, const std::string& name, uint64_t new_parent, const std::string& new_name,
                bool noreplace);

  // Returns the attributes and a file handle.
  Result<std::pair<Attr, uint64_t>> Create(uint64_t parent, const std::string& name, mode_t mode, int flags);
  // |keep_cache|: the kernel may keep the pages it cached at an earlier
  // open (the content has not changed since).
  Result<uint64_t> Open(uint64_t ino, int flags, bool* keep_cache);
  // Hands up to |size| bytes at |offset| to |reply| (empty at or past the
  // end) while the open file's buffer cannot change: no copy in between.
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

  // One line in the daemon's log.
  void LogLine(const std::string& line) const { Log(line); }
  // The file |name| in folder |ino| (or |ino| itself if |name| is empty)
  // as log lines name files, escaped (core::Printable).
  std::string DescribeInode(uint64_t ino, const std::string& name);

  // Defined in fs/filesystem_internal.h; public only so that the helpers
  // in fs/filesystem*.cc can name them.
  struct Node;
  struct Handle;
  struct Location;

 private:
  // The location of |name| in |parent|, resolved against the store: the
  // twin file of a folder, or a path another app wrote that is not the
  // canonical encoding of |name| (docs/names.md).
  Result<Location> ChildLocation(const Node& parent, const std::string& name) const;
  std::optional<Location> TwinLocation(const Location& parent, const std::string& name) const;
  Location ResolveForeign(const Location& parent, Location child) const;
  // A living document or a folder of them at |loc|.
  bool PublishedAt(const Location& loc, bool* is_folder) const;
  // A winner at |loc| that is not a tombstone (its content is not copied).
  Result<bool> LiveWinner(const Location& loc) const;
  // |no_local_file|: the caller just saw that the node has no local file
  // (under the lock), so it need not be looked for again.
  Result<Attr> AttrOf(Node& node, bool no_local_file = false);
  Node* FindNode(uint64_t ino);
  Node& NodeFor(const Location& loc, bool is_dir);
  Result<bool> Exists(const Location& loc, bool* is_dir);
  // The history folder (fs/filesystem_history.cc).
  Result<std::optional<core::Document>> HistoryVersion(const Location& loc) const;
  Result<bool> HistoryExists(const Location& loc, bool* is_dir) const;
  Status HistoryList(const Location& loc, std::map<std::string, bool>* names) const;
  Status HistoryAttr(const Location& loc, Attr* attr) const;
  // Drops what the kernel holds of |loc|'s version files.
  void InvalidateHistory(const Location& loc, std::vector<Invalidation>* out);
  // ... and of the twin file "<name>.esfs-file" of |loc| (docs/names.md).
  void InvalidateTwin(const Location& loc, std::vector<Invalidation>* out);
  // True if |node| (the kernel's entry for |loc|) still names a thing of
  // the same kind there.
  bool StillThere(const Location& loc, const Node* node);
  // The winner's local sequence number at |loc| (0: none or unknown).
  uint64_t CurrentSeq(const Location& loc) const;
  // True if |loc| lives in the local-only area: a junk name, a tool
  // database folder or a name of the workspace's .esfsignore on the way
  // (fs/local_names.h).
  bool LocalOnly(const Location& loc) const;
  // The es.4 path whose owner decides who may write at |loc|: the path
  // itself, or for local-only names the folder they sit in (a junk file in
  // another author's ~@ folder is refused like a real one). Empty: anyone.
  std::string OwnershipPath(const Location& loc) const;
  // Called after the local file at |loc| was written, moved or removed: a
  // workspace's .esfsignore takes effect at once.
  void NoteLocalChange(const Location& loc);
  bool Writable(const Location& loc) const;
  Status CheckWritable(const Location& loc, const char* operation) const;
  // The largest size the file at |loc| may have (kMaxLocalFileBytes, the
  // es.4 content limit, or kMaxBinaryFileBytes).
  size_t MaxFileBytes(const Location& loc) const;
  // TooLarge, with a log line naming the file, if |loc| cannot hold |size|
  // bytes; |offset| + |size| is checked without overflow.
  Status CheckFileSize(const Location& loc, uint64_t offset, uint64_t size, const char* operation) const;
  Status LoadContent(Node& node);
  Status Commit(Node& node);
  Status CommitPublished(Node& node, const Location& loc);
  // Store::Set by this mount's identity; an ephemeral path ('!') gets its
  // deleteAfter from MountConfig::ephemeral_lifetime_us.
  Result<core::Document> Publish(const std::string& ws, const std::string& path, std::string content);
  Status RenameFile(const Location& from, const Location& to, Node* moving);
  Status RenameFolder(const Location& from, const Location& to);
  void MoveNodes(const Location& from, const Location& to);
  // LocalRelOf(loc) (fs/filesystem_internal.h) for an |operation| that
  // writes: a refused name also gets a log line naming |loc| and why.
  Result<LocalRelPath> CheckedLocalPath(const Location& loc, const char* operation) const;
  // lstat of |loc|'s local file; false if absent or if |loc| cannot have one.
  bool LocalStat(const Location& loc, struct stat* st) const;
  void Log(const std::string& line) const;

  core::Store& store_;
  const core::Signer& signer_;
  MountConfig config_;
  // <data>/local, open for the mount's life; every local file is reached
  // through it (fs/local_path.h). Thread-safe.
  LocalRoot local_root_;
  LocalNames local_names_;
  std::mutex mu_;  // guards everything below
  uint64_t next_ino_ = kRootInode + 1;
  // Shown as the time of folders that exist only as path prefixes.
  int64_t mount_time_ns_ = 0;
  uint64_t next_fh_ = 1;
  std::map<uint64_t, std::unique_ptr<Node>> nodes_;
  std::map<std::string, uint64_t> ino_of_;  // Location key -> inode
  // The nodes with open_count > 0: a listing shows files not yet saved,
  // and must not walk every node the kernel remembers to find them.
  std::set<uint64_t> open_inodes_;
  std::map<uint64_t, std::unique_ptr<Handle>> handles_;
  // The buffer of the last large file closed, kept for the next large
  // open: fresh memory costs a page fault per 4 KiB when it is first
  // written (~1,000 for a 4 MB document), and more than the copy itself
  // on a virtual machine. At most kSpareBufferMaxBytes are kept.
  std::string spare_buffer_;
};

}  // namespace esfs::fs
