#include "fs/owner_gate.h"

#include <time.h>

#include "core/printable.h"

namespace esfs::fs {
namespace {

int64_t MonotonicSeconds() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec;
}

}  // namespace

OwnerGate::OwnerGate(uid_t owner, Log log, Clock clock)
    : owner_(owner), log_(std::move(log)), clock_(clock ? std::move(clock) : Clock(MonotonicSeconds)) {}

Status OwnerGate::Check(uid_t caller, std::string_view operation, const std::function<std::string()>& describe_file) {
  if (caller == owner_) return Status::Ok();
  uint64_t suppressed = 0;
  {
    std::scoped_lock lock(mu_);
    const int64_t now = clock_();
    if (recent_.size() >= kMaxTrackedUids && !recent_.contains(caller)) {
      std::erase_if(recent_, [now](const auto& entry) { return now - entry.second.logged_at >= 1; });
      // Still full: every one of them logged within this second; this
      // caller's line waits too.
      if (recent_.size() >= kMaxTrackedUids) return Status::PermissionDenied("not the mount's owner");
    }
    auto [it, fresh] = recent_.try_emplace(caller);
    if (!fresh && now - it->second.logged_at < 1) {
      ++it->second.suppressed;
      return Status::PermissionDenied("not the mount's owner");
    }
    suppressed = it->second.suppressed;
    it->second = Recent{now, 0};
  }
  std::string line = "refused " + core::Printable(operation) + " of " + describe_file() + " to uid " +
                     std::to_string(caller) + ": only the mount's owner (uid " + std::to_string(owner_) +
                     ") may change files here";
  if (suppressed > 0) line += " (" + std::to_string(suppressed) + " more refusals to this uid not logged)";
  if (log_) log_(line);
  return Status::PermissionDenied("not the mount's owner");
}

}  // namespace esfs::fs
