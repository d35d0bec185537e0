#include "fs/mount.h"

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/printable.h"
#include "core/store.h"
#include "fs/filesystem.h"
#include "fs/fuse_ops.h"
#include "keys/identity.h"

namespace esfs::fs {
namespace {

// One line per event, with a time stamp: to stderr in the foreground, to
// <data>/esfs.log when daemonized (size cap and rotation, rate limit on
// repeated lines: core/log.h).
using Logger = core::LogWriter;

int RunCommand(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// RAII for the libfuse objects, undone in reverse order.
struct FuseArgs {
  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  ~FuseArgs() { fuse_opt_free_args(&args); }
};
struct Session {
  fuse_session* se = nullptr;
  bool handlers = false;
  bool mounted = false;
  ~Session() {
    if (mounted) fuse_session_unmount(se);
    if (handlers) fuse_remove_signal_handlers(se);
    if (se) fuse_session_destroy(se);
  }
};

// Follows the store's change feed (inotify on the LMDB file wakes it;
// a poll timeout catches anything inotify misses) and tells the kernel to
// drop what changed, whoever changed it.
class ChangeWatcher {
 public:
  static constexpr std::chrono::milliseconds kCoalesce{10};
  // File-backed RSS: the program and its libraries (~10 MB) plus store pages.
  static constexpr unsigned long kMappedLimit = 24ul << 20;

  ChangeWatcher(core::Store& store, FileSystem& fs, fuse_session* se, Logger& log, const std::string& data_dir)
      : store_(store), fs_(fs), se_(se), log_(log) {
    last_seq_ = store_.LastSeq().ok() ? store_.LastSeq().value() : 0;
    inotify_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_ >= 0) inotify_add_watch(inotify_, (data_dir + "/store/data.mdb").c_str(), IN_MODIFY);
    thread_ = std::thread([this] { Loop(); });
  }
  ~ChangeWatcher() {
    stop_ = true;
    thread_.join();
    if (inotify_ >= 0) close(inotify_);
  }

 private:
  // Reading files maps the store's pages into this process; a daemon that
  // has read a large workspace once would keep them all in its RSS. Past
  // kMappedLimit they are let go (they stay in the kernel's page cache).
  void TrimMappedStore() {
    FILE* statm = fopen("/proc/self/statm", "r");
    if (statm == nullptr) return;
    unsigned long size = 0, resident = 0, file_backed = 0;
    const int got = fscanf(statm, "%lu %lu %lu", &size, &resident, &file_backed);
    fclose(statm);
    if (got == 3 && file_backed * static_cast<unsigned long>(sysconf(_SC_PAGESIZE)) > kMappedLimit) {
      store_.ReleaseMappedPages();
    }
  }

  void Loop() {
    int64_t last_sweep = time(nullptr);
    int64_t last_trim = time(nullptr);
    while (!stop_) {
      pollfd p{inotify_, POLLIN, 0};
      // After a wake-up, wait a little so that one look covers a burst of
      // commits (each LMDB commit is several writes, each an event): a
      // mount saving many files would otherwise wake this thread, and take
      // the file system's lock, once per write.
      if (poll(&p, inotify_ >= 0 ? 1 : 0, 250) > 0) std::this_thread::sleep_for(kCoalesce);
      char drain[4096];
      while (inotify_ >= 0 && read(inotify_, drain, sizeof drain) > 0) {
      }
      auto changes = store_.ChangesSince(last_seq_, 10000);
      if (changes.ok() && !changes->empty()) {
        last_seq_ = changes->back().seq;
        for (const auto& inv : fs_.OnChanges(*changes)) {
          if (inv.parent) fuse_lowlevel_notify_inval_entry(se_, inv.parent, inv.name.c_str(), inv.name.size());
          // A negative offset drops the attributes only.
          if (inv.inode) fuse_lowlevel_notify_inval_inode(se_, inv.inode, inv.attributes_only ? -1 : 0, 0);
        }
      }
      if (time(nullptr) - last_trim >= 2) {
        last_trim = time(nullptr);
        TrimMappedStore();
      }
      if (time(nullptr) - last_sweep >= 60) {
        last_sweep = time(nullptr);
        auto swept = store_.SweepExpired();
        if (swept.ok() && *swept > 0) log_.Line("removed " + std::to_string(*swept) + " expired ephemeral documents");
      }
    }
  }

  core::Store& store_;
  FileSystem& fs_;
  fuse_session* se_;
  Logger& log_;
  uint64_t last_seq_ = 0;
  int inotify_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A mount point left by a crashed daemon answers ENOTCONN. statfs always
// asks the daemon; stat may be answered from the kernel's attribute cache
// for a second after the crash (default_permissions refreshes it).
bool CleanStaleMount(const std::string& mountpoint, Logger& log) {
  struct statvfs vfs;
  if (statvfs(mountpoint.c_str(), &vfs) == 0 || errno != ENOTCONN) return true;
  log.Line("cleaning up a stale mount at " + core::Printable(mountpoint) +
           " (\"Transport endpoint is not connected\": an earlier esfs mount ended without unmounting)");
  return Unmount(mountpoint, true) == 0;
}

// Tells the waiting parent (daemon mode) how the start went.
void Report(int fd, const std::string& message) {
  if (fd < 0) return;
  (void)!write(fd, message.data(), message.size());
  close(fd);
}

int Serve(const MountOptions& options, Logger& log, int report_fd) {
  auto fail = [&](const std::string& message) {
    log.Line(message);
    Report(report_fd, "error: " + message);
    return 1;
  };
  // The daemon holds the secret key: no core dump, no ptrace by the same
  // user's other processes (issue #15, item 3).
  if (prctl(PR_SET_DUMPABLE, 0) != 0) log.Line(std::string("warning: prctl(PR_SET_DUMPABLE): ") + std::strerror(errno));
  auto identity = keys::LoadIdentity(options.key_file, [&](const std::string& w) { log.Line("warning: " + w); });
  if (!identity.ok()) return fail(identity.status().message() + " (create one: esfs keygen NAME)");
  auto store = core::Store::Open({options.data_dir});
  if (!store.ok()) return fail(store.status().message());
  if (options.workspace) {
    if (auto ws = (*store)->GetWorkspace(*options.workspace); !ws.ok()) return fail(ws.status().message());
  }
  MountConfig config{options.data_dir, options.workspace, [&log](const std::string& l) { log.Line(l); }};
  if (options.ephemeral_lifetime_us > 0) config.ephemeral_lifetime_us = options.ephemeral_lifetime_us;
  FileSystem filesystem(**store, *identity, config);
  OwnerGate gate(getuid(), [&log](const std::string& l) { log.Line(l); });
  FuseContext context{filesystem, gate};

  FuseArgs args;
  fuse_opt_add_arg(&args.args, "esfs");
  // default_permissions, whatever the user asked: the kernel checks modes
  // and owners, so that -o allow_other lets others read only what the
  // modes allow (FuseOps refuses them every change).
  std::string opts = "fsname=esfs,subtype=esfs,default_permissions";
  for (const auto& o : options.fuse_options) opts += "," + o;
  fuse_opt_add_arg(&args.args, "-o");
  fuse_opt_add_arg(&args.args, opts.c_str());
  Session session;
  session.se = fuse_session_new(&args.args, &FuseOps(), sizeof(fuse_lowlevel_ops), &context);
  if (session.se == nullptr) return fail("could not start a FUSE session (bad -o option?)");
  if (fuse_set_signal_handlers(session.se) != 0) return fail("could not install signal handlers");
  session.handlers = true;
  if (fuse_session_mount(session.se, options.mountpoint.c_str()) != 0) {
    return fail("could not mount at " + options.mountpoint + " (is /dev/fuse there and fusermount3 installed?)");
  }
  session.mounted = true;
  log.Line("mounted " + core::Printable(options.workspace ? *options.workspace : "all workspaces") + " at " +
           core::Printable(options.mountpoint) + " as " + identity->address());
  if (options.ready_fd >= 0) Report(options.ready_fd, "ready\n");
  Report(report_fd, "ok");
  int rc;
  {
    ChangeWatcher watcher(**store, filesystem, session.se, log, options.data_dir);
    std::function<void()> stop_background;
    if (options.background) {
      stop_background = options.background(**store, [&log](const std::string& l) { log.Line(l); });
    }
    fuse_loop_config loop{};
    loop.clone_fd = 0;
    loop.max_idle_threads = 10;
    rc = fuse_session_loop_mt(session.se, &loop);
    if (stop_background) stop_background();
  }
  // libfuse's loop returns the number of the signal that ended it (SIGINT,
  // SIGTERM, SIGHUP: a requested, clean stop), or -errno on failure.
  if (rc > 0) log.Line("stopping on " + std::string(strsignal(rc)));
  if (rc < 0) log.Line("the FUSE session failed: " + std::string(std::strerror(-rc)));
  log.Line("unmounting " + core::Printable(options.mountpoint));
  return rc >= 0 ? 0 : 1;
}

}  // namespace

int Unmount(const std::string& mountpoint, bool lazy) {
  return RunCommand({"fusermount3", lazy ? "-uz" : "-u", mountpoint});
}

int RunMount(const MountOptions& options) {
  Logger log({.max_bytes = core::LogMaxBytesFromEnv()});
  struct stat st;
  if (!CleanStaleMount(options.mountpoint, log)) {
    log.Line("could not clean up the stale mount at " + core::Printable(options.mountpoint));
    return 1;
  }
  if (stat(options.mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    log.Line("mount point " + core::Printable(options.mountpoint) + " is not a folder (" + std::strerror(errno) + ")");
    return 1;
  }
  if (options.foreground) return Serve(options, log, -1);
  // Daemon: fork before opening the store (LMDB handles must not cross a
  // fork); the parent waits to report how the start went.
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return 1;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid > 0) {
    close(pipe_fds[1]);
    std::string message;
    char buf[512];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) message.append(buf, static_cast<size_t>(n));
    close(pipe_fds[0]);
    if (message == "ok") {
      std::cerr << "esfs: mounted at " << options.mountpoint << " (log: " << options.data_dir
                << "/esfs.log; unmount: esfs umount " << options.mountpoint << ")\n";
      return 0;
    }
    std::cerr << "esfs mount: " << (message.empty() ? "the daemon failed to start" : message.substr(7)) << "\n";
    return 1;
  }
  close(pipe_fds[0]);
  setsid();
  mkdir(options.data_dir.c_str(), 0700);
  log.ToFile(options.data_dir + "/esfs.log");
  if (freopen("/dev/null", "r", stdin) == nullptr) _exit(1);
  if (freopen((options.data_dir + "/esfs.log").c_str(), "a", stdout) == nullptr) _exit(1);
  if (freopen((options.data_dir + "/esfs.log").c_str(), "a", stderr) == nullptr) _exit(1);
  const int rc = Serve(options, log, pipe_fds[1]);
  log.Flush();  // _exit runs no destructor
  _exit(rc);
}

}  // namespace esfs::fs
