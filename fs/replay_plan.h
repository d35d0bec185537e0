// What the live view's replay (fs/replayer.h) does for one change from
// outside: FileSystem::PlanReplay decides it from the store and the inode
// table; the replayer carries it out with system calls on the mount. A
// plain value, no lock.
#pragma once

#include <cstddef>

#include "fs/local_path.h"

namespace esfs::fs {

// What the kernel knew of a changed path when the change reached the
// mount, before its caches were invalidated (the invalidation may make the
// kernel forget the name before the replay runs).
struct ReplayHint {
  bool file_known = false;   // the kernel held the file's inode (a lookup or an open)
  size_t known_folders = 0;  // the folders above it the kernel knew, from the top
};

struct ReplayPlan {
  enum class Kind {
    kNothing,  // nothing a watcher should hear of (this mount's own write, a hidden name, ...)
    kDefer,    // not now: the file is open for writing here, or this mount is still writing it
    kFile,     // the file shows new content: create (new) or open+write+close (known)
    kDelete,   // the file is gone: unlink (and rmdir of the folders that went with it)
  };
  Kind kind = Kind::kNothing;
  // From the mount root to the file, every component checked (no '/', '.',
  // '..', NUL, at most 255 bytes): the replayer opens them one by one.
  LocalRelPath names;
  // kFile: folders [0, known_folders) exist (the kernel knows them); the
  // rest are new and made with mkdir, each reported as IN_CREATE|IN_ISDIR.
  // kDelete: folders [0, known_folders) remain; the rest went with the
  // file and are removed (rmdir) after it, deepest first.
  size_t known_folders = 0;
  // kFile: the kernel knows the file (a change: IN_MODIFY, IN_CLOSE_WRITE);
  // else it is new (IN_CREATE first).
  bool file_known = false;
  // kFile: the inode table has a node at the name now, so the kernel may
  // hold an entry for it (a new file's must be dropped first).
  bool kernel_may_have_entry = false;
};

}  // namespace esfs::fs
