// Where a name in the mount is: a workspace and the names below its root,
// with the es.4 path segments they stand for. A value type (copied freely,
// no lock); the resolver (fs/resolver.h) makes them from kernel names, the
// inode table (fs/inode_table.h) keeps one per inode.
//
// Also the conversions between a document's content and a file's bytes
// (base64 under binary names, fs/names.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/content_codec.h"
#include "core/status.h"
#include "fs/local_path.h"

namespace esfs::fs {

// The read-only history folder at each workspace's root (docs/history.md).
inline constexpr const char* kHistoryFolder = ".esfs-history";
// The suffix that names the document "/x" when a folder "/x/" exists too.
inline constexpr const char* kTwinSuffix = ".esfs-file";

// The mount root (all-workspaces mode) has an empty workspace.
//
// |parts| are the names the kernel sees, |segs| the es.4 path segments they
// stand for (always as many). A segment is NameToSegment(name) unless the
// name resolved to a path another app wrote (Resolver::ChildLocation,
// docs/names.md): a segment with a literal '%' or '~', or the document
// "/wiki" shown as "wiki.esfs-file" next to the folder "wiki/".
struct Location {
  std::string ws;
  std::vector<std::string> parts;
  std::vector<std::string> segs;
  // The file half of a path that is both a document and a folder.
  bool file_twin = false;

  bool IsMountRoot() const { return ws.empty(); }
  // A junk name made at the mount root itself (gio's ".Trash-0"): it holds
  // no workspace, only local-only files (all-workspaces mode).
  bool IsRootLocal() const;
  // Inside <workspace>/.esfs-history (fs/history_view.h).
  bool IsHistory() const;
  // For a history location: the workspace location it is about
  // (".esfs-history/wiki/Bees.md/@suzy.b…" -> "wiki/Bees.md/@suzy.b…").
  Location HistorySubject() const;
  bool IsWorkspaceRoot() const { return !ws.empty() && parts.empty() && !IsRootLocal(); }
  // The inode table's key: every name ends with '/', so a folder's key is
  // a prefix of exactly the keys below it.
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

// The location of the document |path| ("/a/b%20c") in |ws|.
Location LocationOfPath(const std::string& ws, const std::string& path);

// <workspace>/<names...> below <data>/local: where a location's local file
// is, every name checked (fs/local_path.h). InvalidArgument if a name
// cannot be a local one (".", "..", over 255 bytes, ...): such a location
// has no local file and none may be made. The mount root is the area's root.
Result<LocalRelPath> LocalRelOf(const Location& loc);
// "+ws/dir/name" for log lines (escaped: names come from peers).
std::string Describe(const Location& loc);

// A document's content as the file's bytes, and back (core/content_codec.h):
// base64 under binary names (fs/names.h IsBinaryName); under other names the
// text itself, or a data URL for bytes that are not UTF-8 text. Content that
// is not what its name leads us to expect is shown as the text it is.
core::NameKind KindOf(const Location& loc);
std::string FileBytes(const Location& loc, std::string content);
// The same into |out|, keeping its memory for text.
void AssignFileBytes(const Location& loc, std::string_view content, std::string* out);
// FileBytes(loc, content).size(), without copying or decoding.
uint64_t FileSize(const Location& loc, std::string_view content);
std::string DocContent(const Location& loc, const std::string& bytes);

}  // namespace esfs::fs
