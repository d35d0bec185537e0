#include "tests/support/mount_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <gtest/gtest.h>

namespace esfs::testing {

MountedEsfs::MountedEsfs(const std::string& name, const std::string& pub_url) {
  data_dir_ = dir_.File("data");
  key_file_ = dir_.File("identity.json");
  mountpoint_ = dir_.File("mnt");
  mkdir(mountpoint_.c_str(), 0755);
  auto key = Esfs({"keygen", name});
  EXPECT_EQ(key.exit_code, 0) << key.err;
  address_ = key.out.substr(0, key.out.find('\n'));
  std::vector<std::string> add = {"workspace", "add", kWorkspace};
  if (!pub_url.empty()) add.insert(add.end(), {"--pub", pub_url});
  auto ws = Esfs(add);
  EXPECT_EQ(ws.exit_code, 0) << ws.err;
  EXPECT_TRUE(Mount()) << LogText();
}

MountedEsfs::~MountedEsfs() {
  Unmount();
  if (crashed_) RunProgram({"fusermount3", "-uz", mountpoint_}, "", 30);
}

int MountedEsfs::WaitForExit(int timeout_s) {
  if (pid_ <= 0) return -1;
  const auto status = WaitForChild(pid_, std::chrono::seconds(timeout_s));
  if (!status) return -1;  // still running: the destructor unmounts and reaps it
  pid_ = -1;
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

void MountedEsfs::Crash() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  crashed_ = true;
}

std::string MountedEsfs::Path(const std::string& relative) const {
  return mountpoint_ + "/" + kWorkspace + (relative.empty() ? "" : "/" + relative);
}

std::string MountedEsfs::LogText() const { return ReadFile(dir_.File("daemon.log")); }

RunResult MountedEsfs::Esfs(std::vector<std::string> args, const std::string& input) const {
  args.insert(args.begin(), {EsfsBinary(), "--data", data_dir_, "--key", key_file_});
  return RunProgram(args, input, 120);
}

core::OrderedJson MountedEsfs::Export() const {
  auto r = Esfs({"export", kWorkspace});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return core::OrderedJson::parse(r.out, nullptr, false);
}

bool MountedEsfs::Mount() {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return false;
  const std::string log = dir_.File("daemon.log");
  // Built before fork: the child of a threaded process must not allocate.
  std::vector<std::string> args = {EsfsBinary(), "--data",    data_dir_, "--key",      key_file_,
                                   "mount",      mountpoint_, "-f",      "--ready-fd", "3"};
  args.insert(args.end(), mount_args_.begin(), mount_args_.end());
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    dup2(ready[1], 3);  // below O_CLOEXEC's reach: the daemon inherits fd 3
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(ready[1]);
  pollfd p{ready[0], POLLIN, 0};
  char buf[16] = {0};
  const bool ok = poll(&p, 1, 30000) == 1 && read(ready[0], buf, sizeof buf) > 0;
  close(ready[0]);
  if (!ok) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    RunProgram({"fusermount3", "-uz", mountpoint_});
  }
  return ok;
}

void MountedEsfs::Unmount() {
  if (pid_ <= 0) return;
  bool unmounted = RunProgram({"fusermount3", "-u", mountpoint_}, "", 30).exit_code == 0;
  if (!unmounted) {
    // Busy (a test left a file open) or broken: detach lazily.
    RunProgram({"fusermount3", "-uz", mountpoint_}, "", 30);
  }
  // The daemon exits once the kernel drops the connection.
  if (WaitForChild(pid_, std::chrono::seconds(10))) {
    pid_ = -1;
    return;
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  RunProgram({"fusermount3", "-uz", mountpoint_}, "", 30);
  pid_ = -1;
}

bool MountedEsfs::Remount() {
  Unmount();
  return Mount();
}

// The /proc/mounts line of |mountpoint|, or "" if nothing is mounted there.
std::string MountLine(const std::string& mountpoint) {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    if (line.find(" " + mountpoint + " ") != std::string::npos) return line;
  }
  return "";
}

}  // namespace esfs::testing
