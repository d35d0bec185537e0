// The inode table: which inode stands for which location, and how long it
// lives. The kernel holds an inode from a successful lookup (entry, mkdir,
// create reply) until it sends FORGET for every one of them; an open file
// keeps its inode too. A name's inode number comes from its place (a hash
// of its key, the next free number on a clash), so a file the kernel forgot
// and looked up again keeps its number, as on a disk file system (tools
// compare st_ino across calls: pjdfstest, tar, find). A number is given to
// another place only after the kernel forgot it; nothing is exported over
// NFS, so every entry's generation is 0.
//
// Owns: the nodes (ino -> Node, location key -> ino), each node's place
// (its location, is_dir), its lookup count, its open count and whether it was
// unlinked or replaced; the order of moves (epoch). A Node also carries
// the open file's buffer and per-file state, guarded by the node's own
// mutex (below), not by the table.
//
// Thread safety: every method is thread-safe. mu_ is held only for map
// work, never across a store call, a local file call or a kernel reply,
// and nothing else is locked while it is held (a leaf lock).
//
// Lock order of the mount (outer first; fs/filesystem.h says who takes what):
//   FileSystem::tree_mu_ -> Node::commit_mu -> Node::mu -> InodeTable::mu_ | OpenFiles::mu_
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/location.h"

namespace esfs::fs {

struct Node {
  explicit Node(uint64_t number) : ino(number) {}
  const uint64_t ino;

  // Serializes this file's commits with each other and with a rename or
  // unlink of it, so that a save lands under the name the file has when
  // it is written. Held across that file's store write only: another
  // request that needs it is a later save of the same file, which must
  // wait for the first anyway.
  std::mutex commit_mu;

  // Guards the fields below. Held across store reads and local reads
  // (loading a buffer), never across a store write, a local fsync or a
  // kernel reply.
  std::mutex mu;
  int writers = 0;  // handles open for writing (they commit; readers never do)
  bool loaded = false;
  // A rename is replacing this file: its buffer holds the replaced content
  // (loaded for opens by the inode the kernel resolved before) and stays,
  // whatever invalidation the rename's own commit brings.
  bool being_replaced = false;
  std::string content;  // the open file's buffer, shared by its handles
  bool dirty = false;
  // Bumped by every change of |content|: a commit that copied version v
  // marks the buffer clean only if it is still v.
  uint64_t version = 0;
  // A write past the file's size limit was refused: the buffer lacks what
  // the writer meant to save, so no commit publishes it (until a truncate
  // or O_TRUNC sets the content anew, or the last handle closes).
  bool refused_write = false;
  int64_t birth_ns = 0;  // created here: its time until the first commit
  // The winner's sequence number when the kernel last cached this file's
  // pages (0: unknown); an open that finds the same one keeps the cache.
  uint64_t cached_seq = 0;
  // chmod/utimensat results, shown until the content changes (a write
  // resets mtime's). ctime_override: the time of the last change of
  // attributes (chmod, chown, utimensat, truncate); a file shows the later
  // of it and its document's time.
  std::optional<mode_t> mode_override;
  std::optional<int64_t> mtime_override;
  std::optional<int64_t> atime_override;
  std::optional<int64_t> ctime_override;

 private:
  friend class InodeTable;
  // Guarded by InodeTable::mu_; read with InodeTable::Facts. The place is
  // kept compact (a mount with 100,000 listed files holds 100,000 nodes):
  // the location's key (Location::Key: workspace, then every name and a
  // '/') and, only where a segment is not NameToSegment(name) (a path
  // another app wrote, docs/names.md), the segments themselves.
  std::string key_;
  std::unique_ptr<std::vector<std::string>> odd_segs_;
  bool file_twin_ = false;
  bool is_dir_ = false;
  uint64_t lookups_ = 0;
  int open_count_ = 0;
  bool unlinked_ = false;  // removed or replaced: commits go nowhere
};

class InodeTable {
 public:
  // The root inode (kRootInode) at |root|, never forgotten.
  explicit InodeTable(const Location& root);

  // A node's place and life, copied under the lock.
  struct NodeFacts {
    Location loc;
    bool is_dir = false;
    bool unlinked = false;
    int open_count = 0;
    uint64_t lookups = 0;
  };
  NodeFacts Facts(const Node& node) const;
  Location LocationOf(const Node& node) const;

  // nullptr if the kernel's inode is unknown (forgotten: a stale handle).
  std::shared_ptr<Node> Find(uint64_t ino) const;
  // The node whose name is |loc| now (nullptr if none).
  std::shared_ptr<Node> FindAt(const Location& loc) const;
  uint64_t InoAt(const Location& loc) const;

  // Counts moves (MoveTree, and the start and end of every rename). A
  // lookup resolves a name without the lock, then remembers it with the
  // epoch it started at: if a folder moved in between, Remember refuses and
  // the lookup is made again.
  uint64_t epoch() const;
  static constexpr uint64_t kAnyEpoch = UINT64_MAX;

  // A rename under way: from BeginMove until its MoveScope ends, the store
  // and the local area may already show the new names while this table
  // still has the old ones. A lookup that found nothing then must not let
  // the kernel cache that absence: the kernel moves the folder's cached
  // names with it, and a child cached as absent under the old name would
  // stay absent under the new one although it is listed there.
  class MoveScope {
   public:
    explicit MoveScope(InodeTable& table) : table_(&table) { table_->BeginMove(); }
    ~MoveScope() { table_->EndMove(); }
    MoveScope(const MoveScope&) = delete;
    MoveScope& operator=(const MoveScope&) = delete;

   private:
    InodeTable* table_;
  };
  // True if no rename was under way or ended since |seen_epoch| was read:
  // what was resolved since then (an absence too) may be cached.
  bool QuietSince(uint64_t seen_epoch) const;
  // The node for |loc| (made if there is none), no longer unlinked, its
  // lookup count raised by |lookups|. nullptr only if |seen_epoch| is
  // not kAnyEpoch and a move happened since.
  std::shared_ptr<Node> Remember(const Location& loc, bool is_dir, uint64_t lookups, uint64_t seen_epoch = kAnyEpoch);
  // If the node at |loc| is open and not unlinked (a file not saved yet
  // exists only here), raises its lookup count and returns it.
  std::shared_ptr<Node> RememberOpen(const Location& loc);
  // The kernel forgot |count| lookups. A node with no lookups and no open
  // handle goes. Unknown inodes and the root are ignored.
  void Forget(uint64_t ino, uint64_t count);

  // Open-handle accounting: a node stays while a handle is open. Closed
  // returns the open count left.
  void Opened(Node& node);
  int Closed(Node& node);
  // The names of open, not unlinked nodes directly inside |dir| (files
  // being written are listed before their first save).
  std::vector<std::pair<std::string, bool>> OpenChildren(const Location& dir) const;

  // The name |loc| is gone (unlink, rmdir): its node, if any, is marked
  // unlinked and no longer found by name.
  void Unhash(const Location& loc);
  // The same, only if |loc| still names |ino|; false otherwise.
  bool UnhashIf(const Location& loc, uint64_t ino);
  // |from| and everything below it move to |to| (rename); a node at |to|
  // is replaced (marked unlinked).
  // |canonical_below|: the names below |from| now stand for their canonical
  // segments (NameToSegment): a folder moved between the local-only area
  // and published names, whose files were made anew at canonical paths.
  void MoveTree(const Location& from, const Location& to, bool canonical_below = false);
  // The nodes one level below the folder with key prefix of |folder|.
  std::vector<std::shared_ptr<Node>> ChildrenOf(const Location& folder) const;

  size_t size() const;

 private:
  std::shared_ptr<Node> NodeForLocked(const Location& loc, bool is_dir);
  void EraseIfUnusedLocked(Node& node);
  // A node's place, and setting it (the node must not be in ino_of_).
  static Location PlaceOf(const Node& node);
  static void SetPlace(Node& node, const Location& loc);

  void BeginMove();
  void EndMove();

  mutable std::mutex mu_;  // guards everything below and Node's private fields
  uint64_t epoch_ = 0;
  int moves_under_way_ = 0;
  std::map<uint64_t, std::shared_ptr<Node>> nodes_;
  // Location::Key() -> ino. The key is a view of the node's own key_:
  // an entry is erased before its node's key_ changes or the node goes.
  std::map<std::string_view, uint64_t, std::less<>> ino_of_;
};

}  // namespace esfs::fs
