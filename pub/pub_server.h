// esfs's own pub (DESIGN decision 11, issue #20): the reference pub's HTTP
// API (earthstar-pub 6.0.5, spec §11) served from the esfs store, so the
// reference client and other Earthstar apps use it unchanged; plus the
// incremental extension our client uses (docs/pub-api.md) and an HTML page.
//
//   GET  /earthstar-api/v1/WS/documents   every document, history included
//   GET  /earthstar-api/v1/WS/paths       the sorted unique paths
//   POST /earthstar-api/v1/WS/documents   a JSON array; the reference's counts
//                                         plus one result per document
//   GET  /earthstar-api/v1/WS/stream      server-sent events: each document
//                                         the store accepts from then on
//   GET  /earthstar-api/esfs/v1/info                    the extension's offer
//   GET  /earthstar-api/esfs/v1/workspaces              workspaces, counts
//   GET  /earthstar-api/esfs/v1/WS/changes?after=N      what came after N
//   GET  /                                 the HTML page
//
// Every posted document goes through the store's ingest (core/store_replica.h),
// the same validation as every other route into the store. Limits: the body
// (413 past Options::max_body_bytes), a deadline per request, a cap on
// connections handled at once (503 past it) and on event streams.
//
// Owns: the HTTP server (cpp-httplib) and its threads, the event streams'
// subscription to the change feed. Does not own the store or the feed
// (both must outlive the server).
//
// Thread safety: Start and Stop from one thread; the handlers run on the
// server's worker threads and use the store (thread-safe) and the event hub
// (its own lock, a leaf).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/change_feed.h"
#include "core/status.h"
#include "core/store.h"

namespace esfs::pub {

// The largest POST body: bigger ones get 413 with a message. The reference
// pub's limit is 10 MB (its client fails past ~17,600 documents); ours
// takes about 50,000 such documents in one request.
inline constexpr size_t kDefaultMaxBodyBytes = size_t{32} << 20;

struct PubOptions {
  std::string host = "127.0.0.1";
  int port = 3333;  // 0: any free port (tests)
  // Workspaces this pub serves and accepts (a closed pub); empty: every
  // workspace, and pushes create new ones.
  std::vector<std::string> workspaces;
  bool readonly = false;           // accepts no documents at all (403)
  std::vector<std::string> peers;  // shown on the page; replication is the caller's
  std::string version = "0.1.0";
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  int request_deadline_s = 120;  // a request (headers, body, handling) ends by then
  int max_connections = 64;      // handled at once; more are answered 503
  int max_streams = 40;          // event streams at once (each holds a connection)
  int keepalive_s = 28;          // the reference's interval between stream keep-alives
};

class PubServer {
 public:
  // |feed| brings the store's changes to the event streams.
  PubServer(core::Store& store, core::ChangeFeed& feed, PubOptions options);
  ~PubServer();  // Stop()
  PubServer(const PubServer&) = delete;
  PubServer& operator=(const PubServer&) = delete;

  // Binds host:port and starts serving on a thread of its own. Network
  // (with the reason) when the address cannot be bound.
  Status Start();
  // The bound port (after Start).
  int port() const;
  // Ends every stream, stops accepting and joins the threads. Idempotent.
  void Stop();

  // For tests and the page: requests answered 503 for the connection cap,
  // 413 for the body limit, and requests cut by the deadline.
  struct Counters {
    uint64_t refused_busy = 0;
    uint64_t too_large = 0;
    uint64_t deadline_cut = 0;
  };
  Counters counters() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace esfs::pub
