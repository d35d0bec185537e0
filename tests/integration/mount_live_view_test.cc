// The live view (DESIGN decision 10, fs/replayer.h): real watchers —
// inotifywait -m -r and gio monitor — on a real mount see changes that
// arrive from another process (esfs put, esfs import) and from a second
// mount syncing through the REAL reference pub, and the replay never
// changes what the store holds. A burst neither deadlocks nor stalls the
// mount, and a daemon stopped during a burst exits cleanly.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/store.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/ref_pub.h"

namespace esfs::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A watcher program running in the background: every line it prints, with
// the time it was read. Killed and reaped on destruction.
class Watcher {
 public:
  struct Line {
    Clock::time_point at;
    std::string text;
  };

  explicit Watcher(std::vector<std::string> argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
    reader_ = std::thread([this] { Read(); });
  }
  ~Watcher() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) close(fd_);
  }

  std::vector<Line> Lines() const {
    std::scoped_lock lock(mu_);
    return lines_;
  }
  size_t size() const {
    std::scoped_lock lock(mu_);
    return lines_.size();
  }
  // The time of the first line from index |from| on that holds every one
  // of |parts|, if one came within |timeout|.
  std::optional<Clock::time_point> WaitFor(const std::vector<std::string>& parts, std::chrono::milliseconds timeout,
                                           size_t from = 0) const {
    std::optional<Clock::time_point> at;
    WaitUntil(
        [&] {
          std::scoped_lock lock(mu_);
          for (size_t i = from; i < lines_.size(); ++i) {
            bool all = true;
            for (const auto& p : parts) all = all && lines_[i].text.find(p) != std::string::npos;
            if (all) {
              at = lines_[i].at;
              return true;
            }
          }
          return false;
        },
        timeout);
    return at;
  }
  size_t Count(const std::string& part) const {
    std::scoped_lock lock(mu_);
    size_t n = 0;
    for (const auto& l : lines_) n += l.text.find(part) != std::string::npos ? 1 : 0;
    return n;
  }
  std::string Text() const {
    std::scoped_lock lock(mu_);
    std::string all;
    for (const auto& l : lines_) all += l.text + "\n";
    return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
  }

 private:
  void Read() {
    std::string partial;
    char buf[65536];
    for (;;) {
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) return;
      const auto now = Clock::now();
      partial.append(buf, static_cast<size_t>(n));
      size_t nl;
      std::scoped_lock lock(mu_);
      while ((nl = partial.find('\n')) != std::string::npos) {
        lines_.push_back({now, partial.substr(0, nl)});
        partial.erase(0, nl + 1);
      }
    }
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;  // guards lines_
  std::vector<Line> lines_;
};

// inotifywait -m -r on |dir|, line-buffered, once its watches are set.
std::unique_ptr<Watcher> Inotifywait(const std::string& dir) {
  auto w = std::make_unique<Watcher>(
      std::vector<std::string>{"stdbuf", "-oL", "inotifywait", "-m", "-r", "--format", "%e %w%f", dir});
  EXPECT_TRUE(w->WaitFor({"Watches established"}, std::chrono::seconds(10))) << w->Text();
  return w;
}

// gio monitor on |dir|; ready once it reports a file made through the
// mount (it prints nothing when its monitor is set up).
std::unique_ptr<Watcher> GioMonitor(const std::string& dir) {
  auto w = std::make_unique<Watcher>(std::vector<std::string>{"stdbuf", "-oL", "gio", "monitor", dir});
  const std::string probe = dir + "/gio-probe~";  // a local-only name: nothing is published
  EXPECT_TRUE(WaitUntil(
      [&] {
        WriteFile(probe, "x");
        return w->WaitFor({"gio-probe~: "}, std::chrono::milliseconds(200)).has_value();
      },
      std::chrono::seconds(10)))
      << w->Text();
  unlink(probe.c_str());
  EXPECT_TRUE(w->WaitFor({"gio-probe~: deleted"}, std::chrono::seconds(5))) << w->Text();
  return w;
}

std::chrono::milliseconds Since(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from);
}

// |count| documents by another author, signed in a store of their own and
// exported as the JSON array esfs import takes.
std::string SignedDocs(const TempDir& dir, const std::string& prefix, int count, const std::string& content) {
  auto store = OpenStoreWith(dir.File("other-" + prefix), MountedEsfs::kWorkspace);
  if (!store) return "";
  const keys::Identity other = MakeIdentity("fern", 7);
  std::vector<core::SetRequest> requests;
  for (int i = 0; i < count; ++i) {
    requests.push_back(
        {MountedEsfs::kWorkspace, prefix + std::to_string(i) + ".txt", content + std::to_string(i), std::nullopt});
  }
  auto docs = store->replica().SetMany(other, requests);
  EXPECT_TRUE(docs.ok()) << docs.status().message();
  auto all = store->replica().AllDocuments(MountedEsfs::kWorkspace);
  if (!all.ok()) return "";
  core::OrderedJson array = core::OrderedJson::array();
  for (const auto& d : *all) array.push_back(core::DocumentToJson(d));
  return array.dump();
}

TEST(LiveView, ChangesFromAnotherProcessReachInotifywaitAndGioWithinASecond) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  auto inotify = Inotifywait(m.Path());
  auto gio = GioMonitor(m.Path());
  const auto limit = std::chrono::milliseconds(1000);

  // A new file.
  auto put = m.Esfs({"put", MountedEsfs::kWorkspace, "/a.txt", "-"}, "first");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto done = Clock::now();
  auto created = inotify->WaitFor({"CREATE ", "/a.txt"}, std::chrono::seconds(5));
  ASSERT_TRUE(created) << inotify->Text() << m.LogText();
  EXPECT_LE(Since(done, *created), limit);
  EXPECT_TRUE(inotify->WaitFor({"CLOSE_WRITE", "/a.txt"}, limit)) << inotify->Text();
  EXPECT_TRUE(gio->WaitFor({"a.txt: created"}, limit)) << gio->Text();
  EXPECT_EQ(ReadFile(m.Path("a.txt")), "first");  // the replay's byte never reaches a reader

  // A change of it: IN_MODIFY, no second IN_CREATE.
  size_t mark = inotify->size(), gio_mark = gio->size();
  put = m.Esfs({"put", MountedEsfs::kWorkspace, "/a.txt", "-"}, "second");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  done = Clock::now();
  auto modified = inotify->WaitFor({"MODIFY ", "/a.txt"}, std::chrono::seconds(5), mark);
  ASSERT_TRUE(modified) << inotify->Text();
  EXPECT_LE(Since(done, *modified), limit);
  EXPECT_TRUE(gio->WaitFor({"a.txt: changed"}, limit, gio_mark)) << gio->Text();
  EXPECT_FALSE(inotify->WaitFor({"CREATE ", "/a.txt"}, std::chrono::milliseconds(0), mark));
  EXPECT_EQ(ReadFile(m.Path("a.txt")), "second");

  // New sub-folders: reported, and watched recursively by inotifywait (a
  // later file inside is reported too).
  mark = inotify->size();
  put = m.Esfs({"put", MountedEsfs::kWorkspace, "/new/sub/b.txt", "-"}, "deep");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  done = Clock::now();
  auto folder = inotify->WaitFor({"CREATE,ISDIR ", "/new"}, std::chrono::seconds(5), mark);
  ASSERT_TRUE(folder) << inotify->Text();
  EXPECT_LE(Since(done, *folder), limit);
  EXPECT_TRUE(inotify->WaitFor({"CREATE,ISDIR ", "/new/sub"}, limit, mark)) << inotify->Text();
  EXPECT_TRUE(inotify->WaitFor({"CREATE ", "/new/sub/b.txt"}, limit, mark)) << inotify->Text();
  EXPECT_TRUE(gio->WaitFor({"new: created"}, limit)) << gio->Text();
  mark = inotify->size();
  ASSERT_EQ(m.Esfs({"put", MountedEsfs::kWorkspace, "/new/sub/c.txt", "-"}, "deeper").exit_code, 0);
  EXPECT_TRUE(inotify->WaitFor({"CREATE ", "/new/sub/c.txt"}, limit, mark)) << inotify->Text();

  // esfs import of documents by another author.
  TempDir dir;
  const std::string docs = SignedDocs(dir, "/imported/n", 3, "imported ");
  ASSERT_FALSE(docs.empty());
  mark = inotify->size();
  auto imported = m.Esfs({"import", MountedEsfs::kWorkspace, "-"}, docs);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  done = Clock::now();
  auto first = inotify->WaitFor({"CREATE ", "/imported/n0.txt"}, std::chrono::seconds(5), mark);
  ASSERT_TRUE(first) << inotify->Text();
  EXPECT_LE(Since(done, *first), limit);
  EXPECT_TRUE(inotify->WaitFor({"CLOSE_WRITE", "/imported/n2.txt"}, limit, mark)) << inotify->Text();
  EXPECT_TRUE(gio->WaitFor({"imported: created"}, limit)) << gio->Text();

  // A deletion.
  mark = inotify->size();
  gio_mark = gio->size();
  ASSERT_EQ(m.Esfs({"put", "--delete", MountedEsfs::kWorkspace, "/a.txt"}).exit_code, 0);
  done = Clock::now();
  auto deleted = inotify->WaitFor({"DELETE ", "/a.txt"}, std::chrono::seconds(5), mark);
  ASSERT_TRUE(deleted) << inotify->Text();
  EXPECT_LE(Since(done, *deleted), limit);
  EXPECT_TRUE(gio->WaitFor({"a.txt: deleted"}, limit, gio_mark)) << gio->Text();

  // The replay changed nothing in the store: what the commands stored is
  // all there is, and it stays so once every replay is done.
  const auto before = m.Export();
  ASSERT_TRUE(Eventually([&] { return m.LogText().find("live view: replayed") != std::string::npos; }));
  EXPECT_EQ(before.size(), 6u) << before.dump();  // a.txt (tombstone), b, c, three imported
  EXPECT_EQ(m.Export(), before);
  EXPECT_FALSE(std::regex_search(m.LogText(), std::regex("[1-9][0-9]* failed"))) << m.LogText();
}

TEST(LiveView, ASaveInASecondMountThroughTheReferencePubIsSeenWithinTwoSeconds) {
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  MountedEsfs a("suzy", pub.url());
  MountedEsfs b("matt", pub.url());
  ASSERT_TRUE(a.mounted() && b.mounted());
  // A first save makes the workspace exist on the pub, and both syncers
  // follow its live stream afterwards.
  WriteFile(a.Path("warm-up.md"), "hello");
  ASSERT_TRUE(Eventually([&] { return ReadFile(b.Path("warm-up.md")) == "hello"; })) << b.LogText();
  ASSERT_TRUE(Eventually([&] { return pub.StreamsOpened() >= 2; })) << pub.Output();
  auto inotify = Inotifywait(b.Path());
  auto gio = GioMonitor(b.Path());
  ASSERT_EQ(mkdir(a.Path("notes").c_str(), 0755), 0);
  WriteFile(a.Path("notes/from-a.md"), "saved in a");
  const auto saved = Clock::now();
  auto seen = inotify->WaitFor({"CLOSE_WRITE", "/notes/from-a.md"}, std::chrono::seconds(10));
  ASSERT_TRUE(seen) << inotify->Text() << b.LogText();
  EXPECT_LE(Since(saved, *seen), std::chrono::milliseconds(2000));
  EXPECT_TRUE(inotify->WaitFor({"CREATE,ISDIR ", "/notes"}, std::chrono::milliseconds(0))) << inotify->Text();
  EXPECT_TRUE(gio->WaitFor({"notes: created"}, std::chrono::seconds(2))) << gio->Text();
  EXPECT_EQ(ReadFile(b.Path("notes/from-a.md")), "saved in a");
  // A change of it.
  const size_t mark = inotify->size();
  WriteFile(a.Path("notes/from-a.md"), "changed in a");
  const auto changed = Clock::now();
  auto modified = inotify->WaitFor({"MODIFY ", "/notes/from-a.md"}, std::chrono::seconds(10), mark);
  ASSERT_TRUE(modified) << inotify->Text();
  EXPECT_LE(Since(changed, *modified), std::chrono::milliseconds(2000));
  EXPECT_TRUE(Eventually([&] { return ReadFile(b.Path("notes/from-a.md")) == "changed in a"; }));
  // B's store holds only what A signed: the replay published nothing.
  for (const auto& doc : b.Export()) EXPECT_EQ(doc["author"], a.address()) << doc.dump();
}

TEST(LiveView, ABurstNeitherDeadlocksNorStallsTheMountAndStoresNothing) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  // Into a folder that exists (a recursive watcher misses what is made in
  // a new folder before it has added its watch there: inotify's own race).
  ASSERT_EQ(m.Esfs({"put", MountedEsfs::kWorkspace, "/burst/first.txt", "-"}, "1").exit_code, 0);
  auto inotify = Inotifywait(m.Path());
  constexpr int kDocs = 1000;  // scripts/bench/replay.sh runs 10,000
  TempDir dir;
  const std::string docs = SignedDocs(dir, "/burst/doc-", kDocs, "burst ");
  ASSERT_FALSE(docs.empty());
  auto imported = m.Esfs({"import", MountedEsfs::kWorkspace, "-"}, docs);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const auto stored = m.Export();
  ASSERT_EQ(stored.size(), static_cast<size_t>(kDocs) + 1);
  // While the burst is replayed, ls answers within 5 s each time.
  int listings = 0;
  const auto began = Clock::now();
  while (inotify->Count("CLOSE_WRITE,CLOSE " + m.Path("burst/doc-")) < static_cast<size_t>(kDocs)) {
    const auto start = Clock::now();
    auto ls = RunProgram({"ls", m.Path("burst")}, "", 30);
    ASSERT_EQ(ls.exit_code, 0) << ls.err;
    ASSERT_LE(Since(start, Clock::now()), std::chrono::milliseconds(5000));
    ++listings;
    ASSERT_LE(Since(began, Clock::now()), std::chrono::seconds(60))
        << inotify->Count("CLOSE_WRITE") << " replayed: " << m.LogText();
  }
  EXPECT_GE(listings, 1);
  EXPECT_EQ(inotify->Count("CREATE " + m.Path("burst/doc-")), static_cast<size_t>(kDocs)) << m.LogText();
  EXPECT_EQ(inotify->Count("CREATE,ISDIR "), 0u);
  // Nothing new in the store: the same documents, byte for byte.
  EXPECT_EQ(m.Export(), stored);
  EXPECT_EQ(ReadFile(m.Path("burst/doc-7.txt")), "burst 7");
}

// Imports kCutDocs documents under /cut and returns once the replay of
// the burst has begun (the first CREATE is seen): a stop lands mid-burst.
constexpr int kCutDocs = 3000;
void StartCutBurst(MountedEsfs& m, Watcher& inotify) {
  TempDir dir;
  const std::string docs = SignedDocs(dir, "/cut/f", kCutDocs, "cut ");
  ASSERT_FALSE(docs.empty());
  ASSERT_EQ(m.Esfs({"import", MountedEsfs::kWorkspace, "-"}, docs).exit_code, 0);
  ASSERT_TRUE(inotify.WaitFor({"CREATE ", "/cut/f"}, std::chrono::seconds(10))) << inotify.Text() << m.LogText();
}

TEST(LiveView, TheDaemonStopsCleanlyDuringABurst) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  auto inotify = Inotifywait(m.Path());
  constexpr int kDocs = kCutDocs;
  ASSERT_NO_FATAL_FAILURE(StartCutBurst(m, *inotify));
  // SIGTERM mid-burst: the loop ends, the replay's call under way is
  // answered, its thread joined, the session unmounted; exit status 0.
  ASSERT_EQ(kill(m.pid(), SIGTERM), 0);
  EXPECT_EQ(m.WaitForExit(15), 0) << m.LogText();
  EXPECT_EQ(m.LogText().find("did not end within"), std::string::npos) << m.LogText();
  EXPECT_LT(inotify->Count("CLOSE_WRITE"), static_cast<size_t>(kDocs)) << "the burst was not cut short";
  struct stat st;
  EXPECT_EQ(stat(m.mountpoint().c_str(), &st), 0) << "mount point left stale: " << std::strerror(errno);
  // Nothing replayed into the folder under the mount point.
  EXPECT_TRUE(ListDir(m.mountpoint()).empty());
  EXPECT_EQ(m.Export().size(), static_cast<size_t>(kDocs));
  // And the next mount works (the burst is not replayed again: it is old).
  ASSERT_TRUE(m.Mount()) << m.LogText();
  EXPECT_EQ(ReadFile(m.Path("cut/f1.txt")), "cut 1");
}

// `esfs umount` while a burst is replayed: a plain fusermount3 -u is refused
// as busy (the replay holds descriptors of the mount); esfs umount finds that
// only the daemon holds it and stops it as SIGTERM does.
TEST(LiveView, EsfsUmountDuringABurstStopsTheDaemonCleanly) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  auto inotify = Inotifywait(m.Path());
  constexpr int kDocs = kCutDocs;
  ASSERT_NO_FATAL_FAILURE(StartCutBurst(m, *inotify));
  auto unmounted = m.Esfs({"umount", m.mountpoint()});
  EXPECT_EQ(unmounted.exit_code, 0) << unmounted.err;
  EXPECT_EQ(m.WaitForExit(15), 0) << m.LogText();
  // The replay ended while the session still answered its calls (none was
  // lost at the loop's end, which left it hanging until a forced unmount).
  EXPECT_EQ(m.LogText().find("did not end within"), std::string::npos) << m.LogText();
  struct stat st;
  EXPECT_EQ(stat(m.mountpoint().c_str(), &st), 0) << "mount point left stale: " << std::strerror(errno);
  EXPECT_TRUE(ListDir(m.mountpoint()).empty());
  EXPECT_EQ(m.Export().size(), static_cast<size_t>(kDocs)) << "the replay stored nothing";
}

// Anyone else holding the mount is named, and the mount stays.
TEST(LiveView, EsfsUmountNamesTheProcessThatHoldsTheMount) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  WriteFile(m.Path("held.txt"), "held");
  const int fd = open(m.Path("held.txt").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  auto refused = m.Esfs({"umount", m.mountpoint()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("in use by process " + std::to_string(getpid()) + " ("), std::string::npos) << refused.err;
  EXPECT_EQ(ReadFile(m.Path("held.txt")), "held") << "still mounted, still served";
  close(fd);
  auto unmounted = m.Esfs({"umount", m.mountpoint()});
  EXPECT_EQ(unmounted.exit_code, 0) << unmounted.err;
  EXPECT_EQ(m.WaitForExit(15), 0) << m.LogText();
}

TEST(LiveView, AFileOpenForWritingHereIsNotReplayedAndItsSaveWins) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  WriteFile(m.Path("draft.md"), "v1");
  auto inotify = Inotifywait(m.Path());
  const int fd = open(m.Path("draft.md").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "local edit", 10), 10);
  // Our own open, truncation and write are reported before the remote
  // change: inotify keeps order, so they are read once a later local
  // file's event is.
  WriteFile(m.Path("sync-probe~"), "x");
  ASSERT_TRUE(inotify->WaitFor({"CLOSE_WRITE", "/sync-probe~"}, std::chrono::seconds(20))) << inotify->Text();
  size_t mark = inotify->size();
  ASSERT_EQ(m.Esfs({"put", MountedEsfs::kWorkspace, "/draft.md", "-"}, "remote edit").exit_code, 0);
  // The replay goes in order: once a later change is replayed, the one of
  // the open file was dealt with.
  ASSERT_EQ(m.Esfs({"put", MountedEsfs::kWorkspace, "/later.txt", "-"}, "later").exit_code, 0);
  ASSERT_TRUE(inotify->WaitFor({"CLOSE_WRITE", "/later.txt"}, std::chrono::seconds(5), mark)) << inotify->Text();
  // The replay kept its hands off the open file: no event about it.
  EXPECT_FALSE(inotify->WaitFor({"/draft.md"}, std::chrono::milliseconds(0), mark)) << inotify->Text();
  // The local save comes later, so it wins (LWW); the deferred remote
  // change is not replayed over it.
  mark = inotify->size();
  ASSERT_EQ(close(fd), 0);
  EXPECT_TRUE(inotify->WaitFor({"CLOSE_WRITE", "/draft.md"}, std::chrono::seconds(2), mark));
  EXPECT_EQ(ReadFile(m.Path("draft.md")), "local edit");
  const size_t after_close = inotify->size();
  // One more remote change after the save is replayed as usual.
  ASSERT_EQ(m.Esfs({"put", MountedEsfs::kWorkspace, "/draft.md", "-"}, "remote again").exit_code, 0);
  EXPECT_TRUE(inotify->WaitFor({"MODIFY ", "/draft.md"}, std::chrono::seconds(2), after_close)) << inotify->Text();
  EXPECT_EQ(inotify->Count("CREATE " + m.Path("draft.md")), 0u) << inotify->Text();
  EXPECT_EQ(ReadFile(m.Path("draft.md")), "remote again");
}

}  // namespace
}  // namespace esfs::testing
