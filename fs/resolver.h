// The resolver: kernel names <-> Locations, against the store and the
// local area. It decides what a name in a folder stands for (the twin file
// "<x>.esfs-file" of a folder that is also a document, a path another app
// wrote that is not the canonical encoding of the name, docs/names.md),
// whether it exists and as what, whether it is local-only, who may write
// it (tilde paths, DESIGN decision 6) and how large it may grow.
//
// Owns: nothing mutable (it reads the store and the local area). Thread-
// safe, no lock of its own; its calls read the store (no write, no flush).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/store.h"
#include "fs/history_view.h"
#include "fs/local_area.h"
#include "fs/location.h"

namespace esfs::fs {

class Resolver {
 public:
  using Log = std::function<void(const std::string&)>;
  Resolver(const core::Store& store, const LocalArea& local, const HistoryView& history, std::string author, Log log);

  // The location of |name| in folder |parent|: NameTooLong over 255 bytes,
  // InvalidArgument for ".", "..", "" and names with '/'.
  Result<Location> ChildLocation(const Location& parent, const std::string& name) const;
  // Whether |loc| exists, and as a folder or a file.
  Result<bool> Exists(const Location& loc, bool* is_dir) const;
  // A winner at |loc| that is not a tombstone (its content is not copied).
  Result<bool> LiveWinner(const Location& loc) const;
  // The winner's local sequence number at |loc| (0: none or unknown).
  uint64_t CurrentSeq(const Location& loc) const;

  bool LocalOnly(const Location& loc) const { return local_.LocalOnly(loc); }
  // The es.4 path whose owner decides who may write at |loc|: the path
  // itself, or for local-only names the folder they sit in (a junk file in
  // another author's ~@ folder is refused like a real one). Empty: anyone.
  std::string OwnershipPath(const Location& loc) const;
  bool Writable(const Location& loc) const;
  // PermissionDenied with a log line naming |operation| if not Writable.
  Status CheckWritable(const Location& loc, const char* operation) const;
  // The largest size the file at |loc| may have (kMaxLocalFileBytes, the
  // es.4 content limit, or kMaxBinaryFileBytes).
  size_t MaxFileBytes(const Location& loc) const;
  // TooLarge, with a log line naming the file, if |loc| cannot hold |size|
  // bytes at |offset|; |offset| + |size| is checked without overflow.
  Status CheckFileSize(const Location& loc, uint64_t offset, uint64_t size, const char* operation) const;

  // Listing helpers. The segments in |listed| that are both a folder and a
  // document with content: the document is shown as "<name>.esfs-file".
  static std::set<std::string> TwinSegments(const std::vector<core::DirEntry>& listed);
  // The name a folder lists for the store's entry |segment| (docs/names.md).
  static std::string ListedName(const std::string& segment, bool workspace_root, const std::set<std::string>& twins);

 private:
  std::optional<Location> TwinLocation(const Location& parent, const std::string& name) const;
  Location ResolveForeign(const Location& parent, Location child) const;
  // A living document or a folder of them at |loc|.
  bool PublishedAt(const Location& loc, bool* is_folder) const;

  const core::Store& store_;
  const LocalArea& local_;
  const HistoryView& history_;
  const std::string author_;
  const Log log_;
};

}  // namespace esfs::fs
