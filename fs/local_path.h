// Local paths built from document text or file names (DESIGN decision 13,
// issue #15): the one checked way to name something in the local-only area
// <data>/local. A peer's document may hold ".." segments, names over 255
// bytes or anything else es.4 allows; such text becomes a LocalRelPath only
// one component at a time, each checked by CheckLocalComponent, so a
// LocalRelPath is inside its root by construction. LocalRoot then does
// every file operation relative to a directory fd held open for the
// mount's life, never following a symbolic link on the way (openat2 with
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; where the kernel lacks openat2, a
// walk of openat(O_DIRECTORY | O_NOFOLLOW), one component at a time), and
// never following one at the last component either (O_NOFOLLOW,
// AT_SYMLINK_NOFOLLOW). So neither a hostile document nor a link planted in
// <data>/local by another local user can move a write outside the area.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace esfs::fs {

// The longest name a local file system takes (NAME_MAX).
inline constexpr size_t kMaxLocalComponentBytes = 255;
// Temp files of atomic writes start with this (never listed).
inline constexpr std::string_view kLocalTempPrefix = ".esfs-tmp-";

// OK if |name| can be one component of a local path: not empty, not "." or
// "..", no '/' and no NUL, at most kMaxLocalComponentBytes bytes. Otherwise
// InvalidArgument whose message names the component (escaped with
// core::Printable) and the reason.
Status CheckLocalComponent(std::string_view name);

// A path relative to a LocalRoot, made of checked components only. The
// empty path is the root itself. Copyable value type; not thread-safe to
// mutate concurrently.
class LocalRelPath {
 public:
  LocalRelPath() = default;  // the root

  // Every component checked in turn; the first bad one's Status
  // (InvalidArgument) if any.
  static Result<LocalRelPath> Make(std::span<const std::string> components);

  // Appends one checked component; on failure (InvalidArgument) the path is
  // unchanged.
  Status Append(std::string_view component);
  // This path with |component| appended, or why not (InvalidArgument).
  Result<LocalRelPath> Child(std::string_view component) const;

  bool IsRoot() const { return components_.empty(); }
  const std::vector<std::string>& components() const { return components_; }
  // The last component. Precondition: !IsRoot().
  const std::string& Name() const { return components_.back(); }
  // The path without its last component (the root stays the root).
  LocalRelPath Parent() const;
  // "a/b/c", or "." for the root: for openat2 and for messages.
  std::string Joined() const;

 private:
  std::vector<std::string> components_;
};

// Owns a directory fd (opened at construction, closed at destruction) and
// does every local-area operation relative to it without following links.
// Thread-safe: holds no mutable state besides the fd. Errors carry codes
// born from errno here: NotFound (ENOENT), PermissionDenied (EACCES,
// EPERM, and a symbolic link met on the way: ELOOP, EXDEV), AlreadyExists,
// NotEmpty, NameTooLong, NoSpace (ENOSPC, EDQUOT), IoError for the rest.
class LocalRoot {
 public:
  // Opens |dir| if it exists (the last component is not followed if it is
  // a link). If it does not, the first operation that writes makes it
  // (with its parents) and opens it; one that only reads finds nothing.
  // Once open, the fd is kept until destruction.
  explicit LocalRoot(std::string dir);
  ~LocalRoot();
  LocalRoot(const LocalRoot&) = delete;
  LocalRoot& operator=(const LocalRoot&) = delete;

  // The folder's own path, for messages and statvfs only.
  const std::string& dir() const { return dir_; }

  // lstat of |path| (the root itself: fstat); false if absent or if a
  // folder on the way is missing or a link.
  bool Stat(const LocalRelPath& path, struct stat* st) const;
  // A regular file's bytes (a link, FIFO or device is refused).
  Result<std::string> ReadFile(const LocalRelPath& path) const;
  // Replaces |path| with |data| durably: a temp file kLocalTempPrefix+random
  // in the same folder (O_EXCL | O_NOFOLLOW), fsync, renameat over |path|.
  // Makes the folders above it.
  Status WriteFileAtomic(const LocalRelPath& path, std::string_view data, mode_t mode) const;
  // mkdir -p below the root; OK if it exists as a folder.
  Status MakeDirs(const LocalRelPath& path) const;
  // The names in the folder |path| (no ".", "..", temp files), each with
  // whether it is a folder; empty if there is no such folder.
  Result<std::vector<std::pair<std::string, bool>>> ListDir(const LocalRelPath& path) const;
  // unlinkat / unlinkat(AT_REMOVEDIR). NotFound if absent.
  Status Unlink(const LocalRelPath& path) const;
  Status Rmdir(const LocalRelPath& path) const;
  // renameat; makes the folders above |to|. Precondition: neither is the root.
  Status Rename(const LocalRelPath& from, const LocalRelPath& to) const;
  // chmod / mtime of |path| itself, never of what a link points to (a link
  // is refused: PermissionDenied).
  Status Chmod(const LocalRelPath& path, mode_t mode) const;
  Status SetMtime(const LocalRelPath& path, int64_t mtime_ns) const;
  // Sets atime and mtime, each only if given (UTIME_OMIT otherwise).
  Status SetTimes(const LocalRelPath& path, std::optional<int64_t> atime_ns, std::optional<int64_t> mtime_ns) const;

 private:
  // An fd of the folder |path| (the caller closes it); with |create|, the
  // missing folders are made.
  Result<int> OpenDir(const LocalRelPath& path, bool create) const;
  // The root's fd, opened now if it was not (made first with |create|).
  Result<int> RootFd(bool create) const;

  const std::string dir_;
  mutable std::mutex open_mu_;       // guards opening fd_ (never held long)
  mutable std::atomic<int> fd_{-1};  // set once, closed at destruction
};

}  // namespace esfs::fs
