// Removes expired ephemeral documents (es.4 paths with '!' and a
// deleteAfter) from the store, in a service of its own that the daemon
// starts next to the mount and the syncer. Each sweep also removes the
// local versions kept longer than configured (LocalState::SweepVersions).
//
// It sweeps once when it starts, then wakes at the earliest expiry it knows
// of: it follows the change feed, and for each change at an ephemeral path
// (only those may expire) reads that winner's deleteAfter. Documents it
// cannot have heard of (stored before it started, or another author's
// version that does not win) are caught by the safety sweep every
// Options::period (default 10 min). Expired documents are never shown
// before the sweep (the store's reads leave them out): the sweep frees their
// space and puts a "removed" change in the feed, which the mount turns into
// kernel invalidations.
//
// Owns: its thread, its feed subscription and the set of expiries it knows.
// Thread safety: constructed and destroyed by one thread; the rest is
// internal. Lock order: mu_ is a leaf; the feed's callback takes it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/change_feed.h"
#include "core/store.h"

namespace esfs::core {

class ExpirySweeper {
 public:
  struct Options {
    std::chrono::milliseconds period{600'000};
    std::function<void(const std::string&)> log;  // one line per sweep that removed something
  };
  // Starts the thread (and subscribes to |feed|, which must outlive this).
  ExpirySweeper(Store& store, ChangeFeed& feed, Options options);
  // Unsubscribes and stops the thread; a sweep under way finishes first.
  ~ExpirySweeper();
  ExpirySweeper(const ExpirySweeper&) = delete;
  ExpirySweeper& operator=(const ExpirySweeper&) = delete;

  // For tests: sweeps done, and documents they removed.
  uint64_t sweeps() const { return sweeps_.load(); }
  uint64_t removed() const { return removed_.load(); }
  uint64_t versions_removed() const { return versions_removed_.load(); }

 private:
  void Loop();
  // The deleteAfter of the winners at the ephemeral paths just changed.
  void LearnExpiries(const std::vector<std::pair<std::string, std::string>>& paths);
  void SweepNow();

  Store& store_;
  ChangeFeed& feed_;
  const Options options_;
  std::atomic<uint64_t> sweeps_{0};
  std::atomic<uint64_t> removed_{0};
  std::atomic<uint64_t> versions_removed_{0};

  std::mutex mu_;  // guards the members below; a leaf lock
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::pair<std::string, std::string>> changed_;  // (workspace, path) to look at
  std::set<int64_t> expiries_;                                // deleteAfter times (µs) not swept yet

  ChangeFeed::SubscriptionId subscription_ = 0;
  std::thread thread_;  // started last
};

}  // namespace esfs::core
