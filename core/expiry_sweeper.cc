#include "core/expiry_sweeper.h"

#include <optional>

namespace esfs::core {
namespace {

// es.4: only a path with '!' may carry a deleteAfter.
bool EphemeralPath(const std::string& path) { return path.find('!') != std::string::npos; }

}  // namespace

ExpirySweeper::ExpirySweeper(Store& store, ChangeFeed& feed, Options options)
    : store_(store), feed_(feed), options_(std::move(options)) {
  // The callback only notes the paths (it runs on the feed's thread, which
  // the mount shares); this thread reads them.
  subscription_ = feed_
                      .Subscribe([this](const ChangeFeed::Batch& batch) {
                        std::scoped_lock lock(mu_);
                        bool any = false;
                        for (const Change& c : batch) {
                          if (c.removed || !EphemeralPath(c.path)) continue;
                          changed_.emplace_back(c.workspace, c.path);
                          any = true;
                        }
                        if (any) wake_.notify_all();
                      })
                      .id;
  thread_ = std::thread([this] { Loop(); });
}

ExpirySweeper::~ExpirySweeper() {
  feed_.Unsubscribe(subscription_);
  {
    std::scoped_lock lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ExpirySweeper::SweepNow() {
  ++sweeps_;
  auto swept = store_.replica().SweepExpired();
  if (!swept.ok()) {
    if (options_.log) options_.log("sweeping expired ephemeral documents failed: " + swept.status().message());
    return;
  }
  removed_ += *swept;
  if (*swept > 0 && options_.log) {
    options_.log("removed " + std::to_string(*swept) + " expired ephemeral documents");
  }
  // Local versions past their keeping time or the size cap (core/store_local.h).
  auto versions = store_.local().SweepVersions();
  if (!versions.ok()) {
    if (options_.log) options_.log("sweeping local versions failed: " + versions.status().message());
    return;
  }
  versions_removed_ += *versions;
  if (*versions > 0 && options_.log) {
    options_.log("removed " + std::to_string(*versions) + " local versions past their keeping time or size cap");
  }
}

void ExpirySweeper::LearnExpiries(const std::vector<std::pair<std::string, std::string>>& paths) {
  for (const auto& [workspace, path] : paths) {
    std::optional<int64_t> delete_after;
    auto found =
        store_.replica().VisitWinner(workspace, path, [&](const DocView& doc) { delete_after = doc.deleteAfter; });
    if (!found.ok() || !delete_after) continue;
    std::scoped_lock lock(mu_);
    expiries_.insert(*delete_after);
  }
}

void ExpirySweeper::Loop() {
  using std::chrono::steady_clock;
  SweepNow();
  auto safety_at = steady_clock::now() + options_.period;
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!changed_.empty()) {
      auto paths = std::move(changed_);
      changed_.clear();
      lock.unlock();
      LearnExpiries(paths);
      lock.lock();
      continue;
    }
    // The store's clock says when a document expires (it is expired once
    // now > deleteAfter); the wait is measured on the steady clock.
    const int64_t now = store_.clock().NowMicros();
    const bool due = !expiries_.empty() && *expiries_.begin() < now;
    if (due || steady_clock::now() >= safety_at) {
      while (!expiries_.empty() && *expiries_.begin() < now) expiries_.erase(expiries_.begin());
      lock.unlock();
      SweepNow();
      lock.lock();
      safety_at = steady_clock::now() + options_.period;
      continue;
    }
    auto until = safety_at;
    if (!expiries_.empty()) {
      until = std::min(until, steady_clock::now() + std::chrono::microseconds(*expiries_.begin() - now + 1000));
    }
    wake_.wait_until(lock, until, [&] { return stop_ || !changed_.empty(); });
  }
}

}  // namespace esfs::core
