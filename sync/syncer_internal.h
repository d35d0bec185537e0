// Internal to the syncer (sync/syncer.cc: one pass; sync/syncer_live.cc:
// the supervisor and the workers): the tallies of rejected documents and
// the timings both halves share. Not part of the syncer's interface.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/printable.h"
#include "sync/reasons.h"

namespace esfs::sync::internal {

// After a live push (or catch-up pull) failed while the stream stays open.
constexpr int kLiveRetryMs = 1000;
// A live stream that ends sooner than this after it started counts as a
// failure for the backoff (the pub does not stream, or drops it at once).
constexpr int kStreamSettledMs = 10'000;
// The supervisor re-reads the workspaces at each look of the change feed,
// and at least this often (a commit the feed did not hear of).
constexpr int kSuperviseSafetyMs = 60'000;

// Rejected documents are told in one line per pass (or per stream
// summary), never one line each: a pub listing a million junk objects
// must not write a million log lines.
constexpr size_t kMaxReasons = 8;      // distinct reasons counted apart
constexpr size_t kMaxExamples = 3;     // examples quoted in the line
constexpr size_t kReasonBytes = 80;    // a reason is cut to this
constexpr size_t kExampleBytes = 120;  // an example is cut to this
// The stream's rejections are saved in the status and told in the log at
// most this often (and when the stream ends), not per event.
constexpr int kStreamTallyMs = 1000;

// Counts of rejected documents by reason, with the first few examples.
class RejectTally {
 public:
  void Add(const std::string& what, const std::string& why) {
    ++total_;
    std::string reason = ReasonKind(why, kReasonBytes);
    if (!by_reason_.contains(reason) && by_reason_.size() >= kMaxReasons) reason = "other reasons";
    ++by_reason_[reason];
    if (examples_.size() < kMaxExamples) examples_.push_back(core::Printable(what + ": " + why, kExampleBytes));
  }
  size_t total() const { return total_; }
  // "N by reason (a: 3, b: 2); first: x; y; z"
  std::string Summary() const {
    std::string text;
    for (const auto& [reason, count] : by_reason_) {
      text += (text.empty() ? "" : ", ") + reason + ": " + std::to_string(count);
    }
    text = "by reason (" + text + "); first:";
    for (const auto& e : examples_) text += " [" + e + "]";
    return text;
  }
  void Clear() { *this = RejectTally(); }

 private:
  size_t total_ = 0;
  std::map<std::string, size_t> by_reason_;
  std::vector<std::string> examples_;
};

// The live stream's rejections, added by the stream's thread and taken
// (saved and logged) by the pusher's thread at most every kStreamTallyMs.
class StreamTally {
 public:
  // The time left until Due() (zero if due now); nullopt if nothing waits.
  std::optional<std::chrono::steady_clock::duration> UntilDue() {
    std::scoped_lock lock(mu_);
    if (tally_.total() == 0) return std::nullopt;
    const auto at = last_take_ + std::chrono::milliseconds(kStreamTallyMs);
    const auto now = std::chrono::steady_clock::now();
    return at > now ? at - now : std::chrono::steady_clock::duration::zero();
  }
  void Add(const std::string& what, const std::string& why) {
    std::scoped_lock lock(mu_);
    tally_.Add(what, why);
  }
  // True if rejections wait and the last Take was kStreamTallyMs ago.
  bool Due() {
    std::scoped_lock lock(mu_);
    return tally_.total() > 0 &&
           std::chrono::steady_clock::now() - last_take_ >= std::chrono::milliseconds(kStreamTallyMs);
  }
  // The summary of the rejections since the last Take, and their count in |n|.
  std::string Take(size_t* n) {
    std::scoped_lock lock(mu_);
    *n = tally_.total();
    std::string summary = tally_.Summary();
    tally_.Clear();
    last_take_ = std::chrono::steady_clock::now();
    return summary;
  }

 private:
  std::mutex mu_;
  RejectTally tally_;
  std::chrono::steady_clock::time_point last_take_{};
};

}  // namespace esfs::sync::internal
