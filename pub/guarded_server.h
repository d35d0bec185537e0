// A cpp-httplib server with the pub's bounds on slow and crowded clients
// (pub/pub_server.h): at most |max_connections| connections handled at
// once (the one past it is answered 503 at once and shut down, on the
// accept thread, before it can queue), and a deadline per request: a
// connection whose current request (headers, body, handling, reply) is not
// done by then is shut down, so a client that trickles a byte a second
// cannot hold a worker. Event streams are exempt once they start (Exempt()).
//
// cpp-httplib 0.11 hands a new connection to the task queue without its
// socket; the queue finds it (the one socket on the pub's port that is
// connected and not yet known: the accept thread takes one at a time).
//
// Owns: the thread pool (max_connections workers) and the watchdog thread.
// Thread safety: Arm/Exempt from handler threads; mu_ guards the
// connection table and is a leaf (no call out while holding it).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include <httplib.h>

namespace esfs::pub {

class GuardedServer : public httplib::Server {
 public:
  GuardedServer(int max_connections, std::chrono::seconds deadline);
  ~GuardedServer() override;

  // The deadline starts again for the request the calling handler thread
  // serves (called as each request's headers are read, and after each reply).
  void Arm();
  // The calling handler thread's connection has no deadline any more (an
  // event stream: it ends when the client or the server goes).
  void Exempt();
  // Ends the watchdog (before stop(): its thread must not outlive us).
  void StopWatchdog();

  // The bound port, before the first connection (the new socket's search).
  void SetPort(int port) { port_ = port; }

  uint64_t refused_busy() const { return refused_busy_.load(); }
  uint64_t deadline_cut() const { return deadline_cut_.load(); }

 private:
  class Queue;
  struct Conn {
    int fd = -1;
    dev_t dev = 0;  // the socket's identity, checked before a shutdown:
    ino_t ino = 0;  // its fd number may belong to another file by then
    std::chrono::steady_clock::time_point deadline;
    bool exempt = false;
  };
  void Watch();
  // The socket just accepted, or -1; with its identity.
  int FindNewSocket(dev_t* dev, ino_t* ino);

  const int max_connections_;
  const std::chrono::seconds deadline_;
  std::atomic<int> port_{0};
  std::atomic<int> active_{0};  // connections queued or handled
  std::atomic<uint64_t> refused_busy_{0};
  std::atomic<uint64_t> deadline_cut_{0};

  std::mutex mu_;  // guards the members below; a leaf
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Conn> conns_;
  std::thread watchdog_;
};

}  // namespace esfs::pub
