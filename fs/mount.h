// Running a mount: check the mount point (cleaning up a stale one),
// daemonize unless asked not to, open the store, mount, serve FUSE
// requests, follow the store's change feed (core/change_feed.h) to
// invalidate kernel caches,
// and unmount cleanly on SIGINT/SIGTERM/SIGHUP.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"

namespace esfs::core {
class ChangeFeed;
class Store;
}  // namespace esfs::core

namespace esfs::fs {

struct MountOptions {
  std::string mountpoint;
  std::string data_dir;
  std::string key_file;
  bool foreground = false;
  std::vector<std::string> fuse_options;  // from -o, passed to libfuse
  std::optional<std::string> workspace;   // mount one workspace only
  int64_t ephemeral_lifetime_us = 0;      // 0: MountConfig's default
  int ready_fd = -1;                      // write "ready\n" here once mounted (tests)
  // The log: lines below |log_level| are dropped (core/log.h); |log_file|
  // empty: <data_dir>/esfs.log for a daemon, stderr in the foreground.
  core::LogLevel log_level = core::LogLevel::kInfo;
  std::string log_file;
  // Started once the store is open and the mount is up, in the daemon
  // process, with the process's change feed (which outlives it); returns
  // the function that stops it. The command line passes the syncer and the
  // expiry sweeper here (fs does not know sync).
  std::function<std::function<void()>(core::Store&, core::ChangeFeed&, const std::function<void(const std::string&)>&)>
      background;
};

// Returns the process exit status (0 after a clean unmount).
int RunMount(const MountOptions& options);

// fusermount3 -u (or -uz when |lazy|). Returns the exit status; what
// fusermount3 printed goes to |message| when it is given (else to stderr).
int Unmount(const std::string& mountpoint, bool lazy, std::string* message = nullptr);

// True if |path| (absolute, as the kernel shows it) is the mount point of
// a mounted file system, by /proc/self/mountinfo; a stale FUSE mount counts.
bool IsMounted(const std::string& path);

// A process that keeps a mount busy: its working or root folder, an open
// file or a mapped file is under the mount point (read from /proc with
// readlink only: nothing asks the mounted file system).
struct MountHolder {
  pid_t pid = 0;
  std::string command;  // /proc/PID/comm, escaped for a message
  // An esfs daemon (its program is esfs and it has /dev/fuse open) whose
  // only hold is open descriptors: the live view's replay of a burst
  // (docs/mount.md), which ends when the daemon is stopped.
  bool esfs_daemon = false;
};
// Every process that holds |mountpoint| (absolute), in pid order.
std::vector<MountHolder> MountHolders(const std::string& mountpoint);

}  // namespace esfs::fs
