// When each folder's entries last changed (an entry made, removed or
// renamed, through this mount or replayed from outside): a folder's mtime
// and ctime move then (POSIX), also when the folder exists only as the
// path prefix of documents and has no local folder to keep its times.
//
// In memory: a remount shows the mount's time for such folders, which is
// later than anything shown before, so no time ever goes back. A folder
// that has a local folder gets the time on it as well (FileSystem), where
// it survives the remount.
//
// Owns: one map from a folder's Location::Key() to its time (ns). Bounded
// by the number of folders changed while mounted. Thread-safe: one leaf
// mutex, held for map work only.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "fs/location.h"

namespace esfs::fs {

class FolderTimes {
 public:
  // The entries of |folder| changed at |ns| (a time earlier than the one
  // kept is ignored).
  void Touch(const Location& folder, int64_t ns);
  std::optional<int64_t> Get(const Location& folder) const;
  // Times set by hand (utimensat) replace what the entries said.
  void Forget(const Location& folder);
  // A folder renamed: its time and those of the folders below go with it
  // (a rename does not change a folder's mtime); a time at |to| or below
  // is replaced.
  void MoveTree(const Location& from, const Location& to);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> times_;
};

}  // namespace esfs::fs
