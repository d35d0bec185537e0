// The reference pub's HTTP API (spec §11) for one pub:
//   GET  <pub>/earthstar-api/v1/<ws>/documents   every document (history too)
//   POST <pub>/earthstar-api/v1/<ws>/documents   a JSON array; {numIngested, numIgnored, numTotal}
//   GET  <pub>/earthstar-api/v1/<ws>/stream      server-sent events, one accepted document each
// Replies are checked: status codes, content, JSON shape; a hostile or
// broken pub gives a Status with a clear message, never a crash.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/document.h"
#include "core/status.h"
#include "sync/http_client.h"

namespace esfs::sync {

struct PushStats {
  int64_t ingested = 0;
  int64_t ignored = 0;
  int64_t total = 0;
};

// The pub's body limit for application/json is 10 MB; batches stay under.
inline constexpr size_t kMaxPushBytes = size_t{8} * 1000 * 1000;
// And at most this many documents per batch: a sqlite pub ingests ~600
// documents/s, so a batch is answered within seconds (well inside the stall
// timeout), and a push cut off half way has most of its batches on the pub.
inline constexpr size_t kMaxPushDocs = 1000;

class PubClient {
 public:
  // |pub_url|: "http://host:port" or with a path prefix; a trailing slash is fine.
  PubClient(std::string pub_url, HttpOptions options);

  const std::string& url() const { return base_; }

  // Every document the pub has for |workspace|, as the text of each
  // element of its JSON listing (the caller parses and validates each).
  // The listing as a whole must be one complete array (sync/json_array.h).
  // NotFound if the pub does not know the workspace.
  struct Listing {
    std::shared_ptr<const std::string> body;  // |elements| point into it
    std::vector<std::string_view> elements;
  };
  Result<Listing> Pull(const std::string& workspace);

  // Sends |docs|, in as many POSTs as needed to stay under kMaxPushBytes
  // and kMaxPushDocs.
  // |on_batch| (optional) is told after each accepted batch how many were sent.
  Result<PushStats> Push(const std::string& workspace, const std::vector<core::Document>& docs,
                         const std::function<void(size_t)>& on_batch = nullptr);

  // ---- esfs's incremental extension (docs/pub-api.md) ----

  // True if the pub offers "what came after N" (an esfs pub); false for
  // any other answer (the reference pub: 404) and for no answer within
  // 15 s, so the caller syncs with the full protocol (which then reports
  // what is wrong). An error only when the transfer was cancelled.
  Result<bool> OffersChanges();
  // One page of the documents the pub numbered above |after|.
  struct ChangesPage {
    std::string store_id;  // whose numbers these are
    uint64_t next = 0;     // ask for what came after this next
    uint64_t last = 0;
    bool more = false;
    std::vector<core::OrderedJson> docs;  // each validated by the caller
  };
  // NotFound if the pub does not know the workspace.
  Result<ChangesPage> Changes(const std::string& workspace, uint64_t after, size_t limit = 1000);

  // Follows the pub's event stream until it ends, fails or |on_doc|
  // returns false. |on_open| is called once the pub has answered;
  // |on_junk| (optional) for each event that is not JSON (keep-alives aside).
  Status Stream(const std::string& workspace, const std::function<void()>& on_open,
                const std::function<bool(const core::OrderedJson&)>& on_doc,
                const std::function<void()>& on_junk = nullptr);

 private:
  std::string Endpoint(const std::string& workspace, const char* what) const;
  std::string base_;
  HttpOptions options_;
};

// Splits server-sent-event text into "data:" payloads, across chunk
// boundaries. Unit-tested on its own.
class SseParser {
 public:
  // Feeds bytes; calls |on_event| with each complete event's data.
  void Feed(std::string_view bytes, const std::function<void(const std::string&)>& on_event);

 private:
  std::string pending_;
};

}  // namespace esfs::sync
