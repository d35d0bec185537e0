// Helpers shared by the tests: where the conformance vectors are, temporary
// folders that clean up after themselves, and running a program with its
// output captured.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/js_compat.h"
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
// Polls |check| every 50 ms until it holds or |seconds| pass; its last
// answer.
bool Eventually(const std::function<bool()>& check, int seconds = 20);
std::string ReadFile(const std::string& path);

// Decodes lowercase/uppercase hex.
std::string HexToBytes(const std::string& hex);

// An identity from a seed of 32 equal bytes: the same keys on every run.
keys::Identity MakeIdentity(const char* name, uint8_t seed_byte);

}  // namespace esfs::testing
