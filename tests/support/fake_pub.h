// A small misbehaving HTTP server on 127.0.0.1 (cpp-httplib) for sync
// tests: each route answers one of the bad replies a pub might give.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

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
  // times, then accepts). /<mode>/earthstar-api/v1/<ws>/stream is a live
  // event stream that only ever sends keep-alives.
  FakePub();
  ~FakePub();
  std::string Url(const std::string& mode) const;
  int posts() const { return posts_; }  // POSTs received, any mode
  std::atomic<int> failing_posts{1};

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> posts_{0};
};

}  // namespace esfs::testing
