#include "fs/mount.h"

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <poll.h>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/change_feed.h"
#include "core/log.h"
#include "core/printable.h"
#include "core/store.h"
#include "fs/filesystem.h"
#include "fs/fuse_ops.h"
#include "fs/replayer.h"
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

// Tells the kernel to drop what changed in the store, whoever changed it:
// one subscriber of the process's change feed (core/change_feed.h). The
// feed's thread runs OnChanges, which takes the file system's lock only
// briefly; the notifications are sent after it. Then the changes go to the
// live view's replay (fs/replayer.h), which only queues them.
class KernelInvalidation {
 public:
  KernelInvalidation(core::ChangeFeed& feed, FileSystem& fs, fuse_session* se, Replayer& replayer) : feed_(feed) {
    id_ = feed_.Subscribe([&fs, se, &replayer](const core::ChangeFeed::Batch& changes) {
      const std::vector<ReplayHint> hints = replayer.Hints(changes);
      for (const auto& inv : fs.OnChanges(changes)) {
        if (inv.parent) fuse_lowlevel_notify_inval_entry(se, inv.parent, inv.name.c_str(), inv.name.size());
        // A negative offset drops the attributes only.
        if (inv.inode) fuse_lowlevel_notify_inval_inode(se, inv.inode, inv.attributes_only ? -1 : 0, 0);
      }
      replayer.Enqueue(changes, hints);
    }).id;
  }
  ~KernelInvalidation() { feed_.Unsubscribe(id_); }

 private:
  core::ChangeFeed& feed_;
  core::ChangeFeed::SubscriptionId id_ = 0;
};

// Reading files maps the store's pages into this process; a daemon that
// has read a large workspace once would keep them all in its RSS. Past
// kMappedLimit they are let go (they stay in the kernel's page cache).
// Looks at /proc/self/statm every kPeriod (no store read unless over the
// limit): reads change no store state, so the change feed cannot tell it.
class MappedPagesTrimmer {
 public:
  // File-backed RSS: the program and its libraries (~10 MB) plus store pages.
  static constexpr unsigned long kMappedLimit = 24ul << 20;
  static constexpr std::chrono::seconds kPeriod{2};

  explicit MappedPagesTrimmer(core::Store& store) : store_(store), thread_([this] { Loop(); }) {}
  ~MappedPagesTrimmer() {
    {
      std::scoped_lock lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void TrimOnce() {
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
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, kPeriod, [this] { return stop_; })) {
      lock.unlock();
      TrimOnce();
      lock.lock();
    }
  }

  core::Store& store_;
  std::mutex mu_;  // guards stop_
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // declared last: starts after the members above
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

// After the session's loop ended: answers one FUSE request in this thread
// (or waits up to 50 ms for one), so that a replay call under way can end
// before the replay thread is joined. False once the connection is gone.
bool ServeOneRequest(fuse_session* se) {
  pollfd p{fuse_session_fd(se), POLLIN, 0};
  const int ready = poll(&p, 1, 50);
  if (ready == 0) return true;
  if (ready < 0) return errno == EINTR;
  if ((p.revents & POLLIN) == 0) return false;  // POLLERR: unmounted
  fuse_buf buf{};
  const int got = fuse_session_receive_buf(se, &buf);
  if (got > 0) fuse_session_process_buf(se, &buf);
  free(buf.mem);
  return got > 0 || got == -EINTR || got == -EAGAIN;
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
    if (auto ws = (*store)->workspaces().Get(*options.workspace); !ws.ok()) return fail(ws.status().message());
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
  // One change feed for the process: the kernel invalidation here, and the
  // syncer and the expiry sweeper that the command line starts (background).
  // All of them follow it before "ready" is told: a change made right after
  // that is seen by every one of them.
  auto feed = core::ChangeFeed::Start(**store);
  if (!feed.ok()) return fail(feed.status().message());
  int rc;
  {
    // The live view: declared before the invalidation that feeds it, so
    // that it outlives the feed's subscription.
    Replayer replayer(filesystem, options.mountpoint, [&log](const std::string& l) { log.Line(l); });
    context.replayer = &replayer;
    replayer.SetEntryInvalidator([se = session.se](uint64_t parent, const std::string& name) {
      fuse_lowlevel_notify_inval_entry(se, parent, name.c_str(), name.size());
    });
    KernelInvalidation invalidation(**feed, filesystem, session.se, replayer);
    replayer.Start();
    MappedPagesTrimmer trimmer(**store);
    std::function<void()> stop_background;
    if (options.background) {
      stop_background = options.background(**store, **feed, [&log](const std::string& l) { log.Line(l); });
    }
    log.Line("mounted " + core::Printable(options.workspace ? *options.workspace : "all workspaces") + " at " +
             core::Printable(options.mountpoint) + " as " + identity->address());
    if (options.ready_fd >= 0) Report(options.ready_fd, "ready\n");
    Report(report_fd, "ok");
    fuse_loop_config loop{};
    loop.clone_fd = 0;
    loop.max_idle_threads = 10;
    rc = fuse_session_loop_mt(session.se, &loop);
    // The replay thread is joined before the session ends: a call of its
    // under way is answered here (the workers are gone; the loop's exit
    // flag is cleared so that requests are read again). If it cannot end
    // so, the session is unmounted, which fails that call.
    fuse_session_reset(session.se);
    if (!replayer.Stop([&session] { return ServeOneRequest(session.se); })) {
      fuse_session_unmount(session.se);
      session.mounted = false;
      replayer.Stop();
    }
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
