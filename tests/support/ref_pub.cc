#include "tests/support/ref_pub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include <gtest/gtest.h>

namespace esfs::testing {

int FreeLocalPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return 0;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

ReferencePub::ReferencePub(const std::string& extra, int port, const std::string& data_dir)
    : data_dir_(data_dir.empty() ? dir_.File("pub") : data_dir) {
  port_ = port > 0 ? port : FreeLocalPort();
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);  // its own group, so that Stop() reaches node too
    dup2(out[1], 1);
    const std::string cmd = "exec bash '" + InteropDir() + "/start-pub.sh' " + std::to_string(port_) + " '" +
                            data_dir_ + "' " + extra + " 2>&1";
    execl("/bin/bash", "bash", "-c", cmd.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 500) <= 0) continue;
    char buf[4096];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    if (seen.find("ES4-PUB READY") != std::string::npos) {
      url_ = "http://127.0.0.1:" + std::to_string(port_);
      break;
    }
  }
  // Keep draining the pub's output in the background so it never blocks on
  // a full pipe: hand the read end to a detached cat-like child that
  // appends it to output_file_ (what came before READY first).
  const std::string output_file = output_file_;
  const int log = open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (log >= 0 && !seen.empty()) (void)!write(log, seen.data(), seen.size());
  if (fork() == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0) {
      if (log >= 0) (void)!write(log, buf, static_cast<size_t>(n));
    }
    _exit(0);
  }
  if (log >= 0) close(log);
  close(out[0]);
  EXPECT_FALSE(url_.empty()) << "reference pub did not start: " << seen;
}

void ReferencePub::Stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  if (WaitForChild(pid_, std::chrono::seconds(5))) {
    pid_ = -1;
    return;
  }
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool ReferencePub::Kill() {
  if (pid_ <= 0) return false;
  const std::string text = ReadFile(data_dir_ + "/pub.pid");
  const pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
  EXPECT_EQ(pid, pid_) << "pub.pid holds '" << text << "'";
  if (pid <= 0) return false;
  kill(pid, SIGKILL);
  if (pid != pid_) kill(-pid_, SIGKILL);  // never leave a pub behind
  // start-pub.sh execs node, so the pid is our child: reap it.
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return true;
}

std::string ReferencePub::Output() const { return ReadFile(output_file_); }

size_t ReferencePub::StreamsOpened() const {
  const std::string out = Output();
  size_t n = 0;
  for (size_t at = out.find("stream: subscribing to "); at != std::string::npos;
       at = out.find("stream: subscribing to ", at + 1)) {
    ++n;
  }
  return n;
}

ReferencePub::~ReferencePub() { Stop(); }

}  // namespace esfs::testing
