// POSIX behaviours that es.4 allows, on a real mount (issue #17 item 2):
// the bugs pjdfstest found that no es.4 rule explains. Each test checks
// what a POSIX file system does (ext4 as the model) and that a refused
// call changed nothing, in the folder and in the store.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "core/store.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

constexpr const char* kWs = MountedEsfs::kWorkspace;

int64_t Ns(const struct timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

int64_t NowNs() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return Ns(now);
}

// Waits until the clocks a file system may stamp with (the kernel's
// coarse one included) have passed |ns|: a change made after this gets a
// later time than |ns|.
void WaitPast(int64_t ns) {
  ASSERT_TRUE(WaitUntil(
      [&] {
        struct timespec coarse;
        clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
        return Ns(coarse) > ns && NowNs() > ns;
      },
      std::chrono::seconds(5)));
}

struct stat Stat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path << ": " << strerror(errno);
  return st;
}

class MountPosix : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_.mounted()) << m_.LogText();
    auto store = core::Store::Open({m_.data_dir()});
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  std::string WinnerContent(const std::string& path) {
    auto w = store_->replica().Winner(kWs, path);
    EXPECT_TRUE(w.ok());
    return w.ok() && w->has_value() ? (*w)->content : "<none>";
  }
  MountedEsfs m_;
  std::unique_ptr<core::Store> store_;
};

// ---- rename of a folder over a folder ----

TEST_F(MountPosix, FolderRenamedOverANonEmptyFolderIsENOTEMPTYAndNothingChanges) {
  // Both folders exist only as documents (as after a sync): no local folder
  // in the way that would make the local rename fail first.
  const keys::Identity peer = MakeIdentity("peer", 7);
  std::vector<core::SetRequest> docs = {{kWs, "/A/one/k.txt", "from A", std::nullopt},
                                        {kWs, "/B/one/k.txt", "from B", std::nullopt},
                                        {kWs, "/B/only.txt", "only B", std::nullopt}};
  ASSERT_TRUE(store_->replica().SetMany(peer, docs).ok());
  ASSERT_TRUE(Eventually([&] { return access(m_.Path("B/only.txt").c_str(), F_OK) == 0; }));
  const uint64_t commits = store_->CommitCount();
  EXPECT_EQ(rename(m_.Path("A").c_str(), m_.Path("B").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
  EXPECT_EQ(store_->CommitCount(), commits) << "nothing may be written";
  EXPECT_EQ(ReadFile(m_.Path("A/one/k.txt")), "from A");
  EXPECT_EQ(ReadFile(m_.Path("B/one/k.txt")), "from B");
  EXPECT_EQ(ReadFile(m_.Path("B/only.txt")), "only B");
  EXPECT_EQ(WinnerContent("/B/one/k.txt"), "from B");
  EXPECT_EQ(WinnerContent("/A/one/k.txt"), "from A");

  // A folder made here (local) and holding only a local-only file is not
  // empty either.
  ASSERT_EQ(mkdir(m_.Path("C").c_str(), 0755), 0);
  WriteFile(m_.Path("C/x~"), "junk");
  EXPECT_EQ(rename(m_.Path("A").c_str(), m_.Path("C").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
  EXPECT_EQ(ReadFile(m_.Path("C/x~")), "junk");

  // Over an empty folder the rename replaces it.
  ASSERT_EQ(mkdir(m_.Path("D").c_str(), 0755), 0);
  ASSERT_EQ(rename(m_.Path("A").c_str(), m_.Path("D").c_str()), 0) << strerror(errno) << m_.LogText();
  EXPECT_EQ(ReadFile(m_.Path("D/one/k.txt")), "from A");
  EXPECT_EQ(WinnerContent("/D/one/k.txt"), "from A");
  EXPECT_EQ(WinnerContent("/A/one/k.txt"), "");
}

// ---- sizes ----

TEST_F(MountPosix, TruncateToAHugeSizeIsEFBIGAndTheFileKeepsItsContent) {
  WriteFile(m_.Path("t.txt"), "text");
  WriteFile(m_.Path("b.png"), "\x89PNG");
  WriteFile(m_.Path("l.txt~"), "local");
  int created = open(m_.Path("new.txt").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(created, 0);
  ASSERT_EQ(close(created), 0);
  for (const off_t size : {off_t{999'999'999'999'999}, off_t{1} << 62, off_t{64} << 20 | 1}) {
    for (const std::string name : {"t.txt", "b.png", "l.txt~", "new.txt"}) {
      SCOPED_TRACE(name + " to " + std::to_string(size));
      const off_t before = Stat(m_.Path(name)).st_size;
      EXPECT_EQ(truncate(m_.Path(name).c_str(), size), -1);
      EXPECT_EQ(errno, EFBIG);
      int fd = open(m_.Path(name).c_str(), O_RDWR);
      ASSERT_GE(fd, 0) << strerror(errno);
      EXPECT_EQ(ftruncate(fd, size), -1);
      EXPECT_EQ(errno, EFBIG);
      EXPECT_EQ(close(fd), 0) << strerror(errno);
      EXPECT_EQ(Stat(m_.Path(name)).st_size, before);
    }
  }
  EXPECT_EQ(ReadFile(m_.Path("t.txt")), "text");
  EXPECT_EQ(WinnerContent("/t.txt"), "text");
}

TEST_F(MountPosix, SizeAndTimesAfterFtruncateAndCloseAreTheSavedOnesAtOnce) {
  WriteFile(m_.Path("f.txt"), "hello world");
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    const struct stat before = Stat(m_.Path("f.txt"));  // the kernel caches these
    WaitPast(Ns(before.st_mtim));
    int fd = open(m_.Path("f.txt").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    const off_t size = 10 - round;  // "hello world" shrinks a byte per round
    ASSERT_EQ(ftruncate(fd, size), 0);
    struct stat during {};
    ASSERT_EQ(fstat(fd, &during), 0);
    EXPECT_EQ(during.st_size, size);
    ASSERT_EQ(close(fd), 0);
    const struct stat after = Stat(m_.Path("f.txt"));
    auto winner = store_->replica().Winner(kWs, "/f.txt");
    ASSERT_TRUE(winner.ok() && winner->has_value());
    EXPECT_EQ(after.st_size, size);
    EXPECT_EQ((*winner)->content, std::string("hello world").substr(0, static_cast<size_t>(size)));
    EXPECT_EQ(Ns(after.st_mtim), (*winner)->timestamp * 1000) << "the saved document's time, at once";
    EXPECT_GT(Ns(after.st_mtim), Ns(before.st_mtim));
    EXPECT_GE(Ns(after.st_ctim), Ns(after.st_mtim));
  }
}

TEST_F(MountPosix, ACreatedFileShowsItsSavedTimesAtOnceAfterClose) {
  // Empty: a local placeholder, written at the close.
  int fd = open(m_.Path("empty.txt").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(close(fd), 0);
  const struct stat shown = Stat(m_.Path("empty.txt"));
  const struct stat placeholder = Stat(m_.data_dir() + "/local/" + kWs + "/empty.txt");
  EXPECT_EQ(Ns(shown.st_mtim), Ns(placeholder.st_mtim)) << "the kernel kept the time of the create";
  EXPECT_EQ(shown.st_size, 0);
  // The same while another handle keeps the file open (as when the
  // kernel's RELEASE of the closed one has not arrived yet): once saved,
  // the placeholder's times are the file's, not those of the create.
  fd = open(m_.Path("kept.txt").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  const int reader = open(m_.Path("kept.txt").c_str(), O_RDONLY);
  ASSERT_GE(reader, 0);
  ASSERT_EQ(close(fd), 0);
  const struct stat kept_shown = Stat(m_.Path("kept.txt"));
  const struct stat kept_placeholder = Stat(m_.data_dir() + "/local/" + kWs + "/kept.txt");
  EXPECT_EQ(Ns(kept_shown.st_mtim), Ns(kept_placeholder.st_mtim)) << "the time of the create, not of the save";
  ASSERT_EQ(close(reader), 0);
  // With content: a document, written at the close.
  fd = open(m_.Path("full.txt").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "abc", 3), 3);
  ASSERT_EQ(close(fd), 0);
  const struct stat saved = Stat(m_.Path("full.txt"));
  auto winner = store_->replica().Winner(kWs, "/full.txt");
  ASSERT_TRUE(winner.ok() && winner->has_value());
  EXPECT_EQ(Ns(saved.st_mtim), (*winner)->timestamp * 1000);
  EXPECT_EQ(saved.st_size, 3);
}

// ---- links ----

TEST_F(MountPosix, AnUnlinkedOpenFileHasNoLinks) {
  for (const std::string name : {"open.txt", "open.png", "open.txt~"}) {
    SCOPED_TRACE(name);
    WriteFile(m_.Path(name), "content");
    int fd = open(m_.Path(name).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    struct stat st {};
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(st.st_nlink, 1u);
    ASSERT_EQ(unlink(m_.Path(name).c_str()), 0);
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(st.st_nlink, 0u);
    EXPECT_EQ(close(fd), 0);
  }
  // Replaced by a rename: the old file is gone too.
  WriteFile(m_.Path("old.txt"), "old");
  WriteFile(m_.Path("new.txt"), "new");
  int fd = open(m_.Path("old.txt").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(rename(m_.Path("new.txt").c_str(), m_.Path("old.txt").c_str()), 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(close(fd), 0);
  EXPECT_EQ(Stat(m_.Path("old.txt")).st_nlink, 1u);
}

// ---- name and path limits ----

TEST_F(MountPosix, ANameOver255BytesIsENAMETOOLONGForEveryCall) {
  const std::string long_name(256, 'n');
  WriteFile(m_.Path("short.txt"), "s");
  struct stat st;
  EXPECT_EQ(stat(m_.Path(long_name).c_str(), &st), -1);
  EXPECT_EQ(errno, ENAMETOOLONG) << "lookup";
  EXPECT_EQ(open(m_.Path(long_name).c_str(), O_CREAT | O_WRONLY, 0644), -1);
  EXPECT_EQ(errno, ENAMETOOLONG) << "create";
  EXPECT_EQ(mkdir(m_.Path(long_name).c_str(), 0755), -1);
  EXPECT_EQ(errno, ENAMETOOLONG) << "mkdir";
  EXPECT_EQ(rename(m_.Path("short.txt").c_str(), m_.Path(long_name).c_str()), -1);
  EXPECT_EQ(errno, ENAMETOOLONG) << "rename to";
  EXPECT_EQ(rename(m_.Path(long_name).c_str(), m_.Path("other.txt").c_str()), -1);
  EXPECT_EQ(errno, ENAMETOOLONG) << "rename from";
  EXPECT_EQ(unlink(m_.Path(long_name).c_str()), -1);
  EXPECT_EQ(errno, ENAMETOOLONG) << "unlink";
  EXPECT_EQ(ReadFile(m_.Path("short.txt")), "s");
  // 255 bytes is a name like any other.
  const std::string longest(255, 'n');
  WriteFile(m_.Path(longest), "ok");
  EXPECT_EQ(ReadFile(m_.Path(longest)), "ok");
}

TEST_F(MountPosix, AFolderWhosePathNoFileCouldHaveIsENAMETOOLONG) {
  // es.4 paths are at most 512 characters. "/" + 2 x (250 + "/") = 503:
  // a folder there leaves room for names of up to 8 characters.
  const std::string seg(250, 'd');
  ASSERT_EQ(mkdir(m_.Path(seg).c_str(), 0755), 0);
  ASSERT_EQ(mkdir(m_.Path(seg + "/" + seg).c_str(), 0755), 0);
  const std::string base = seg + "/" + seg + "/";
  // "/" + base + "12345678" is 512 characters: the longest file path.
  WriteFile(m_.Path(base + "12345678"), "fits");
  EXPECT_EQ(WinnerContent("/" + base + "12345678"), "fits");
  // A folder of 8 characters would hold paths of at least 514: none fits.
  EXPECT_EQ(mkdir(m_.Path(base + "folder78").c_str(), 0755), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);
  // One of 6 leaves room for a one-character name (510 + 1 = 511 + "x").
  ASSERT_EQ(mkdir(m_.Path(base + "fold56").c_str(), 0755), 0) << strerror(errno);
  WriteFile(m_.Path(base + "fold56/x"), "x");
  EXPECT_EQ(WinnerContent("/" + base + "fold56/x"), "x");
  // A rename that would make such a folder is refused the same way, and
  // so is one that would carry a file past 512 characters.
  ASSERT_EQ(mkdir(m_.Path("f").c_str(), 0755), 0);
  EXPECT_EQ(rename(m_.Path("f").c_str(), m_.Path(base + "folder78").c_str()), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);
  EXPECT_EQ(rename(m_.Path(base + "fold56").c_str(), m_.Path(base + "fold5678").c_str()), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);
  EXPECT_EQ(ReadFile(m_.Path(base + "fold56/x")), "x");
}

// ---- times ----

TEST_F(MountPosix, AtimeMtimeAndCtimeAreKeptApart) {
  for (const std::string name : {"times.txt", "times.txt~"}) {
    SCOPED_TRACE(name);
    const std::string path = m_.Path(name);
    WriteFile(path, "t");
    const struct stat created = Stat(path);
    if (name == "times.txt") {
      auto winner = store_->replica().Winner(kWs, "/" + name);
      ASSERT_TRUE(winner.ok() && winner->has_value());
      EXPECT_EQ(Ns(created.st_mtim), (*winner)->timestamp * 1000) << "a published file's mtime is its document's";
    }
    // utimensat sets each time on its own; ctime moves to now.
    WaitPast(Ns(created.st_ctim));
    const struct timespec both[2] = {{1'000'000, 111}, {2'000'000, 222}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), both, 0), 0) << strerror(errno);
    struct stat st = Stat(path);
    EXPECT_EQ(Ns(st.st_atim), Ns(both[0]));
    EXPECT_EQ(Ns(st.st_mtim), Ns(both[1]));
    EXPECT_GT(Ns(st.st_ctim), Ns(created.st_ctim));
    const int64_t ctime_after_utimens = Ns(st.st_ctim);

    const struct timespec mtime_only[2] = {{0, UTIME_OMIT}, {3'000'000, 333}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), mtime_only, 0), 0);
    st = Stat(path);
    EXPECT_EQ(Ns(st.st_atim), Ns(both[0])) << "UTIME_OMIT keeps atime";
    EXPECT_EQ(Ns(st.st_mtim), Ns(mtime_only[1]));

    const struct timespec atime_only[2] = {{4'000'000, 444}, {0, UTIME_OMIT}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), atime_only, 0), 0);
    st = Stat(path);
    EXPECT_EQ(Ns(st.st_atim), Ns(atime_only[0]));
    EXPECT_EQ(Ns(st.st_mtim), Ns(mtime_only[1])) << "UTIME_OMIT keeps mtime";

    const int64_t before_now = NowNs();
    const struct timespec atime_now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), atime_now, 0), 0);
    st = Stat(path);
    EXPECT_GE(Ns(st.st_atim) + 10'000'000, before_now) << "UTIME_NOW (coarse clocks allowed 10 ms)";
    EXPECT_EQ(Ns(st.st_mtim), Ns(mtime_only[1]));

    // chmod moves ctime only.
    WaitPast(Ns(st.st_ctim));
    const struct stat before_chmod = st;
    ASSERT_EQ(chmod(path.c_str(), 0600), 0);
    st = Stat(path);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_GT(Ns(st.st_ctim), Ns(before_chmod.st_ctim));
    EXPECT_GT(Ns(st.st_ctim), ctime_after_utimens);
    EXPECT_EQ(Ns(st.st_atim), Ns(before_chmod.st_atim));
    EXPECT_EQ(Ns(st.st_mtim), Ns(before_chmod.st_mtim));

    // chown to the owner it has: accepted, moves ctime only.
    WaitPast(Ns(st.st_ctim));
    const struct stat before_chown = st;
    ASSERT_EQ(chown(path.c_str(), st.st_uid, st.st_gid), 0);
    st = Stat(path);
    EXPECT_GT(Ns(st.st_ctim), Ns(before_chown.st_ctim));
    EXPECT_EQ(Ns(st.st_mtim), Ns(before_chown.st_mtim));
    EXPECT_EQ(Ns(st.st_atim), Ns(before_chown.st_atim));
  }
  // They survive a remount (kept beside the store, or on the local file).
  const struct stat published = Stat(m_.Path("times.txt"));
  const struct stat local = Stat(m_.Path("times.txt~"));
  ASSERT_TRUE(m_.Remount()) << m_.LogText();
  for (const auto& [name, before] : {std::pair{"times.txt", published}, std::pair{"times.txt~", local}}) {
    SCOPED_TRACE(name);
    const struct stat st = Stat(m_.Path(name));
    EXPECT_EQ(Ns(st.st_atim), Ns(before.st_atim));
    EXPECT_EQ(Ns(st.st_mtim), Ns(before.st_mtim));
    EXPECT_EQ(Ns(st.st_ctim), Ns(before.st_ctim));
    EXPECT_EQ(st.st_mode & 07777, 0600u);
  }
  // A new save is a new document: its time is the document's again.
  WriteFile(m_.Path("times.txt"), "saved again");
  const struct stat saved = Stat(m_.Path("times.txt"));
  auto winner = store_->replica().Winner(kWs, "/times.txt");
  ASSERT_TRUE(winner.ok() && winner->has_value());
  EXPECT_EQ(Ns(saved.st_mtim), (*winner)->timestamp * 1000);
  EXPECT_GE(Ns(saved.st_ctim), Ns(saved.st_mtim));
}

TEST_F(MountPosix, FolderTimesAreKeptApartToo) {
  ASSERT_EQ(mkdir(m_.Path("dir").c_str(), 0755), 0);
  const struct timespec both[2] = {{1'000'000, 1}, {2'000'000, 2}};
  ASSERT_EQ(utimensat(AT_FDCWD, m_.Path("dir").c_str(), both, 0), 0);
  struct stat st = Stat(m_.Path("dir"));
  EXPECT_EQ(Ns(st.st_atim), Ns(both[0]));
  EXPECT_EQ(Ns(st.st_mtim), Ns(both[1]));
  WaitPast(Ns(st.st_ctim));
  const struct stat before = st;
  ASSERT_EQ(chmod(m_.Path("dir").c_str(), 0700), 0);
  st = Stat(m_.Path("dir"));
  EXPECT_GT(Ns(st.st_ctim), Ns(before.st_ctim));
  EXPECT_EQ(Ns(st.st_mtim), Ns(both[1]));
  EXPECT_EQ(Ns(st.st_atim), Ns(both[0]));
}

// A folder's mtime and ctime move when an entry is added to it or removed
// from it (POSIX), also when the entry is a published document and the
// folder exists only as a path prefix (no local folder to move them).
TEST_F(MountPosix, AFoldersTimesMoveWhenAPublishedEntryComesOrGoes) {
  const keys::Identity peer = MakeIdentity("peer", 7);
  ASSERT_TRUE(store_->replica().Set(peer, kWs, "/docs/a.txt", "from a peer").ok());
  ASSERT_TRUE(store_->replica().Set(peer, kWs, "/other/keep.txt", "kept").ok());
  ASSERT_TRUE(Eventually([&] { return access(m_.Path("docs/a.txt").c_str(), F_OK) == 0; }));
  ASSERT_TRUE(Eventually([&] { return access(m_.Path("other/keep.txt").c_str(), F_OK) == 0; }));
  auto moved_since = [&](const std::string& folder, const struct stat& before) {
    const struct stat now = Stat(m_.Path(folder));
    EXPECT_GT(Ns(now.st_mtim), Ns(before.st_mtim)) << folder;
    EXPECT_GT(Ns(now.st_ctim), Ns(before.st_ctim)) << folder;
    return now;
  };
  struct stat docs = Stat(m_.Path("docs"));
  WaitPast(std::max(Ns(docs.st_mtim), Ns(docs.st_ctim)));

  // A new published file.
  WriteFile(m_.Path("docs/b.txt"), "new");
  docs = moved_since("docs", docs);
  // Changing a file's content is not a change of the folder.
  WaitPast(std::max(Ns(docs.st_mtim), Ns(docs.st_ctim)));
  WriteFile(m_.Path("docs/b.txt"), "newer");
  EXPECT_EQ(Ns(Stat(m_.Path("docs")).st_mtim), Ns(docs.st_mtim));
  // A removal.
  ASSERT_EQ(unlink(m_.Path("docs/b.txt").c_str()), 0);
  docs = moved_since("docs", docs);
  // A rename moves both folders.
  struct stat other = Stat(m_.Path("other"));
  WaitPast(std::max({Ns(docs.st_mtim), Ns(docs.st_ctim), Ns(other.st_mtim), Ns(other.st_ctim)}));
  ASSERT_EQ(rename(m_.Path("docs/a.txt").c_str(), m_.Path("other/a.txt").c_str()), 0);
  docs = moved_since("docs", docs);
  other = moved_since("other", other);
  // A sub-folder made here.
  WaitPast(std::max(Ns(other.st_mtim), Ns(other.st_ctim)));
  ASSERT_EQ(mkdir(m_.Path("other/sub").c_str(), 0755), 0);
  other = moved_since("other", other);
  EXPECT_EQ(WinnerContent("/other/a.txt"), "from a peer");
  // A document from outside (another process, a pub): the live view's
  // replay tells the kernel, and the folder's times move with it.
  WaitPast(std::max(Ns(docs.st_mtim), Ns(docs.st_ctim)));
  ASSERT_TRUE(store_->replica().Set(peer, kWs, "/docs/from-outside.txt", "hello").ok());
  ASSERT_TRUE(Eventually([&] { return Ns(Stat(m_.Path("docs")).st_mtim) > Ns(docs.st_mtim); }))
      << "the folder's mtime did not move for a document from outside";
  EXPECT_EQ(access(m_.Path("docs/from-outside.txt").c_str(), F_OK), 0);

  // What a folder showed never goes back: not after a remount either.
  ASSERT_TRUE(m_.Remount()) << m_.LogText();
  const struct stat after = Stat(m_.Path("other"));
  EXPECT_GE(Ns(after.st_mtim), Ns(other.st_mtim));
  EXPECT_GE(Ns(after.st_ctim), Ns(other.st_ctim));
}

// A folder's times set with utimensat hold until its entries change.
TEST_F(MountPosix, AFolderTimeSetByHandGivesWayToTheNextNewEntry) {
  ASSERT_EQ(mkdir(m_.Path("dir").c_str(), 0755), 0);
  WriteFile(m_.Path("dir/a.txt"), "a");
  const struct timespec both[2] = {{1'000'000, 0}, {2'000'000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, m_.Path("dir").c_str(), both, 0), 0);
  EXPECT_EQ(Ns(Stat(m_.Path("dir")).st_mtim), Ns(both[1]));
  // File systems stamp with the kernel's coarse clock (ext4 as well).
  struct timespec coarse;
  clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
  const int64_t before = Ns(coarse);
  WriteFile(m_.Path("dir/b.txt"), "b");
  EXPECT_GE(Ns(Stat(m_.Path("dir")).st_mtim), before);
}

}  // namespace
}  // namespace esfs::testing
