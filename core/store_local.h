// Local state: the part of the store (core/store.h) that holds what this
// machine knows and no peer ever sees. Attributes a user set on a file
// (chmod, utimensat) that es.4 cannot carry, small values (sync progress
// and status), and local versions: the content a save or a deletion
// replaced, yours or a peer's (DESIGN decision 9, docs/store.md).
//
// Owns the local_attrs database, meta's "local:" keys, and the local
// attributes not yet written (Durability::kSoon) with the thread that
// writes them. Reads and expires the versions, versions_age and
// local_saves databases (the replica writes them in the transaction that
// replaces a winner, core/store_versions.cc).
//
// Thread safety: every method may be called from any thread at once. Lock
// order: write_mu (held across the write transaction of local attributes,
// so that writes land in the order they were made) before pending mu
// (never held across a transaction or a flush); StoreState::ids_mu is a
// leaf below both.
//
// Status codes: NotFound when the workspace is not in the store (attrs);
// Storage when LMDB fails or the store is closing. Nothing set is an
// ordinary answer (nullopt).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/document.h"
#include "core/status.h"

namespace esfs::core {

struct StoreState;

// Attributes a user set on a file (chmod, chown, utimensat) that es.4
// cannot carry: kept locally. The times are valid while the document with
// |signature| is the winner at its path ("until the document changes");
// the mode stays with the path through later versions (a file made
// private stays private when it is saved again or a peer updates it).
// atime, mtime and ctime are kept apart as POSIX does (docs/mount.md,
// "Times"): utimensat sets atime and mtime, each on its own; every change
// of attributes sets ctime to its time.
struct LocalAttrs {
  std::string signature;
  std::optional<uint32_t> mode;
  std::optional<int64_t> mtime_ns;
  std::optional<int64_t> atime_ns;
  std::optional<int64_t> ctime_ns;
  bool operator==(const LocalAttrs&) const = default;
};

// A peer's save that replaces a save made here at most this long after it
// (by their timestamps) is a conflict: counted and logged, never copied.
inline constexpr int64_t kConflictWindowMicros = int64_t{10} * 60 * 1'000'000;

// A kept version: the content that was replaced, and which document it was.
struct LocalVersion {
  std::string author;     // of the replaced document
  int64_t timestamp = 0;  // of the replaced document (µs)
  int64_t kept_at = 0;    // when it was replaced (µs, the store's clock)
  uint64_t content_bytes = 0;
  std::string content;  // filled by LocalState::Version only
};

// How long versions are kept and how much space they may take: the
// store-wide local values "versions.keep_days" and "versions.max_bytes"
// (esfs config, docs/store.md). Past the cap, the oldest go first.
struct VersionsConfig {
  static constexpr int64_t kDefaultKeepDays = 30;
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{1} << 30;
  int64_t keep_days = kDefaultKeepDays;
  uint64_t max_bytes = kDefaultMaxBytes;
};

class LocalState {
 public:
  // Made by Store::Open only; lives as long as its Store.
  explicit LocalState(StoreState& state);
  ~LocalState();  // Stop()
  LocalState(const LocalState&) = delete;
  LocalState& operator=(const LocalState&) = delete;

  // kNow: in the store when this returns. kSoon: seen by GetAttrs at once
  // and written within kAttrsDelayMs, many in one transaction (or at
  // FlushAttrs, or when the store closes), as a disk keeps inode changes
  // in its journal for a few seconds: tar and rsync set the time of every
  // file they write, and a commit each doubled their cost.
  enum class Durability { kNow, kSoon };
  static constexpr int kAttrsDelayMs = 200;
  Status SetAttrs(const std::string& workspace, const std::string& path, const LocalAttrs& attrs,
                  Durability durability = Durability::kNow);
  // nullopt when none were set. For a document other than the one they
  // were set on (|current_signature| differs): the mode alone, if one was
  // set, with |signature| = |current_signature|.
  Result<std::optional<LocalAttrs>> GetAttrs(const std::string& workspace, const std::string& path,
                                             const std::string& current_signature) const;
  // Writes every kSoon change still pending; the error of the last failed
  // attempt, if the write fails again.
  Status FlushAttrs();
  // The same, but only if a change of this path is pending (fsync of one
  // file must not pay for writing what other files changed).
  Status FlushAttrs(const std::string& workspace, const std::string& path);

  // Small local, never-synced values: keys are free text, values JSON.
  Status SetValue(const std::string& key, const OrderedJson& value);
  Result<std::optional<OrderedJson>> GetValue(const std::string& key) const;

  // ---- local versions (core/store_versions.cc) ----

  // The versions kept for a path, oldest first, without their content.
  Result<std::vector<LocalVersion>> Versions(const std::string& workspace, const std::string& path) const;
  // One version with its content; nullopt if it is not kept (any more).
  Result<std::optional<LocalVersion>> Version(const std::string& workspace, const std::string& path, int64_t timestamp,
                                              const std::string& author) const;
  // The configuration (defaults for values not set or not valid).
  Result<VersionsConfig> GetVersionsConfig() const;
  // Removes versions kept longer than keep_days (by the store's clock),
  // then the oldest until they take at most max_bytes; returns how many.
  // The expiry sweeper calls it (core/expiry_sweeper.h).
  Result<size_t> SweepVersions();
  // How many times a peer's save replaced a save made here moments before
  // (kConflictWindowMicros), in |workspace|.
  Result<uint64_t> ConflictCount(const std::string& workspace) const;

  // Stops the writer thread and writes what is pending. Later kSoon
  // changes are refused (Storage). Idempotent; the Store calls it first
  // when it closes.
  void Stop();

 private:
  struct Pending;  // core/store_local.cc
  StoreState& state_;
  std::unique_ptr<Pending> pending_;
};

}  // namespace esfs::core
