// esfs mount, esfs umount
#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/command.h"
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
    return Status::InvalidArgument(shown + " is not empty: mounting would hide its files "
                                   "(pick an empty folder, or pass -o nonempty)");
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
  for (const auto& o : args.GetAll("options")) {
    for (auto& part : SplitCommas(o)) options.fuse_options.push_back(part);
  }
  // "nonempty" is ours, not libfuse 3's: it allows a folder with files.
  auto nonempty = std::find(options.fuse_options.begin(), options.fuse_options.end(), "nonempty");
  const bool allow_nonempty = nonempty != options.fuse_options.end();
  if (allow_nonempty) options.fuse_options.erase(nonempty);
  if (Status s = CheckMountPoint(options.mountpoint, allow_nonempty); !s.ok()) return Failure("mount", s.message());
  if (auto ws = args.Get("workspace")) options.workspace = *ws;
  if (auto lifetime = args.Get("ephemeral-lifetime")) {
    auto parsed = ParseDuration(*lifetime, "--ephemeral-lifetime");
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
  // follow the mount's feed.
  options.background = [](core::Store& store, core::ChangeFeed& feed,
                          const std::function<void(const std::string&)>& log) {
    auto sweeper = std::make_shared<core::ExpirySweeper>(store, feed, core::ExpirySweeper::Options{.log = log});
    store.replica().SetLog(log);  // conflicts (DESIGN 9), before the syncer ingests anything
    auto syncer = std::make_shared<sync::Syncer>(store, log, sync::HttpOptions{}, sync::BackoffPolicy{}, &feed);
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
  int rc = fs::Unmount(Absolute(args.positional[0]), args.Has("lazy"));
  if (rc != 0) return Failure("umount", "fusermount3 could not unmount " + args.positional[0] +
                                            (args.Has("lazy") ? "" : " (busy? try --lazy)"));
  return kExitOk;
}

}  // namespace

std::vector<Command> MountCommands() {
  return {
      {"mount", "mount the workspaces as folders (FUSE)",
       "usage: esfs mount MOUNTPOINT [-f] [-o OPT,...] [--workspace WS] [--ephemeral-lifetime D]\n"
       "\n"
       "Every workspace in the store becomes a folder of MOUNTPOINT (or, with\n"
       "--workspace, MOUNTPOINT is that one workspace). Saving a file signs one new\n"
       "document with your identity (--key). Editor swap, backup and lock files,\n"
       "everything under .git, and the names listed in a workspace's .esfsignore\n"
       "(glob patterns, one per line: *.log, /drafts) stay local and are never\n"
       "published (docs/mount.md).\n"
       "Runs in the background and logs to <data>/esfs.log; unmount with\n"
       "esfs umount MOUNTPOINT (or Ctrl-C with -f). A mount point left stale by a\n"
       "crash is cleaned up first. A folder that is already mounted is refused, and\n"
       "so is one that holds files (they would be hidden) unless -o nonempty.\n"
       "\n"
       "options:\n"
       "  -f, --foreground     stay in the foreground and log to stderr\n"
       "  -o, --options OPTS   FUSE mount options, e.g. -o allow_other (repeatable);\n"
       "                       -o nonempty allows mounting over a folder with files\n"
       "  --workspace WS       mount only workspace WS at MOUNTPOINT\n"
       "  --ephemeral-lifetime D\n"
       "                       how long files saved under names with '!' live (es.4\n"
       "                       ephemeral documents: they vanish everywhere at\n"
       "                       expiry); 90s, 30m, 24h, 7d (default 24h)\n",
       {{"foreground", false, false, 'f'},
        {"options", true, true, 'o'},
        {"workspace", true},
        {"ephemeral-lifetime", true},
        {"ready-fd", true}},
       RunMountCommand},
      {"umount", "unmount a mount point",
       "usage: esfs umount MOUNTPOINT [--lazy]\n"
       "\n"
       "Unmounts (fusermount3 -u); the daemon saves open files and exits.\n"
       "  --lazy   detach now even if files are open (fusermount3 -uz)\n",
       {{"lazy", false}},
       RunUmount},
  };
}

}  // namespace esfs::cli
