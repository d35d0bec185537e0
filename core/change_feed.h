// The store's change feed, followed once per process and handed to every
// part that wants it (the mount's kernel invalidation, the syncer's live
// pushers, the expiry sweeper).
//
// One thread watches the store's LMDB data file with inotify: every commit,
// by this process or any other on the same data folder, writes that file
// and wakes it. It then waits kCoalesce so that one look covers a burst of
// commits, reads Store::ChangesSince once (in slices of Options::batch_limit
// until it is caught up) and hands each batch, oldest first, to every
// subscriber in the order they subscribed. Nothing is polled: the only
// timer is Options::safety_timeout (default 60 s), a look taken even when
// inotify said nothing, for a file system that does not report writes made
// through another mount namespace or a network share. Without inotify at
// all (init failed) the feed looks every Options::fallback_interval.
//
// Owns: the watcher thread, the inotify and wake-up descriptors, the read
// position and the subscriber list. Does not own the store (it must outlive
// the feed).
//
// Thread safety: every public function may be called from any thread.
// Callbacks run on the feed's thread, one at a time, never concurrently with
// each other; they must be quick (queue the work, do not do network or disk
// flushes there): the mount's invalidation and the syncers share the thread.
// Lock order: mu_ is a leaf (no callback runs under it).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/store.h"

namespace esfs::core {

class ChangeFeed {
 public:
  using Batch = std::vector<Change>;
  using Callback = std::function<void(const Batch&)>;
  using SubscriptionId = uint64_t;

  struct Options {
    // A look without an inotify event (see above).
    std::chrono::milliseconds safety_timeout{60'000};
    // The wait after a wake-up, so that one read covers a burst.
    std::chrono::milliseconds coalesce{10};
    // Only when inotify is not available.
    std::chrono::milliseconds fallback_interval{250};
    // Changes read per ChangesSince call.
    size_t batch_limit = 10'000;
  };

  // Starts following |store| from its current LastSeq. Storage if the
  // position cannot be read.
  static Result<std::unique_ptr<ChangeFeed>> Start(Store& store, Options options);
  static Result<std::unique_ptr<ChangeFeed>> Start(Store& store) { return Start(store, Options{}); }
  // Stops the thread; subscribers left get no more calls.
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // kChanges: the callback gets the batches of changes. kEveryLook: also an
  // empty batch after a look that found no change (a commit that changed
  // no document: a workspace added or removed, a configuration or a local
  // value written), for a part that must notice those (the syncer's
  // supervisor).
  enum class Wants { kChanges, kEveryLook };

  struct Subscription {
    SubscriptionId id = 0;
    // Every change with seq > position reaches the callback, in order and
    // once; none at or below it does.
    uint64_t position = 0;
  };
  Subscription Subscribe(Callback callback, Wants wants = Wants::kChanges);
  // After it returns no callback of |id| runs, or will run (unless it is
  // called from within that callback, on the feed's thread: then the
  // current call finishes as usual and no other follows). Unknown ids are
  // ignored.
  void Unsubscribe(SubscriptionId id);

  // Looks now instead of waiting for inotify (for tests and for writers
  // that want their change out at once; never needed for correctness).
  void Poke() const;

  // Counters, for tests and benchmarks: looks taken (wake-ups), and
  // ChangesSince calls made.
  uint64_t wakeups() const { return wakeups_.load(); }
  uint64_t reads() const { return reads_.load(); }
  // The last seq handed to subscribers.
  uint64_t position() const;
  // True if inotify watches the store (false: fallback_interval polling).
  bool watching() const { return inotify_ >= 0; }

 private:
  ChangeFeed(Store& store, Options options, uint64_t position);
  void Loop();
  // Waits for an inotify event, a poke, the stop or the timeout; then
  // drains the events. False when stopping.
  bool Wait();
  // Reads and delivers everything after position_.
  void LookOnce();
  void Deliver(const Batch& batch);

  struct Subscriber {
    SubscriptionId id;
    Callback callback;
    Wants wants;
  };

  Store& store_;
  const Options options_;
  int inotify_ = -1;
  int wake_fd_ = -1;  // eventfd: Poke() and the stop
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> wakeups_{0};
  std::atomic<uint64_t> reads_{0};

  mutable std::mutex mu_;         // guards the members below; a leaf lock
  std::condition_variable idle_;  // signalled when running_ goes back to 0
  uint64_t position_ = 0;
  SubscriptionId next_id_ = 1;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;  // in subscription order
  SubscriptionId running_ = 0;                            // the subscriber whose callback runs now, 0: none

  std::thread thread_;  // started last, joined first
};

}  // namespace esfs::core
