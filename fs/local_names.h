// Which names stay in the local-only area (DESIGN decision 7): the built-in
// junk names (fs/names.h) plus each workspace's own list, the file
// .esfsignore at its root (docs/mount.md, "Your own local-only names").
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fs/local_path.h"

namespace esfs::fs {

// The list's name. It is itself a local-only name (fs/names.cc).
inline constexpr const char* kIgnoreFileName = ".esfsignore";
// A longer list is not read (the previous one stays in use).
inline constexpr size_t kMaxIgnoreFileBytes = size_t{1} << 20;

// The glob patterns (fnmatch(3)) of one .esfsignore.
class IgnorePatterns {
 public:
  // One pattern per line; blank lines and lines starting with '#' are
  // skipped, and so is trailing white space. A pattern with a '/' inside
  // ("/drafts", "notes/*.tmp") is matched against the path from the
  // workspace root, where '*' never crosses a '/'; any other ("*.log",
  // "build") against each name at any depth. A trailing '/' is dropped: a
  // pattern matches files and folders alike. |problems| gets one line per
  // line that was skipped for another reason ("line 4: ...").
  static IgnorePatterns Parse(std::string_view text, std::vector<std::string>* problems);

  // The index of the first of |names| (from the workspace root down) that
  // a pattern matches: everything below a matched folder matches too.
  // names.size() if none does.
  size_t FirstMatch(std::span<const std::string> names) const;
  size_t size() const { return any_level_.size() + rooted_.size(); }

 private:
  std::vector<std::string> any_level_;
  std::vector<std::string> rooted_;  // without their leading '/'
};

// The index of the first of |names| that is local-only by the built-in
// rules or by |patterns| (may be null), or names.size().
size_t FirstLocalName(std::span<const std::string> names, const IgnorePatterns* patterns);

// Every workspace's list, for one mount. A list is read at its first use
// and again after Changed(), or when its file changed on disk (checked at
// most once a second: edits made outside the mount count too). Logs what
// it read and each line it skipped. Thread-safe.
class LocalNames {
 public:
  LocalNames(std::string data_dir, std::function<void(const std::string&)> log);

  // |ws|'s patterns (never null; empty without a list).
  std::shared_ptr<const IgnorePatterns> For(const std::string& ws) const;
  // FirstLocalName of |names| below the root of |ws|.
  size_t FirstLocal(const std::string& ws, std::span<const std::string> names) const;
  // |ws|'s list was just written, renamed or removed through the mount:
  // reads it again now.
  void Changed(const std::string& ws);

 private:
  struct FileId {
    bool exists = false;
    uint64_t ino = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  struct Entry {
    std::shared_ptr<const IgnorePatterns> patterns = std::make_shared<IgnorePatterns>();
    FileId id;
    bool read = false;
    std::chrono::steady_clock::time_point checked;
  };
  // Re-reads |entry| if its file changed (or |changed|: it did). Called
  // with mu_ held.
  void Refresh(const std::string& ws, Entry& entry, bool changed) const;

  const std::string data_dir_;
  const LocalRoot local_root_;  // <data>/local
  const std::function<void(const std::string&)> log_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Entry, std::less<>> by_ws_;
};

}  // namespace esfs::fs
