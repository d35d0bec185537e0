// The local area of one mount: <data>/local (LocalRoot, fs/local_path.h)
// and the rules of which names live there (LocalNames, fs/local_names.h),
// seen through Locations. Local-only files are junk names, tool databases,
// empty files and folders made with mkdir (DESIGN decision 7).
//
// Owns: the local area's directory fd and each workspace's .esfsignore
// patterns. Thread-safe: LocalRoot holds only its fd; LocalNames has its
// own leaf mutex. Calls here may fsync (WriteFileAtomic): callers hold no
// lock another request needs while they call them.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>

#include "fs/local_names.h"
#include "fs/local_path.h"
#include "fs/location.h"

namespace esfs::fs {

class LocalArea {
 public:
  using Log = std::function<void(const std::string&)>;
  LocalArea(const std::string& data_dir, Log log);

  const LocalRoot& root() const { return root_; }
  const LocalNames& names() const { return names_; }

  // True if |loc| lives in the local-only area: a junk name, a tool
  // database folder or a name of the workspace's .esfsignore on the way.
  bool LocalOnly(const Location& loc) const;
  // LocalRelOf(loc) for an |operation| that writes: a refused name also
  // gets a log line naming |loc| and why.
  Result<LocalRelPath> CheckedPath(const Location& loc, const char* operation) const;
  // lstat of |loc|'s local file; false if absent or if |loc| cannot have one.
  bool Stat(const Location& loc, struct stat* st) const;
  // Called after the local file at |loc| was written, moved or removed: a
  // workspace's .esfsignore takes effect at once.
  void NoteChange(const Location& loc);

 private:
  LocalRoot root_;
  LocalNames names_;
  Log log_;
};

}  // namespace esfs::fs
