// Other local users and a mount made with -o allow_other (issue #15 item
// 2, DESIGN decision 13): the kernel decides reads from the modes
// (default_permissions is always on), and nothing another user does may
// sign a document or change the owner's files. The calls run as a real
// second user (esfs-test-other, created here if missing) in a forked child.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

constexpr const char* kOtherUser = "esfs-test-other";

// The second user's ids, creating the user if this machine has none yet
// (idempotent: a concurrent creation by another test program is fine).
bool OtherUser(uid_t* uid, gid_t* gid) {
  struct passwd* pw = getpwnam(kOtherUser);
  if (pw == nullptr) {
    RunProgram({"useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", kOtherUser}, "", 60);
    pw = getpwnam(kOtherUser);
  }
  if (pw == nullptr) return false;
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return true;
}

// Runs |call| in a child that is the other user (no supplementary
// groups); the child's errno after it (0 on success). |call| must only
// make system calls on strings prepared by the caller: the child of a
// threaded process must not allocate.
int AsOther(uid_t uid, gid_t gid, const std::function<int()>& call) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(255);
    if (getuid() != uid || geteuid() != uid) _exit(255);
    _exit(call());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

int Errno(int rc) { return rc == 0 ? 0 : errno; }
int OpenErrno(const char* path, int flags) {
  int fd = open(path, flags, 0666);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

// Every file and folder under |dir| with its size (for "nothing appeared").
std::set<std::string> Tree(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    const auto size = it->is_regular_file() ? it->file_size(size_ec) : 0;
    out.insert(it->path().string() + " " + std::to_string(size));
  }
  return out;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 07777;
  return st.st_mode & 07777;
}

class MountUsers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(OtherUser(&uid_, &gid_)) << "could not create the user " << kOtherUser;
    ASSERT_NE(uid_, getuid());
    // The mount point's folder is a private temporary folder: the other
    // user must be able to pass through it (not list it).
    const std::string parent = std::filesystem::path(m_.mountpoint()).parent_path().string();
    ASSERT_EQ(chmod(parent.c_str(), 0711), 0) << strerror(errno);
    m_.SetMountArgs({"-o", "allow_other"});
    ASSERT_TRUE(m_.Remount()) << m_.LogText();
  }

  int Other(const std::function<int()>& call) const { return AsOther(uid_, gid_, call); }

  // Lines of the daemon's log about refusals to the other user.
  size_t RefusalLines() const {
    const std::string log = m_.LogText();
    const std::string needle = "uid " + std::to_string(uid_);
    size_t n = 0;
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    return n;
  }

  MountedEsfs m_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

TEST_F(MountUsers, FilesAreOwnedByTheMountOwnerAndReadsFollowTheModes) {
  WriteFile(m_.Path("secret.txt"), "only mine");
  WriteFile(m_.Path("shared.txt"), "for everyone");
  ASSERT_EQ(chmod(m_.Path("secret.txt").c_str(), 0600), 0);
  struct stat st {};
  ASSERT_EQ(stat(m_.Path("secret.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, getuid());
  EXPECT_EQ(st.st_gid, getgid());
  const std::string secret = m_.Path("secret.txt"), shared = m_.Path("shared.txt");
  EXPECT_EQ(Other([&] { return OpenErrno(secret.c_str(), O_RDONLY); }), EACCES);
  EXPECT_EQ(Other([&] {
              char buf[64];
              int fd = open(shared.c_str(), O_RDONLY);
              if (fd < 0) return errno;
              const ssize_t n = read(fd, buf, sizeof buf);
              close(fd);
              return n == 12 && memcmp(buf, "for everyone", 12) == 0 ? 0 : 200;
            }),
            0);
  // The owner still reads both.
  EXPECT_EQ(ReadFile(secret), "only mine");
}

TEST_F(MountUsers, AnotherUserChangesNothingEvenWhereTheModesAllowIt) {
  ASSERT_EQ(mkdir(m_.Path("open").c_str(), 0777), 0);
  ASSERT_EQ(mkdir(m_.Path("open/empty").c_str(), 0777), 0);
  WriteFile(m_.Path("open/f.txt"), "the owner's words");
  WriteFile(m_.Path("top.txt"), "top");
  ASSERT_EQ(chmod(m_.Path().c_str(), 0777), 0);
  ASSERT_EQ(chmod(m_.Path("open").c_str(), 0777), 0);
  ASSERT_EQ(chmod(m_.Path("open/empty").c_str(), 0777), 0);
  ASSERT_EQ(chmod(m_.Path("open/f.txt").c_str(), 0666), 0);
  ASSERT_EQ(chmod(m_.Path("top.txt").c_str(), 0666), 0);
  ASSERT_EQ(ModeOf(m_.Path("open")), 0777u);
  ASSERT_EQ(ModeOf(m_.Path("open/f.txt")), 0666u);
  const auto before = m_.Export();
  const auto local_before = Tree(m_.data_dir() + "/local");

  const std::string f = m_.Path("open/f.txt"), top = m_.Path("top.txt"), made = m_.Path("open/new.txt"),
                    junk = m_.Path("open/new.txt~"), moved = m_.Path("open/g.txt"), sub = m_.Path("open/sub"),
                    empty = m_.Path("open/empty"), ws_file = m_.Path("new-at-top.txt");
  const auto start = std::chrono::steady_clock::now();
  struct Case {
    const char* what;
    std::function<int()> call;
    int expected;
  };
  const Case cases[] = {
      {"create", [&] { return OpenErrno(made.c_str(), O_WRONLY | O_CREAT | O_EXCL); }, EACCES},
      {"create junk (local-only)", [&] { return OpenErrno(junk.c_str(), O_WRONLY | O_CREAT); }, EACCES},
      {"create at the top", [&] { return OpenErrno(ws_file.c_str(), O_WRONLY | O_CREAT); }, EACCES},
      {"open for writing", [&] { return OpenErrno(f.c_str(), O_WRONLY); }, EACCES},
      {"open read-write", [&] { return OpenErrno(top.c_str(), O_RDWR); }, EACCES},
      {"open with O_TRUNC", [&] { return OpenErrno(f.c_str(), O_WRONLY | O_TRUNC); }, EACCES},
      {"append", [&] { return OpenErrno(f.c_str(), O_WRONLY | O_APPEND); }, EACCES},
      {"truncate", [&] { return Errno(truncate(f.c_str(), 0)); }, EACCES},
      {"rename", [&] { return Errno(rename(f.c_str(), moved.c_str())); }, EACCES},
      {"unlink", [&] { return Errno(unlink(f.c_str())); }, EACCES},
      {"mkdir", [&] { return Errno(mkdir(sub.c_str(), 0777)); }, EACCES},
      {"rmdir", [&] { return Errno(rmdir(empty.c_str())); }, EACCES},
      {"touch (time now)", [&] { return Errno(utimensat(AT_FDCWD, f.c_str(), nullptr, 0)); }, EACCES},
      {"setxattr", [&] { return Errno(setxattr(f.c_str(), "user.note", "x", 1, 0)); }, EACCES},
      {"removexattr", [&] { return Errno(removexattr(f.c_str(), "user.note")); }, EACCES},
      // Only a file's owner may chmod or set explicit times: the kernel
      // answers these itself (EPERM) under default_permissions.
      {"chmod", [&] { return Errno(chmod(f.c_str(), 0600)); }, EPERM},
      {"set a time",
       [&] {
         const struct timespec t[2] = {{0, UTIME_OMIT}, {1262304000, 0}};
         return Errno(utimensat(AT_FDCWD, f.c_str(), t, 0));
       },
       EPERM},
  };
  for (const auto& c : cases) EXPECT_EQ(Other(c.call), c.expected) << c.what;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);

  EXPECT_EQ(m_.Export(), before);
  EXPECT_EQ(Tree(m_.data_dir() + "/local"), local_before);
  EXPECT_EQ(ReadFile(f), "the owner's words");
  EXPECT_EQ(ModeOf(f), 0666u);
  EXPECT_EQ(ListDir(m_.Path("open")), (std::set<std::string>{"empty", "f.txt"}));
  // Named in the log, but at most one line per second for this uid.
  EXPECT_GE(RefusalLines(), 1u) << m_.LogText();
  EXPECT_LE(RefusalLines(), static_cast<size_t>(seconds.count()) + 2) << m_.LogText();
}

TEST_F(MountUsers, TheOwnerStillDoesEverything) {
  ASSERT_EQ(mkdir(m_.Path("d").c_str(), 0755), 0);
  WriteFile(m_.Path("d/a.txt"), "one");
  ASSERT_EQ(truncate(m_.Path("d/a.txt").c_str(), 1), 0);
  ASSERT_EQ(rename(m_.Path("d/a.txt").c_str(), m_.Path("d/b.txt").c_str()), 0);
  ASSERT_EQ(chmod(m_.Path("d/b.txt").c_str(), 0640), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, m_.Path("d/b.txt").c_str(), nullptr, 0), 0);
  EXPECT_EQ(ReadFile(m_.Path("d/b.txt")), "o");
  EXPECT_EQ(ModeOf(m_.Path("d/b.txt")), 0640u);
  ASSERT_EQ(mkdir(m_.Path("d/e").c_str(), 0755), 0);
  ASSERT_EQ(rmdir(m_.Path("d/e").c_str()), 0);
  ASSERT_EQ(unlink(m_.Path("d/b.txt").c_str()), 0);
  ASSERT_EQ(rmdir(m_.Path("d").c_str()), 0);
  EXPECT_EQ(ListDir(m_.Path()), std::set<std::string>{});
  EXPECT_EQ(RefusalLines(), 0u) << m_.LogText();
}

TEST_F(MountUsers, ModesSurviveARemountAndANewVersion) {
  WriteFile(m_.Path("published.txt"), "signed");
  WriteFile(m_.Path("draft.txt~"), "local only");
  WriteFile(m_.Path("empty.txt"), "");
  ASSERT_EQ(mkdir(m_.Path("private").c_str(), 0755), 0);
  WriteFile(m_.Path("private/in.txt"), "inside");
  ASSERT_EQ(chmod(m_.Path("published.txt").c_str(), 0600), 0);
  ASSERT_EQ(chmod(m_.Path("draft.txt~").c_str(), 0600), 0);
  ASSERT_EQ(chmod(m_.Path("empty.txt").c_str(), 0600), 0);
  ASSERT_EQ(chmod(m_.Path("private").c_str(), 0700), 0);
  ASSERT_TRUE(m_.Remount()) << m_.LogText();
  EXPECT_EQ(ModeOf(m_.Path("published.txt")), 0600u);
  EXPECT_EQ(ModeOf(m_.Path("draft.txt~")), 0600u);
  EXPECT_EQ(ModeOf(m_.Path("empty.txt")), 0600u);
  EXPECT_EQ(ModeOf(m_.Path("private")), 0700u);
  const std::string published = m_.Path("published.txt"), inside = m_.Path("private/in.txt");
  EXPECT_EQ(Other([&] { return OpenErrno(published.c_str(), O_RDONLY); }), EACCES);
  EXPECT_EQ(Other([&] { return OpenErrno(inside.c_str(), O_RDONLY); }), EACCES);
  // A new version, saved through the mount in this session or arriving
  // from outside it, keeps the mode the owner chose for the file.
  WriteFile(published, "signed again");
  EXPECT_EQ(ModeOf(published), 0600u);
  ASSERT_EQ(m_.Esfs({"put", MountedEsfs::kWorkspace, "/published.txt"}, "from elsewhere").exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return ReadFile(published) == "from elsewhere"; })) << m_.LogText();
  EXPECT_EQ(ModeOf(published), 0600u);
  ASSERT_TRUE(m_.Remount()) << m_.LogText();
  EXPECT_EQ(ModeOf(published), 0600u);
  EXPECT_EQ(Other([&] { return OpenErrno(published.c_str(), O_RDONLY); }), EACCES);
}

}  // namespace
}  // namespace esfs::testing
