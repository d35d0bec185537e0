// `esfs pub` as a child process for one test: its own data folder (or a
// given one, for restarts), 127.0.0.1 and a free port (--port 0, read from
// its "listening on" line). The destructor stops it (SIGTERM, then
// SIGKILL) and reaps it, also when the test failed half way. Helpers sign
// documents in-process and talk HTTP to it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/document.h"
#include "tests/support/test_support.h"

namespace esfs::testing {

class EsfsPub {
 public:
  // Starts `esfs pub --host 127.0.0.1 --port 0 --data DATA |extra|...` (no
  // --port 0 if |extra| names a port) and
  // waits (at most 20 s) for its listening line; fails the test if it
  // does not come. |data_dir| empty: a folder of its own.
  explicit EsfsPub(std::vector<std::string> extra = {}, const std::string& data_dir = "");
  ~EsfsPub();
  EsfsPub(const EsfsPub&) = delete;
  EsfsPub& operator=(const EsfsPub&) = delete;

  bool ready() const { return port_ > 0; }
  const std::string& url() const { return url_; }
  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string Output() const { return ReadFile(log_); }
  pid_t pid() const { return pid_; }
  // SIGTERM and wait; its exit status (-1 if it had to be killed).
  int Stop();
  // SIGKILL and reap, as a crash.
  void Kill();

 private:
  TempDir dir_;
  std::string data_dir_, log_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string url_;
};

// |count| documents by |author| at /test/<prefix><i>.txt, content |content_bytes| long.
std::vector<core::Document> SignedDocs(const keys::Identity& author, const std::string& workspace,
                                       const std::string& prefix, size_t count, size_t content_bytes = 100);
std::string DocsJson(const std::vector<core::Document>& docs);

struct HttpReply {
  int status = 0;  // 0: no reply (connection failed or cut)
  std::string body;
  std::string content_type;
};
HttpReply HttpGetText(const std::string& url, const std::string& path, int timeout_s = 20);
HttpReply HttpPostText(const std::string& url, const std::string& path, const std::string& body,
                       const std::string& content_type = "application/json", int timeout_s = 60);

}  // namespace esfs::testing
