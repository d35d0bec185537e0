// EventHub (pub/event_hub.h).
#include "pub/event_hub.h"

#include <algorithm>

namespace esfs::pub {

EventHub::EventHub(core::ChangeFeed& feed, size_t max_streams) : feed_(feed), max_streams_(max_streams) {
  subscription_ = feed_.Subscribe([this](const core::ChangeFeed::Batch& batch) { OnChanges(batch); }).id;
}

EventHub::~EventHub() { Stop(); }

void EventHub::Stop() {
  feed_.Unsubscribe(subscription_);
  {
    std::scoped_lock lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

std::shared_ptr<EventHub::Stream> EventHub::Open(const std::string& workspace) {
  std::scoped_lock lock(mu_);
  if (stopped_ || streams_.size() >= max_streams_) return nullptr;
  auto stream = std::make_shared<Stream>();
  stream->workspace = workspace;
  streams_.push_back(stream);
  return stream;
}

void EventHub::Close(const std::shared_ptr<Stream>& stream) {
  std::scoped_lock lock(mu_);
  streams_.erase(std::remove(streams_.begin(), streams_.end(), stream), streams_.end());
}

size_t EventHub::open_streams() const {
  std::scoped_lock lock(mu_);
  return streams_.size();
}

void EventHub::OnChanges(const core::ChangeFeed::Batch& batch) {
  bool any = false;
  {
    std::scoped_lock lock(mu_);
    for (const auto& stream : streams_) {
      for (const core::Change& change : batch) {
        if (change.removed || change.workspace != stream->workspace) continue;
        if (stream->queued.size() >= kMaxQueued) {
          stream->overflowed = true;
          break;
        }
        stream->queued.push_back(change);
        any = true;
      }
    }
  }
  if (any) cv_.notify_all();
}

bool EventHub::Next(Stream& stream, std::chrono::milliseconds wait, std::vector<core::Change>* out) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [&] { return stopped_ || stream.overflowed || !stream.queued.empty(); });
  if (stopped_ || stream.overflowed) return false;
  out->assign(stream.queued.begin(), stream.queued.end());
  stream.queued.clear();
  return true;
}

}  // namespace esfs::pub
