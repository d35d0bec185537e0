// The publisher: signs documents as the mount's author and commits them
// through the store (Store::Set, or Store::SetMany for many that must land
// together). It owns the rule that an ephemeral path ('!') gets a
// deleteAfter (MountConfig::ephemeral_lifetime_us from now).
//
// Owns: nothing mutable. Thread-safe without a lock of its own: calls from
// different threads reach the store concurrently, where concurrent Set
// calls share one write transaction and one flush (group commit). Callers
// must hold no lock another request needs while they call it (a call waits
// for a disk flush). With an OwnWrites, every path is marked there while it
// is written and every committed document's signature recorded (the live
// view's replay skips what this mount wrote, fs/replayer.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/signer.h"
#include "core/store.h"
#include "fs/own_writes.h"

namespace esfs::fs {

class Publisher {
 public:
  // The clock gives microseconds since the epoch (the system clock unless a
  // test injects one).
  using Clock = std::function<int64_t()>;
  Publisher(core::Store& store, const core::Signer& signer, int64_t ephemeral_lifetime_us, Clock clock = {},
            OwnWrites* own_writes = nullptr);

  const std::string& author() const { return signer_.address(); }

  // One document (an empty |content| is the es.4 tombstone). The store's
  // Status on failure (its message names the path).
  Result<core::Document> Publish(const std::string& ws, const std::string& path, std::string content) const;

  // One document to publish with PublishMany.
  struct Item {
    std::string ws, path, content;
  };
  // All of |items| in one write transaction and one flush, or none (the
  // first failure's Status). In |items|' order.
  Result<std::vector<core::Document>> PublishMany(std::vector<Item> items) const;

  // The deleteAfter a save to |path| gets now (nullopt unless it has '!').
  std::optional<int64_t> DeleteAfterFor(const std::string& path) const;

 private:
  core::Store& store_;
  const core::Signer& signer_;
  const int64_t ephemeral_lifetime_us_;
  const Clock clock_;
  OwnWrites* const own_writes_;  // may be null
};

}  // namespace esfs::fs
