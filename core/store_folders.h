// The folder index: the part of the store (core/store.h) that answers what
// a folder holds. Earthstar has no folders; they are derived from path
// prefixes of the winners (DESIGN decision 2). The mount lists and looks up
// folders with it.
//
// Owns nothing on disk: it reads the replica's winners database, whose keys
// are in path order, and skips whole sub-trees by seeking, so a listing
// costs O(children · log n), not O(documents below) (docs/store.md).
//
// Thread safety: every method may be called from any thread at once; each
// is one LMDB read transaction (a snapshot), and takes no lock of its own.
//
// Status codes: NotFound when the workspace is not in the store;
// InvalidArgument for a prefix that does not start and end with '/';
// Storage when LMDB fails. An empty folder is an empty answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace esfs::core {

struct StoreState;

// One entry of a folder listing: a file (a winning document) or a folder.
struct DirEntry {
  std::string name;  // the path segment after the prefix
  bool is_folder = false;
  // For files: the winner's summary.
  std::string author;
  int64_t timestamp = 0;
  uint64_t content_bytes = 0;
  std::optional<int64_t> deleteAfter;
  uint64_t seq = 0;
};

class FolderIndex {
 public:
  // Made by Store::Open only; lives as long as its Store.
  explicit FolderIndex(const StoreState& state) : state_(state) {}
  FolderIndex(const FolderIndex&) = delete;
  FolderIndex& operator=(const FolderIndex&) = delete;

  // The direct children of a folder |prefix| ("/" or "/wiki/"), by name:
  // winners (tombstones included) and sub-folders (those with a living,
  // non-empty winner below them).
  Result<std::vector<DirEntry>> List(const std::string& workspace, const std::string& prefix) const;
  // True if some living, non-empty winner lies below folder |prefix|
  // ("/wiki/"): the folder exists on the network side.
  Result<bool> Exists(const std::string& workspace, const std::string& prefix) const;

 private:
  const StoreState& state_;
};

}  // namespace esfs::core
