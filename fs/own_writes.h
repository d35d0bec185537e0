// What this mount itself wrote to the store, so that the replay of changes
// from outside (fs/replayer.h) can tell a change it must show watchers
// (made by another process, a pub, another mount) from one the kernel has
// already reported (a save, rename or rm made through this mount: the
// calling process's own system call made the inotify event).
//
// The Publisher marks a path as being written before it calls the store
// and records the signature of every document it committed; the replayer
// asks about the winner it is going to replay. The store's change feed can
// report a commit before Publish returns, hence the pending count: while a
// write to the path is under way, the answer is kPending and the replayer
// waits for it.
//
// Owns: the pending counts and a bounded set of recent signatures (the
// oldest go first; a forgotten signature only costs one surplus event).
// Thread-safe: one leaf mutex, held for map work only.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace esfs::fs {

class OwnWrites {
 public:
  static constexpr size_t kMaxRemembered = 32768;

  void Begin(const std::string& ws, const std::string& path);
  // |signature| empty: the write failed (nothing was committed).
  void End(const std::string& ws, const std::string& path, const std::string& signature);

  enum class Verdict { kOurs, kNotOurs, kPending };
  // Whether the document with |signature| at |ws|/|path| is one this mount
  // wrote (then it is forgotten: each is reported once).
  Verdict Check(const std::string& ws, const std::string& path, const std::string& signature);

  size_t remembered() const;

 private:
  static std::string Key(const std::string& ws, const std::string& path) { return ws + '\n' + path; }

  mutable std::mutex mu_;  // guards the members below; a leaf
  std::unordered_map<std::string, int> pending_;
  std::unordered_set<std::string> signatures_;
  std::deque<std::string> order_;  // oldest first; may hold signatures already checked
};

}  // namespace esfs::fs
