// GuardedServer (pub/guarded_server.h): the connection cap and the
// per-request deadline around cpp-httplib's own handling.
#include "pub/guarded_server.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace esfs::pub {
namespace {

// The connection the calling handler thread serves (0: none).
thread_local uint64_t tls_conn = 0;

constexpr char kBusyReply[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 48\r\n"
    "Connection: close\r\nRetry-After: 5\r\n\r\nthe pub is busy (too many connections); retry\r\n";

int LocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return -1;
}

bool Connected(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  return getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
}

}  // namespace

// cpp-httplib's thread pool behind the cap. A connection past the cap is
// answered 503 and shut down, then its task runs inline on the accept
// thread (it reads the end of the stream and closes the socket at once).
class GuardedServer::Queue : public httplib::TaskQueue {
 public:
  Queue(GuardedServer& server, int threads) : server_(server), pool_(static_cast<size_t>(threads)) {}
  void enqueue(std::function<void()> fn) override {
    dev_t dev = 0;
    ino_t ino = 0;
    const int fd = server_.FindNewSocket(&dev, &ino);
    if (server_.active_.load() >= server_.max_connections_) {
      ++server_.refused_busy_;
      if (fd >= 0) {
        (void)!send(fd, kBusyReply, sizeof kBusyReply - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_RDWR);
      }
      fn();
      return;
    }
    uint64_t id = 0;
    {
      std::scoped_lock lock(server_.mu_);
      id = server_.next_id_++;
      server_.conns_[id] = Conn{fd, dev, ino, std::chrono::steady_clock::now() + server_.deadline_, fd < 0};
    }
    server_.cv_.notify_all();
    ++server_.active_;
    pool_.enqueue([this, id, fn = std::move(fn)] {
      tls_conn = id;
      fn();
      tls_conn = 0;
      {
        std::scoped_lock lock(server_.mu_);
        server_.conns_.erase(id);
      }
      --server_.active_;
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  GuardedServer& server_;
  httplib::ThreadPool pool_;
};

GuardedServer::GuardedServer(int max_connections, std::chrono::seconds deadline)
    : max_connections_(std::max(1, max_connections)), deadline_(deadline) {
  new_task_queue = [this] { return new Queue(*this, max_connections_); };
  watchdog_ = std::thread([this] { Watch(); });
}

GuardedServer::~GuardedServer() { StopWatchdog(); }

void GuardedServer::StopWatchdog() {
  {
    std::scoped_lock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

int GuardedServer::FindNewSocket(dev_t* dev, ino_t* ino) {
  const int port = port_.load();
  if (port <= 0) return -1;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    struct stat st {};
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    bool known = false;
    {
      std::scoped_lock lock(mu_);
      for (const auto& [id, conn] : conns_) known = known || (conn.dev == st.st_dev && conn.ino == st.st_ino);
    }
    if (known || LocalPort(static_cast<int>(fd)) != port || !Connected(static_cast<int>(fd))) continue;
    found = static_cast<int>(fd);
    *dev = st.st_dev;
    *ino = st.st_ino;
    break;
  }
  closedir(dir);
  return found;
}

void GuardedServer::Arm() {
  std::scoped_lock lock(mu_);
  if (auto it = conns_.find(tls_conn); it != conns_.end() && !it->second.exempt) {
    it->second.deadline = std::chrono::steady_clock::now() + deadline_;
  }
}

void GuardedServer::Exempt() {
  std::scoped_lock lock(mu_);
  if (auto it = conns_.find(tls_conn); it != conns_.end()) it->second.exempt = true;
}

void GuardedServer::Watch() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& [id, conn] : conns_) {
      if (conn.exempt) continue;
      if (conn.deadline <= now) {
        struct stat st {};
        // Still the same socket (its number is not yet another file's):
        // shut it down; cpp-httplib's reads and writes then fail and the
        // connection ends on its own thread.
        if (fstat(conn.fd, &st) == 0 && st.st_dev == conn.dev && st.st_ino == conn.ino) {
          ::shutdown(conn.fd, SHUT_RDWR);
          ++deadline_cut_;
        }
        conn.exempt = true;
        continue;
      }
      next = std::min(next, conn.deadline);
    }
    cv_.wait_until(lock, next);
  }
}

}  // namespace esfs::pub
