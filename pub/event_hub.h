// The pub's live event streams (GET .../WS/stream): the store's change
// feed (core/change_feed.h) fanned out to every open stream of the
// workspace a change belongs to. The feed's callback only queues the
// change; each stream's own thread reads the document and writes it.
//
// Owns: the subscription to the feed and the list of open streams. A
// stream that falls more than kMaxQueued changes behind is ended (the
// client reconnects and pulls); at most |max_streams| are open at once.
//
// Thread safety: every method from any thread. mu_ guards the streams and
// is a leaf; nothing is called out while holding it (the feed's callback
// only copies changes into queues).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/change_feed.h"

namespace esfs::pub {

class EventHub {
 public:
  static constexpr size_t kMaxQueued = 10'000;

  EventHub(core::ChangeFeed& feed, size_t max_streams);
  ~EventHub();  // Stop()
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  struct Stream {
    std::string workspace;
    std::deque<core::Change> queued;  // guarded by EventHub::mu_
    bool overflowed = false;          // guarded by EventHub::mu_
  };
  // A new stream of |workspace|, or nullptr when max_streams are open.
  std::shared_ptr<Stream> Open(const std::string& workspace);
  void Close(const std::shared_ptr<Stream>& stream);
  // Waits up to |wait| for changes of |stream|; moves them into |out|.
  // False when the stream must end (the hub stops, or it overflowed).
  bool Next(Stream& stream, std::chrono::milliseconds wait, std::vector<core::Change>* out);
  // Ends every stream (Next returns false) and leaves the feed.
  void Stop();
  size_t open_streams() const;

 private:
  void OnChanges(const core::ChangeFeed::Batch& batch);

  core::ChangeFeed& feed_;
  const size_t max_streams_;
  core::ChangeFeed::SubscriptionId subscription_ = 0;
  mutable std::mutex mu_;  // guards the members below and every Stream's queue; a leaf
  std::condition_variable cv_;
  bool stopped_ = false;
  std::vector<std::shared_ptr<Stream>> streams_;
};

}  // namespace esfs::pub
