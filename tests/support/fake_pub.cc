#include "tests/support/fake_pub.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "core/document.h"

namespace esfs::testing {
namespace {

// A document whose signature does not match (the content was changed).
constexpr const char* kBadSignatureDoc =
    R"({"format":"es.4","workspace":"+gardening.friends","path":"/evil.txt","contentHash":"bzklycewkdo64v6wcggzzui64jwtyn37ycr6e44vzqb3yll7ojc5q","content":"a","author":"@suzy.bfhcpxc5ixkxvzhwq4futxms2dxesgrk2qxpaknu4pfdd6unqjugq","timestamp":1767225600000000,"deleteAfter":null,"signature":"bjljalsg2mulkut56anrteaejvrrtnjlrwfvswiqsi2psero22qqw7am34z3u3xcw7nx6mha42isfuzae5xda3armky5clrqrewrhgca"})";

bool IsRedirect(const std::string& mode) {
  return mode == "r301" || mode == "r302" || mode == "r307" || mode == "r308";
}

}  // namespace

FakePub::FakePub() : server_(std::make_unique<httplib::Server>()) { Routes(); }

FakePub::FakePub(const std::string& cert_file, const std::string& key_file)
    : server_(std::make_unique<httplib::SSLServer>(cert_file.c_str(), key_file.c_str())), tls_(true) {
  Routes();
}

void FakePub::Log(const std::string& mode, const std::string& what, const std::string& user_agent) {
  std::scoped_lock lock(mu_);
  requests_.push_back({mode, what, user_agent, std::chrono::steady_clock::now()});
}

std::vector<FakePub::Request> FakePub::requests() const {
  std::scoped_lock lock(mu_);
  return requests_;
}

std::vector<FakePub::Request> FakePub::requests(const std::string& mode, const std::string& what) const {
  std::vector<Request> out;
  for (auto& r : requests()) {
    if (r.mode == mode && r.what == what) out.push_back(r);
  }
  return out;
}

void FakePub::Routes() {
  auto& s = *server_;
  const std::string docs = R"(/([a-z0-9]+)/earthstar-api/v1/([^/]+)/documents)";
  // Redirects and outages first, for every route.
  auto detour = [this](const httplib::Request& req, httplib::Response& res, const std::string& mode) {
    if (IsRedirect(mode)) {
      res.status = std::stoi(mode.substr(1));
      const std::string target = req.path.substr(mode.size() + 1);  // "/earthstar-api/..."
      res.set_header("Location", Url("mem") + target);
      res.set_content("moved", "text/plain");
      return true;
    }
    if (mode == "outage" && outage) {
      res.status = 503, res.set_content("<html><body>Service Unavailable</body></html>", "text/html");
      return true;
    }
    return false;
  };
  s.Get(docs, [this, detour](const httplib::Request& req, httplib::Response& res) {
    const std::string mode = req.matches[1];
    Log(mode, "GET documents", req.get_header_value("User-Agent"));
    if (detour(req, res, mode)) return;
    if (mode == "404") {
      res.status = 404, res.set_content("Not Found", "text/plain");
    } else if (mode == "403") {
      res.status = 403, res.set_content("Forbidden", "text/plain");
    } else if (mode == "413") {
      res.status = 413, res.set_content("<html>too large</html>", "text/html");
    } else if (mode == "500") {
      res.status = 500, res.set_content("<html><body>TypeError: boom</body></html>", "text/html");
    } else if (mode == "html") {
      res.set_content("<!DOCTYPE html><html><body>Welcome to my pub</body></html>", "text/html");
    } else if (mode == "truncated") {
      res.set_content(R"([{"format":"es.4","workspace":"+gardening.friends","path":"/a","conte)", "application/json");
    } else if (mode == "notarray") {
      res.set_content(R"({"documents": []})", "application/json");
    } else if (mode == "huge") {
      // ["xxx...x"] of 50 MB, streamed: its first bytes go out at once.
      // (Built in one piece first, it outlasted the client's 3 s stall
      // timeout under TSan on a busy machine; a bare "application/json"
      // would make cpp-httplib brotli-compress it.)
      constexpr size_t kXs = size_t{50} * 1000 * 1000;
      res.set_content_provider(kXs + 4, "application/json; charset=utf-8",
                               [](size_t offset, size_t length, httplib::DataSink& sink) {
                                 std::string piece(std::min<size_t>(length, size_t{64} * 1024), 'x');
                                 for (size_t i = 0; i < piece.size(); ++i) {
                                   const size_t at = offset + i;
                                   if (at == 0) piece[i] = '[';
                                   if (at == 1 || at == kXs + 2) piece[i] = '"';
                                   if (at == kXs + 3) piece[i] = ']';
                                 }
                                 return sink.write(piece.data(), piece.size());
                               });
    } else if (mode == "badsig") {
      res.set_content(std::string("[") + kBadSignatureDoc + ", 7, null]", "application/json");
    } else if (mode == "mem" || mode == "mixed") {
      std::string body = "[";
      std::scoped_lock lock(mu_);
      for (const auto& d : stored_) body += (body.size() > 1 ? "," : "") + d;
      // "mixed": what "mem" holds between an element that is not JSON
      // (its outline is fine) and a forged document.
      if (mode == "mixed") body = std::string(R"([{"format": tru},)") + body.substr(1) + "," + kBadSignatureDoc;
      res.set_content(body + "]", "application/json; charset=utf-8");
    } else if (mode == "stall") {
      res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
        sink.write("[", 1);
        stop_.Wait(std::chrono::seconds(30));  // the stall itself: nothing more until the test ends
        return false;
      });
    } else {
      res.set_content("[]", "application/json");
    }
  });
  s.Get(R"(/([a-z0-9]+)/earthstar-api/v1/([^/]+)/stream)", [this, detour](const httplib::Request& req,
                                                                          httplib::Response& res) {
    const std::string mode = req.matches[1];
    Log(mode, "GET stream", req.get_header_value("User-Agent"));
    if (detour(req, res, mode)) return;
    if (mode == "nostream") {
      res.status = 404, res.set_content("Cannot GET /stream", "text/html");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    const bool bad = mode == "badstream";
    res.set_chunked_content_provider("text/event-stream", [this, bad, mode](size_t offset, httplib::DataSink& sink) {
      if (bad && offset == 0) {
        const std::string events = std::string("data: ") + kBadSignatureDoc + "\n\ndata: {\"format\": not json\n\n";
        sink.write(events.data(), events.size());
      }
      const std::string keepalive = "data: KEEPALIVE\n\n";
      if (sink.write(keepalive.data(), keepalive.size())) {
        std::scoped_lock lock(mu_);
        ++keepalives_[mode];
      }
      // The stream's pace (a keep-alive every 500 ms) is this server's
      // behaviour; it ends at once when the server stops.
      return !stop_.Wait(std::chrono::milliseconds(500));
    });
  });
  s.Post(docs, [this, detour](const httplib::Request& req, httplib::Response& res) {
    const std::string mode = req.matches[1];
    Log(mode, "POST documents", req.get_header_value("User-Agent"));
    if (detour(req, res, mode)) return;
    const int n = ++posts_;
    if (mode == "flaky" && n <= failing_posts) {
      res.status = 500, res.set_content("<html><body>Internal Server Error</body></html>", "text/html");
    } else if (mode == "403") {
      res.status = 403, res.set_content("Forbidden", "text/plain");
    } else if (mode == "413") {
      res.status = 413, res.set_content("<html>too large</html>", "text/html");
    } else if (mode == "mem") {
      // One document per (path, author), the newest: as a pub keeps them.
      auto json = core::ParseJson(req.body);
      if (!json.ok() || !json->is_array()) {
        res.status = 400, res.set_content("bad json", "text/plain");
        return;
      }
      int ingested = 0;
      std::scoped_lock lock(mu_);
      for (const auto& d : *json) {
        bool replaced = false, older = false;
        for (auto& kept : stored_) {
          auto k = core::ParseJson(kept);
          if ((*k)["path"] == d["path"] && (*k)["author"] == d["author"]) {
            if ((*k)["timestamp"].get<int64_t>() < d["timestamp"].get<int64_t>()) {
              kept = d.dump(), replaced = true;
            } else {
              older = true;
            }
          }
        }
        if (!replaced && !older) stored_.push_back(d.dump());
        if (!older) ++ingested;
      }
      res.set_content(R"({"numIngested":)" + std::to_string(ingested) + R"(,"numIgnored":)" +
                          std::to_string(json->size() - ingested) + R"(,"numTotal":)" + std::to_string(json->size()) +
                          "}",
                      "application/json");
    } else {
      res.set_content(R"({"numIngested":0,"numIgnored":0,"numTotal":0})", "application/json");
    }
  });
  port_ = s.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // bind_to_any_port has bound the socket: connections queue until listen
  // runs, so no wait is needed.
}

FakePub::~FakePub() {
  stop_.Stop();
  server_->stop();
  thread_.join();
}

int FakePub::keepalives(const std::string& mode) const {
  std::scoped_lock lock(mu_);
  auto it = keepalives_.find(mode);
  return it == keepalives_.end() ? 0 : it->second;
}

std::string FakePub::Url(const std::string& mode) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/" + mode;
}

}  // namespace esfs::testing
