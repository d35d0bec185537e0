// The live view (DESIGN decision 10): file managers and watchers hear of
// changes that arrive from outside the mount (a pub, `esfs put`/`import`
// in another process, another mount). The kernel's VFS makes inotify and
// fanotify events only for system calls that pass through it, and FUSE's
// cache invalidations make none, so this thread of the daemon replays each
// such change as real system calls on its own mount point:
//
//   new file        mkdir of each new folder (IN_CREATE|IN_ISDIR), then
//                   open(O_CREAT) + write of one byte + close
//                   (IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE)
//   changed file    open(O_WRONLY) + write + close (IN_MODIFY, IN_CLOSE_WRITE)
//   deleted file    unlink (IN_DELETE), rmdir of folders that went with it
//
// FileSystem answers those requests from the store, never by signing or
// storing: fs/fuse_ops.cc sends every request whose caller's thread id
// (fuse_req_ctx()->pid) is this thread's, and every request on a handle it
// got (RELEASE and FLUSH may carry no useful pid), to the replay answers.
// Its LOOKUP of a name it is about to create answers ENOENT (else the
// kernel opens the existing file and reports no IN_CREATE); its LOOKUP of
// a name it is about to unlink answers an entry though the store has the
// name no more; its CREATE and MKDIR answer the entry the store shows; its
// OPENs get FOPEN_DIRECT_IO, so the byte it writes reaches the daemon,
// which drops it, and never the page cache other readers see.
//
// Why it cannot deadlock. This thread is never a FUSE worker: its system
// calls are answered by the session's workers (libfuse's multi-threaded
// loop, up to 10 threads; the replay has one request in flight at a time,
// and no worker ever waits for this thread or for the change feed). It
// holds no lock while it is in a system call: the queue's mutex and the
// expectation's mutex are leaves taken around map work only, and a worker
// reads the expectation under that mutex without waiting on anything.
// The change feed's thread only queues (Enqueue never waits for a replay);
// when it sends a kernel invalidation for a folder whose lock a replay
// call holds, it waits for that call, which a worker answers.
//
// Why it cannot loop. Replayed requests never reach the Publisher or the
// local area: no document is signed, nothing is written, so the change
// feed sees no change from them. This mount's own writes are recognized
// (fs/own_writes.h) and not replayed: the kernel reported them already.
//
// Why it cannot corrupt a locally open file. The replay never touches a
// node's buffer (its handles are not in OpenFiles), and a file open for
// writing here is not replayed until it is closed: the local unsaved
// buffer wins, and its save then wins or loses by LWW like any save.
//
// Stopping. Stop() makes the thread start no new system call; a call under
// way is finished (the caller serves the FUSE requests it needs if the
// session's workers are gone) and the thread is joined before the session
// ends. A burst is cut short: what is queued is dropped (the kernel's
// caches were invalidated already). Each burst opens the mount root anew
// and checks its device, so after an unmount the thread never writes into
// the folder under the mount point; it keeps descriptors of the mount open
// only while a burst is replayed, so an idle mount is never kept busy.
//
// Bursts: changes are coalesced per path (the last one wins) in a bounded
// queue (Options::max_queued); past it, changes are dropped with one log
// line per burst. One log line per burst says what was replayed.
//
// Owns: the thread, the queue, the deferred changes, the current
// expectation, the awaited scan, the counters. Thread-safe; lock order:
// mu_, scan_mu_ and expect_mu_ are leaves (never held together, never across a system call or a call
// into FileSystem).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/store.h"
#include "fs/replay_plan.h"

namespace esfs::fs {

class FileSystem;

class Replayer {
 public:
  using LogFn = std::function<void(const std::string&)>;
  struct Options {
    size_t max_queued = 200'000;
    // A deferred change (file open for writing here, own write under way)
    // is tried again after this.
    std::chrono::milliseconds retry{200};
    // After each new folder, a recursive watcher (inotifywait -r) must add
    // its watch there before the folder's entries are replayed, or it never
    // hears of them. Such a watcher opens the new folder, reads it, closes
    // it and then adds the watch (strace of inotifywait 3.22): the replay
    // waits for another process to open the folder (|watcher_open_wait|;
    // |new_folder_pause| once two new folders in a row were opened by
    // nobody: no recursive watcher), then for the close (|scan_limit| at
    // most), then |scan_grace|.
    std::chrono::milliseconds new_folder_pause{10};
    std::chrono::milliseconds watcher_open_wait{50};
    std::chrono::milliseconds scan_limit{200};
    std::chrono::milliseconds scan_grace{2};
  };

  Replayer(FileSystem& fs, std::string mountpoint, LogFn log, Options options);
  Replayer(FileSystem& fs, std::string mountpoint, LogFn log)
      : Replayer(fs, std::move(mountpoint), std::move(log), Options{}) {}
  ~Replayer();  // Stop() and join
  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;

  // Drops the kernel's entry |name| in folder inode |parent| (the mount
  // passes fuse_lowlevel_notify_inval_entry). Called by the replay thread,
  // with no system call of its own under way, before it creates a file:
  // a name the kernel found meanwhile (a watcher scanning a new folder)
  // would be opened with no IN_CREATE. Set before Start; may be unset.
  using EntryInvalidator = std::function<void(uint64_t parent, const std::string& name)>;
  void SetEntryInvalidator(EntryInvalidator invalidate) { invalidate_entry_ = std::move(invalidate); }
  // Starts the thread; call once the mount is up (its first call waits
  // for the session's loop).
  void Start();
  // From the change feed's thread: what the kernel knows of each changed
  // path, read before the changes' invalidations are sent
  // (FileSystem::ReplayHintFor); then, after them, Enqueue queues what to
  // replay. Neither waits for a replay.
  std::vector<ReplayHint> Hints(const std::vector<core::Change>& changes);
  void Enqueue(const std::vector<core::Change>& changes, const std::vector<ReplayHint>& hints);
  // No new system call; waits up to |limit| for the call under way,
  // calling |serve| meanwhile (it answers one FUSE request or waits a
  // little; false: it cannot serve any more). True if the thread ended.
  bool Stop(const std::function<bool()>& serve = {}, std::chrono::milliseconds limit = std::chrono::milliseconds(5000));

  // For fs/fuse_ops.cc.
  bool IsReplayThread(pid_t tid) const { return tid > 0 && tid == tid_.load(std::memory_order_relaxed); }
  static constexpr uint64_t kHandleTag = uint64_t{1} << 63;
  static bool IsReplayHandle(uint64_t fh) { return (fh & kHandleTag) != 0; }
  uint64_t NewHandle() { return kHandleTag | next_handle_.fetch_add(1); }
  // The replay thread's MKDIR made folder |ino|: the scans of it that
  // other processes make from now on are counted (for WaitForScan).
  void AwaitScanOf(uint64_t ino);
  // Another process opened (OPENDIR) or closed (RELEASEDIR) folder |ino|.
  // Cheap unless |ino| is the folder the replay awaits a scan of.
  void FolderOpened(uint64_t ino);
  void FolderClosed(uint64_t ino);
  // How the replay thread's LOOKUP of |name| is to be answered.
  enum class Expect { kAsIs, kAbsent, kPresentFile, kPresentFolder };
  Expect ExpectFor(std::string_view name) const;

  struct Stats {
    uint64_t created = 0, modified = 0, deleted = 0, folders_made = 0, folders_removed = 0;
    uint64_t skipped = 0, deferred = 0, dropped = 0, failed = 0;
    uint64_t replayed() const { return created + modified + deleted; }
  };
  Stats stats() const;

 private:
  static std::string Key(const core::Change& c) { return c.workspace + '\n' + c.path; }
  void Loop();
  struct Item {
    core::Change change;
    ReplayHint hint;        // of the first change of the path not yet replayed
    bool deferred = false;  // counted (and logged) once
  };
  // Waits for the next change; false when stopping.
  bool Next(Item* out);
  void Defer(const Item& item);
  void ReplayOne(const Item& item);
  // The system calls of |plan|; false if the mount went away.
  bool Execute(const ReplayPlan& plan);
  void SetExpect(std::string_view name, Expect kind);
  void EndBurst();
  // After a new folder: until a watcher's scan of it ended, or the
  // waits of Options ran out (see there).
  void WaitForScan();
  // ++*|counter| (scan_opens_ or scan_closes_, under scan_mu_) if |ino| is
  // the awaited folder.
  void CountScan(uint64_t ino, int* counter);

  FileSystem& fs_;
  const std::string mountpoint_;
  const LogFn log_;
  const Options options_;
  std::atomic<pid_t> tid_{0};
  std::atomic<uint64_t> next_handle_{1};
  dev_t dev_ = 0;  // the mount's device, read by the thread at its start
  EntryInvalidator invalidate_entry_;

  mutable std::mutex mu_;  // guards the members below; a leaf
  std::condition_variable wake_;
  bool stop_ = false;
  bool finished_ = false;
  std::deque<std::string> order_;
  std::unordered_map<std::string, Item> queued_;
  std::map<std::string, Item> deferred_;
  std::chrono::steady_clock::time_point retry_at_{};
  Stats stats_;
  uint64_t burst_dropped_ = 0;
  Stats burst_start_;
  std::chrono::steady_clock::time_point burst_began_{};
  bool in_burst_ = false;
  std::condition_variable finished_cv_;

  // The folder whose scan is awaited (0: none); read without the lock by
  // FolderOpened/FolderClosed to keep their common case cheap.
  std::atomic<uint64_t> scan_folder_{0};
  std::mutex scan_mu_;  // guards the four below; a leaf
  std::condition_variable scan_cv_;
  int scan_opens_ = 0, scan_closes_ = 0;
  int scan_misses_ = 0;  // new folders in a row that nobody opened
  bool scan_stop_ = false;

  mutable std::mutex expect_mu_;  // guards the two below; a leaf
  std::string expect_name_;
  Expect expect_kind_ = Expect::kAsIs;

  // Owned by the replay thread alone (no lock): hashes of the paths it
  // showed as present files. The kernel forgets a file's inode soon after
  // its last use, so "the kernel knows it" alone would report a second
  // remote change of a replayed file as a new file, and its deletion not
  // at all.
  std::unordered_set<uint64_t> shown_;
  // Also the replay thread's: the folders it made ("a/b", from the mount
  // root), so that a burst into a new folder makes it once; and, during a
  // burst only, the descriptors of the folders of the last item (chain_fds_[0]
  // is the mount root, chain_fds_[i + 1] the folder chain_names_[0..i]):
  // released when the queue runs dry, so an idle mount is never kept busy.
  std::unordered_set<std::string> made_folders_;
  std::vector<std::string> chain_names_;
  std::vector<int> chain_fds_;
  void CloseChain();
  // Closes the folders of the chain past the first |keep_folders| (the
  // mount root stays).
  void ReleaseChain(size_t keep_folders);

  std::thread thread_;
};

}  // namespace esfs::fs
