// The history view: the read-only folder <workspace>/.esfs-history (DESIGN
// decision 9, docs/history.md). It mirrors the workspace's tree, and at the
// place of each path with documents there is a folder holding one file per
// author whose newest version es.4 keeps, named by the author's address:
//
//   .esfs-history/wiki/Bees.md/@suzy.b…   Suzy's newest version of /wiki/Bees.md
//
// Beside them, the local versions this machine kept (the content a save or
// a deletion replaced, core/store_local.h), named by the replaced
// document's time (UTC) and author so that ls lists them oldest first:
//
//   .esfs-history/wiki/Bees.md/2026-12-03T17.10.45.123456Z_@suzy.b…
//
// Deleted files keep their history folder (their versions are tombstones
// or older contents). Nothing here can be written; restoring is copying a
// version over the file, which saves it as a new document by the user.
//
// Owns: nothing mutable (it reads the store). Thread-safe, no lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/store.h"
#include "fs/fs_types.h"
#include "fs/location.h"

namespace esfs::fs {

// The name of a local version file, and back (false for any other name,
// and for a name that is not the canonical spelling of its time).
std::string LocalVersionName(int64_t timestamp, const std::string& author);
bool ParseLocalVersionName(std::string_view name, int64_t* timestamp, std::string* author);

class HistoryView {
 public:
  // |folder_time_ns| is shown as the time of every history folder.
  HistoryView(const core::Store& store, int64_t folder_time_ns) : store_(store), folder_time_ns_(folder_time_ns) {}

  // The version file at |loc| (".esfs-history/<path>/@author"); nullopt if
  // |loc| names no version file or the author has none there.
  Result<std::optional<core::Document>> Version(const Location& loc) const;
  // Whether |loc| exists in the history tree, and if so whether it is a
  // folder: the root, a path with versions (deleted ones too), a prefix
  // of some, or a version file.
  Result<bool> Exists(const Location& loc, bool* is_dir) const;
  // The names in the history folder |loc| (name -> is a folder).
  Status List(const Location& loc, std::map<std::string, bool>* names) const;
  // Fills |attr| (is_dir already set): read-only, never cached by the
  // kernel (a version follows the file it belongs to). NotFound for a
  // version that is gone.
  Status Fill(const Location& loc, Attr* attr) const;
  // The file bytes of the version at |loc| ("" if none).
  Result<std::string> Bytes(const Location& loc) const;

 private:
  const core::Store& store_;
  const int64_t folder_time_ns_;
};

}  // namespace esfs::fs
