// A small misbehaving HTTP(S) server on 127.0.0.1 (cpp-httplib) for sync
// tests: each route answers one of the bad replies a pub might give. Real
// sockets, real HTTP: nothing in the client is mocked.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_support.h"

namespace httplib {
class Server;
}

namespace esfs::testing {

class FakePub {
 public:
  // Serves /<mode>/earthstar-api/v1/<ws>/documents for these modes:
  // "404", "403", "413", "500", "html", "truncated", "huge" (50 MB),
  // "badsig" (documents with broken signatures), "notarray", "stall"
  // (sends headers, then nothing), "ok" (an empty array; POST accepted),
  // "flaky" (an empty array; POST answers 500 the first |failing_posts|
  // times, then accepts), "mem" (a tiny pub: POSTed documents are kept and
  // listed by GET), "outage" (503 to everything while |outage| is set,
  // else as "ok"), "nostream" (as "ok", but /stream answers 404),
  // "badstream" (as "ok"; /stream sends a document with a bad signature
  // and an event that is not JSON, then keep-alives), and "r301", "r302",
  // "r307", "r308" (every request redirected with that status to the same
  // path under "mem").
  // /<mode>/earthstar-api/v1/<ws>/stream is otherwise a live event stream
  // that only ever sends keep-alives.
  FakePub();
  // The same over https, with this certificate and key (PEM files).
  FakePub(const std::string& cert_file, const std::string& key_file);
  ~FakePub();
  FakePub(const FakePub&) = delete;
  FakePub& operator=(const FakePub&) = delete;

  std::string Url(const std::string& mode) const;
  int port() const { return port_; }
  int posts() const { return posts_; }  // POSTs received, any mode
  std::atomic<int> failing_posts{1};
  std::atomic<bool> outage{true};

  // Every request received: "GET documents", "POST documents" or "GET stream",
  // by mode, with when it came and the User-Agent it carried.
  struct Request {
    std::string mode, what, user_agent;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<Request> requests() const;
  // Those of |mode| and |what| only.
  std::vector<Request> requests(const std::string& mode, const std::string& what) const;
  // Keep-alives the streams of |mode| have sent (one every 500 ms while a
  // stream is open): proof that a stream stayed open for a while.
  int keepalives(const std::string& mode) const;

 private:
  void Routes();
  void Log(const std::string& mode, const std::string& what, const std::string& user_agent);
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  bool tls_ = false;
  int port_ = 0;
  StopSignal stop_;
  std::atomic<int> posts_{0};
  mutable std::mutex mu_;  // guards requests_, stored_ and keepalives_
  std::vector<Request> requests_;
  std::vector<std::string> stored_;        // "mem": the documents POSTed, as JSON text
  std::map<std::string, int> keepalives_;  // by mode
};

}  // namespace esfs::testing
