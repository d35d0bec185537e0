#include "tests/support/test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace esfs::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

struct CheckedCounts {
  std::mutex mu;  // guards counts
  std::map<std::string, size_t> counts;
  ~CheckedCounts() {
    if (counts.empty()) return;
    size_t total = 0;
    std::cout << "\nconformance records checked:\n";
    for (const auto& [what, n] : counts) {
      std::cout << "  " << what << ": " << n << "\n";
      total += n;
    }
    std::cout << "  total: " << total << " records checked, none skipped\n";
  }
};
CheckedCounts& Counts() {
  static CheckedCounts counts;
  return counts;
}

}  // namespace

std::string VectorsDir() { return EnvOr("ESFS_VECTORS_DIR", ESFS_SOURCE_DIR "/../shared/vectors"); }
std::string InteropDir() { return EnvOr("ESFS_INTEROP_DIR", ESFS_SOURCE_DIR "/../shared/interop"); }
std::string SourceDir() { return ESFS_SOURCE_DIR; }
std::string EsfsBinary() { return EnvOr("ESFS_BINARY", ESFS_BINARY_PATH); }

core::OrderedJson LoadVectors(const std::string& name) {
  const std::string file = VectorsDir() + "/" + name;
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << "cannot read " << file;
  std::stringstream buffer;
  buffer << in.rdbuf();
  core::OrderedJson json = core::OrderedJson::parse(buffer.str(), nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << file << " is not JSON";
  return json;
}

void CountChecked(const std::string& what, size_t count) {
  std::scoped_lock lock(Counts().mu);
  Counts().counts[what] += count;
}

TempDir::TempDir() {
  std::string pattern = std::filesystem::temp_directory_path().string() + "/esfs-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunResult RunProgram(const std::vector<std::string>& argv, const std::string& input, int timeout_s) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) std::abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> args;
    args.reserve(argv.size());
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Feed stdin and drain both outputs without deadlocking on full pipes.
  fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (input.empty()) close(in_pipe[1]), in_pipe[1] = -1;
  RunResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_pipe[1], POLLOUT, 0}};
    int nfds = in_pipe[1] >= 0 ? 3 : 2;
    if (!out_open) fds[0].fd = -1;
    if (!err_open) fds[1].fd = -1;
    if (poll(fds, nfds, 200) < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      break;
    }
    char buf[65536];
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd >= 0 && (fds[k].revents & (POLLIN | POLLHUP))) {
        ssize_t n = read(fds[k].fd, buf, sizeof buf);
        if (n > 0) {
          (k == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
        } else {
          (k == 0 ? out_open : err_open) = false;
        }
      }
    }
    if (nfds == 3 && (fds[2].revents & (POLLOUT | POLLERR))) {
      ssize_t n = write(in_pipe[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 || written == input.size()) close(in_pipe[1]), in_pipe[1] = -1;
    }
  }
  if (in_pipe[1] >= 0) close(in_pipe[1]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

RunResult RunRefclient(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {"node", InteropDir() + "/refclient.js"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, input, 300);
}

std::set<std::string> ListDir(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.insert(n);
  }
  closedir(d);
  return names;
}

bool WaitUntil(const std::function<bool()>& check, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Short polls first (most conditions hold within milliseconds), then
  // at most every 50 ms so that a slow condition (a child process, an
  // export) is not asked in a tight loop.
  auto interval = std::chrono::milliseconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(interval);
    interval = std::min(interval * 2, std::chrono::milliseconds(50));
  }
  return check();
}

bool Eventually(const std::function<bool()>& check, int seconds) {
  return WaitUntil(check, std::chrono::seconds(seconds));
}

std::optional<int> WaitForChild(pid_t pid, std::chrono::milliseconds timeout) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == pid) return status;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left.count()));  // readable once the child has exited
    } else {
      // No pidfd (old kernel): the condition is polled instead.
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(10)));
    }
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {
      if (pidfd >= 0) close(pidfd);
      if (r == pid) return status;
      return std::nullopt;  // not our child (already reaped)
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (waitpid(pid, &status, WNOHANG) == pid) return status;
  return std::nullopt;
}

void StopSignal::Stop() {
  {
    std::scoped_lock lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::stopped() const {
  std::scoped_lock lock(mu_);
  return stopped_;
}

bool StopSignal::Wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, d, [this] { return stopped_; });
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string HexToBytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

keys::Identity MakeIdentity(const char* name, uint8_t seed_byte) {
  std::array<uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return std::move(keys::Identity::FromSeed(name, seed).value());
}

std::unique_ptr<core::Store> OpenStoreWith(const std::string& data_dir, const std::string& workspace,
                                           const core::Clock* clock) {
  auto opened = core::Store::Open({data_dir, clock});
  if (!opened.ok()) {
    ADD_FAILURE() << "cannot open the store in " << data_dir << ": " << opened.status().message();
    return nullptr;
  }
  if (Status added = (*opened)->workspaces().Add(workspace); !added.ok()) {
    ADD_FAILURE() << "cannot add " << workspace << ": " << added.message();
    return nullptr;
  }
  return std::move(opened.value());
}

}  // namespace esfs::testing
