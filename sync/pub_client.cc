#include "sync/pub_client.h"

#include "sync/json_array.h"

namespace esfs::sync {
namespace {

std::string Truncated(const std::string& text, size_t n = 80) {
  std::string out = text.substr(0, n);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text.size() > n ? out + "..." : out;
}

Status BadReply(const std::string& url, long status, const std::string& body) {
  std::string what;
  switch (status) {
    case 403: what = "the pub is read-only (403)"; break;
    case 404: what = "the pub does not know this workspace (404)"; break;
    case 413: what = "the pub refused the upload as too large (413)"; break;
    default: what = "the pub answered HTTP " + std::to_string(status);
  }
  if (!body.empty() && status != 404) what += ": " + Truncated(body);
  return Status(status == 404 ? StatusCode::kNotFound : StatusCode::kNetwork, url + ": " + what);
}

}  // namespace

PubClient::PubClient(std::string pub_url, HttpOptions options)
    : base_(std::move(pub_url)), options_(std::move(options)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

std::string PubClient::Endpoint(const std::string& workspace, const char* what) const {
  // The workspace goes in verbatim, '+' included, as the reference client does.
  return base_ + "/earthstar-api/v1/" + workspace + "/" + what;
}

Result<PubClient::Listing> PubClient::Pull(const std::string& workspace) {
  const std::string url = Endpoint(workspace, "documents");
  auto reply = HttpGet(url, options_);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) return BadReply(url, reply->status, reply->body);
  Listing listing;
  listing.body = std::make_shared<const std::string>(std::move(reply->body));
  auto elements = SplitJsonArray(*listing.body);
  if (!elements.ok()) {
    // An object (or a number, a string) is JSON, just not a listing.
    const size_t first = listing.body->find_first_not_of(" \t\r\n");
    const bool other_json =
        first != std::string::npos &&
        std::string_view("{\"-0123456789tfn").find((*listing.body)[first]) != std::string_view::npos;
    if (other_json && core::ParseJson(*listing.body).ok()) {
      return Status(StatusCode::kNetwork, url + ": the reply is not a JSON array of documents");
    }
    return Status(StatusCode::kNetwork, url + ": the reply is not JSON (" + elements.status().message() + ")");
  }
  listing.elements = std::move(elements.value());
  return listing;
}

Result<PushStats> PubClient::Push(const std::string& workspace, const std::vector<core::Document>& docs,
                                  const std::function<void(size_t)>& on_batch) {
  const std::string url = Endpoint(workspace, "documents");
  PushStats total;
  size_t start = 0;
  while (start < docs.size()) {
    std::string body = "[";
    size_t end = start;
    for (; end < docs.size() && end - start < kMaxPushDocs; ++end) {
      std::string one = core::DocumentToJson(docs[end]).dump();
      if (end > start && body.size() + one.size() + 2 > kMaxPushBytes) break;
      if (end > start) body += ",";
      body += one;
    }
    body += "]";
    auto reply = HttpPostJson(url, body, options_);
    if (!reply.ok()) return reply.status();
    if (reply->status >= 300 && reply->status < 400) {
      // Not followed (sync/http_client.h): say where to, so the user can
      // give the pub's real address.
      return Status(StatusCode::kNetwork,
                    url + ": the pub answered HTTP " + std::to_string(reply->status) + ", a redirect" +
                        (reply->redirect_url.empty() ? std::string() : " to " + reply->redirect_url) +
                        "; uploads do not follow redirects: configure the pub by its final address");
    }
    if (reply->status != 200) return BadReply(url, reply->status, reply->body);
    auto json = core::ParseJson(reply->body);
    if (!json.ok() || !json->is_object() || !(*json)["numIngested"].is_number_integer()) {
      return Status(StatusCode::kNetwork, url + ": unexpected push reply: " + Truncated(reply->body));
    }
    total.ingested += (*json)["numIngested"].get<int64_t>();
    total.ignored += json->value("numIgnored", int64_t{0});
    total.total += json->value("numTotal", int64_t{0});
    if (on_batch) on_batch(end - start);
    start = end;
  }
  return total;
}

Status PubClient::Stream(const std::string& workspace, const std::function<void()>& on_open,
                         const std::function<bool(const core::OrderedJson&)>& on_doc,
                         const std::function<void()>& on_junk) {
  const std::string url = Endpoint(workspace, "stream");
  SseParser parser;
  bool opened = false, keep_going = true;
  HttpOptions options = options_;
  options.stall_timeout_s = std::max<long>(options.stall_timeout_s, 90);  // keep-alives come every 28 s
  auto streamed = HttpStream(url, options, [&](std::string_view bytes) {
    if (!opened) {
      opened = true;
      if (on_open) on_open();
    }
    parser.Feed(bytes, [&](const std::string& data) {
      if (!keep_going || data == "KEEPALIVE") return;
      auto json = core::ParseJson(data);
      if (json.ok()) {
        keep_going = on_doc(*json);
      } else if (on_junk) {
        on_junk();
      }
    });
    return keep_going;
  });
  if (!streamed.ok()) return streamed.status();
  if (*streamed != 200) return BadReply(url, *streamed, "");
  return keep_going ? Status(StatusCode::kNetwork, url + ": the stream ended") : Status::Ok();
}

Result<bool> PubClient::OffersChanges() {
  const std::string url = base_ + "/earthstar-api/esfs/v1/info";
  HttpOptions options = options_;
  options.max_body_bytes = size_t{64} * 1024;
  // A small answer, soon: a pub that hangs or fails here is left to the
  // reference protocol, whose requests then report what is wrong with it.
  options.total_timeout_s = options.total_timeout_s > 0 ? std::min<long>(options.total_timeout_s, 15) : 15;
  auto reply = HttpGet(url, options);
  if (!reply.ok() && reply.status().code() == StatusCode::kCancelled) return reply.status();
  if (!reply.ok() || reply->status != 200) return false;
  auto json = core::ParseJson(reply->body);
  if (!json.ok() || !json->is_object() || !json->contains("extensions") || !(*json)["extensions"].is_array()) {
    return false;
  }
  for (const auto& e : (*json)["extensions"]) {
    if (e.is_string() && e.get<std::string>() == "changes") return true;
  }
  return false;
}

Result<PubClient::ChangesPage> PubClient::Changes(const std::string& workspace, uint64_t after, size_t limit) {
  const std::string url = base_ + "/earthstar-api/esfs/v1/" + workspace + "/changes?after=" + std::to_string(after) +
                          "&limit=" + std::to_string(limit);
  auto reply = HttpGet(url, options_);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) return BadReply(url, reply->status, reply->body);
  auto json = core::ParseJson(reply->body);
  auto bad = [&](const char* what) { return Status(StatusCode::kNetwork, url + ": " + what); };
  if (!json.ok() || !json->is_object()) return bad("the reply is not a JSON object");
  const auto& j = *json;
  if (!j.contains("storeId") || !j["storeId"].is_string() || !j.contains("next") || !j["next"].is_number_unsigned() ||
      !j.contains("last") || !j["last"].is_number_unsigned() || !j.contains("more") || !j["more"].is_boolean() ||
      !j.contains("docs") || !j["docs"].is_array()) {
    return bad("the reply lacks storeId, next, last, more or docs");
  }
  ChangesPage page;
  page.store_id = j["storeId"].get<std::string>();
  page.next = j["next"].get<uint64_t>();
  page.last = j["last"].get<uint64_t>();
  page.more = j["more"].get<bool>();
  // A page that claims more but moves nothing forward would loop for ever.
  if (page.more && page.next <= after) return bad("the reply says more but does not move past the number asked for");
  for (auto& doc : (*json)["docs"]) page.docs.push_back(std::move(doc));
  return page;
}

void SseParser::Feed(std::string_view bytes, const std::function<void(const std::string&)>& on_event) {
  pending_.append(bytes);
  // Events end with a blank line; lines may end with \n or \r\n.
  size_t start = 0;
  while (true) {
    size_t end = pending_.find("\n\n", start);
    size_t end_crlf = pending_.find("\r\n\r\n", start);
    size_t sep_len = 2;
    if (end_crlf != std::string::npos && (end == std::string::npos || end_crlf < end)) end = end_crlf, sep_len = 4;
    if (end == std::string::npos) break;
    std::string data;
    size_t line_start = start;
    while (line_start < end) {
      size_t line_end = pending_.find('\n', line_start);
      if (line_end == std::string::npos || line_end > end) line_end = end;
      std::string line = pending_.substr(line_start, line_end - line_start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) == 0) {
        std::string value = line.substr(5);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (!data.empty()) data += "\n";
        data += value;
      }
      line_start = line_end + 1;
    }
    if (!data.empty()) on_event(data);
    start = end + sep_len;
  }
  pending_.erase(0, start);
  // A stream that never sends a blank line must not grow without bound.
  if (pending_.size() > (size_t{16} << 20)) pending_.clear();
}

}  // namespace esfs::sync
