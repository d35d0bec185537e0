// esfs mount, esfs umount
#include <climits>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "fs/cli/command.h"
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
  // The daemon syncs in the background with every pub of every workspace.
  options.background = [](core::Store& store, const std::function<void(const std::string&)>& log) {
    auto syncer = std::make_shared<sync::Syncer>(store, log);
    syncer->Start();
    return std::function<void()>([syncer] { syncer->Stop(); });
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
       "crash is cleaned up first.\n"
       "\n"
       "options:\n"
       "  -f, --foreground     stay in the foreground and log to stderr\n"
       "  -o, --options OPTS   FUSE mount options, e.g. -o allow_other (repeatable)\n"
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
