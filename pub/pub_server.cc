// PubServer (pub/pub_server.h): the routes. The HTML page is in
// pub/page.cc, the bounds on connections in pub/guarded_server.cc, the
// event streams' fan-out in pub/event_hub.cc.
#include "pub/pub_server.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <thread>

#include "core/address.h"
#include "core/js_compat.h"
#include "core/printable.h"
#include "pub/event_hub.h"
#include "pub/guarded_server.h"
#include "pub/page.h"

namespace esfs::pub {

using core::OrderedJson;

namespace {

constexpr const char* kApi = R"(/earthstar-api/v1/([^/]+))";
constexpr const char* kExt = R"(/earthstar-api/esfs/v1)";
constexpr size_t kMaxChangesLimit = 5000;
constexpr size_t kTrimAfterDocs = 5000;

void Text(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text, "text/plain; charset=utf-8");
}

void Json(httplib::Response& res, const OrderedJson& json) {
  res.status = 200;
  res.set_content(json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace), "application/json; charset=utf-8");
}

// A JSON array of documents, built element by element (one document's JSON
// at a time, not the whole listing as one JSON value).
std::string DocumentArray(const std::vector<core::Document>& docs) {
  std::string out = "[";
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i > 0) out += ",";
    out += core::DocumentToJson(docs[i]).dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
  }
  out += "]";
  return out;
}

uint64_t ParamU64(const httplib::Request& req, const char* name, uint64_t fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && end == v.data() + v.size() ? n : fallback;
}

}  // namespace

struct PubServer::Impl {
  Impl(core::Store& s, core::ChangeFeed& f, PubOptions o)
      : store(s),
        options(std::move(o)),
        hub(f, static_cast<size_t>(options.max_streams)),
        http(options.max_connections, std::chrono::seconds(options.request_deadline_s)) {}

  core::Store& store;
  const PubOptions options;
  EventHub hub;
  GuardedServer http;
  std::thread thread;
  int port = 0;
  std::atomic<uint64_t> too_large{0};

  // The workspace of a route, checked: the address (400), then whether this
  // pub serves it (404). Empty after an error reply.
  std::string ServedWorkspace(const httplib::Request& req, httplib::Response& res, bool may_create);
  bool Allowed(const std::string& ws) const {
    return options.workspaces.empty() ||
           std::find(options.workspaces.begin(), options.workspaces.end(), ws) != options.workspaces.end();
  }

  void Routes();
  void GetDocuments(const httplib::Request& req, httplib::Response& res);
  void GetPaths(const httplib::Request& req, httplib::Response& res);
  void PostDocuments(const httplib::Request& req, httplib::Response& res);
  void GetStream(const httplib::Request& req, httplib::Response& res);
  void GetChanges(const httplib::Request& req, httplib::Response& res);
  void GetWorkspaces(httplib::Response& res) const;
  void GetPage(httplib::Response& res);
  std::vector<PageWorkspace> Overview(size_t recent) const;
};

std::string PubServer::Impl::ServedWorkspace(const httplib::Request& req, httplib::Response& res, bool may_create) {
  std::string ws = req.matches[1];
  if (auto parsed = core::ParseWorkspaceAddress(ws); !parsed.ok()) {
    Text(res, 400, "Bad Request: " + parsed.status().message());
    return "";
  }
  if (!Allowed(ws)) {
    Text(res, 404, "Not Found: this pub does not serve " + ws);
    return "";
  }
  if (store.workspaces().Get(ws).ok()) return ws;
  if (!may_create) {
    Text(res, 404, "Not Found");
    return "";
  }
  if (Status s = store.workspaces().Add(ws); !s.ok()) {
    Text(res, 500, "could not add " + ws + ": " + s.message());
    return "";
  }
  return ws;
}

void PubServer::Impl::GetDocuments(const httplib::Request& req, httplib::Response& res) {
  const std::string ws = ServedWorkspace(req, res, false);
  if (ws.empty()) return;
  size_t count = 0;
  {
    auto docs = store.replica().AllDocuments(ws);
    if (!docs.ok()) return Text(res, 500, docs.status().message());
    // The reference pub's order (6.8.5 history "all"): path, then author.
    std::stable_sort(docs->begin(), docs->end(), [](const core::Document& a, const core::Document& b) {
      return a.path != b.path ? a.path < b.path : a.author < b.author;
    });
    count = docs->size();
    res.set_content(DocumentArray(*docs), "application/json; charset=utf-8");
  }
  // A big listing leaves its documents' small allocations in the heap and
  // the store's pages mapped: hand both back (the reply's own buffer is
  // one large allocation, returned when it is freed).
  if (count >= kTrimAfterDocs) {
    malloc_trim(0);
    store.ReleaseMappedPages();
  }
}

void PubServer::Impl::GetPaths(const httplib::Request& req, httplib::Response& res) {
  const std::string ws = ServedWorkspace(req, res, false);
  if (ws.empty()) return;
  auto paths = store.replica().QueryPaths(ws, core::Query{});
  if (!paths.ok()) return Text(res, 500, paths.status().message());
  std::sort(paths->begin(), paths->end());
  Json(res, *paths);
}

void PubServer::Impl::PostDocuments(const httplib::Request& req, httplib::Response& res) {
  if (options.readonly) return Text(res, 403, "Forbidden: this pub is read-only");
  if (auto parsed = core::ParseWorkspaceAddress(req.matches[1].str()); !parsed.ok()) {
    return Text(res, 400, "Bad Request: " + parsed.status().message());
  }
  // The body is checked before a new workspace is made for it.
  auto body = core::ParseJson(req.body);
  if (!body.ok() || !body->is_array()) {
    return Text(res, 400, "Bad Request: the body must be a JSON array of documents");
  }
  const std::string ws = ServedWorkspace(req, res, true);
  if (ws.empty()) return;
  // Each element as the store's IngestJson takes it (format first, then the
  // document's fields), the valid ones then ingested together.
  const size_t total = body->size();
  std::vector<core::IngestOutcome> outcomes(total);
  std::vector<core::Document> docs;
  std::vector<size_t> index_of;
  for (size_t i = 0; i < total; ++i) {
    const OrderedJson& json = (*body)[i];
    auto format = json.is_object() ? json.find("format") : json.end();
    if (!json.is_object() || format == json.end() || !format->is_string() || *format != core::kFormat) {
      const OrderedJson* value = json.is_object() && format != json.end() ? &*format : nullptr;
      outcomes[i] = {core::IngestResult::kInvalid, "ingestDocument: unrecognized format " + core::JsTemplate(value)};
      continue;
    }
    auto doc = core::DocumentFromJson(json);
    if (!doc.ok()) {
      outcomes[i] = {core::IngestResult::kInvalid, doc.status().message()};
      continue;
    }
    docs.push_back(std::move(doc.value()));
    index_of.push_back(i);
  }
  auto ingested = store.replica().IngestMany(ws, docs);
  if (!ingested.ok()) return Text(res, 500, "the store failed: " + ingested.status().message());
  for (size_t k = 0; k < index_of.size(); ++k) outcomes[index_of[k]] = std::move((*ingested)[k]);
  int64_t accepted = 0;
  OrderedJson results = OrderedJson::array();
  for (const auto& o : outcomes) {
    OrderedJson r = {{"result", core::IngestResultName(o.result)}};
    if (o.result == core::IngestResult::kAccepted) {
      ++accepted;
    } else {
      r["reason"] = o.reason;
    }
    results.push_back(std::move(r));
  }
  Json(res, {{"numIngested", accepted},
             {"numIgnored", static_cast<int64_t>(total) - accepted},
             {"numTotal", total},
             {"results", std::move(results)}});
}

void PubServer::Impl::GetStream(const httplib::Request& req, httplib::Response& res) {
  const std::string ws = ServedWorkspace(req, res, false);
  if (ws.empty()) return;
  auto stream = hub.Open(ws);
  if (!stream) return Text(res, 503, "the pub has too many open streams; retry later");
  http.Exempt();
  res.set_header("Cache-Control", "no-cache");
  res.set_header("Connection", "keep-alive");
  const auto keepalive = std::chrono::milliseconds(options.keepalive_s * 1000);
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, stream, keepalive, first = true](size_t, httplib::DataSink& sink) mutable {
        if (first) {
          first = false;
          const std::string hello = "\ndata: KEEPALIVE\n\n:\n\n";
          return sink.write(hello.data(), hello.size());
        }
        std::vector<core::Change> changes;
        if (!hub.Next(*stream, keepalive, &changes)) return false;
        std::string out = changes.empty() ? ":\n\ndata: KEEPALIVE\n\n" : "";
        for (const core::Change& c : changes) {
          auto doc = store.replica().GetDocument(stream->workspace, c.path, c.author);
          if (!doc.ok() || !doc->has_value()) continue;
          out += "data: " + core::DocumentToJson(**doc).dump(-1, ' ', false, OrderedJson::error_handler_t::replace) +
                 "\n\n";
        }
        return out.empty() || sink.write(out.data(), out.size());
      },
      [this, stream](bool) { hub.Close(stream); });
}

void PubServer::Impl::GetChanges(const httplib::Request& req, httplib::Response& res) {
  const std::string ws = ServedWorkspace(req, res, false);
  if (ws.empty()) return;
  const uint64_t after = ParamU64(req, "after", 0);
  const size_t limit = std::clamp<size_t>(ParamU64(req, "limit", 1000), 1, kMaxChangesLimit);
  auto id = store.replica().StoreId();
  auto page = store.replica().DocumentsAfter(ws, after, limit);
  if (!id.ok() || !page.ok()) return Text(res, 500, (id.ok() ? page.status() : id.status()).message());
  // Built by hand around the documents' array (as GET documents).
  OrderedJson head = {
      {"storeId", *id}, {"after", after}, {"next", page->next}, {"last", page->last}, {"more", page->more}};
  std::string text = head.dump();
  text.pop_back();  // the closing brace
  text += ",\"docs\":" + DocumentArray(page->docs) + "}";
  res.set_content(text, "application/json; charset=utf-8");
}

std::vector<PageWorkspace> PubServer::Impl::Overview(size_t recent) const {
  std::vector<PageWorkspace> out;
  auto all = store.workspaces().List(/*count_documents=*/true);
  if (!all.ok()) return out;
  for (const auto& info : *all) {
    if (!Allowed(info.address)) continue;
    PageWorkspace w{info.address, info.documents, 0, {}};
    if (auto page = store.replica().DocumentsAfter(info.address, UINT64_MAX - 1, 1); page.ok()) w.last = page->last;
    if (recent > 0) {
      if (auto latest = store.replica().LatestBySeq(info.address, recent); latest.ok()) w.recent = std::move(*latest);
    }
    out.push_back(std::move(w));
  }
  return out;
}

void PubServer::Impl::GetWorkspaces(httplib::Response& res) const {
  OrderedJson list = OrderedJson::array();
  for (const auto& w : Overview(0))
    list.push_back({{"workspace", w.address}, {"documents", w.documents}, {"last", w.last}});
  Json(res, list);
}

void PubServer::Impl::GetPage(httplib::Response& res) {
  PageData data;
  data.version = options.version;
  data.readonly = options.readonly;
  data.closed = !options.workspaces.empty();
  data.peers = options.peers;
  data.workspaces = Overview(5);
  res.set_content(RenderPage(data), "text/html; charset=utf-8");
  // Counting walked every document's pages of the map: let them go.
  store.ReleaseMappedPages();
}

void PubServer::Impl::Routes() {
  http.set_default_headers({{"Access-Control-Allow-Origin", "*"}});
  http.set_payload_max_length(options.max_body_bytes);
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);
  http.set_keep_alive_timeout(5);
  // The deadline starts again with each request (its headers are read by
  // now) and after each reply (for the next request's headers).
  http.set_pre_routing_handler([this](const httplib::Request&, httplib::Response&) {
    http.Arm();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_logger([this](const httplib::Request&, const httplib::Response&) { http.Arm(); });
  http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) {
      ++too_large;
      Text(res, 413,
           "Payload Too Large: the pub takes request bodies up to " + std::to_string(options.max_body_bytes) +
               " bytes; send the documents in smaller batches");
    } else if (res.body.empty()) {
      Text(res, res.status,
           res.status == 404   ? "Not Found"
           : res.status == 400 ? "Bad Request"
                               : "HTTP error " + std::to_string(res.status));
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
    Text(res, 500, "Internal Server Error");
  });
  http.Options(R"(.*)", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE");
    if (req.has_header("Access-Control-Request-Headers")) {
      res.set_header("Access-Control-Allow-Headers", req.get_header_value("Access-Control-Request-Headers"));
    }
  });
  const std::string api = kApi, ext = kExt;
  http.Get(api + "/documents/?", [this](const auto& req, auto& res) { GetDocuments(req, res); });
  http.Get(api + "/paths/?", [this](const auto& req, auto& res) { GetPaths(req, res); });
  http.Post(api + "/documents/?", [this](const auto& req, auto& res) { PostDocuments(req, res); });
  http.Get(api + "/stream/?", [this](const auto& req, auto& res) { GetStream(req, res); });
  http.Get(ext + "/info/?", [this](const auto&, auto& res) {
    auto id = store.replica().StoreId();
    Json(res, {{"esfs", options.version},
               {"extensions", {"changes"}},
               {"storeId", id.ok() ? *id : std::string()},
               {"readonly", options.readonly},
               {"closed", !options.workspaces.empty()}});
  });
  http.Get(ext + "/workspaces/?", [this](const auto&, auto& res) { GetWorkspaces(res); });
  http.Get(ext + R"(/([^/]+)/changes/?)", [this](const auto& req, auto& res) { GetChanges(req, res); });
  http.Get("/", [this](const auto&, auto& res) { GetPage(res); });
}

PubServer::PubServer(core::Store& store, core::ChangeFeed& feed, PubOptions options)
    : impl_(std::make_unique<Impl>(store, feed, std::move(options))) {
  impl_->Routes();
}

PubServer::~PubServer() { Stop(); }

Status PubServer::Start() {
  Impl& i = *impl_;
  const int port = i.options.port == 0 ? i.http.bind_to_any_port(i.options.host)
                                       : (i.http.bind_to_port(i.options.host, i.options.port) ? i.options.port : -1);
  if (port <= 0) {
    return Status(StatusCode::kNetwork, "cannot listen on " + core::Printable(i.options.host) + ":" +
                                            std::to_string(i.options.port) + " (in use, or not an address here)");
  }
  i.port = port;
  i.http.SetPort(port);
  i.thread = std::thread([&i] { i.http.listen_after_bind(); });
  return Status::Ok();
}

int PubServer::port() const { return impl_->port; }

void PubServer::Stop() {
  Impl& i = *impl_;
  i.hub.Stop();  // streams end, their workers come free
  if (i.thread.joinable()) {
    i.http.stop();
    i.thread.join();
  }
  i.http.StopWatchdog();
}

PubServer::Counters PubServer::counters() const {
  return {impl_->http.refused_busy(), impl_->too_large.load(), impl_->http.deadline_cut()};
}

}  // namespace esfs::pub
