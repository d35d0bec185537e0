#include "tests/support/fake_pub.h"

#include <httplib.h>

#include <chrono>

namespace esfs::testing {

FakePub::FakePub() : server_(std::make_unique<httplib::Server>()) {
  auto& s = *server_;
  const std::string docs = R"(/([a-z0-9]+)/earthstar-api/v1/([^/]+)/documents)";
  s.Get(docs, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string mode = req.matches[1];
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
      // Express's content type, as the reference pub sends it. (A bare
      // "application/json" would make cpp-httplib brotli-compress 50 MB
      // first, which under ASan on a busy machine outlasts the stall timeout.)
      std::string body = "[\"" + std::string(50 * 1000 * 1000, 'x') + "\"]";
      res.set_content(body, "application/json; charset=utf-8");
    } else if (mode == "badsig") {
      res.set_content(
          R"([{"format":"es.4","workspace":"+gardening.friends","path":"/evil.txt","contentHash":"bzklycewkdo64v6wcggzzui64jwtyn37ycr6e44vzqb3yll7ojc5q","content":"a","author":"@suzy.bfhcpxc5ixkxvzhwq4futxms2dxesgrk2qxpaknu4pfdd6unqjugq","timestamp":1767225600000000,"deleteAfter":null,"signature":"bjljalsg2mulkut56anrteaejvrrtnjlrwfvswiqsi2psero22qqw7am34z3u3xcw7nx6mha42isfuzae5xda3armky5clrqrewrhgca"}, 7, null])",
          "application/json");
    } else if (mode == "stall") {
      res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
        sink.write("[", 1);
        for (int i = 0; i < 300 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return false;
      });
    } else {
      res.set_content("[]", "application/json");
    }
  });
  s.Get(R"(/([a-z0-9]+)/earthstar-api/v1/([^/]+)/stream)", [this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
      const std::string keepalive = "data: KEEPALIVE\n\n";
      sink.write(keepalive.data(), keepalive.size());
      for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return !stopping_.load();
    });
  });
  s.Post(docs, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string mode = req.matches[1];
    const int n = ++posts_;
    if (mode == "flaky" && n <= failing_posts) {
      res.status = 500, res.set_content("<html><body>Internal Server Error</body></html>", "text/html");
    } else if (mode == "403") {
      res.status = 403, res.set_content("Forbidden", "text/plain");
    } else if (mode == "413") {
      res.status = 413, res.set_content("<html>too large</html>", "text/html");
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
  stopping_ = true;
  server_->stop();
  thread_.join();
}

std::string FakePub::Url(const std::string& mode) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + mode;
}

}  // namespace esfs::testing
