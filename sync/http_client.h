// A small HTTP client on libcurl for talking to pubs: GET, POST of JSON,
// and a streamed GET for server-sent events. Connect and stall timeouts,
// a User-Agent (esfs/<version>), redirects followed for GET (never for
// POST), http and https only (TLS peers verified against the system CAs or
// a CA file), a cap on body size, and cancellation (a stop flag checked
// while transferring). Not thread-safe per object; use one per thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace esfs::sync {

struct HttpResponse {
  long status = 0;
  std::string content_type;
  std::string body;
  std::string redirect_url;  // a 3xx not followed (POST): where it pointed
};

// The cap on one reply's body (a pub's listing): 64 MiB, or
// $ESFS_MAX_REPLY_BYTES if set to a positive number. A reply over it is
// cut off and refused (kNetwork, "reply larger than ..."): nothing of it
// is used.
size_t DefaultMaxReplyBytes();
// The deadline of a whole sync pass: 600 s, or $ESFS_PASS_DEADLINE_S if
// set to a positive number. A pub that trickles its reply (one byte a
// second passes any stall check) cannot hold a worker longer.
std::chrono::seconds PassDeadline();

struct HttpOptions {
  long connect_timeout_s = 10;
  long stall_timeout_s = 30;  // abort if under 1 byte/s for this long
  long total_timeout_s = 0;   // 0: none (large pulls take long)
  size_t max_body_bytes = DefaultMaxReplyBytes();
  const std::atomic<bool>* cancel = nullptr;  // set to stop a transfer
  // CA certificates (PEM) to trust for https, as curl's --cacert: replaces
  // the system's CA bundle file (libcurl's CA directory, /etc/ssl/certs on
  // Debian, is still read). Empty: $ESFS_CA_FILE if set, else the system CAs.
  std::string ca_file;
  // Told the body bytes received so far as they arrive (GET and POST
  // replies; not streams). For progress, and for tests that act mid-transfer.
  std::function<void(size_t)> on_received;
  // If set, every request (streams aside) ends by then at the latest.
  std::chrono::steady_clock::time_point deadline{};
};

// The User-Agent sent with every request: "esfs/<version> (...)".
const std::string& UserAgent();

// Call once per process before any request (curl_global_init).
void InitHttp();

Result<HttpResponse> HttpGet(const std::string& url, const HttpOptions& options);
Result<HttpResponse> HttpPostJson(const std::string& url, const std::string& body, const HttpOptions& options);

// Streams a GET: |on_data| receives the body in pieces as they arrive;
// returning false stops the transfer. Returns when the stream ends,
// fails, is cancelled or stops. Status is the HTTP status (or an error).
Result<long> HttpStream(const std::string& url, const HttpOptions& options,
                        const std::function<bool(std::string_view)>& on_data);

}  // namespace esfs::sync
