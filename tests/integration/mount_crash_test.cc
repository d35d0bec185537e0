// Close-only saves against a SIGKILL of the daemon (issue 16, reliability;
// DESIGN decision 4: close() = committed, in the store for every process,
// surviving any crash of esfs). Several writer threads save distinct files
// into a real mount with open, write, close and no fsync; once enough
// closes have returned, the daemon is killed in the middle of the stream.
// Every file whose close() returned 0 must then be in the store with
// exactly its content (a fresh core::Store on the data folder says so),
// the mount point is stale (ENOTCONN), and the next `esfs mount` on it
// cleans that up and shows the same files.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/store.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

constexpr int kWriters = 4;
// The kill comes once this many closes have returned 0 (all writers
// together); the writers go on saving until the daemon is gone.
constexpr size_t kKillAfter = 120;

// The content of writer |w|'s file |i|: unique, and of varying size (up
// to 12 KB, several write() calls) so that the kill can land inside a
// write as well as inside a close.
std::string ContentOf(int w, int i) {
  std::string text = "writer " + std::to_string(w) + ", file " + std::to_string(i) + "\n";
  const size_t lines = static_cast<size_t>((w * 131 + i * 17) % 300);
  for (size_t l = 0; l < lines; ++l) text += "line " + std::to_string(l) + " of this save\n";
  return text;
}

std::string NameOf(int w, int i) { return "w" + std::to_string(w) + "/f" + std::to_string(i) + ".txt"; }

// What the writers saw: the saves whose close() returned 0, and how each
// writer stopped. Thread-safe.
class Ledger {
 public:
  void Acked(const std::string& name, std::string content) {
    std::scoped_lock lock(mu_);
    acked_[name] = std::move(content);
  }
  void Stopped(int writer, const std::string& how) {
    std::scoped_lock lock(mu_);
    stops_[writer] = how;
  }
  size_t count() const {
    std::scoped_lock lock(mu_);
    return acked_.size();
  }
  std::map<std::string, std::string> acked() const {
    std::scoped_lock lock(mu_);
    return acked_;
  }
  std::map<int, std::string> stops() const {
    std::scoped_lock lock(mu_);
    return stops_;
  }

 private:
  mutable std::mutex mu_;  // guards acked_ and stops_
  std::map<std::string, std::string> acked_;
  std::map<int, std::string> stops_;
};

// Writer |w|: open, write, close (no fsync), file after file, until a call
// fails (the daemon is gone) or |stop| is set. A save counts as acked only
// when every call of it, close() included, returned success.
void Writer(const MountedEsfs& m, int w, const std::atomic<bool>& stop, Ledger& ledger) {
  for (int i = 0; !stop; ++i) {
    const std::string name = NameOf(w, i);
    const std::string content = ContentOf(w, i);
    const int fd = open(m.Path(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return ledger.Stopped(w, "open " + name + ": " + strerror(errno));
    size_t done = 0;
    while (done < content.size()) {
      const size_t chunk = std::min<size_t>(4096, content.size() - done);
      const ssize_t n = write(fd, content.data() + done, chunk);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    const int write_errno = errno;
    if (close(fd) != 0) return ledger.Stopped(w, "close " + name + ": " + strerror(errno));
    if (done != content.size()) return ledger.Stopped(w, "write " + name + ": " + strerror(write_errno));
    ledger.Acked(name, content);
  }
  ledger.Stopped(w, "told to stop");
}

// The writer threads; the destructor stops and joins them (also when an
// assertion ended the test early).
class Writers {
 public:
  Writers(const MountedEsfs& m, Ledger& ledger) {
    for (int w = 0; w < kWriters; ++w) threads_.emplace_back([&, w] { Writer(m, w, stop_, ledger); });
  }
  ~Writers() {
    stop_ = true;
    Join();
  }
  // Waits for every writer to stop by itself (at its first failed call).
  void Join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

TEST(MountCrash, SigkillDuringCloseOnlySavesLosesNothingThatCloseAcknowledged) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  for (int w = 0; w < kWriters; ++w) ASSERT_EQ(mkdir(m.Path("w" + std::to_string(w)).c_str(), 0755), 0);

  Ledger ledger;
  Writers writers(m, ledger);
  ASSERT_TRUE(WaitUntil([&] { return ledger.count() >= kKillAfter; }, std::chrono::seconds(60)))
      << "only " << ledger.count() << " saves in a minute: " << m.LogText();
  m.Crash();  // SIGKILL, in the middle of the writers' stream
  writers.Join();
  const auto acked = ledger.acked();
  // Every writer ran into the dead daemon: a request in flight at the kill
  // fails with ECONNABORTED, a later one with ENOTCONN.
  for (const auto& [w, how] : ledger.stops()) {
    EXPECT_TRUE(how.find(strerror(ENOTCONN)) != std::string::npos ||
                how.find(strerror(ECONNABORTED)) != std::string::npos)
        << "writer " << w << " " << how;
  }
  std::cout << acked.size() << " saves acknowledged before the kill" << std::endl;
  ASSERT_GE(acked.size(), kKillAfter);

  // The store, opened afresh by this process: every acknowledged save is
  // there, whole, as the winner at its path, by this mount's author.
  {
    auto store = core::Store::Open({m.data_dir()});
    ASSERT_TRUE(store.ok()) << store.status().message();
    size_t missing = 0, wrong = 0;
    for (const auto& [name, content] : acked) {
      auto winner = (*store)->replica().Winner(MountedEsfs::kWorkspace, "/" + name);
      ASSERT_TRUE(winner.ok()) << winner.status().message();
      if (!winner->has_value()) {
        ADD_FAILURE() << name << ": acknowledged by close() but not in the store";
        ++missing;
      } else if ((*winner)->content != content || (*winner)->author != m.address()) {
        ADD_FAILURE() << name << ": stored with other content (" << (*winner)->content.size() << " bytes, "
                      << content.size() << " saved)";
        ++wrong;
      }
    }
    EXPECT_EQ(missing + wrong, 0u) << "of " << acked.size();
  }

  // The mount point is stale until the next mount cleans it up.
  struct statvfs vfs;
  ASSERT_EQ(statvfs(m.mountpoint().c_str(), &vfs), -1);
  ASSERT_EQ(errno, ENOTCONN) << strerror(errno);
  ASSERT_TRUE(m.Mount()) << m.LogText();
  EXPECT_NE(m.LogText().find("cleaning up a stale mount at " + m.mountpoint()), std::string::npos) << m.LogText();
  std::map<int, std::set<std::string>> listed;
  for (int w = 0; w < kWriters; ++w) listed[w] = ListDir(m.Path("w" + std::to_string(w)));
  size_t unreadable = 0;
  for (const auto& [name, content] : acked) {
    const int w = name[1] - '0';
    const std::string file = name.substr(name.find('/') + 1);
    EXPECT_EQ(listed[w].count(file), 1u) << name << " is not listed after the remount";
    if (ReadFile(m.Path(name)) != content) ++unreadable;
  }
  EXPECT_EQ(unreadable, 0u) << "acknowledged saves that read back wrong after the remount";
  // The mount works as before: a new save after the recovery.
  WriteFile(m.Path("after.txt"), "after the crash");
  EXPECT_EQ(ReadFile(m.Path("after.txt")), "after the crash");
}

}  // namespace
}  // namespace esfs::testing
