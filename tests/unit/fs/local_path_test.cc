// The checked constructor of local paths and the local area's operations
// (fs/local_path.h): a table of good and bad components, and a real folder
// with links planted in it.
#include "fs/local_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace esfs::fs {
namespace {

using esfs::testing::ReadFile;
using esfs::testing::TempDir;
using esfs::testing::WriteFile;

TEST(LocalPath, AcceptsEveryOrdinaryName) {
  const std::vector<std::string> good = {"a",
                                         "notes~",
                                         ".git",
                                         "...",
                                         ".a",
                                         "a..",
                                         "..a",
                                         "%2e%2e",
                                         "~@suzy.b",
                                         "a\\b",
                                         "sp ace",
                                         "tab\tx",
                                         "\x1b[31m",
                                         "\xff\xfe",
                                         "é",
                                         "#x#",
                                         ".~lock.x#",
                                         std::string(255, 'x'),
                                         "+gardening.friends"};
  for (const auto& name : good) {
    EXPECT_TRUE(CheckLocalComponent(name).ok()) << name;
    auto path = LocalRelPath().Child(name);
    ASSERT_TRUE(path.ok()) << name;
    EXPECT_EQ(path->Joined(), name);
  }
}

TEST(LocalPath, RefusesNamesThatAreNotOneComponent) {
  struct Bad {
    std::string name;
    std::string reason;
  };
  const std::vector<Bad> bad = {
      {"", "empty"},
      {".", "'.' and '..' are not names"},
      {"..", "'.' and '..' are not names"},
      {"a/b", "contains '/'"},
      {"/", "contains '/'"},
      {"../etc", "contains '/'"},
      {std::string("a\0b", 3), "contains a NUL byte"},
      {std::string(256, 'x'), "over 255 bytes"},
  };
  for (const auto& b : bad) {
    Status s = CheckLocalComponent(b.name);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << b.name;
    EXPECT_NE(s.message().find(b.reason), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find('\0'), std::string::npos);
  }
}

TEST(LocalPath, MakeStopsAtTheFirstBadComponentAndAppendLeavesThePathUnchanged) {
  const std::vector<std::string> parts = {"+ws", "notes", "..", "..", "etc"};
  auto made = LocalRelPath::Make(parts);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);

  LocalRelPath path;
  ASSERT_TRUE(path.Append("+ws").ok());
  EXPECT_FALSE(path.Append("..").ok());
  EXPECT_EQ(path.Joined(), "+ws");
  EXPECT_EQ(LocalRelPath().Joined(), ".");
  EXPECT_TRUE(path.Parent().IsRoot());
}

TEST(LocalPath, MessagesEscapeTheComponent) {
  Status s = CheckLocalComponent("\x1b[2J/\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find('\x1b'), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
}

LocalRelPath Rel(std::vector<std::string> parts) {
  auto path = LocalRelPath::Make(parts);
  EXPECT_TRUE(path.ok()) << path.status().message();
  return path.ok() ? *path : LocalRelPath();
}

TEST(LocalRoot, WritesReadsListsAndMovesBelowItsRoot) {
  TempDir dir;
  LocalRoot root(dir.File("local"));
  ASSERT_TRUE(root.WriteFileAtomic(Rel({"+ws", "a", "b.txt"}), "hello", 0640).ok());
  EXPECT_EQ(ReadFile(dir.File("local/+ws/a/b.txt")), "hello");
  auto read = root.ReadFile(Rel({"+ws", "a", "b.txt"}));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "hello");
  struct stat st;
  ASSERT_TRUE(root.Stat(Rel({"+ws", "a", "b.txt"}), &st));
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  auto listed = root.ListDir(Rel({"+ws", "a"}));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].first, "b.txt");  // no temp file is left or listed
  EXPECT_EQ(esfs::testing::ListDir(dir.File("local/+ws/a")).size(), 1u);
  ASSERT_TRUE(root.Rename(Rel({"+ws", "a"}), Rel({"+ws", ".git", "a"})).ok());
  EXPECT_EQ(ReadFile(dir.File("local/+ws/.git/a/b.txt")), "hello");
  ASSERT_TRUE(root.Unlink(Rel({"+ws", ".git", "a", "b.txt"})).ok());
  ASSERT_TRUE(root.Rmdir(Rel({"+ws", ".git", "a"})).ok());
  EXPECT_EQ(root.Unlink(Rel({"+ws", "gone"})).code(), StatusCode::kNotFound);
  EXPECT_TRUE(root.ListDir(Rel({"+ws", "missing"}))->empty());
}

TEST(LocalRoot, NeverFollowsALinkOnTheWay) {
  TempDir dir, outside;
  LocalRoot root(dir.File("local"));
  ASSERT_TRUE(root.MakeDirs(Rel({"+ws"})).ok());
  ASSERT_EQ(::symlink(outside.path().c_str(), dir.File("local/+ws/link").c_str()), 0);
  const LocalRelPath below = Rel({"+ws", "link", "x.txt"});
  // A link where a folder should be is no folder: NotFound or
  // PermissionDenied (ELOOP), never a write through it.
  EXPECT_FALSE(root.WriteFileAtomic(below, "x", 0644).ok());
  EXPECT_FALSE(root.ReadFile(below).ok());
  EXPECT_FALSE(root.MakeDirs(Rel({"+ws", "link", "sub"})).ok());
  EXPECT_FALSE(root.Rename(Rel({"+ws"}), Rel({"+ws", "link", "moved"})).ok());
  struct stat st;
  EXPECT_FALSE(root.Stat(below, &st));
  EXPECT_TRUE(esfs::testing::ListDir(outside.path()).empty());
}

TEST(LocalRoot, NeverFollowsALinkAtTheEnd) {
  TempDir dir, outside;
  WriteFile(outside.File("profile"), "original");
  ASSERT_EQ(::chmod(outside.File("profile").c_str(), 0600), 0);
  LocalRoot root(dir.File("local"));
  ASSERT_TRUE(root.MakeDirs(Rel({"+ws"})).ok());
  ASSERT_EQ(::symlink(outside.File("profile").c_str(), dir.File("local/+ws/f~").c_str()), 0);
  const LocalRelPath link = Rel({"+ws", "f~"});
  EXPECT_FALSE(root.ReadFile(link).ok());
  EXPECT_EQ(root.Chmod(link, 0777).code(), StatusCode::kPermissionDenied);
  (void)root.SetMtime(link, 0);  // the link's own time at most
  struct stat st;
  ASSERT_TRUE(root.Stat(link, &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // An atomic write replaces the link itself.
  ASSERT_TRUE(root.WriteFileAtomic(link, "new", 0644).ok());
  EXPECT_EQ(ReadFile(outside.File("profile")), "original");
  ASSERT_EQ(::stat(outside.File("profile").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(st.st_mtim.tv_sec, 0);
  EXPECT_EQ(ReadFile(dir.File("local/+ws/f~")), "new");
}

TEST(LocalRoot, RefusesAFifoWithoutBlocking) {
  TempDir dir;
  LocalRoot root(dir.File("local"));
  ASSERT_TRUE(root.MakeDirs(Rel({"+ws"})).ok());
  ASSERT_EQ(::mkfifo(dir.File("local/+ws/pipe~").c_str(), 0644), 0);
  EXPECT_FALSE(root.ReadFile(Rel({"+ws", "pipe~"})).ok());
}

TEST(LocalRoot, ARootThatIsALinkIsNotOpened) {
  TempDir dir, outside;
  ASSERT_EQ(::symlink(outside.path().c_str(), dir.File("local").c_str()), 0);
  LocalRoot root(dir.File("local"));
  EXPECT_FALSE(root.WriteFileAtomic(Rel({"+ws", "x"}), "x", 0644).ok());
  EXPECT_TRUE(esfs::testing::ListDir(outside.path()).empty());
}

}  // namespace
}  // namespace esfs::fs
