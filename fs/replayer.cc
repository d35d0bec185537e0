#include "fs/replayer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/printable.h"
#include "fs/filesystem.h"

namespace esfs::fs {
namespace {

std::string DescribeNames(const ReplayPlan& plan) { return core::Printable(plan.names.Joined()); }

}  // namespace

Replayer::Replayer(FileSystem& fs, std::string mountpoint, LogFn log, Options options)
    : fs_(fs), mountpoint_(std::move(mountpoint)), log_(std::move(log)), options_(options) {}

Replayer::~Replayer() {
  Stop();
  if (thread_.joinable()) thread_.join();
}

void Replayer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

std::vector<ReplayHint> Replayer::Hints(const std::vector<core::Change>& changes) {
  // No lock of ours is held: FileSystem takes the inode table's.
  std::vector<ReplayHint> hints;
  hints.reserve(changes.size());
  for (const auto& change : changes) hints.push_back(fs_.ReplayHintFor(change));
  return hints;
}

void Replayer::Enqueue(const std::vector<core::Change>& changes, const std::vector<ReplayHint>& hints) {
  {
    std::scoped_lock lock(mu_);
    if (stop_ || finished_ || hints.size() != changes.size()) return;
    for (size_t i = 0; i < changes.size(); ++i) {
      const core::Change& change = changes[i];
      std::string key = Key(change);
      if (auto it = queued_.find(key); it != queued_.end()) {
        it->second.change = change;  // coalesced: the last state wins, the first one's hint stays
        continue;
      }
      ReplayHint hint = hints[i];
      if (auto d = deferred_.find(key); d != deferred_.end()) {
        hint = d->second.hint;
        deferred_.erase(d);
      }
      if (queued_.size() >= options_.max_queued) {
        ++stats_.dropped;
        ++burst_dropped_;
        continue;
      }
      queued_.emplace(key, Item{change, hint});
      order_.push_back(std::move(key));
    }
  }
  wake_.notify_one();
}

bool Replayer::Stop(const std::function<bool()>& serve, std::chrono::milliseconds limit) {
  {
    std::scoped_lock scan(scan_mu_);
    scan_stop_ = true;
    scan_cv_.notify_all();
  }
  std::unique_lock lock(mu_);
  stop_ = true;
  order_.clear();
  queued_.clear();
  deferred_.clear();
  wake_.notify_all();
  if (!thread_.joinable()) return true;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!finished_ && std::chrono::steady_clock::now() < deadline) {
    if (serve) {
      lock.unlock();
      const bool more = serve();
      lock.lock();
      if (!more) break;
    } else {
      finished_cv_.wait_until(lock, deadline, [this] { return finished_; });
    }
  }
  const bool done = finished_;
  lock.unlock();
  if (done) thread_.join();
  return done;
}

void Replayer::AwaitScanOf(uint64_t ino) {
  std::scoped_lock lock(scan_mu_);
  // The last folder was opened after its wait ended: a slow watcher, not
  // none.
  if (scan_opens_ > 0) scan_misses_ = 0;
  scan_folder_.store(ino, std::memory_order_relaxed);
  scan_opens_ = scan_closes_ = 0;
}

void Replayer::FolderOpened(uint64_t ino) { CountScan(ino, &scan_opens_); }

void Replayer::FolderClosed(uint64_t ino) { CountScan(ino, &scan_closes_); }

void Replayer::CountScan(uint64_t ino, int* counter) {
  if (ino == 0 || scan_folder_.load(std::memory_order_relaxed) != ino) return;
  std::scoped_lock lock(scan_mu_);
  if (scan_folder_.load(std::memory_order_relaxed) != ino) return;
  ++*counter;
  scan_cv_.notify_all();
}

void Replayer::WaitForScan() {
  std::unique_lock lock(scan_mu_);
  const auto open_wait = scan_misses_ >= 2 ? options_.new_folder_pause : options_.watcher_open_wait;
  const bool opened = scan_cv_.wait_for(lock, open_wait, [this] { return scan_stop_ || scan_opens_ > 0; });
  if (scan_stop_) return;
  if (!opened) {
    ++scan_misses_;
    return;
  }
  scan_misses_ = 0;
  scan_cv_.wait_for(lock, options_.scan_limit, [this] { return scan_stop_ || scan_closes_ >= scan_opens_; });
  if (scan_stop_) return;
  lock.unlock();
  // The watcher adds its watch right after its close returned.
  std::this_thread::sleep_for(options_.scan_grace);
}

Replayer::Expect Replayer::ExpectFor(std::string_view name) const {
  std::scoped_lock lock(expect_mu_);
  return name == expect_name_ ? expect_kind_ : Expect::kAsIs;
}

void Replayer::SetExpect(std::string_view name, Expect kind) {
  std::scoped_lock lock(expect_mu_);
  expect_name_.assign(name);
  expect_kind_ = kind;
}

Replayer::Stats Replayer::stats() const {
  std::scoped_lock lock(mu_);
  return stats_;
}

bool Replayer::Next(Item* out) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stop_) return false;
    const auto now = std::chrono::steady_clock::now();
    if (!deferred_.empty() && now >= retry_at_) {
      // Deferred changes go back in the queue, unless a newer change of
      // the same path is queued already.
      for (auto& [key, item] : deferred_) {
        if (queued_.contains(key)) continue;
        queued_.emplace(key, std::move(item));
        order_.push_back(key);
      }
      deferred_.clear();
    }
    if (!order_.empty()) {
      std::string key = std::move(order_.front());
      order_.pop_front();
      auto it = queued_.find(key);
      if (it == queued_.end()) continue;
      *out = std::move(it->second);
      queued_.erase(it);
      if (!in_burst_) {
        in_burst_ = true;
        burst_start_ = stats_;
        burst_began_ = now;
      }
      return true;
    }
    if (in_burst_) {
      lock.unlock();
      CloseChain();  // idle: hold nothing of the mount
      EndBurst();
      lock.lock();
      continue;
    }
    if (deferred_.empty()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, retry_at_);
    }
  }
}

void Replayer::EndBurst() {
  Stats now, before;
  uint64_t dropped = 0;
  std::chrono::steady_clock::time_point began;
  {
    std::scoped_lock lock(mu_);
    if (!in_burst_) return;
    in_burst_ = false;
    now = stats_;
    before = burst_start_;
    began = burst_began_;
    dropped = burst_dropped_;
    burst_dropped_ = 0;
  }
  const uint64_t replayed = now.replayed() - before.replayed();
  const uint64_t deferred = now.deferred - before.deferred;
  if (replayed == 0 && dropped == 0 && deferred == 0 && now.failed == before.failed) return;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  std::string line = "live view: replayed " + std::to_string(replayed) + " changes from outside in " +
                     std::to_string(ms) + " ms (" + std::to_string(now.created - before.created) + " new, " +
                     std::to_string(now.modified - before.modified) + " changed, " +
                     std::to_string(now.deleted - before.deleted) + " deleted, " +
                     std::to_string(now.folders_made - before.folders_made) + " folders made, " +
                     std::to_string(now.folders_removed - before.folders_removed) + " removed; " +
                     std::to_string(now.skipped - before.skipped) + " not shown or own, " +
                     std::to_string(now.failed - before.failed) + " failed, " + std::to_string(deferred) +
                     " deferred: open for writing here or being saved)";
  if (dropped > 0) {
    line += "; " + std::to_string(dropped) + " changes were not replayed (queue full: over " +
            std::to_string(options_.max_queued) + " paths waiting)";
  }
  log_(line);
}

void Replayer::Defer(const Item& item) {
  std::scoped_lock lock(mu_);
  if (stop_) return;
  if (!item.deferred) ++stats_.deferred;
  std::string key = Key(item.change);
  if (auto it = queued_.find(key); it != queued_.end()) {
    it->second.hint = item.hint;  // a newer change of the path is queued: it replays both
    return;
  }
  if (deferred_.empty()) retry_at_ = std::chrono::steady_clock::now() + options_.retry;
  deferred_[key] = item;
  deferred_[key].deferred = true;
}

void Replayer::Loop() {
  tid_.store(gettid());
  {
    // The mount's device: every item checks that the mount point still
    // is this mount before it makes a call there.
    struct stat st;
    if (stat(mountpoint_.c_str(), &st) != 0) {
      log_("live view: cannot stat the mount point (" + std::string(std::strerror(errno)) + "); no replay");
      std::scoped_lock lock(mu_);
      finished_ = true;
      finished_cv_.notify_all();
      return;
    }
    dev_ = st.st_dev;
  }
  Item item;
  while (Next(&item)) ReplayOne(item);
  CloseChain();
  EndBurst();
  std::scoped_lock lock(mu_);
  finished_ = true;
  finished_cv_.notify_all();
}

void Replayer::ReplayOne(const Item& item) {
  const uint64_t shown_key = std::hash<std::string>{}(Key(item.change));
  ReplayHint hint = item.hint;
  if (shown_.contains(shown_key)) hint.file_known = true;
  const ReplayPlan plan = fs_.PlanReplay(item.change, hint);
  switch (plan.kind) {
    case ReplayPlan::Kind::kNothing: {
      std::scoped_lock lock(mu_);
      ++stats_.skipped;
      return;
    }
    case ReplayPlan::Kind::kDefer: Defer(item); return;
    case ReplayPlan::Kind::kFile:
    case ReplayPlan::Kind::kDelete: break;
  }
  if (plan.kind == ReplayPlan::Kind::kFile) {
    shown_.insert(shown_key);
  } else {
    shown_.erase(shown_key);
  }
  if (!Execute(plan)) {
    // The mount point is no longer this mount (unmounted under us): stop.
    std::scoped_lock lock(mu_);
    if (!stop_) log_("live view: the mount point is no longer mounted; replay stopped");
    stop_ = true;
    order_.clear();
    queued_.clear();
    deferred_.clear();
  }
}

void Replayer::CloseChain() {
  // Deepest first.
  while (!chain_fds_.empty()) {
    close(chain_fds_.back());
    chain_fds_.pop_back();
  }
  chain_names_.clear();
}

void Replayer::ReleaseChain(size_t keep_folders) {
  while (chain_names_.size() > keep_folders) {
    close(chain_fds_.back());
    chain_fds_.pop_back();
    chain_names_.pop_back();
  }
}

bool Replayer::Execute(const ReplayPlan& plan) {
  const std::vector<std::string>& names = plan.names.components();
  if (names.empty()) return true;
  if (chain_fds_.empty()) {
    const int root = open(mountpoint_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return false;
    struct stat st;
    if (fstat(root, &st) != 0 || st.st_dev != dev_) {
      close(root);
      return false;
    }
    chain_fds_.push_back(root);
  }
  auto failed = [&](const char* what) {
    const int err = errno;
    SetExpect("", Expect::kAsIs);
    CloseChain();
    {
      std::scoped_lock lock(mu_);
      ++stats_.failed;
    }
    // Rare (a name that changed again under the replay is ENOENT, not
    // logged); the log writer rate-limits repeated lines.
    if (err != ENOENT && err != ENOTCONN && err != ECONNABORTED) {
      log_("live view: " + std::string(what) + " " + DescribeNames(plan) + ": " + std::strerror(err));
    }
    return err != ENOTCONN && err != ECONNABORTED;
  };
  const bool is_file = plan.kind == ReplayPlan::Kind::kFile;
  const size_t folders = names.size() - 1;
  // The folders of the last item that this one shares stay open.
  size_t shared = 0;
  while (shared < chain_names_.size() && shared < folders && chain_names_[shared] == names[shared]) ++shared;
  ReleaseChain(shared);
  uint64_t made = 0;
  std::string joined;
  for (size_t i = 0; i < shared; ++i) joined += (i ? "/" : "") + names[i];
  for (size_t i = shared; i < folders; ++i) {
    const std::string& name = names[i];
    joined += (i ? "/" : "") + name;
    if (is_file && i >= plan.known_folders && !made_folders_.contains(joined)) {
      SetExpect(name, Expect::kAbsent);
      if (mkdirat(chain_fds_.back(), name.c_str(), 0755) == 0) {
        ++made;
        made_folders_.insert(joined);
        // A recursive watcher (inotifywait -r) adds its watch on the new
        // folder after it read the event and scanned the folder; what is
        // made inside before that is lost to it.
        WaitForScan();
      } else if (errno != EEXIST) {
        return failed("mkdir");
      }
    }
    SetExpect(name, !is_file && i >= plan.known_folders ? Expect::kPresentFolder : Expect::kAsIs);
    const int fd = openat(chain_fds_.back(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return failed("open folder");
    chain_fds_.push_back(fd);
    chain_names_.push_back(name);
  }
  const int dir = chain_fds_.back();
  const std::string& name = names.back();
  if (is_file) {
    // A watcher that scanned a folder made just now may have looked the
    // file up already.
    if (!plan.file_known && (plan.kernel_may_have_entry || made > 0) && invalidate_entry_) {
      struct stat dir_st;
      if (fstat(dir, &dir_st) == 0) invalidate_entry_(static_cast<uint64_t>(dir_st.st_ino), name);
    }
    SetExpect(name, plan.file_known ? Expect::kAsIs : Expect::kAbsent);
    const int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (plan.file_known ? 0 : O_CREAT);
    const int fd = openat(dir, name.c_str(), flags, 0644);
    SetExpect("", Expect::kAsIs);
    if (fd < 0) return failed("open");
    // One byte, which the daemon drops: the write must return > 0 for
    // IN_MODIFY. FOPEN_DIRECT_IO keeps it out of the page cache.
    const ssize_t written = pwrite(fd, "", 1, 0);
    const int write_errno = errno;
    close(fd);
    std::scoped_lock lock(mu_);
    stats_.folders_made += made;
    if (written != 1) {
      ++stats_.failed;
      return write_errno != ENOTCONN && write_errno != ECONNABORTED;
    }
    ++(plan.file_known ? stats_.modified : stats_.created);
    return true;
  }
  SetExpect(name, Expect::kPresentFile);
  if (unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) return failed("unlink");
  uint64_t removed = 0;
  for (size_t i = folders; i > plan.known_folders; --i) {
    ReleaseChain(i - 1);  // the folder's own descriptor and those below
    SetExpect(names[i - 1], Expect::kPresentFolder);
    std::string folder;
    for (size_t j = 0; j < i; ++j) folder += (j ? "/" : "") + names[j];
    made_folders_.erase(folder);
    if (unlinkat(chain_fds_.back(), names[i - 1].c_str(), AT_REMOVEDIR) != 0) break;
    ++removed;
  }
  SetExpect("", Expect::kAsIs);
  std::scoped_lock lock(mu_);
  ++stats_.deleted;
  stats_.folders_removed += removed;
  return true;
}

}  // namespace esfs::fs
