// Helpers shared by the tests: where the conformance vectors are, temporary
// folders that clean up after themselves, running a program with its
// output captured, and waiting for conditions (never for a fixed time).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/js_compat.h"
#include "core/store.h"
#include "keys/identity.h"

namespace esfs::testing {

// ../shared/vectors next to the repository (or $ESFS_VECTORS_DIR).
std::string VectorsDir();
// ../shared/interop (or $ESFS_INTEROP_DIR).
std::string InteropDir();
// The repository's root folder.
std::string SourceDir();
// The esfs executable under test.
std::string EsfsBinary();

// Parses ../shared/vectors/<name>; fails the calling test if it cannot.
core::OrderedJson LoadVectors(const std::string& name);

// Records that |count| records of |what| were checked; a summary of all
// counts is printed when the test program ends.
void CountChecked(const std::string& what, size_t count);

// A fresh folder under $TMPDIR, removed with everything in it on scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;  // -1 if it did not exit normally
  std::string out;
  std::string err;
};

// Runs argv (no shell) with |input| on stdin; waits at most |timeout_s|
// seconds, then kills it (exit_code -1).
RunResult RunProgram(const std::vector<std::string>& argv, const std::string& input = "", int timeout_s = 120);

// Runs refclient.js with node.
RunResult RunRefclient(const std::vector<std::string>& args, const std::string& input = "");

void WriteFile(const std::string& path, const std::string& data);
// The names in folder |dir| (without "." and ".."); empty if unreadable.
std::set<std::string> ListDir(const std::string& dir);
// Polls |check| (every few milliseconds) until it holds or |timeout|
// passes; its last answer, asked once more at the deadline. Tests wait on
// conditions this way, never with a fixed sleep.
bool WaitUntil(const std::function<bool()>& check, std::chrono::milliseconds timeout);
// The same with a timeout in seconds.
bool Eventually(const std::function<bool()>& check, int seconds = 20);

// Waits for child |pid| to exit, at most |timeout| (a pidfd is polled: no
// sleep). Its wait status once reaped, or nullopt if it is still running
// (the caller decides whether to kill it).
std::optional<int> WaitForChild(pid_t pid, std::chrono::milliseconds timeout);

// A stop flag that fake servers pace their replies with: Wait() sleeps
// the server's own interval but returns at once when Stop() is called, so
// a test never waits for a timer to end when the server shuts down.
// Thread-safe.
class StopSignal {
 public:
  void Stop();
  bool stopped() const;
  // Waits |d| or until stopped; true if stopped.
  bool Wait(std::chrono::milliseconds d);

 private:
  mutable std::mutex mu_;  // guards stopped_
  std::condition_variable cv_;
  bool stopped_ = false;
};
std::string ReadFile(const std::string& path);

// Decodes lowercase/uppercase hex.
std::string HexToBytes(const std::string& hex);

// An identity from a seed of 32 equal bytes: the same keys on every run.
keys::Identity MakeIdentity(const char* name, uint8_t seed_byte);

// A store in |data_dir| (created if needed) holding the workspace
// |workspace|; |clock| as in core::StoreOptions. A failure to open or to add
// the workspace is a test failure (with the reason) and returns nullptr.
std::unique_ptr<core::Store> OpenStoreWith(const std::string& data_dir, const std::string& workspace,
                                           const core::Clock* clock = nullptr);

}  // namespace esfs::testing
