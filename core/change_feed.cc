#include "core/change_feed.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>

namespace esfs::core {

Result<std::unique_ptr<ChangeFeed>> ChangeFeed::Start(Store& store, Options options) {
  auto last = store.replica().LastSeq();
  if (!last.ok()) return last.status();
  return std::unique_ptr<ChangeFeed>(new ChangeFeed(store, options, *last));
}

ChangeFeed::ChangeFeed(Store& store, Options options, uint64_t position)
    : store_(store), options_(options), position_(position) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  inotify_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  // Every LMDB commit writes the data file (its pages, then the meta page):
  // IN_MODIFY hears commits of every process on this store.
  if (inotify_ >= 0 && inotify_add_watch(inotify_, (store.data_dir() + "/store/data.mdb").c_str(), IN_MODIFY) < 0) {
    close(inotify_);
    inotify_ = -1;
  }
  thread_ = std::thread([this] { Loop(); });
}

ChangeFeed::~ChangeFeed() {
  stop_ = true;
  Poke();
  thread_.join();
  if (inotify_ >= 0) close(inotify_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ChangeFeed::Poke() const {
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
}

uint64_t ChangeFeed::position() const {
  std::scoped_lock lock(mu_);
  return position_;
}

ChangeFeed::Subscription ChangeFeed::Subscribe(Callback callback, Wants wants) {
  std::scoped_lock lock(mu_);
  const SubscriptionId id = next_id_++;
  subscribers_.push_back(std::make_shared<Subscriber>(Subscriber{id, std::move(callback), wants}));
  return {id, position_};
}

void ChangeFeed::Unsubscribe(SubscriptionId id) {
  std::unique_lock lock(mu_);
  std::erase_if(subscribers_, [id](const auto& s) { return s->id == id; });
  // From within its own callback: waiting would wait for ourselves.
  if (std::this_thread::get_id() == thread_.get_id()) return;
  idle_.wait(lock, [&] { return running_ != id; });
}

bool ChangeFeed::Wait() {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_, POLLIN, 0}};
  const int nfds = inotify_ >= 0 ? 2 : 1;
  const auto timeout = inotify_ >= 0 ? options_.safety_timeout : options_.fallback_interval;
  const int ready = poll(fds, nfds, static_cast<int>(timeout.count()));
  if (stop_) return false;
  // A burst of commits (each several writes, each an event) becomes one
  // look: wait a little, then drain whatever came meanwhile.
  if (ready > 0 && options_.coalesce.count() > 0) {
    pollfd stop_only{wake_fd_, POLLIN, 0};
    if ((fds[0].revents & POLLIN) == 0) (void)poll(&stop_only, 1, static_cast<int>(options_.coalesce.count()));
  }
  char drain[4096];
  while (inotify_ >= 0 && read(inotify_, drain, sizeof drain) > 0) {
  }
  uint64_t pokes = 0;
  (void)!read(wake_fd_, &pokes, sizeof pokes);
  return !stop_;
}

void ChangeFeed::Loop() {
  while (Wait()) {
    ++wakeups_;
    LookOnce();
  }
}

void ChangeFeed::LookOnce() {
  uint64_t after = position();
  bool delivered = false;
  while (!stop_) {
    ++reads_;
    auto changes = store_.replica().ChangesSince(after, options_.batch_limit);
    // A failed read (a store being resized by another process, say) is
    // tried again at the next wake-up; the position does not move.
    if (!changes.ok()) return;
    if (changes->empty()) {
      if (!delivered) Deliver(*changes);  // to kEveryLook subscribers only
      return;
    }
    delivered = true;
    after = changes->back().seq;
    Deliver(*changes);
    if (changes->size() < options_.batch_limit) return;
  }
}

void ChangeFeed::Deliver(const Batch& batch) {
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  {
    // Moving the position and taking the list together: a subscriber that
    // came before gets this batch, one that comes after starts past it.
    std::scoped_lock lock(mu_);
    if (!batch.empty()) position_ = batch.back().seq;
    subscribers = subscribers_;
  }
  for (const auto& subscriber : subscribers) {
    if (batch.empty() && subscriber->wants != Wants::kEveryLook) continue;
    {
      std::scoped_lock lock(mu_);
      const bool still =
          std::any_of(subscribers_.begin(), subscribers_.end(), [&](const auto& s) { return s->id == subscriber->id; });
      if (!still) continue;
      running_ = subscriber->id;
    }
    subscriber->callback(batch);
    {
      std::scoped_lock lock(mu_);
      running_ = 0;
    }
    idle_.notify_all();
  }
}

}  // namespace esfs::core
