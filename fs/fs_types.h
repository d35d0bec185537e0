// Plain values the mount's parts pass around: attributes, listing entries,
// setattr requests, the mount's configuration, kernel invalidations, and
// the mount's size limits. No behaviour, no lock.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace esfs::fs {

// The wall clock in nanoseconds since the epoch (CLOCK_REALTIME): the times
// of files made or changed here (fs/filesystem.cc).
int64_t WallClockNs();

inline constexpr uint64_t kRootInode = 1;
// Open files are buffered in memory, so every file has a size limit that is
// checked before anything is allocated (docs/mount.md, "File sizes"): a
// published file can hold what a document's content can (es.4: 4,000,000
// bytes; 3,000,000 under a binary name, whose content is base64), a
// local-only file up to this.
inline constexpr size_t kMaxLocalFileBytes = size_t{64} << 20;
// 3,000,000 bytes encode to exactly 4,000,000 characters of base64.
inline constexpr size_t kMaxBinaryFileBytes = 3'000'000;
// Closed files' buffers of this size are kept for reuse (OpenFiles).
inline constexpr size_t kSpareBufferMinBytes = size_t{256} << 10;
inline constexpr size_t kSpareBufferMaxBytes = size_t{8} << 20;
// The mode a writable file shows when nobody set one.
inline constexpr mode_t kDefaultFileMode = 0644;

// es.4 needs a deleteAfter on every document whose path has '!'.
inline constexpr int64_t kDefaultEphemeralLifetimeUs = int64_t{24} * 3600 * 1'000'000;

struct Attr {
  uint64_t ino = 0;
  bool is_dir = false;
  mode_t mode = 0;  // permission bits only
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  // Kept apart from mtime as POSIX does (docs/mount.md, "Times"); 0: the
  // same as mtime_ns.
  int64_t atime_ns = 0;
  int64_t ctime_ns = 0;
  // Removed (unlink, or replaced by a rename) while still open: no name
  // links to it any more (st_nlink 0).
  bool unlinked = false;
  // Not to be cached by the kernel: it changes without a change of its
  // own (history versions follow the file they belong to).
  bool uncached = false;
  // A save is pending (the file was written, truncated or created and not
  // yet committed): size and mtime change when it is committed, so the
  // kernel must not keep these attributes. Else an fstat before close()
  // would be what stat shows after it, until the cache times out or the
  // change feed's invalidation arrives (emacs then refused its next save).
  bool save_pending = false;
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
  std::optional<int64_t> atime_ns;  // the same; unset: UTIME_OMIT
  bool owner_change = false;        // chown: accepted, not stored (ctime moves)
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
  uint64_t inode = 0;            // drop attributes and cached pages (0: none)
  bool attributes_only = false;  // ... but keep the pages
  uint64_t parent = 0;           // drop the entry |name| in |parent| (0: none)
  std::string name;
};

}  // namespace esfs::fs
