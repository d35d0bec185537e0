#include "fs/mount.h"

#define FUSE_USE_VERSION 34
#include <dirent.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
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

// Runs argv and waits. |output| given: the program's stdout and stderr
// are collected there instead of going to ours.
int RunCommand(const std::vector<std::string>& argv, std::string* output = nullptr) {
  int fds[2] = {-1, -1};
  if (output != nullptr && pipe2(fds, O_CLOEXEC) != 0) output = nullptr;
  pid_t pid = fork();
  if (pid == 0) {
    if (output != nullptr) {
      dup2(fds[1], STDOUT_FILENO);
      dup2(fds[1], STDERR_FILENO);
    }
    std::vector<char*> args;
    args.reserve(argv.size());
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  if (output != nullptr) {
    close(fds[1]);
    char buf[512];
    ssize_t n;
    while (pid > 0 && (n = read(fds[0], buf, sizeof buf)) > 0) output->append(buf, static_cast<size_t>(n));
    close(fds[0]);
  }
  if (pid < 0) return 1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// libfuse, and the fusermount3 it starts, say why a session or a mount
// failed on stderr only, which a daemon has sent to its log. While a
// CaptureStderr lives, fd 2 goes to a memory file; Finish() puts stderr
// back and returns what was written, as one line, so that the reason
// reaches the user's terminal (issue #21). A fusermount3 that stays
// (-o auto_unmount) keeps its copy of the memory file, which is harmless.
class CaptureStderr {
 public:
  CaptureStderr() {
    fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    file_ = memfd_create("esfs-stderr", MFD_CLOEXEC);
    if (saved_ < 0 || file_ < 0 || dup2(file_, STDERR_FILENO) < 0) Finish();
  }
  ~CaptureStderr() { Finish(); }
  CaptureStderr(const CaptureStderr&) = delete;
  CaptureStderr& operator=(const CaptureStderr&) = delete;

  std::string Finish() {
    fflush(stderr);
    if (saved_ >= 0) {
      dup2(saved_, STDERR_FILENO);
      close(saved_);
      saved_ = -1;
    }
    std::string text;
    if (file_ >= 0) {
      char buf[1024];
      ssize_t n;
      off_t at = 0;
      while (text.size() < 4096 && (n = pread(file_, buf, sizeof buf, at)) > 0) {
        text.append(buf, static_cast<size_t>(n));
        at += n;
      }
      close(file_);
      file_ = -1;
    }
    std::string line;
    for (char c : text) {
      if (c == '\n') {
        if (!line.empty() && line.back() != ' ') line += "; ";
      } else {
        line += c;
      }
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == ';')) line.pop_back();
    return core::Printable(line, 1024);
  }

 private:
  int saved_ = -1;
  int file_ = -1;
};

// RAII for the libfuse objects, undone in reverse order.
struct FuseArgs {
  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  ~FuseArgs() { fuse_opt_free_args(&args); }
};
struct Session {
  fuse_session* se = nullptr;
  bool mounted = false;
  ~Session() {
    if (mounted) fuse_session_unmount(se);
    if (se) fuse_session_destroy(se);
  }
};

// SIGINT, SIGTERM and SIGHUP ask for a clean stop. libfuse's own handlers
// end the session loop at once, and a worker that has read a request at
// that moment drops it unanswered: if it was the live view's replay (a
// burst under way), the replay hung until the 5 s limit and the unmount.
// Here the handler only writes the signal's number to a pipe; a thread
// reads it, ends the replay while the loop still answers its calls, then
// ends the loop (Serve). SIGPIPE is ignored, as libfuse does.
std::atomic<int> g_stop_pipe_write{-1};

extern "C" void OnStopSignal(int sig) {
  const int fd = g_stop_pipe_write.load();
  const auto byte = static_cast<unsigned char>(sig);
  if (fd >= 0) (void)!write(fd, &byte, 1);
}

class StopSignals {
 public:
  StopSignals() {
    if (pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) return;
    g_stop_pipe_write = fds_[1];
    struct sigaction sa {};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, &old_[sig]);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_[SIGPIPE]);
    installed_ = true;
  }
  ~StopSignals() {
    if (installed_) {
      for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaction(sig, &old_[sig], nullptr);
    }
    g_stop_pipe_write = -1;
    if (fds_[0] >= 0) close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  bool ok() const { return installed_; }
  // Blocks until a stop signal (its number) or Wake() (0).
  int Wait() const {
    for (;;) {
      pollfd p{fds_[0], POLLIN, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) return 0;
      unsigned char byte = 0;
      if (read(fds_[0], &byte, 1) == 1) return byte;
    }
  }
  void Wake() const {
    const unsigned char zero = 0;
    (void)!write(fds_[1], &zero, 1);
  }

 private:
  int fds_[2] = {-1, -1};
  bool installed_ = false;
  struct sigaction old_[NSIG] {};
};

// Tells the kernel to drop what changed in the store, whoever changed it:
// one subscriber of the process's change feed (core/change_feed.h). The
// feed's thread runs OnChanges, which takes the file system's lock only
// briefly; the notifications are sent after it. Then the changes go to the
// live view's replay (fs/replayer.h), which only queues them.
class KernelInvalidation {
 public:
  KernelInvalidation(core::ChangeFeed& feed, FileSystem& fs, fuse_session* se, Replayer& replayer) : feed_(feed) {
    id_ = feed_
              .Subscribe([&fs, se, &replayer](const core::ChangeFeed::Batch& changes) {
                const std::vector<ReplayHint> hints = replayer.Hints(changes);
                for (const auto& inv : fs.OnChanges(changes)) {
                  if (inv.parent) fuse_lowlevel_notify_inval_entry(se, inv.parent, inv.name.c_str(), inv.name.size());
                  // A negative offset drops the attributes only.
                  if (inv.inode) fuse_lowlevel_notify_inval_inode(se, inv.inode, inv.attributes_only ? -1 : 0, 0);
                }
                replayer.Enqueue(changes, hints);
              })
              .id;
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
  // Freed heap that malloc keeps (a listing of 100,000 names builds and
  // drops some 20 MB) is handed back once this much more is resident.
  static constexpr unsigned long kAnonSlack = 16ul << 20;
  // Often enough that a burst of reads (ls -l of 100,000 files maps about
  // 10 MB a second) cannot map much past the limit in between; reading
  // statm costs a few microseconds.
  static constexpr std::chrono::milliseconds kPeriod{500};

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
    if (got != 3) return;
    const auto page = static_cast<unsigned long>(sysconf(_SC_PAGESIZE));
    if (file_backed * page > kMappedLimit) store_.ReleaseMappedPages();
    // statm's "shared" counts file-backed pages: the rest is anonymous.
    const unsigned long anon = (resident - std::min(resident, file_backed)) * page;
    if (anon > anon_after_trim_ + kAnonSlack) {
      malloc_trim(0);
      anon_after_trim_ = anon;  // what is still in use stays the base
    } else if (anon < anon_after_trim_) {
      anon_after_trim_ = anon;
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
  unsigned long anon_after_trim_ = 0;  // trimmer thread only
  std::thread thread_;                 // declared last: starts after the members above
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
    log.Line("error: " + message);
    Report(report_fd, "error: " + message);
    return 1;
  };
  // The daemon holds the secret key: no core dump, no ptrace by the same
  // user's other processes (issue #15, item 3).
  if (prctl(PR_SET_DUMPABLE, 0) != 0) log.Line(std::string("warning: prctl(PR_SET_DUMPABLE): ") + std::strerror(errno));
  // A save of a large file allocates and frees buffers of up to ~4 MB (the
  // file, its data URL, LMDB's pages for it). Past glibc's default
  // threshold each came from a fresh mmap whose every page faulted on first
  // touch: 3,985 minor faults per 2.9 MB save and read, 1,721 with these
  // and the copies issue #18 removed (docs/benchmarks.md). Kept in the heap
  // they are reused; MappedPagesTrimmer hands back what piles up.
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
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
  log.Line("debug: libfuse options: " + opts);
  Session session;
  {
    CaptureStderr libfuse_says;
    session.se = fuse_session_new(&args.args, &FuseOps(), sizeof(fuse_lowlevel_ops), &context);
    if (session.se == nullptr) {
      const std::string why = libfuse_says.Finish();
      return fail("could not start a FUSE session: " + (why.empty() ? std::string("bad -o option?") : why));
    }
  }
  StopSignals stop_signals;
  if (!stop_signals.ok()) return fail(std::string("could not install signal handlers: ") + std::strerror(errno));
  {
    CaptureStderr libfuse_says;
    if (fuse_session_mount(session.se, options.mountpoint.c_str()) != 0) {
      const std::string why = libfuse_says.Finish();
      return fail("could not mount at " + core::Printable(options.mountpoint) + ": " +
                  (why.empty() ? std::string("is /dev/fuse there and fusermount3 installed?") : why));
    }
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
    // A stop signal ends the replay first (the loop answers its calls
    // meanwhile), then the loop: fuse_session_exit, and the same signal to
    // the loop's thread, whose wait it interrupts.
    std::atomic<int> stop_signal{0};
    const pthread_t loop_thread = pthread_self();
    std::thread stopper([&] {
      const int sig = stop_signals.Wait();
      if (sig == 0) return;
      stop_signal = sig;
      if (!replayer.Stop()) {
        log.Line("warning: live view: the replay did not end within 5 s of the stop; unmounting ends it");
      }
      fuse_session_exit(session.se);
      pthread_kill(loop_thread, sig);
    });
    rc = fuse_session_loop_mt(session.se, &loop);
    stop_signals.Wake();
    stopper.join();
    if (rc == 0 && stop_signal > 0) rc = stop_signal;
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
  if (rc < 0) log.Line("error: the FUSE session failed: " + std::string(std::strerror(-rc)));
  log.Line("unmounting " + core::Printable(options.mountpoint));
  return rc >= 0 ? 0 : 1;
}

}  // namespace

int Unmount(const std::string& mountpoint, bool lazy, std::string* message) {
  return RunCommand({"fusermount3", lazy ? "-uz" : "-u", mountpoint}, message);
}

bool IsMounted(const std::string& path) {
  // Field 5 of each line is the mount point, with space, tab, newline and
  // backslash as octal escapes.
  std::string escaped;
  for (char c : path) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", static_cast<unsigned char>(c));
      escaped += buf;
    } else {
      escaped += c;
    }
  }
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    size_t at = 0;
    for (int field = 0; field < 4 && at != std::string::npos; ++field) {
      at = line.find(' ', at);
      if (at != std::string::npos) ++at;
    }
    if (at == std::string::npos) continue;
    const size_t end = line.find(' ', at);
    if (line.compare(at, end == std::string::npos ? std::string::npos : end - at, escaped) == 0) return true;
  }
  return false;
}

namespace {

std::string ReadLink(const std::string& path) {
  char buf[4096];
  const ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool Under(const std::string& target, const std::string& mountpoint) {
  return target == mountpoint ||
         (target.size() > mountpoint.size() && target.starts_with(mountpoint) && target[mountpoint.size()] == '/');
}

}  // namespace

std::vector<MountHolder> MountHolders(const std::string& mountpoint) {
  std::vector<MountHolder> holders;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return holders;
  std::vector<pid_t> pids;
  while (const dirent* e = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid > 0 && *end == '\0') pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  std::sort(pids.begin(), pids.end());
  for (const pid_t pid : pids) {
    const std::string dir = "/proc/" + std::to_string(pid);
    bool other_hold = Under(ReadLink(dir + "/cwd"), mountpoint) || Under(ReadLink(dir + "/root"), mountpoint);
    bool fd_hold = false, has_fuse = false;
    if (DIR* fds = opendir((dir + "/fd").c_str())) {
      while (const dirent* e = readdir(fds)) {
        if (e->d_name[0] == '.') continue;
        const std::string target = ReadLink(dir + "/fd/" + e->d_name);
        if (target == "/dev/fuse") has_fuse = true;
        if (Under(target, mountpoint)) fd_hold = true;
      }
      closedir(fds);
    }
    std::ifstream maps(dir + "/maps");
    std::string line;
    while (!other_hold && std::getline(maps, line)) {
      const size_t slash = line.find('/');
      if (slash != std::string::npos && Under(line.substr(slash), mountpoint)) other_hold = true;
    }
    if (!other_hold && !fd_hold) continue;
    MountHolder holder;
    holder.pid = pid;
    std::ifstream comm(dir + "/comm");
    std::getline(comm, holder.command);
    holder.command = core::Printable(holder.command, 64);
    const std::string exe = ReadLink(dir + "/exe");
    const bool is_esfs = exe.ends_with("/esfs") || exe.ends_with("/esfs (deleted)");
    holder.esfs_daemon = is_esfs && has_fuse && !other_hold;
    holders.push_back(std::move(holder));
  }
  return holders;
}

int RunMount(const MountOptions& options) {
  Logger log({.level = options.log_level, .max_bytes = core::LogMaxBytesFromEnv()});
  const std::string log_path = options.log_file.empty() ? options.data_dir + "/esfs.log" : options.log_file;
  if (options.foreground && !options.log_file.empty()) log.ToFile(log_path);
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
  // Close-on-exec: a program the daemon starts (the fusermount3 that
  // -o auto_unmount leaves running for the mount's lifetime) must not hold
  // the pipe open, or the parent would wait for its end for ever.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return 1;
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
      std::cerr << "esfs: mounted at " << options.mountpoint << " (log: " << log_path << "; unmount: esfs umount "
                << options.mountpoint << ")\n";
      return 0;
    }
    std::cerr << "esfs mount: " << (message.empty() ? "the daemon failed to start" : message.substr(7)) << "\n";
    return 1;
  }
  close(pipe_fds[0]);
  setsid();
  mkdir(options.data_dir.c_str(), 0700);
  if (FILE* probe = fopen(log_path.c_str(), "a"); probe != nullptr) {
    fclose(probe);
  } else {
    Report(pipe_fds[1], "error: cannot write the log " + core::Printable(log_path) + ": " + std::strerror(errno));
    _exit(1);
  }
  log.ToFile(log_path);
  if (freopen("/dev/null", "r", stdin) == nullptr) _exit(1);
  if (freopen(log_path.c_str(), "a", stdout) == nullptr) _exit(1);
  if (freopen(log_path.c_str(), "a", stderr) == nullptr) _exit(1);
  const int rc = Serve(options, log, pipe_fds[1]);
  log.Flush();  // _exit runs no destructor
  _exit(rc);
}

}  // namespace esfs::fs
