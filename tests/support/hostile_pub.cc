#include "tests/support/hostile_pub.h"

#include <httplib.h>

#include <chrono>

namespace esfs::testing {
namespace {

// A document whose signature does not match its content.
constexpr const char* kBadSignatureDoc =
    R"({"format":"es.4","workspace":"+gardening.friends","path":"/evil.txt","contentHash":"bzklycewkdo64v6wcggzzui64jwtyn37ycr6e44vzqb3yll7ojc5q","content":"a","author":"@suzy.bfhcpxc5ixkxvzhwq4futxms2dxesgrk2qxpaknu4pfdd6unqjugq","timestamp":1767225600000000,"deleteAfter":null,"signature":"bjljalsg2mulkut56anrteaejvrrtnjlrwfvswiqsi2psero22qqw7am34z3u3xcw7nx6mha42isfuzae5xda3armky5clrqrewrhgca"})";

}  // namespace

std::string HostilePub::JunkElement(size_t i) {
  switch (i % 5) {
    case 0: return std::to_string(i);
    case 1: return R"({"junk":)" + std::to_string(i) + "}";
    case 2: return kBadSignatureDoc;
    case 3: return R"({"format":"es.4","path":"/\u001b[31mred\n)" + std::to_string(i) + R"("})";
    default: return R"(["not","a","document"])";
  }
}

HostilePub::HostilePub() : server_(std::make_unique<httplib::Server>()) {
  auto& s = *server_;
  const std::string docs = R"(/([a-z]+)/earthstar-api/v1/([^/]+)/documents)";
  s.Get(docs, [this](const httplib::Request& req, httplib::Response& res) {
    ++listings_served;
    const std::string mode = req.matches[1];
    if (mode == "junk") {
      std::string body = "[";
      body.reserve(junk_count * 120);
      for (size_t i = 0; i < junk_count; ++i) {
        if (i) body += ',';
        body += JunkElement(i);
      }
      body += ']';
      // Express's content type, as the reference pub sends it: cpp-httplib
      // compresses a bare "application/json", and compressing 24 MB took
      // as long as the client's 30 s stall timeout on a busy machine.
      res.set_content(body, "application/json; charset=utf-8");
    } else if (mode == "huge") {
      std::string body = "[\"" + std::string(huge_bytes, 'x') + "\"]";
      res.set_content(body, "application/json; charset=utf-8");
    } else if (mode == "slow") {
      res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
        // One byte a second is this mode's behaviour; it ends at once
        // when the server stops.
        return !stop_.Wait(std::chrono::seconds(1)) && sink.write("[", 1);
      });
    } else if (mode == "served") {
      std::scoped_lock lock(served_mu_);
      res.set_content(served_, "application/json");
    } else {
      res.set_content("[]", "application/json");
    }
  });
  s.Post(docs, [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"numIngested":0,"numIgnored":0,"numTotal":0})", "application/json");
  });
  s.Get(R"(/([a-z]+)/earthstar-api/v1/([^/]+)/stream)", [this](const httplib::Request&, httplib::Response& res) {
    ++streams_opened;
    auto sent = std::make_shared<bool>(false);
    res.set_chunked_content_provider("text/event-stream", [this, sent](size_t, httplib::DataSink& sink) {
      if (!*sent && release) {
        *sent = true;
        for (size_t i = 0; i < junk_count && !stop_.stopped(); ++i) {
          std::string event =
              i % 3 == 0 ? "data: not json " + std::to_string(i) + "\n\n" : "data: " + JunkElement(i) + "\n\n";
          if (!sink.write(event.data(), event.size())) return false;
          ++junk_events_sent;
        }
        const std::string last = "data: " + final_event + "\n\n";
        if (!final_event.empty() && !sink.write(last.data(), last.size())) return false;
      }
      // The stream's pace: a keep-alive (and a look at |release|) every
      // 100 ms; it ends at once when the server stops.
      if (stop_.Wait(std::chrono::milliseconds(100))) return false;
      const std::string keep = "data: KEEPALIVE\n\n";
      return sink.write(keep.data(), keep.size());
    });
  });
  port_ = s.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

HostilePub::~HostilePub() {
  stop_.Stop();
  server_->stop();
  thread_.join();
}

void HostilePub::Serve(std::string listing) {
  std::scoped_lock lock(served_mu_);
  served_ = std::move(listing);
}

std::string HostilePub::Url(const std::string& mode) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + mode;
}

}  // namespace esfs::testing
