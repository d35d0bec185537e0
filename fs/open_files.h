// The open-file table: the handles the kernel holds (fh -> which inode,
// opened how) and the spare buffer. An open file's content lives in its
// inode's Node (one buffer per inode, shared by its handles, guarded by
// Node::mu: fs/inode_table.h); this table decides nothing about content.
//
// Owns: handles and the spare buffer (the buffer of the last large file
// closed, kept for the next large open: fresh memory costs a page fault
// per 4 KiB when it is first written, ~1,000 for a 4 MB document, and more
// than the copy itself on a virtual machine; at most kSpareBufferMaxBytes).
//
// Thread safety: every method is thread-safe; mu_ is a leaf lock held only
// for map work (lock order: fs/inode_table.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "fs/inode_table.h"

namespace esfs::fs {

struct Handle {
  std::shared_ptr<Node> node;
  bool append = false;
  bool writable = false;
};

class OpenFiles {
 public:
  // A new handle number for |handle| (never 0, never reused).
  uint64_t Add(Handle handle);
  // The handle |fh| (nullopt if unknown: released or never opened).
  std::optional<Handle> Get(uint64_t fh) const;
  // Removes |fh| and returns what it was.
  std::optional<Handle> Remove(uint64_t fh);
  size_t size() const;

  // The spare buffer (empty if none), for a large file being loaded.
  std::string TakeSpare();
  // Offers |buffer|'s memory for reuse: kept if its capacity is within
  // [kSpareBufferMinBytes, kSpareBufferMaxBytes] and larger than the one
  // kept; |buffer| is left empty either way.
  void OfferSpare(std::string& buffer);

 private:
  mutable std::mutex mu_;  // guards everything below
  uint64_t next_fh_ = 1;
  std::map<uint64_t, Handle> handles_;
  std::string spare_;
};

}  // namespace esfs::fs
