// A real esfs mount for one test: its own data folder, identity, workspace
// and mount point, the daemon running in the foreground as a child that
// says "ready" on a pipe once mounted (no sleep-and-poll). The destructor
// always unmounts (fusermount3 -u, then lazy -uz if that fails) and reaps
// the daemon, also when the test failed half way.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/js_compat.h"
#include "tests/support/test_support.h"

namespace esfs::testing {

class MountedEsfs {
 public:
  static constexpr const char* kWorkspace = "+gardening.friends";

  // Creates identity |name| and workspace kWorkspace (syncing with
  // |pub_url| if given), then mounts.
  explicit MountedEsfs(const std::string& name = "suzy", const std::string& pub_url = "");
  ~MountedEsfs();
  MountedEsfs(const MountedEsfs&) = delete;
  MountedEsfs& operator=(const MountedEsfs&) = delete;

  bool mounted() const { return pid_ > 0; }
  // The foreground daemon's process id (-1 when not mounted).
  pid_t pid() const { return pid_; }
  // Waits for the daemon to exit by itself (after a signal); its exit
  // status, or -1 if it did not exit within |timeout_s| or was killed.
  int WaitForExit(int timeout_s);
  const std::string& mountpoint() const { return mountpoint_; }
  // <mountpoint>/<workspace>/<relative>
  std::string Path(const std::string& relative = "") const;
  const std::string& data_dir() const { return data_dir_; }
  const std::string& key_file() const { return key_file_; }
  const std::string& address() const { return address_; }
  std::string LogText() const;

  // Runs esfs with this mount's --data and --key.
  RunResult Esfs(std::vector<std::string> args, const std::string& input = "") const;
  // esfs export of the workspace, parsed.
  core::OrderedJson Export() const;

  // Unmounts (waiting for the daemon to finish) and mounts again.
  bool Remount();
  void Unmount();
  bool Mount();
  // Kills the daemon with SIGKILL and leaves its mount point stale
  // ("Transport endpoint is not connected"), as a crash would. The
  // destructor still detaches it if no later Mount() cleaned it up.
  void Crash();
  // Extra arguments for "esfs mount" from the next Mount() on.
  void SetMountArgs(std::vector<std::string> args) { mount_args_ = std::move(args); }

 private:
  TempDir dir_;
  std::string data_dir_, key_file_, mountpoint_, address_;
  pid_t pid_ = -1;
  bool crashed_ = false;
  std::vector<std::string> mount_args_;
};

// The /proc/mounts line of |mountpoint|, or "" if nothing is mounted there.
std::string MountLine(const std::string& mountpoint);

}  // namespace esfs::testing
