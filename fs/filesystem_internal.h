// Internal to fs/filesystem*.cc: nodes, handles, locations and local-area
// file helpers.
#pragma once

#include <string>
#include <vector>

#include "fs/filesystem.h"
#include "fs/local_path.h"

namespace esfs::fs {

// The mode a writable file shows when nobody set one.
inline constexpr mode_t kDefaultFileMode = 0644;

// Where a name is: a workspace and the names below its root. The mount
// root (all-workspaces mode) has an empty workspace.
//
// |parts| are the names the kernel sees, |segs| the es.4 path segments they
// stand for (always as many). A segment is NameToSegment(name) unless the
// name resolved to a path another app wrote (FileSystem::ChildLocation,
// docs/names.md): a segment with a literal '%' or '~', or the document
// "/wiki" shown as "wiki.esfs-file" next to the folder "wiki/".
struct FileSystem::Location {
  std::string ws;
  std::vector<std::string> parts;
  std::vector<std::string> segs;
  // The file half of a path that is both a document and a folder.
  bool file_twin = false;

  bool IsMountRoot() const { return ws.empty(); }
  // A junk name made at the mount root itself (gio's ".Trash-0"): it holds
  // no workspace, only local-only files (all-workspaces mode).
  bool IsRootLocal() const;
  // Inside <workspace>/.esfs-history (fs/filesystem_history.cc).
  bool IsHistory() const;
  // For a history location: the workspace location it is about
  // (".esfs-history/wiki/Bees.md/@suzy.b…" -> "wiki/Bees.md/@suzy.b…").
  Location HistorySubject() const;
  bool IsWorkspaceRoot() const { return !ws.empty() && parts.empty() && !IsRootLocal(); }
  std::string Key() const;
  // "/dir/file.txt" with every name percent-encoded (fs/names.h).
  std::string EsPath() const;
  // The folder prefix "/dir/" of this location as a folder.
  std::string EsFolderPrefix() const;
  // A child named |name| at segment |seg| (default: NameToSegment(name)).
  Location Child(const std::string& name) const;
  Location Child(const std::string& name, const std::string& seg) const;
  Location Parent() const;
  // True if this names something directly inside the folder |dir| (what
  // Parent().Key() == dir.Key() says, without building either).
  bool IsChildOf(const Location& dir) const;
  // The name the document's own segment decodes to (the base name of a
  // twin): what binary-type detection looks at.
  std::string DocName() const;
};

// The suffix that names the document "/x" when a folder "/x/" exists too.
inline constexpr const char* kTwinSuffix = ".esfs-file";

struct FileSystem::Node {
  uint64_t ino = 0;
  uint64_t lookups = 0;
  Location loc;
  bool is_dir = false;
  // Open-file state: one buffer per inode, shared by its handles.
  int open_count = 0;
  int writers = 0;  // handles open for writing (they commit; readers never do)
  bool loaded = false;
  std::string content;
  bool dirty = false;
  bool unlinked = false;  // removed or replaced: commits go nowhere
  // A write past the file's size limit was refused: the buffer lacks what
  // the writer meant to save, so no commit publishes it (until a truncate
  // or O_TRUNC sets the content anew, or the last handle closes).
  bool refused_write = false;
  int64_t birth_ns = 0;   // created here: its time until the first commit
  // The winner's sequence number when the kernel last cached this file's
  // pages (0: unknown); an open that finds the same one keeps the cache.
  uint64_t cached_seq = 0;
  // chmod/utimensat results, shown until the content changes.
  std::optional<mode_t> mode_override;
  std::optional<int64_t> mtime_override;
};

struct FileSystem::Handle {
  uint64_t ino = 0;
  bool append = false;
  bool writable = false;
};

// <workspace>/<names...> below <data>/local: where a location's local file
// is, every name checked (fs/local_path.h). InvalidArgument if a name
// cannot be a local one (".", "..", over 255 bytes, ...): such a location
// has no local file and none may be made. The mount root is the area's root.
Result<LocalRelPath> LocalRelOf(const FileSystem::Location& loc);
// "+ws/dir/name" for log lines.
std::string Describe(const FileSystem::Location& loc);

// A document's content as the file's bytes, and back: base64 for binary
// names (fs/names.h IsBinaryName), the text itself otherwise. Content
// under a binary name that is not base64 (another app wrote text there)
// is shown as it is.
std::string FileBytes(const FileSystem::Location& loc, std::string content);
// The same into |out|, keeping its memory for text.
void AssignFileBytes(const FileSystem::Location& loc, std::string_view content, std::string* out);
// FileBytes(loc, content).size(), without copying or decoding.
uint64_t FileSize(const FileSystem::Location& loc, std::string_view content);
std::string DocContent(const FileSystem::Location& loc, const std::string& bytes);

}  // namespace esfs::fs
