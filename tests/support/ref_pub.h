// The REAL reference pub (earthstar-pub 6.0.5 via ../shared/interop),
// started on 127.0.0.1 for one test and stopped when this object dies.
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/support/test_support.h"

namespace esfs::testing {

class ReferencePub {
 public:
  // Starts the pub; fails the calling test if it does not report READY
  // within two minutes. |extra| goes to start-pub.sh (--sqlite ...).
  // |port| 0: a free port. |data_dir| empty: a fresh folder of its own;
  // given (another pub's data_dir()): a restart on the same data, as
  // after a crash (with --sqlite the documents are still there).
  explicit ReferencePub(const std::string& extra = "", int port = 0, const std::string& data_dir = "");
  ~ReferencePub();
  ReferencePub(const ReferencePub&) = delete;
  ReferencePub& operator=(const ReferencePub&) = delete;

  const std::string& url() const { return url_; }  // http://127.0.0.1:PORT
  int port() const { return port_; }
  bool ready() const { return !url_.empty(); }
  const std::string& data_dir() const { return data_dir_; }  // holds pub.pid
  // What the pub printed so far (stdout and stderr).
  std::string Output() const;
  // Live event streams the pub has opened so far (its "stream: subscribing
  // to" lines): how a test knows a syncer is live.
  size_t StreamsOpened() const;
  // SIGTERM (a clean exit); waits for it.
  void Stop();
  // SIGKILL to the pid in data_dir()/pub.pid, as a crash would (no clean
  // shutdown); waits for it. False if the pid file was not readable.
  bool Kill();

 private:
  TempDir dir_;
  std::string data_dir_;
  std::string output_file_ = dir_.File("pub.log");
  pid_t pid_ = -1;
  int port_ = 0;
  std::string url_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLocalPort();

}  // namespace esfs::testing
