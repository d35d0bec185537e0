// Who may change a mount: only the user who mounted it (DESIGN decision
// 13). With -o allow_other the kernel lets other local users in, and
// reads are theirs as the modes say (default_permissions); but anything
// that would sign a document with the owner's key or change the owner's
// files — create, open for writing, truncate, rename, unlink, mkdir,
// rmdir, setattr, xattr changes — is refused here, before the request
// reaches FileSystem (writes need a handle opened for writing, which only
// the owner gets). root is refused too, unless root mounted.
//
// Each refusal may log one line naming the caller's uid, the operation
// and the file; at most one line a second per uid (later refusals within
// that second are counted and reported with the next line), so that
// another user cannot flood the owner's log.
//
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"

namespace esfs::fs {

class OwnerGate {
 public:
  // Seconds on a clock that never goes back.
  using Clock = std::function<int64_t()>;
  using Log = std::function<void(const std::string&)>;
  // At most this many uids are remembered for the rate limit; past it,
  // entries older than a second are dropped.
  static constexpr size_t kMaxTrackedUids = 1024;

  // |owner|: the mount's owner. |clock| defaults to CLOCK_MONOTONIC.
  OwnerGate(uid_t owner, Log log, Clock clock = nullptr);

  uid_t owner() const { return owner_; }

  // Ok for the owner. Otherwise PermissionDenied (EACCES), and a log line
  // unless one was logged for |caller| less than a second ago.
  // |describe_file| names the file (already escaped: core::Printable); it
  // is called only when a line is written.
  Status Check(uid_t caller, std::string_view operation, const std::function<std::string()>& describe_file);

 private:
  struct Recent {
    int64_t logged_at = 0;
    uint64_t suppressed = 0;  // refusals not logged since then
  };

  const uid_t owner_;
  const Log log_;
  const Clock clock_;
  std::mutex mu_;  // guards recent_
  std::map<uid_t, Recent> recent_;
};

}  // namespace esfs::fs
