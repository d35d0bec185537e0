// esfs mount, esfs umount
#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

#include "cli/command.h"
#include "cli/log_options.h"
#include "core/expiry_sweeper.h"
#include "core/printable.h"
#include "core/store.h"
#include "fs/mount.h"
#include "sync/syncer.h"

namespace esfs::cli {
namespace {

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma - start);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

std::string Absolute(const std::string& path) {
  char resolved[PATH_MAX];
  // A stale mount point cannot be resolved; keep it as given then.
  return realpath(path.c_str(), resolved) ? std::string(resolved) : path;
}

// True if |dir| is the root of a mounted file system (esfs or another):
// its device differs from its parent's. A stale mount fails stat with
// ENOTCONN; RunMount cleans that up, so it does not count here. statvfs
// asks the daemon every time (a stat may be answered from the kernel's
// attribute cache for a second after the daemon died).
bool IsMountPoint(const std::string& dir) {
  struct statvfs vfs;
  if (statvfs(dir.c_str(), &vfs) != 0 && errno == ENOTCONN) return false;
  struct stat self, parent;
  if (stat(dir.c_str(), &self) != 0 || stat((dir + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
}

// True if |dir| can be listed and holds any entry besides . and ..
bool HasEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") {
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

// Refuses a folder that is already mounted (a second daemon would stack
// on the first) and, unless |allow_nonempty|, one that holds files (the
// mount would hide them). Ok otherwise.
Status CheckMountPoint(const std::string& dir, bool allow_nonempty) {
  const std::string shown = core::Printable(dir);
  if (IsMountPoint(dir)) {
    return Status::AlreadyExists(shown + " is already a mount point (esfs umount " + shown + " first)");
  }
  if (!allow_nonempty && HasEntries(dir)) {
    return Status::InvalidArgument(shown +
                                   " is not empty: mounting would hide its files "
                                   "(pick an empty folder, or pass -o nonempty)");
  }
  return Status::Ok();
}

// Options that mount(8), fstab and mount.fuse3 pass along which mean
// nothing to a FUSE daemon (or which mount.fuse3 has acted on already).
bool IgnoredMountOption(const std::string& o) {
  static const char* const kIgnored[] = {"defaults", "auto",   "noauto", "user", "users", "nouser", "owner", "group",
                                         "_netdev",  "nofail", "rw",     "sync", "async", "loud",   "silent"};
  for (const char* i : kIgnored) {
    if (o == i) return true;
  }
  return o.rfind("x-", 0) == 0 || o.rfind("comment=", 0) == 0;
}

// Splits the -o words into esfs's own (key=, workspace=, ...: the way
// fstab passes what the command line passes as options) and libfuse's
// (allow_other, ro, auto_unmount, ...: passed on). Usage errors name the
// option.
Status ApplyMountOptions(const ParsedArgs& args, fs::MountOptions& options, bool& allow_nonempty, std::string& lifetime,
                         std::string& log_level) {
  for (const auto& o : args.GetAll("options")) {
    for (auto& part : SplitCommas(o)) {
      const size_t eq = part.find('=');
      const std::string name = part.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : part.substr(eq + 1);
      const bool has_value = eq != std::string::npos;
      if (name == "key" || name == "workspace" || name == "log_file" || name == "log_level" ||
          name == "ephemeral_lifetime") {
        if (!has_value || value.empty()) return Status::InvalidArgument("-o " + name + "= needs a value");
        if (name == "key") options.key_file = value;
        if (name == "workspace") options.workspace = value;
        if (name == "log_file") options.log_file = value;
        if (name == "log_level") log_level = value;
        if (name == "ephemeral_lifetime") lifetime = value;
      } else if (part == "nonempty") {
        allow_nonempty = true;  // ours, not libfuse 3's: it allows a folder with files
      } else if (part == "foreground") {
        options.foreground = true;
      } else if (!IgnoredMountOption(part)) {
        options.fuse_options.push_back(part);
      }
    }
  }
  return Status::Ok();
}

int RunMountCommand(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.positional.size() != 1) return UsageError("mount", "expected one MOUNTPOINT");
  fs::MountOptions options;
  options.mountpoint = Absolute(args.positional[0]);
  options.data_dir = global.data_dir;
  options.key_file = global.key_file;
  options.foreground = args.Has("foreground");
  if (auto ws = args.Get("workspace")) options.workspace = *ws;
  auto logs = ParseLogSettings(args);
  if (!logs.ok()) return UsageError("mount", logs.status().message());
  options.log_level = logs->level;
  options.log_file = logs->file;
  bool allow_nonempty = false;
  std::string lifetime = args.Get("ephemeral-lifetime").value_or("");
  std::string log_level;
  if (Status s = ApplyMountOptions(args, options, allow_nonempty, lifetime, log_level); !s.ok()) {
    return UsageError("mount", s.message());
  }
  if (!log_level.empty()) {
    auto level = core::ParseLogLevel(log_level);
    if (!level) return UsageError("mount", "-o log_level must be error, warn, info or debug");
    options.log_level = *level;
  }
  if (!options.log_file.empty() && options.log_file[0] != '/') {
    return UsageError("mount", "-o log_file= needs an absolute path");
  }
  if (Status s = CheckMountPoint(options.mountpoint, allow_nonempty); !s.ok()) return Failure("mount", s.message());
  if (!lifetime.empty()) {
    auto parsed = ParseDuration(lifetime, "--ephemeral-lifetime");
    if (!parsed.ok()) return UsageError("mount", parsed.status().message());
    options.ephemeral_lifetime_us = *parsed;
  }
  if (auto fd = args.Get("ready-fd")) {
    auto parsed = ParseInteger(*fd, "--ready-fd");
    if (!parsed.ok()) return UsageError("mount", parsed.status().message());
    options.ready_fd = static_cast<int>(*parsed);
  }
  // The daemon syncs in the background with every pub of every workspace,
  // and sweeps expired ephemeral documents and old local versions; both
  // follow the mount's feed. A one-workspace mount syncs that workspace only.
  options.background = [only = options.workspace](core::Store& store, core::ChangeFeed& feed,
                                                  const std::function<void(const std::string&)>& log) {
    auto sweeper = std::make_shared<core::ExpirySweeper>(store, feed, core::ExpirySweeper::Options{.log = log});
    store.replica().SetLog(log);  // conflicts (DESIGN 9), before the syncer ingests anything
    auto syncer = std::make_shared<sync::Syncer>(store, log, sync::HttpOptions{}, sync::BackoffPolicy{}, &feed);
    if (only) syncer->LimitToWorkspace(*only);
    syncer->Start();
    return std::function<void()>([syncer, sweeper, &store]() mutable {
      syncer->Stop();
      store.replica().SetLog({});
      sweeper.reset();
    });
  };
  return fs::RunMount(options);
}

int RunUmount(const GlobalOptions&, const ParsedArgs& args) {
  if (args.positional.size() != 1) return UsageError("umount", "expected one MOUNTPOINT");
  const std::string mountpoint = Absolute(args.positional[0]);
  struct stat st;
  if (stat(mountpoint.c_str(), &st) != 0 && errno == ENOENT) {
    return Failure("umount", args.positional[0] + ": no such folder");
  }
  if (!fs::IsMounted(mountpoint)) return Failure("umount", args.positional[0] + " is not mounted");
  std::string said;
  int rc = fs::Unmount(mountpoint, args.Has("lazy"), &said);
  if (rc == 0) return kExitOk;
  while (!said.empty() && said.back() == '\n') said.pop_back();
  const std::string failed = "could not unmount " + args.positional[0] + (said.empty() ? "" : ": " + said);
  if (args.Has("lazy") || !fs::IsMounted(mountpoint)) return Failure("umount", failed);
  // Busy: say who holds it. If only the esfs daemon does (its live view is
  // replaying a burst of changes, docs/mount.md), stop the daemon as
  // SIGTERM does: it answers the replay's call under way, ends the replay
  // and unmounts itself.
  const std::vector<fs::MountHolder> holders = fs::MountHolders(mountpoint);
  std::string others;
  std::vector<pid_t> daemons;
  for (const auto& h : holders) {
    if (h.esfs_daemon) {
      daemons.push_back(h.pid);
    } else {
      others += (others.empty() ? "" : ", ") + std::to_string(h.pid) + " (" + h.command + ")";
    }
  }
  if (!others.empty()) {
    return Failure("umount", failed + "; in use by process " + others + " (close what they hold there, or --lazy)");
  }
  // Nobody holds it any more (the replay let go meanwhile): once more.
  if (holders.empty() && fs::Unmount(mountpoint, false, &said) == 0) return kExitOk;
  if (daemons.size() != 1 || kill(daemons[0], SIGTERM) != 0) return Failure("umount", failed + " (busy? try --lazy)");
  for (int waited_ms = 0; waited_ms < 30'000; waited_ms += 20) {
    if (!fs::IsMounted(mountpoint)) return kExitOk;
    usleep(20'000);
  }
  return Failure("umount", failed + "; the esfs daemon (process " + std::to_string(daemons[0]) +
                               ") was asked to stop and has not unmounted in 30 s");
}

}  // namespace

std::vector<Command> MountCommands() {
  std::vector<OptionSpec> mount_options = {{"foreground", false, false, 'f'},
                                           {"options", true, true, 'o'},
                                           {"workspace", true},
                                           {"ephemeral-lifetime", true},
                                           {"ready-fd", true}};
  for (auto& o : LogOptionSpecs()) mount_options.push_back(o);
  return {
      {"mount", "mount the workspaces as folders (FUSE)",
       std::string("usage: esfs mount MOUNTPOINT [-f] [-o OPT,...] [--workspace WS] [--ephemeral-lifetime D]\n"
                   "                  [--log-level L] [--log-file FILE]\n"
                   "       esfs DATA_DIR MOUNTPOINT -o key=FILE[,OPT...]   (as mount(8) runs it: mount -t fuse.esfs)\n"
                   "\n"
                   "Every workspace in the store becomes a folder of MOUNTPOINT (or, with\n"
                   "--workspace, MOUNTPOINT is that one workspace, and only it is synced). Saving a\n"
                   "file signs one new document with your identity (--key). Editor swap, backup and\n"
                   "lock files, everything under .git, and the names listed in a workspace's\n"
                   ".esfsignore (glob patterns, one per line: *.log, /drafts) stay local and are\n"
                   "never published (docs/mount.md).\n"
                   "Runs in the background and logs to <data>/esfs.log; unmount with\n"
                   "esfs umount MOUNTPOINT, umount MOUNTPOINT (or Ctrl-C with -f). A mount point left\n"
                   "stale by a crash is cleaned up first. A folder that is already mounted is\n"
                   "refused, and so is one that holds files (they would be hidden) unless -o nonempty.\n"
                   "\n"
                   "options:\n"
                   "  -f, --foreground     stay in the foreground and log to stderr\n"
                   "  -o, --options OPTS   mount options, comma-separated (repeatable):\n"
                   "                       key=FILE, workspace=WS, log_level=L, log_file=FILE,\n"
                   "                       ephemeral_lifetime=D (as the options below);\n"
                   "                       ro (read-only: writes fail with EROFS), allow_other,\n"
                   "                       auto_unmount, nonempty (mount over a folder with files),\n"
                   "                       and other FUSE options; defaults, auto, noauto, user,\n"
                   "                       users, _netdev, nofail, rw and x-* are ignored\n"
                   "  --workspace WS       mount only workspace WS at MOUNTPOINT, and sync only it\n"
                   "  --ephemeral-lifetime D\n"
                   "                       how long files saved under names with '!' live (es.4\n"
                   "                       ephemeral documents: they vanish everywhere at\n"
                   "                       expiry); 90s, 30m, 24h, 7d (default 24h)\n") +
           kLogOptionsHelp,
       mount_options, RunMountCommand},
      {"umount",
       "unmount a mount point",
       "usage: esfs umount MOUNTPOINT [--lazy]\n"
       "\n"
       "Unmounts (fusermount3 -u); the daemon saves open files and exits. A folder that\n"
       "is not mounted is an error (exit status 1). When the mount is busy, the processes\n"
       "that hold it are named; if only the esfs daemon does (it is replaying a burst of\n"
       "changes from outside for file managers), it is stopped as by SIGTERM.\n"
       "\n"
       "options:\n"
       "  --lazy   detach now even if files are open (fusermount3 -uz)\n",
       {{"lazy", false}},
       RunUmount},
  };
}

}  // namespace esfs::cli
