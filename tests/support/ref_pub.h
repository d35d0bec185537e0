// The REAL reference pub (earthstar-pub 6.0.5 via ../shared/interop),
// started on 127.0.0.1 for one test and stopped when this object dies.
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/support/test_support.h"

namespace esfs::testing {

class ReferencePub {
 public:
  // Starts the pub on a free port; fails the calling test if it does not
  // report READY within a minute. |extra| goes to start-pub.sh (--sqlite ...).
  explicit ReferencePub(const std::string& extra = "");
  ~ReferencePub();
  ReferencePub(const ReferencePub&) = delete;
  ReferencePub& operator=(const ReferencePub&) = delete;

  const std::string& url() const { return url_; }  // http://127.0.0.1:PORT
  int port() const { return port_; }
  bool ready() const { return !url_.empty(); }
  void Stop();

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string url_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLocalPort();

}  // namespace esfs::testing
