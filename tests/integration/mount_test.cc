// The mount's semantics with plain POSIX calls on a real FUSE mount; each
// test checks the store afterwards (documents, authors, count).
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/store.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;

void Write(const std::string& path, const std::string& data, int flags = O_WRONLY | O_CREAT | O_TRUNC) {
  int fd = open(path.c_str(), flags, 0644);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ASSERT_EQ(close(fd), 0) << strerror(errno);
}

// path -> content of the winning, non-empty documents in the export.
std::map<std::string, std::string> Live(const OrderedJson& docs) {
  std::map<std::string, std::pair<int64_t, std::string>> best;
  for (const auto& d : docs) {
    auto& b = best[d["path"]];
    if (d["timestamp"].get<int64_t>() >= b.first) b = {d["timestamp"].get<int64_t>(), d["content"].get<std::string>()};
  }
  std::map<std::string, std::string> out;
  for (auto& [p, b] : best) {
    if (!b.second.empty()) out[p] = b.second;
  }
  return out;
}

class Mount : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(m_.mounted()) << m_.LogText(); }
  MountedEsfs m_;
};

TEST_F(Mount, RootListsWorkspacesAndFilesReadBack) {
  EXPECT_EQ(ListDir(m_.mountpoint()), std::set<std::string>{MountedEsfs::kWorkspace});
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/wiki/Bees.md"}, "bees\n").exit_code, 0);
  EXPECT_EQ(ReadFile(m_.Path("wiki/Bees.md")), "bees\n");
  struct stat st;
  ASSERT_EQ(stat(m_.Path("wiki/Bees.md").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_EQ(stat(m_.Path("wiki").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  struct statvfs vfs;
  EXPECT_EQ(statvfs(m_.Path().c_str(), &vfs), 0);
  EXPECT_GT(vfs.f_blocks, 0u);
}

TEST_F(Mount, OneSaveIsOneDocumentAndNoChangeIsNone) {
  const std::string file = m_.Path("note.txt");
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(write(fd, "line\n", 5), 5);
  ASSERT_EQ(close(fd), 0);
  auto docs = m_.Export();
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["content"].get<std::string>().size(), 250u);
  EXPECT_EQ(docs[0]["author"], m_.address());
  // Open for writing and close without writing: no new version.
  fd = open(file.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(close(fd), 0);
  // Rewrite with the same content: no new version either.
  Write(file, std::string(250, 'x').replace(0, 250, docs[0]["content"].get<std::string>()));
  EXPECT_EQ(m_.Export()[0]["timestamp"], docs[0]["timestamp"]);
}

TEST_F(Mount, RandomWritesTruncateAppendAndFsync) {
  const std::string file = m_.Path("f.txt");
  int fd = open(file.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "AAAA", 4, 8192), 4);
  ASSERT_EQ(pwrite(fd, "BBBB", 4, 0), 4);
  ASSERT_EQ(fsync(fd), 0);
  ASSERT_EQ(ftruncate(fd, 4), 0);
  ASSERT_EQ(close(fd), 0);
  EXPECT_EQ(ReadFile(file), "BBBB");
  Write(file, "+more", O_WRONLY | O_APPEND);
  EXPECT_EQ(ReadFile(file), "BBBB+more");
  Write(file, "short");  // O_TRUNC: no old tail
  EXPECT_EQ(ReadFile(file), "short");
  auto live = Live(m_.Export());
  EXPECT_EQ(live["/f.txt"], "short");
  // A file created read-only is written through its creating fd (git packs).
  fd = open(m_.Path("ro.pack").c_str(), O_RDWR | O_CREAT | O_EXCL, 0444);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "pack", 4), 4);
  ASSERT_EQ(close(fd), 0);
  EXPECT_EQ(ReadFile(m_.Path("ro.pack")), "pack");
}

TEST_F(Mount, FilesBeingWrittenAreListedBeforeTheirFirstSave) {
  ASSERT_EQ(mkdir(m_.Path("sub").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(m_.Path("other").c_str(), 0755), 0);
  const int draft = open(m_.Path("sub/draft.txt").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(draft, 0);
  ASSERT_EQ(write(draft, "draft", 5), 5);
  const int empty = open(m_.Path("sub/empty.txt").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(empty, 0);
  // Nothing is saved yet (no close), but both files are there, in their
  // folder only. (No child process before this point: one that inherited
  // the descriptors would flush, and so save, them when it exits.)
  EXPECT_EQ(ListDir(m_.Path("sub")), (std::set<std::string>{"draft.txt", "empty.txt"}));
  EXPECT_EQ(ListDir(m_.Path("other")), std::set<std::string>{});
  EXPECT_EQ(ListDir(m_.Path()), (std::set<std::string>{"other", "sub"}));
  ASSERT_EQ(close(draft), 0);
  ASSERT_EQ(close(empty), 0);
  EXPECT_EQ(ListDir(m_.Path("sub")), (std::set<std::string>{"draft.txt", "empty.txt"}));
  EXPECT_EQ(Live(m_.Export()), (std::map<std::string, std::string>{{"/sub/draft.txt", "draft"}}));
  // Closed and removed: listed no more.
  ASSERT_EQ(unlink(m_.Path("sub/draft.txt").c_str()), 0);
  ASSERT_EQ(unlink(m_.Path("sub/empty.txt").c_str()), 0);
  EXPECT_EQ(ListDir(m_.Path("sub")), std::set<std::string>{});
}

TEST_F(Mount, EmptyFilesAndFoldersStayLocalAndSurviveRemount) {
  ASSERT_EQ(mkdir(m_.Path("a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(m_.Path("a/b").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(m_.Path("a/b/c").c_str(), 0755), 0);
  Write(m_.Path("a/b/c/empty"), "");
  EXPECT_EQ(mkdir(m_.Path("a").c_str(), 0755), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(rmdir(m_.Path("a/b").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
  EXPECT_TRUE(m_.Export().empty());  // nothing published
  ASSERT_TRUE(m_.Remount());
  EXPECT_EQ(ListDir(m_.Path("a/b/c")), std::set<std::string>{"empty"});
  // Giving the empty file content publishes it; emptying it again deletes.
  Write(m_.Path("a/b/c/empty"), "now with content");
  EXPECT_EQ(Live(m_.Export())["/a/b/c/empty"], "now with content");
  ASSERT_EQ(truncate(m_.Path("a/b/c/empty").c_str(), 0), 0);
  EXPECT_TRUE(Live(m_.Export()).empty());
  EXPECT_EQ(ListDir(m_.Path("a/b/c")), std::set<std::string>{"empty"});
  ASSERT_EQ(unlink(m_.Path("a/b/c/empty").c_str()), 0);
  ASSERT_EQ(rmdir(m_.Path("a/b/c").c_str()), 0);
  EXPECT_EQ(ListDir(m_.Path("a/b")), std::set<std::string>{});
}

TEST_F(Mount, RenameInAcrossAndOverFiles) {
  Write(m_.Path("one.txt"), "1");
  Write(m_.Path("two.txt"), "2");
  ASSERT_EQ(mkdir(m_.Path("dir").c_str(), 0755), 0);
  ASSERT_EQ(rename(m_.Path("one.txt").c_str(), m_.Path("uno.txt").c_str()), 0);
  ASSERT_EQ(rename(m_.Path("uno.txt").c_str(), m_.Path("dir/uno.txt").c_str()), 0);
  ASSERT_EQ(rename(m_.Path("two.txt").c_str(), m_.Path("dir/uno.txt").c_str()), 0);  // over an existing file
  EXPECT_EQ(ReadFile(m_.Path("dir/uno.txt")), "2");
  EXPECT_EQ(ListDir(m_.Path()), std::set<std::string>{"dir"});
  Write(m_.Path("three.txt"), "3");
  EXPECT_EQ(
      renameat2(AT_FDCWD, m_.Path("three.txt").c_str(), AT_FDCWD, m_.Path("dir/uno.txt").c_str(), RENAME_NOREPLACE),
      -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(ReadFile(m_.Path("dir/uno.txt")), "2");
  auto live = Live(m_.Export());
  EXPECT_EQ(live, (std::map<std::string, std::string>{{"/dir/uno.txt", "2"}, {"/three.txt", "3"}}));
}

TEST_F(Mount, RenameFolderMovesEveryDocument) {
  ASSERT_EQ(mkdir(m_.Path("old").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(m_.Path("old/sub").c_str(), 0755), 0);
  Write(m_.Path("old/a.md"), "a");
  Write(m_.Path("old/sub/b.md"), "b");
  // Neighbours whose names start like the folder's, known to the daemon
  // (looked up, one held open): they stay where they are.
  ASSERT_EQ(mkdir(m_.Path("old2").c_str(), 0755), 0);
  Write(m_.Path("old2/c.md"), "c");
  Write(m_.Path("olde.md"), "e");
  const int held = open(m_.Path("old2/c.md").c_str(), O_RDONLY);
  ASSERT_GE(held, 0);
  ASSERT_EQ(rename(m_.Path("old").c_str(), m_.Path("new").c_str()), 0);
  EXPECT_EQ(ReadFile(m_.Path("new/sub/b.md")), "b");
  EXPECT_EQ(ListDir(m_.Path()), (std::set<std::string>{"new", "old2", "olde.md"}));
  EXPECT_EQ(ReadFile(m_.Path("old2/c.md")), "c");
  EXPECT_EQ(ReadFile(m_.Path("olde.md")), "e");
  char buf[8] = {};
  EXPECT_EQ(pread(held, buf, sizeof buf, 0), 1);
  EXPECT_EQ(std::string(buf), "c");
  close(held);
  struct stat st;
  EXPECT_EQ(stat(m_.Path("old/a.md").c_str(), &st), -1);
  EXPECT_EQ(errno, ENOENT);
  auto live = Live(m_.Export());
  EXPECT_EQ(live, (std::map<std::string, std::string>{
                      {"/new/a.md", "a"}, {"/new/sub/b.md", "b"}, {"/old2/c.md", "c"}, {"/olde.md", "e"}}));
}

TEST_F(Mount, DeleteWritesATombstoneThatStaysAfterRemount) {
  Write(m_.Path("gone.txt"), "soon gone");
  ASSERT_EQ(unlink(m_.Path("gone.txt").c_str()), 0);
  struct stat st;
  EXPECT_EQ(stat(m_.Path("gone.txt").c_str(), &st), -1);
  auto docs = m_.Export();
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["content"], "");
  ASSERT_TRUE(m_.Remount());
  EXPECT_EQ(stat(m_.Path("gone.txt").c_str(), &st), -1);
  // rm -r of a tree.
  ASSERT_EQ(mkdir(m_.Path("t").c_str(), 0755), 0);
  for (int i = 0; i < 30; ++i) Write(m_.Path("t/f" + std::to_string(i)), "x");
  ASSERT_EQ(RunProgram({"rm", "-r", m_.Path("t")}).exit_code, 0);
  EXPECT_EQ(ListDir(m_.Path()), std::set<std::string>{});
  EXPECT_TRUE(Live(m_.Export()).empty());
}

TEST_F(Mount, MetadataCallsAreAcceptedAndReadBack) {
  Write(m_.Path("m.txt"), "meta");
  ASSERT_EQ(chmod(m_.Path("m.txt").c_str(), 0600), 0);
  ASSERT_EQ(chown(m_.Path("m.txt").c_str(), 0, 0), 0);
  ASSERT_EQ(RunProgram({"touch", "-d", "2020-02-02 02:02:02 UTC", m_.Path("m.txt")}).exit_code, 0);
  struct stat st;
  ASSERT_EQ(stat(m_.Path("m.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1580608922);
  // Kept beside the store until the document changes: across a remount...
  ASSERT_TRUE(m_.Remount());
  ASSERT_EQ(stat(m_.Path("m.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1580608922);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // ... and not after a new save.
  Write(m_.Path("m.txt"), "changed");
  ASSERT_EQ(stat(m_.Path("m.txt").c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, 1700000000);
  EXPECT_EQ(symlink("target", m_.Path("link").c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(link(m_.Path("m.txt").c_str(), m_.Path("hard").c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  char buf[64];
  EXPECT_EQ(getxattr(m_.Path("m.txt").c_str(), "system.posix_acl_access", buf, sizeof buf), -1);
}

// Times and modes of published files are written within 200 ms, or at
// once by fsync (LocalState::Durability::kSoon): both survive a crash of the
// daemon, and the ones a crash can lose are only those younger than that.
// The test waits until the store (opened here, as another process may)
// holds the time that was not fsynced, then crashes the daemon.
TEST_F(Mount, TimesAndModesAreDurableAfterFsyncOrAMoment) {
  Write(m_.Path("synced.txt"), "one");
  Write(m_.Path("waited.txt"), "two");
  const struct timespec synced_times[2] = {{0, UTIME_OMIT}, {1580608922, 0}};
  const struct timespec waited_times[2] = {{0, UTIME_OMIT}, {1262304000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, m_.Path("waited.txt").c_str(), waited_times, 0), 0);
  struct stat st;
  ASSERT_EQ(stat(m_.Path("waited.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1262304000);  // seen at once
  {
    auto store = core::Store::Open({m_.data_dir()});
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto written = [&] {
      auto winner = (*store)->replica().Winner(MountedEsfs::kWorkspace, "/waited.txt");
      if (!winner.ok() || !winner->has_value()) return false;
      auto attrs = (*store)->local().GetAttrs(MountedEsfs::kWorkspace, "/waited.txt", (*winner)->signature);
      return attrs.ok() && attrs->has_value() && (*attrs)->mtime_ns == int64_t{1262304000} * 1'000'000'000;
    };
    ASSERT_TRUE(WaitUntil(written, std::chrono::seconds(5))) << "the time set on waited.txt never reached the store";
  }
  int fd = open(m_.Path("synced.txt").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(futimens(fd, synced_times), 0);
  ASSERT_EQ(fchmod(fd, 0640), 0);
  ASSERT_EQ(fsync(fd), 0);  // from here on, on disk
  ASSERT_EQ(close(fd), 0);
  m_.Crash();  // SIGKILL at once, well within the writer's delay
  ASSERT_TRUE(m_.Mount()) << m_.LogText();
  ASSERT_EQ(stat(m_.Path("synced.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1580608922);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(stat(m_.Path("waited.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1262304000);
  EXPECT_EQ(ReadFile(m_.Path("synced.txt")), "one");  // content untouched by any of it
}

// .esfs-history: one read-only file per author's newest version, named by
// the author; restoring is copying a version over the file.
TEST_F(Mount, HistoryFolderShowsEachAuthorsNewestVersionReadOnly) {
  const std::string other_key = m_.data_dir() + "/../other.json";
  auto other = RunProgram({EsfsBinary(), "keygen", "matt", "--out", other_key});
  ASSERT_EQ(other.exit_code, 0);
  const std::string matt = other.out.substr(0, other.out.find('\n'));
  const std::string suzy = m_.address();
  ASSERT_EQ(mkdir(m_.Path("wiki").c_str(), 0755), 0);
  Write(m_.Path("wiki/Bees.md"), "suzy v1");
  ASSERT_EQ(RunProgram({EsfsBinary(), "--data", m_.data_dir(), "--key", other_key, "put", MountedEsfs::kWorkspace,
                        "/wiki/Bees.md"},
                       "matt's version")
                .exit_code,
            0);
  Write(m_.Path("wiki/Bees.md"), "suzy v2");
  const std::string versions = m_.Path(".esfs-history/wiki/Bees.md");
  EXPECT_EQ(ListDir(m_.Path(".esfs-history")), std::set<std::string>{"wiki"});
  EXPECT_EQ(ListDir(m_.Path(".esfs-history/wiki")), std::set<std::string>{"Bees.md"});
  // Each author's newest version, and the local versions (issue #18): what
  // matt's save and then suzy's replaced, named by time, oldest first.
  std::set<std::string> authors, kept;
  for (const auto& name : ListDir(versions)) (name[0] == '@' ? authors : kept).insert(name);
  EXPECT_EQ(authors, (std::set<std::string>{suzy, matt}));
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(ReadFile(versions + "/" + *kept.begin()), "suzy v1");
  EXPECT_EQ(ReadFile(versions + "/" + *kept.rbegin()), "matt's version");
  EXPECT_EQ(ReadFile(versions + "/" + suzy), "suzy v2");
  EXPECT_EQ(ReadFile(versions + "/" + matt), "matt's version");
  // Hidden from the workspace listing, so find, du, rsync and cp -a of the
  // workspace do not walk it.
  EXPECT_EQ(ListDir(m_.Path("")), std::set<std::string>{"wiki"});
  // Times and metadata are the version's own.
  struct stat st;
  ASSERT_EQ(stat((versions + "/" + matt).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(st.st_size, 14);
  int64_t matt_timestamp = 0;
  for (const auto& d : m_.Export()) {
    if (d["author"] == matt) matt_timestamp = d["timestamp"].get<int64_t>();
  }
  EXPECT_EQ(int64_t{st.st_mtim.tv_sec} * 1'000'000 + st.st_mtim.tv_nsec / 1000, matt_timestamp);
  char buf[256];
  ssize_t n = getxattr((versions + "/" + matt).c_str(), "user.earthstar.author", buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), matt);
  ASSERT_EQ(stat(versions.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0555u);
  // Nothing in it can be changed.
  EXPECT_EQ(open((versions + "/" + matt).c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(open((versions + "/new").c_str(), O_WRONLY | O_CREAT, 0644), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(unlink((versions + "/" + suzy).c_str()), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(mkdir((versions + "/sub").c_str(), 0755), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(rename((versions + "/" + matt).c_str(), m_.Path("wiki/stolen.md").c_str()), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_NE(m_.LogText().find("only shows past versions"), std::string::npos);
  // Restore Matt's version: a new document by Suzy with his content.
  ASSERT_EQ(RunProgram({"cp", versions + "/" + matt, m_.Path("wiki/Bees.md")}).exit_code, 0);
  EXPECT_EQ(ReadFile(m_.Path("wiki/Bees.md")), "matt's version");
  EXPECT_EQ(ReadFile(versions + "/" + suzy), "matt's version");
  // A deleted file keeps its history; the deletion is Suzy's newest version.
  ASSERT_EQ(unlink(m_.Path("wiki/Bees.md").c_str()), 0);
  EXPECT_EQ(ListDir(m_.Path(".esfs-history/wiki")), std::set<std::string>{"Bees.md"});
  EXPECT_EQ(ReadFile(versions + "/" + suzy), "");
  EXPECT_EQ(ReadFile(versions + "/" + matt), "matt's version");
  EXPECT_EQ(access((versions + "/@nobody.bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx").c_str(), F_OK), -1);
  EXPECT_EQ(access(m_.Path(".esfs-history/nowhere").c_str(), F_OK), -1);
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t DeleteAfterOf(const OrderedJson& docs, const std::string& path) {
  for (const auto& d : docs) {
    if (d["path"] == path && d["deleteAfter"].is_number()) return d["deleteAfter"].get<int64_t>();
  }
  return 0;
}

// Names with '!' are es.4 ephemeral documents: saved with deleteAfter =
// now + the mount's lifetime (24 h unless --ephemeral-lifetime), shown
// while alive, gone from listings at expiry; rm works on them too.
TEST_F(Mount, EphemeralFilesGetALifetimeAndVanishAtExpiry) {
  ASSERT_EQ(mkdir(m_.Path("chat").c_str(), 0755), 0);
  int64_t before = NowUs();
  Write(m_.Path("chat/long!"), "lives a day");
  int64_t after = NowUs();
  const int64_t day = int64_t{86400} * 1'000'000;
  int64_t delete_after = DeleteAfterOf(m_.Export(), "/chat/long!");
  EXPECT_GE(delete_after, before + day);
  EXPECT_LE(delete_after, after + day + 1'000'000);
  char buf[64];
  ssize_t n = getxattr(m_.Path("chat/long!").c_str(), "user.earthstar.deleteAfter", buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), std::to_string(delete_after));
  ASSERT_EQ(unlink(m_.Path("chat/long!").c_str()), 0) << strerror(errno);

  m_.SetMountArgs({"--ephemeral-lifetime", "3s"});
  ASSERT_TRUE(m_.Remount()) << m_.LogText();
  before = NowUs();
  Write(m_.Path("chat/typing!"), "suzy is typing");
  delete_after = DeleteAfterOf(m_.Export(), "/chat/typing!");
  EXPECT_GE(delete_after, before + 3'000'000);
  EXPECT_LE(delete_after, NowUs() + 3'000'000);
  EXPECT_EQ(ReadFile(m_.Path("chat/typing!")), "suzy is typing");
  EXPECT_EQ(ListDir(m_.Path("chat")), std::set<std::string>{"typing!"});
  // Expired: gone from the listing and from lookups (once the kernel's
  // one-second caches run out), and not before its time.
  struct stat st;
  auto gone = [&] {
    return ListDir(m_.Path("chat")).empty() && stat(m_.Path("chat/typing!").c_str(), &st) == -1 && errno == ENOENT;
  };
  const auto until_expiry = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::microseconds(std::max<int64_t>(delete_after - NowUs(), 0)));
  EXPECT_TRUE(WaitUntil(gone, until_expiry + std::chrono::seconds(5))) << "still there after its expiry";
  EXPECT_GE(NowUs(), delete_after) << "gone before its expiry";
  // A bad lifetime is a usage error.
  auto bad = m_.Esfs({"mount", m_.mountpoint() + "-x", "--ephemeral-lifetime", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--ephemeral-lifetime must be a duration"), std::string::npos) << bad.err;
}

// Paths other apps wrote that are not the canonical encoding of any name
// (a literal '%', lower-case escapes, "%2F"), and a document "/wiki" next
// to documents below "/wiki/": every one has a name, reads back, and a save
// under that name goes back to the same path (docs/names.md).
TEST_F(Mount, PathsFromOtherAppsAreReachableAndSaveBackToTheSamePath) {
  const std::vector<std::pair<std::string, std::string>> foreign = {{"/50%", "fifty"},
                                                                    {"/%c3%bc.txt", "lower-case escapes"},
                                                                    {"/a%2Fb", "an escaped slash"},
                                                                    {"/wiki", "the wiki document"},
                                                                    {"/wiki/x", "below the wiki"}};
  for (const auto& [path, content] : foreign) {
    ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, path}, content).exit_code, 0) << path;
  }
  EXPECT_EQ(ListDir(m_.Path("")), (std::set<std::string>{"50%", "%c3%bc.txt", "a%2Fb", "wiki", "wiki.esfs-file"}));
  EXPECT_EQ(ReadFile(m_.Path("50%")), "fifty");
  EXPECT_EQ(ReadFile(m_.Path("%c3%bc.txt")), "lower-case escapes");
  EXPECT_EQ(ReadFile(m_.Path("a%2Fb")), "an escaped slash");
  EXPECT_EQ(ReadFile(m_.Path("wiki.esfs-file")), "the wiki document");
  EXPECT_EQ(ReadFile(m_.Path("wiki/x")), "below the wiki");
  EXPECT_EQ(ReadFile(m_.Path(".esfs-history/50%/" + m_.address())), "fifty");
  struct stat st;
  ASSERT_EQ(stat(m_.Path("wiki.esfs-file").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  char buf[128];
  ssize_t n = getxattr(m_.Path("wiki.esfs-file").c_str(), "user.earthstar.path", buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "/wiki");

  // Saved back under the names shown: the same paths, new versions.
  Write(m_.Path("50%"), "fifty, edited");
  Write(m_.Path("%c3%bc.txt"), "edited too");
  Write(m_.Path("a%2Fb"), "slash edited");
  Write(m_.Path("wiki.esfs-file"), "wiki edited");
  // A new name with '%' gets the canonical path.
  Write(m_.Path("100%.txt"), "new");
  std::map<std::string, std::string> want = {{"/50%", "fifty, edited"},     {"/%c3%bc.txt", "edited too"},
                                             {"/a%2Fb", "slash edited"},    {"/wiki", "wiki edited"},
                                             {"/wiki/x", "below the wiki"}, {"/100%25.txt", "new"}};
  EXPECT_EQ(Live(m_.Export()), want);
  // Deleting the twin deletes the document "/wiki"; the folder stays.
  ASSERT_EQ(unlink(m_.Path("wiki.esfs-file").c_str()), 0) << strerror(errno);
  want.erase("/wiki");
  EXPECT_EQ(Live(m_.Export()), want);
  const std::set<std::string> names{"50%", "%c3%bc.txt", "a%2Fb", "wiki", "100%.txt"};
  EXPECT_TRUE(WaitUntil([&] { return ListDir(m_.Path("")) == names; }, std::chrono::seconds(5)))
      << "listed: " << ::testing::PrintToString(ListDir(m_.Path("")));
  // Once the folder is gone, "/wiki" is a plain file again.
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/wiki"}, "back").exit_code, 0);
  ASSERT_EQ(unlink(m_.Path("wiki/x").c_str()), 0);
  // (The kernel may know "wiki" as a folder for up to a second more.)
  EXPECT_TRUE(WaitUntil([&] { return ReadFile(m_.Path("wiki")) == "back"; }, std::chrono::seconds(5)))
      << "read: " << ReadFile(m_.Path("wiki"));
  ASSERT_TRUE(m_.Remount());
  EXPECT_EQ(ListDir(m_.Path("")), (std::set<std::string>{"50%", "%c3%bc.txt", "a%2Fb", "wiki", "100%.txt"}));
}

// A 1 MiB text file: random-offset reads, and a patch in the middle that
// saves as one new document with everything else intact.
TEST_F(Mount, AMebibyteTextFileReadsAtRandomOffsetsAndTakesAPatchInTheMiddle) {
  std::string text;
  for (int line = 0; text.size() < (size_t{1} << 20); ++line)
    text += "line " + std::to_string(line) + " of the big file\n";
  text.resize(size_t{1} << 20);
  Write(m_.Path("big.txt"), text);
  int fd = open(m_.Path("big.txt").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  uint32_t state = 12345;
  for (int i = 0; i < 200; ++i) {
    state = state * 1103515245 + 12345;
    const size_t offset = state % text.size();
    const size_t length = 1 + (state >> 8) % 9000;
    std::string got(length, '\0');
    const ssize_t n = pread(fd, got.data(), length, static_cast<off_t>(offset));
    ASSERT_GE(n, 0);
    got.resize(static_cast<size_t>(n));
    ASSERT_EQ(got, text.substr(offset, length)) << "at " << offset;
  }
  close(fd);
  const size_t before = m_.Export().size();
  fd = open(m_.Path("big.txt").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const std::string patch = "PATCHED IN THE MIDDLE";
  ASSERT_EQ(pwrite(fd, patch.data(), patch.size(), 500000), static_cast<ssize_t>(patch.size()));
  ASSERT_EQ(close(fd), 0);
  text.replace(500000, patch.size(), patch);
  EXPECT_EQ(ReadFile(m_.Path("big.txt")), text);
  EXPECT_EQ(m_.Export().size(), before);  // the author's version was replaced, not added
  auto get = m_.Esfs({"get", MountedEsfs::kWorkspace, "/big.txt"});
  EXPECT_EQ(get.out, text);
}

TEST_F(Mount, AStaleMountLeftByACrashIsCleanedUpByTheNextMount) {
  Write(m_.Path("before.txt"), "saved before the crash");
  m_.Crash();
  // statfs always reaches the daemon (stat may be answered from the cache).
  struct statvfs st;
  ASSERT_EQ(statvfs(m_.mountpoint().c_str(), &st), -1);
  ASSERT_EQ(errno, ENOTCONN) << strerror(errno);
  ASSERT_TRUE(m_.Mount()) << m_.LogText();
  EXPECT_NE(m_.LogText().find("cleaning up a stale mount at " + m_.mountpoint()), std::string::npos) << m_.LogText();
  EXPECT_EQ(ReadFile(m_.Path("before.txt")), "saved before the crash");
}

TEST_F(Mount, BinaryFilesRoundTripAsBase64OrDataUrlsAndTooLargeIsRefused) {
  std::string bytes;
  for (int round = 0; round < 40; ++round) {
    for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
  }
  Write(m_.Path("pixel.PNG"), bytes);
  EXPECT_EQ(ReadFile(m_.Path("pixel.PNG")), bytes);
  struct stat st;
  ASSERT_EQ(stat(m_.Path("pixel.PNG").c_str(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), bytes.size());
  auto docs = m_.Export();
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["content"].get<std::string>().substr(0, 8), "AAECAwQF");  // standard base64 of 00 01 02 ...
  ASSERT_TRUE(m_.Remount());
  EXPECT_EQ(ReadFile(m_.Path("pixel.PNG")), bytes);
  // Bytes that are not UTF-8 under a text name: stored as a data URL
  // (DESIGN decision 8), read back as the bytes, st_size the bytes' size.
  Write(m_.Path("text.txt"), "good text");
  int fd = open(m_.Path("text.txt").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd,
                  "\xff\xfe\x00"
                  "bad",
                  6),
            6);
  EXPECT_EQ(close(fd), 0) << strerror(errno);
  EXPECT_EQ(Live(m_.Export())["/text.txt"], "data:application/octet-stream;base64,//4AYmFk");
  EXPECT_EQ(ReadFile(m_.Path("text.txt")), std::string("\xff\xfe\x00"
                                                       "bad",
                                                       6));
  ASSERT_EQ(stat(m_.Path("text.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 6);
  Write(m_.Path("text.txt"), "good text");
  // Over the es.4 limit: the write that crosses it fails with EFBIG (after
  // a partial count), close too, and the previous version stays.
  fd = open(m_.Path("text.txt").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  const std::string big(4'000'001, 'a');
  const ssize_t n = write(fd, big.data(), big.size());
  if (n >= 0) {
    ASSERT_LT(n, static_cast<ssize_t>(big.size()));
    EXPECT_EQ(write(fd, big.data() + n, big.size() - n), -1);
  }
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(close(fd), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(Live(m_.Export())["/text.txt"], "good text");
  EXPECT_NE(m_.LogText().find("over the es.4 limit"), std::string::npos);
}

// open(O_TRUNC) does not read what it throws away (issue #18: a 4 MB data
// URL was decoded for nothing), but must still tell a file that held bytes
// (its truncation is a save: the document becomes a deletion) from one that
// was empty already (nothing to save, no new document).
TEST_F(Mount, TruncatingOpenSavesOnlyWhenTheFileHeldBytes) {
  std::string bytes(300'000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131) >> 3);
  Write(m_.Path("blob"), bytes);
  ASSERT_EQ(Live(m_.Export()).count("/blob"), 1u);
  ASSERT_TRUE(m_.Remount());  // nothing of it loaded in the daemon
  int fd = open(m_.Path("blob").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(close(fd), 0) << strerror(errno);
  EXPECT_EQ(Live(m_.Export()).count("/blob"), 0u) << "truncated to nothing: deleted";
  struct stat st;
  ASSERT_EQ(stat(m_.Path("blob").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
  const std::string after_first = m_.Export().dump();
  ASSERT_TRUE(m_.Remount());
  fd = open(m_.Path("blob").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(close(fd), 0) << strerror(errno);
  EXPECT_EQ(m_.Export().dump(), after_first) << "an empty file truncated again is no new document";
  // And a truncating open followed by writes saves the new bytes only.
  fd = open(m_.Path("blob").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "fresh", 5), 5);
  EXPECT_EQ(close(fd), 0);
  EXPECT_EQ(ReadFile(m_.Path("blob")), "fresh");
  EXPECT_EQ(Live(m_.Export())["/blob"], "fresh");
}

TEST_F(Mount, DocumentMetadataAsReadOnlyXattrs) {
  Write(m_.Path("x.txt"), "attrs");
  auto docs = m_.Export();
  ASSERT_EQ(docs.size(), 1u);
  auto dump = RunProgram({"getfattr", "-d", "-m", "user.earthstar", m_.Path("x.txt")});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  for (const char* field : {"author", "timestamp", "signature", "contentHash", "path", "workspace"}) {
    std::string value = docs[0][field].is_string() ? docs[0][field].get<std::string>() : docs[0][field].dump();
    EXPECT_NE(dump.out.find(std::string("user.earthstar.") + field + "=\"" + value + "\""), std::string::npos)
        << field << " in " << dump.out;
  }
  char buf[256];
  ssize_t n = getxattr(m_.Path("x.txt").c_str(), "user.earthstar.author", buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), m_.address());
  EXPECT_EQ(setxattr(m_.Path("x.txt").c_str(), "user.earthstar.author", "me", 2, 0), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(setxattr(m_.Path("x.txt").c_str(), "user.other", "v", 1, 0), -1);
  EXPECT_EQ(errno, ENOTSUP);
  EXPECT_NE(m_.LogText().find("document metadata is read-only"), std::string::npos);
}

TEST_F(Mount, JunkFilesStayLocalAndRenameToANormalNamePublishes) {
  Write(m_.Path(".note.txt.swp"), std::string(4096, 's'));
  Write(m_.Path("note.txt~"), "backup");
  Write(m_.Path("4913"), "");
  ASSERT_EQ(mkdir(m_.Path(".git").c_str(), 0755), 0);
  Write(m_.Path(".git/config"), "[core]\n");
  EXPECT_TRUE(m_.Export().empty());
  Write(m_.Path(".goutputstream-ABC123"), "saved by gio");
  ASSERT_EQ(rename(m_.Path(".goutputstream-ABC123").c_str(), m_.Path("note.txt").c_str()), 0);
  EXPECT_EQ(Live(m_.Export()), (std::map<std::string, std::string>{{"/note.txt", "saved by gio"}}));
  ASSERT_TRUE(m_.Remount());
  EXPECT_EQ(ReadFile(m_.Path(".git/config")), "[core]\n");
  EXPECT_EQ(ReadFile(m_.Path("note.txt~")), "backup");
  EXPECT_EQ(ListDir(m_.Path()), (std::set<std::string>{".git", ".note.txt.swp", "4913", "note.txt", "note.txt~"}));
  EXPECT_EQ(m_.Export().size(), 1u);
}

TEST_F(Mount, TheWorkspacesOwnListKeepsMoreNamesLocal) {
  // A document that was published before its name was listed.
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/old.log"}, "published before").exit_code, 0);
  ASSERT_EQ(ReadFile(m_.Path("old.log")), "published before");
  Write(m_.Path(".esfsignore"), "# kept on this machine\n*.log\n/drafts/\nnotes/*.tmp\n!keep.log\n");
  EXPECT_NE(m_.LogText().find(".esfsignore line 5 (!keep.log): skipped"), std::string::npos) << m_.LogText();
  for (const char* dir : {"a", "drafts", "notes", "sub", "sub/drafts"}) ASSERT_EQ(mkdir(m_.Path(dir).c_str(), 0755), 0);
  Write(m_.Path("a/run.log"), "a log");
  Write(m_.Path("drafts/plan.md"), "a plan");
  Write(m_.Path("notes/x.tmp"), "scratch");
  Write(m_.Path("sub/drafts/kept.md"), "published: the rooted pattern is /drafts");
  Write(m_.Path("readme.md"), "hello");
  const std::map<std::string, std::string> published{
      {"/old.log", "published before"},
      {"/readme.md", "hello"},
      {"/sub/drafts/kept.md", "published: the rooted pattern is /drafts"}};
  EXPECT_EQ(Live(m_.Export()), published);
  EXPECT_EQ(ReadFile(m_.data_dir() + "/local/" + MountedEsfs::kWorkspace + "/drafts/plan.md"), "a plan");
  // The listed document is hidden the same way in a listing and a lookup
  // (once the kernel's one-second cache of the name it read runs out).
  struct stat st;
  EXPECT_TRUE(Eventually([&] { return stat(m_.Path("old.log").c_str(), &st) == -1 && errno == ENOENT; }, 3));
  EXPECT_EQ(ListDir(m_.Path()), (std::set<std::string>{".esfsignore", "a", "drafts", "notes", "readme.md", "sub"}));
  // Renaming to a name that is not listed publishes, as for junk names.
  ASSERT_EQ(rename(m_.Path("notes/x.tmp").c_str(), m_.Path("notes/x.md").c_str()), 0);
  EXPECT_EQ(Live(m_.Export())["/notes/x.md"], "scratch");
  ASSERT_TRUE(m_.Remount());
  EXPECT_EQ(ReadFile(m_.Path("a/run.log")), "a log");
  EXPECT_EQ(ReadFile(m_.Path("drafts/plan.md")), "a plan");
  EXPECT_EQ(ListDir(m_.Path("a")), (std::set<std::string>{"run.log"}));
  // Without *.log, the document is back, and the local file's next save
  // publishes it.
  Write(m_.Path(".esfsignore"), "/drafts\n");
  EXPECT_EQ(ReadFile(m_.Path("old.log")), "published before");
  EXPECT_EQ(ReadFile(m_.Path("a/run.log")), "a log");
  Write(m_.Path("a/run.log"), "a log, now shared");
  EXPECT_EQ(Live(m_.Export())["/a/run.log"], "a log, now shared");
  EXPECT_EQ(access((m_.data_dir() + "/local/" + MountedEsfs::kWorkspace + "/a/run.log").c_str(), F_OK), -1);
  EXPECT_EQ(ListDir(m_.Path("a")), (std::set<std::string>{"run.log"}));
  EXPECT_TRUE(Live(m_.Export()).count("/drafts/plan.md") == 0);
  EXPECT_EQ(Live(m_.Export()).size(), 5u);
}

TEST_F(Mount, CommitFollowsTheOpenFileNotItsFirstName) {
  // GNOME's save: write a temp file, rename it over the target, then close.
  const std::string temp = m_.Path(".goutputstream-XYZ789");
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "first", 5), 5);
  ASSERT_EQ(fsync(fd), 0);
  ASSERT_EQ(rename(temp.c_str(), m_.Path("doc.txt").c_str()), 0);
  ASSERT_EQ(write(fd, " and more", 9), 9);
  ASSERT_EQ(close(fd), 0);
  EXPECT_EQ(ReadFile(m_.Path("doc.txt")), "first and more");
  EXPECT_EQ(Live(m_.Export())["/doc.txt"], "first and more");
}

TEST_F(Mount, OthersTildePathsAreReadOnly) {
  const std::string other_key = m_.data_dir() + "/../other.json";
  auto other = RunProgram({EsfsBinary(), "keygen", "matt", "--out", other_key});
  ASSERT_EQ(other.exit_code, 0);
  const std::string matt = other.out.substr(0, other.out.find('\n'));
  const std::string owned = "/about/~" + matt + "/name.txt";
  ASSERT_EQ(
      RunProgram({EsfsBinary(), "--data", m_.data_dir(), "--key", other_key, "put", MountedEsfs::kWorkspace, owned},
                 "Matt")
          .exit_code,
      0);
  const std::string dir = m_.Path("about/~" + matt);
  const std::string file = dir + "/name.txt";
  EXPECT_EQ(ReadFile(file), "Matt");
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0555u);
  EXPECT_EQ(open(file.c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(open((dir + "/new.txt").c_str(), O_WRONLY | O_CREAT, 0644), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(truncate(file.c_str(), 0), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(unlink(file.c_str()), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(rename(file.c_str(), m_.Path("stolen.txt").c_str()), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(mkdir((dir + "/sub").c_str(), 0755), -1);
  EXPECT_EQ(errno, EACCES);
  EXPECT_NE(m_.LogText().find("belongs to another author"), std::string::npos);
  // My own tilde folder is writable.
  ASSERT_EQ(mkdir(m_.Path("about/~" + m_.address()).c_str(), 0755), 0) << strerror(errno);
  Write(m_.Path("about/~" + m_.address() + "/name.txt"), "Suzy");
  EXPECT_EQ(m_.Export().size(), 2u);
}

TEST_F(Mount, ChangesFromAnotherProcessShowUpAtOnce) {
  Write(m_.Path("shared.txt"), "mine");
  EXPECT_EQ(ReadFile(m_.Path("shared.txt")), "mine");
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/shared.txt"}, "from outside").exit_code, 0);
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/brand/new.txt"}, "new").exit_code, 0);
  std::string seen;
  EXPECT_TRUE(
      WaitUntil([&] { return (seen = ReadFile(m_.Path("shared.txt"))) == "from outside"; }, std::chrono::seconds(2)))
      << "read: " << seen;
  EXPECT_EQ(ReadFile(m_.Path("brand/new.txt")), "new");

  // A file open in an editor is not corrupted by a change from outside: a
  // reader keeps the version it opened, a writer's save replaces the
  // outside version whole (last writer wins) and never mixes the two.
  const std::string text(200 * 1000, 'r');
  Write(m_.Path("open.txt"), text);
  int reader = open(m_.Path("open.txt").c_str(), O_RDONLY);
  int writer = open(m_.Path("open.txt").c_str(), O_WRONLY);
  ASSERT_GE(reader, 0);
  ASSERT_GE(writer, 0);
  std::string first(1000, '\0');
  ASSERT_EQ(read(reader, first.data(), first.size()), 1000);
  ASSERT_EQ(write(writer, "WRITER", 6), 6);
  // A file held open by a reader only gets a new inode once the mount has
  // followed a change to it from the feed: changed after open.txt, it shows
  // that the mount has dealt with open.txt's change too (and dropped the
  // kernel's pages of it) before the reader reads on.
  Write(m_.Path("marker.txt"), "marker one");
  const int marker = open(m_.Path("marker.txt").c_str(), O_RDONLY);
  ASSERT_GE(marker, 0);
  struct stat marker_before;
  ASSERT_EQ(fstat(marker, &marker_before), 0);
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/open.txt"}, "short outside text").exit_code, 0);
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/marker.txt"}, "marker two").exit_code, 0);
  struct stat marker_now;
  EXPECT_TRUE(WaitUntil(
      [&] {
        return stat(m_.Path("marker.txt").c_str(), &marker_now) == 0 && marker_now.st_ino != marker_before.st_ino;
      },
      std::chrono::seconds(5)))
      << "the mount did not follow the change feed";
  close(marker);
  std::string rest(300 * 1000, '\0');
  ssize_t n = read(reader, rest.data(), rest.size());
  ASSERT_GE(n, 0);
  rest.resize(static_cast<size_t>(n));
  EXPECT_EQ(first + rest, text) << "the reader saw " << (first + rest).size() << " bytes";
  close(reader);
  ASSERT_EQ(close(writer), 0);
  EXPECT_EQ(ReadFile(m_.Path("open.txt")), "WRITER" + text.substr(6));

  // A reader that keeps the file open (less, tail) does not hold others
  // back: a new open sees the new version at once, the reader its own.
  Write(m_.Path("long.txt"), "version one");
  int long_reader = open(m_.Path("long.txt").c_str(), O_RDONLY);
  ASSERT_GE(long_reader, 0);
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/long.txt"}, "version two").exit_code, 0);
  std::string now_seen;
  EXPECT_TRUE(
      WaitUntil([&] { return (now_seen = ReadFile(m_.Path("long.txt"))) == "version two"; }, std::chrono::seconds(2)))
      << "read: " << now_seen;
  char old_bytes[64] = {0};
  ASSERT_EQ(pread(long_reader, old_bytes, sizeof old_bytes, 0), 11);
  EXPECT_EQ(std::string(old_bytes, 11), "version one");
  close(long_reader);
}

TEST_F(Mount, MmapAndStableListings) {
  Write(m_.Path("mapped.bin"), "0123456789");
  int fd = open(m_.Path("mapped.bin").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  void* p = mmap(nullptr, 10, PROT_READ, MAP_PRIVATE, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(std::string(static_cast<char*>(p), 10), "0123456789");
  munmap(p, 10);
  close(fd);
  ASSERT_EQ(mkdir(m_.Path("many").c_str(), 0755), 0);
  for (int i = 0; i < 100; ++i) Write(m_.Path("many/" + std::to_string(i)), "x");
  DIR* d = opendir(m_.Path("many").c_str());
  ASSERT_NE(d, nullptr);
  int seen = 0;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    ++seen;
    unlink((m_.Path("many/") + n).c_str());
  }
  closedir(d);
  EXPECT_EQ(seen, 100);
  EXPECT_TRUE(ListDir(m_.Path("many")).empty());
}

TEST_F(Mount, RootAcceptsOnlyWorkspaceFolders) {
  ASSERT_EQ(mkdir((m_.mountpoint() + "/+second.space").c_str(), 0755), 0);
  EXPECT_EQ(ListDir(m_.mountpoint()), (std::set<std::string>{"+gardening.friends", "+second.space"}));
  EXPECT_EQ(mkdir((m_.mountpoint() + "/notes").c_str(), 0755), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(open((m_.mountpoint() + "/file.txt").c_str(), O_WRONLY | O_CREAT, 0644), -1);
}

}  // namespace
}  // namespace esfs::testing
