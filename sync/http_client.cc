#include "sync/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace esfs::sync {
namespace {

#ifndef ESFS_VERSION
#error "ESFS_VERSION must be defined (sync/CMakeLists.txt)"
#endif

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct Transfer {
  std::string body;
  size_t max_bytes = 0;
  bool too_large = false;
  const std::atomic<bool>* cancel = nullptr;
  const std::function<bool(std::string_view)>* on_data = nullptr;
  const std::function<void(size_t)>* on_received = nullptr;
  bool stopped = false;
  CURL* handle = nullptr;  // streams: to read the status before the body
  long stream_status = 0;
  char error[CURL_ERROR_SIZE] = {};
  // Streams: abort when nothing (not even a keep-alive) came for this long.
  long stall_s = 0;
  std::chrono::steady_clock::time_point last_data = std::chrono::steady_clock::now();
  bool stalled = false;
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->cancel && t->cancel->load()) return 0;
  t->last_data = std::chrono::steady_clock::now();
  if (t->on_data) {
    // A stream answered with an error (404 from a pub without streams, a
    // redirect page, ...): its body is not events. Keep its start for the
    // error message instead.
    if (t->handle && t->stream_status == 0) curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &t->stream_status);
    if (t->stream_status != 200) {
      if (t->body.size() < 200) t->body.append(data, std::min(n, 200 - t->body.size()));
      return n;
    }
    if (!(*t->on_data)(std::string_view(data, n))) {
      t->stopped = true;
      return 0;
    }
    return n;
  }
  if (t->body.size() + n > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->body.append(data, n);
  if (t->on_received && *t->on_received) (*t->on_received)(t->body.size());
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->cancel && t->cancel->load()) return 1;
  if (t->stall_s > 0 && std::chrono::steady_clock::now() - t->last_data > std::chrono::seconds(t->stall_s)) {
    t->stalled = true;
    return 1;
  }
  return 0;
}

CurlPtr NewHandle(const std::string& url, const HttpOptions& options, Transfer& transfer) {
  CurlPtr curl(curl_easy_init());
  if (!curl) return curl;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_USERAGENT, UserAgent().c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, transfer.error);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_s);
  long timeout_ms = options.total_timeout_s * 1000;
  if (options.deadline != std::chrono::steady_clock::time_point{}) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    const long left =
        std::max<long>(1, duration_cast<milliseconds>(options.deadline - std::chrono::steady_clock::now()).count());
    timeout_ms = timeout_ms > 0 ? std::min(timeout_ms, left) : left;
  }
  if (timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  // TLS: the peer's certificate and host name are always verified (curl's
  // default, stated here so it cannot be lost), against the system CAs or
  // the given CA file.
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  std::string ca_file = options.ca_file;
  if (ca_file.empty()) {
    if (const char* env = std::getenv("ESFS_CA_FILE"); env && *env) ca_file = env;
  }
  if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip if the server offers it
  return curl;
}

// curl's short text for |rc|, with the detail of its error buffer and, for
// TLS trust failures, what to do about them.
std::string CurlError(CURLcode rc, const Transfer& transfer) {
  std::string text = curl_easy_strerror(rc);
  if (transfer.error[0] != '\0' && text != transfer.error) text += " (" + std::string(transfer.error) + ")";
  if (rc == CURLE_PEER_FAILED_VERIFICATION) {
    text += "; the pub's TLS certificate is not trusted: to trust its CA, set ESFS_CA_FILE to a PEM file";
  } else if (rc == CURLE_SSL_CACERT_BADFILE) {
    text += "; the CA file (ESFS_CA_FILE) cannot be read as PEM certificates";
  }
  return text;
}

// "16 MiB" for whole mebibytes, else "1000 bytes".
std::string SizeText(size_t bytes) {
  if (bytes % (size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

Result<HttpResponse> Perform(CURL* c, Transfer& transfer, const std::string& url) {
  CURLcode rc = curl_easy_perform(c);
  if (transfer.too_large) {
    return Status(StatusCode::kNetwork, url + ": reply larger than " + SizeText(transfer.max_bytes) +
                                            " (the reply cap, ESFS_MAX_REPLY_BYTES); refused");
  }
  if (transfer.cancel && transfer.cancel->load()) return Status(StatusCode::kCancelled, url + ": cancelled");
  if (rc != CURLE_OK) return Status(StatusCode::kNetwork, url + ": " + CurlError(rc, transfer));
  HttpResponse response;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  char* type = nullptr;
  curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
  if (type) response.content_type = type;
  char* location = nullptr;
  curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
  if (location) response.redirect_url = location;
  response.body = std::move(transfer.body);
  return response;
}

// A positive number from the environment variable |name|, else |fallback|.
uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  return (*end == '\0' && value > 0) ? value : fallback;
}

}  // namespace

size_t DefaultMaxReplyBytes() { return EnvNumber("ESFS_MAX_REPLY_BYTES", uint64_t{64} << 20); }

std::chrono::seconds PassDeadline() { return std::chrono::seconds(EnvNumber("ESFS_PASS_DEADLINE_S", 600)); }

const std::string& UserAgent() {
  static const std::string kAgent = [] {
    std::string a = std::string("esfs/") + ESFS_VERSION + " (+Earthstar es.4";
    if (const auto* info = curl_version_info(CURLVERSION_NOW); info && info->version) {
      a += "; libcurl/" + std::string(info->version);
    }
    return a + ")";
  }();
  return kAgent;
}

void InitHttp() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<HttpResponse> HttpGet(const std::string& url, const HttpOptions& options) {
  InitHttp();
  Transfer transfer;
  transfer.max_bytes = options.max_body_bytes;
  transfer.cancel = options.cancel;
  transfer.on_received = &options.on_received;
  CurlPtr curl = NewHandle(url, options, transfer);
  if (!curl) return Status(StatusCode::kNetwork, "could not create an HTTP handle");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
  return Perform(curl.get(), transfer, url);
}

Result<HttpResponse> HttpPostJson(const std::string& url, const std::string& body, const HttpOptions& options) {
  InitHttp();
  Transfer transfer;
  transfer.max_bytes = options.max_body_bytes;
  transfer.cancel = options.cancel;
  transfer.on_received = &options.on_received;
  CurlPtr curl = NewHandle(url, options, transfer);
  if (!curl) return Status(StatusCode::kNetwork, "could not create an HTTP handle");
  // Redirects are not followed for POST: curl would turn a 301/302 into a
  // GET (the documents silently not sent). The 3xx comes back to the
  // caller, with where it pointed (HttpResponse::redirect_url).
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  SlistPtr headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  return Perform(curl.get(), transfer, url);
}

Result<long> HttpStream(const std::string& url, const HttpOptions& options,
                        const std::function<bool(std::string_view)>& on_data) {
  InitHttp();
  Transfer transfer;
  transfer.cancel = options.cancel;
  transfer.on_data = &on_data;
  transfer.stall_s = options.stall_timeout_s;
  HttpOptions endless = options;  // a live stream lasts as long as it is fed
  endless.deadline = {};
  endless.total_timeout_s = 0;
  CurlPtr curl = NewHandle(url, endless, transfer);
  if (!curl) return Status(StatusCode::kNetwork, "could not create an HTTP handle");
  transfer.handle = curl.get();
  // Keep-alives are a few bytes a minute: curl's average-speed limit would
  // cut the stream, so our own watchdog (OnProgress) replaces it.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
  SlistPtr headers(curl_slist_append(nullptr, "Accept: text/event-stream"));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  CURLcode rc = curl_easy_perform(curl.get());
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (transfer.cancel && transfer.cancel->load()) return Status(StatusCode::kCancelled, url + ": cancelled");
  if (transfer.stopped) return status;
  if (transfer.stalled) {
    return Status(StatusCode::kNetwork,
                  url + ": the stream went silent for " + std::to_string(transfer.stall_s) + " s");
  }
  if (rc != CURLE_OK) return Status(StatusCode::kNetwork, url + ": " + CurlError(rc, transfer));
  return status;
}

}  // namespace esfs::sync
