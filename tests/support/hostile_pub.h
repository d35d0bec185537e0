// A hostile pub for the flood tests: a small HTTP server (cpp-httplib) on
// 127.0.0.1, port 0, whose replies are what an attacker's pub would send:
// listings of many junk objects, replies larger than the client's cap,
// replies that trickle one byte a second, and a live stream of junk events.
// Real sockets and real HTTP; nothing in the client is mocked.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tests/support/test_support.h"

namespace httplib {
class Server;
}

namespace esfs::testing {

class HostilePub {
 public:
  // Serves /<mode>/earthstar-api/v1/<ws>/documents (GET; POST is accepted
  // and dropped) for these modes:
  //   "junk":  a JSON array of |junk_count| elements, rotating through
  //            non-objects, objects without fields, and documents with a
  //            bad signature or a control-character path;
  //   "huge":  a valid-looking array of |huge_bytes| bytes;
  //   "slow":  a 200 reply that sends one byte a second, forever;
  //   "served": the listing given to Serve() (e.g. valid documents with
  //            traversal paths signed by a test identity);
  // and /<mode>/earthstar-api/v1/<ws>/stream: an empty listing for
  //   "stream": the stream sends |junk_count| junk events (not JSON, bad
  //            signatures, objects without fields) once |release| is set,
  //            then |final_event| (if set), then keep-alives.
  HostilePub();
  ~HostilePub();
  HostilePub(const HostilePub&) = delete;
  HostilePub& operator=(const HostilePub&) = delete;

  // "http://127.0.0.1:<port>/<mode>"
  std::string Url(const std::string& mode) const;

  std::atomic<size_t> junk_count{1000};
  std::atomic<size_t> huge_bytes{size_t{8} << 20};
  std::atomic<bool> release{false};    // "stream": send the junk now
  std::atomic<int> streams_opened{0};  // "stream": connections so far
  std::atomic<size_t> junk_events_sent{0};
  std::atomic<int> listings_served{0};  // GET documents, any mode
  // "stream": an event sent after the junk (set before |release|).
  std::string final_event;

  // The reply of mode "served" from now on (a JSON array).
  void Serve(std::string listing);

  // The element at |i| of a junk listing (also used as a stream event).
  static std::string JunkElement(size_t i);

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  StopSignal stop_;
  std::mutex served_mu_;  // guards served_
  std::string served_ = "[]";
  int port_ = 0;
};

}  // namespace esfs::testing
