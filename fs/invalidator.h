// The invalidator: from the store's change feed (documents written by
// anyone, this mount included) to what the kernel must drop — entries that
// appeared or went, attributes and cached pages of files whose winner
// changed, the version files of .esfs-history and twin files. The mount's
// one change-watching thread (fs/mount.cc) sends what it returns to the
// kernel, in order, from one queue.
//
// Owns: nothing but the rules; it reads and marks nodes of the inode table
// (a node's buffer is dropped at its next open, a name opened only by
// readers gets a fresh inode). Thread-safe: it takes Node::mu and the
// table's lock (in that order, fs/filesystem.h), never a lock across a
// store write.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/store.h"
#include "fs/fs_types.h"
#include "fs/inode_table.h"
#include "fs/resolver.h"

namespace esfs::fs {

class Invalidator {
 public:
  // |single_workspace|: the mount shows only this workspace (its root is
  // the workspace root).
  Invalidator(InodeTable& inodes, const Resolver& resolver, std::optional<std::string> single_workspace)
      : inodes_(inodes), resolver_(resolver), single_workspace_(std::move(single_workspace)) {}

  // What the kernel should drop for |changes|. Open buffers are kept: a
  // reader never mixes two versions.
  std::vector<Invalidation> OnChanges(const std::vector<core::Change>& changes);

 private:
  void OnChange(const core::Change& change, std::vector<Invalidation>* out);
  // The entry |level| in its parent and the node's attributes and pages.
  void InvalidateLevel(const Location& level, std::vector<Invalidation>* out);
  // Drops what the kernel holds of |loc|'s version files.
  void InvalidateHistory(const Location& loc, std::vector<Invalidation>* out);
  // ... and of the twin file "<name>.esfs-file" of |loc| (docs/names.md).
  void InvalidateTwin(const Location& loc, std::vector<Invalidation>* out);
  // True if |node| (the kernel's entry for |loc|) still names a thing of
  // the same kind there.
  bool StillThere(const Location& loc, const Node* node) const;

  InodeTable& inodes_;
  const Resolver& resolver_;
  const std::optional<std::string> single_workspace_;
};

}  // namespace esfs::fs
