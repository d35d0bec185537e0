// Issue #15 item 1: no local path built from document text or file names
// leaves <data>/local. A peer's document with ".." segments is valid es.4;
// moving the folder that holds it into the local-only area (a junk name,
// .git/) must not write outside the data folder, and a symlink another
// local user plants in <data>/local must not redirect a save.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/js_compat.h"
#include "tests/support/hostile_pub.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;

// Writes |data| to |path| with open/write/close; 0 or the errno.
int Save(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  const ssize_t n = ::write(fd, data.data(), data.size());
  const int write_errno = n < 0 ? errno : 0;
  const int close_errno = ::close(fd) != 0 ? errno : 0;
  return write_errno != 0 ? write_errno : close_errno;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Signs |path| by a second identity and imports it into |m|'s store.
void ImportPeerDocument(const MountedEsfs& m, const TempDir& tmp, const std::string& path, const std::string& content) {
  auto key = RunProgram({EsfsBinary(), "keygen", "matt", "--out", tmp.File("matt.json")});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  auto doc = RunProgram({EsfsBinary(), "sign", "--keypair", tmp.File("matt.json"), "--workspace",
                         MountedEsfs::kWorkspace, "--path", path, "--content", content});
  ASSERT_EQ(doc.exit_code, 0) << doc.err;
  WriteFile(tmp.File("docs.json"), "[" + doc.out + "]");
  auto imported = m.Esfs({"import", MountedEsfs::kWorkspace, tmp.File("docs.json")});
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
}

// "/notes/../../…/<escape>/x.txt": enough ".." to climb from any data
// folder to "/", then down into a folder this test owns.
std::string TraversalPath(const std::string& escape_dir) {
  std::string path = "/notes";
  for (int i = 0; i < 40; ++i) path += "/..";
  return path + escape_dir + "/x.txt";
}

class SecurityPaths : public ::testing::TestWithParam<const char*> {};

// The user moves the folder holding the hostile document into the local
// area. Its ".." segments are shown as the escaped names "%2E%2E"
// (docs/names.md), so the move succeeds and every file lands inside
// <data>/local under those names: nothing is written anywhere else. (A
// component that is still unsafe would be refused by the checked
// constructor: tests/unit/fs/local_path_test.cc and fuzz_local_path.)
TEST_P(SecurityPaths, PeerDotDotDocumentNeverLeavesTheLocalArea) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  TempDir tmp;
  const std::string escape = tmp.File("escape");
  const std::string doc_path = TraversalPath(escape);
  ASSERT_NO_FATAL_FAILURE(ImportPeerDocument(m, tmp, doc_path, "hostile"));
  ASSERT_EQ(Save(m.Path("notes/mine.txt"), "my notes"), 0);
  ASSERT_EQ(::mkdir(m.Path(".git").c_str(), 0755), 0);

  const std::string target = GetParam();
  ASSERT_EQ(::rename(m.Path("notes").c_str(), m.Path(target).c_str()), 0) << std::strerror(errno);
  EXPECT_FALSE(Exists(escape)) << "the rename wrote outside the data folder";
  EXPECT_FALSE(Exists(escape + "/x.txt"));
  EXPECT_EQ(ReadFile(m.Path(target + "/mine.txt")), "my notes");

  // The hostile document's content is now a local file inside the area.
  const std::string local_root = m.data_dir() + "/local";
  bool found_inside = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(local_root)) {
    if (entry.is_regular_file() && entry.path().filename() == "x.txt") {
      const std::string where = entry.path().string();
      EXPECT_EQ(where.rfind(local_root + "/", 0), 0u) << where;
      EXPECT_EQ(where.find("/../"), std::string::npos) << where;
      EXPECT_EQ(ReadFile(where), "hostile");
      found_inside = true;
    }
  }
  EXPECT_TRUE(found_inside) << "the hostile document's content was lost";

  // Moving it back and deleting everything writes nothing outside either.
  ASSERT_EQ(::rename(m.Path(target).c_str(), m.Path("notes").c_str()), 0) << std::strerror(errno);
  EXPECT_FALSE(Exists(escape));
  // Deleting the tree finds every folder it lists (a lookup made while a
  // rename was under way once left a child cached as absent: ENOENT here).
  std::error_code ec;
  std::filesystem::remove_all(m.Path("notes"), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_FALSE(Exists(escape));
  EXPECT_FALSE(Exists(m.Path("notes")));
}

INSTANTIATE_TEST_SUITE_P(Security, SecurityPaths, ::testing::Values("notes~", ".git/notes"), [](const auto& info) {
  return info.index == 0 ? std::string("JunkName") : std::string("GitFolder");
});

// The same document, but pulled by the mount's own syncer from a hostile
// pub (tests/support/hostile_pub.h) instead of imported: it is valid es.4,
// so it is stored, and moving its folder into the local area still writes
// nothing outside the data folder.
TEST(SecurityPathsFromAPub, TraversalDocumentFromAHostilePubStaysInside) {
  HostilePub pub;
  TempDir tmp;
  const std::string escape = tmp.File("escape");
  const std::string doc_path = TraversalPath(escape);
  auto key = RunProgram({EsfsBinary(), "keygen", "matt", "--out", tmp.File("matt.json")});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  auto doc = RunProgram({EsfsBinary(), "sign", "--keypair", tmp.File("matt.json"), "--workspace",
                         MountedEsfs::kWorkspace, "--path", doc_path, "--content", "hostile"});
  ASSERT_EQ(doc.exit_code, 0) << doc.err;
  pub.Serve("[" + doc.out + "]");

  MountedEsfs m("suzy", pub.Url("served"));
  ASSERT_TRUE(m.mounted());
  ASSERT_TRUE(Eventually([&] {
    return m.Esfs({"get", MountedEsfs::kWorkspace, doc_path}).out == "hostile";
  })) << "the pub's document never arrived: "
      << m.LogText();
  ASSERT_TRUE(Eventually([&] { return Exists(m.Path("notes")); }));
  ASSERT_EQ(Save(m.Path("notes/mine.txt"), "my notes"), 0);
  ASSERT_EQ(::rename(m.Path("notes").c_str(), m.Path("notes~").c_str()), 0) << std::strerror(errno);
  EXPECT_FALSE(Exists(escape)) << "a pub's document was written outside the data folder";
  EXPECT_EQ(ReadFile(m.Path("notes~/mine.txt")), "my notes");
  std::error_code ec;
  std::filesystem::remove_all(m.Path("notes~"), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_FALSE(Exists(m.Path("notes~")));
  EXPECT_FALSE(Exists(escape));
}

std::string LocalDir(const MountedEsfs& m) { return m.data_dir() + "/local/" + MountedEsfs::kWorkspace; }

// A folder symlink planted in <data>/local by another local user: a save
// below it through the mount must not land in the folder it points to.
TEST(SecurityPathsSymlink, PlantedFolderLinkDoesNotRedirectASave) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  TempDir outside;
  std::filesystem::create_directories(LocalDir(m));
  ASSERT_EQ(::symlink(outside.path().c_str(), (LocalDir(m) + "/.git").c_str()), 0);

  EXPECT_NE(Save(m.Path(".git/config"), "[core]\n"), 0);
  EXPECT_FALSE(Exists(outside.File("config"))) << "the save followed the planted link";

  // The workspace's own local folder replaced by a link.
  std::filesystem::remove_all(LocalDir(m));
  ASSERT_EQ(::symlink(outside.path().c_str(), LocalDir(m).c_str()), 0);
  EXPECT_NE(Save(m.Path("draft~"), "junk"), 0);
  EXPECT_NE(::mkdir(m.Path("build~").c_str(), 0755), 0);
  EXPECT_TRUE(ListDir(outside.path()).empty()) << "a save followed the planted link";
}

// A file symlink planted under a junk name: saving and chmod through the
// mount change the local area only, never the file it points to.
TEST(SecurityPathsSymlink, PlantedFileLinkDoesNotRedirectASaveOrChmod) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  TempDir outside;
  WriteFile(outside.File("profile"), "original");
  ASSERT_EQ(::chmod(outside.File("profile").c_str(), 0600), 0);
  std::filesystem::create_directories(LocalDir(m));
  ASSERT_EQ(::symlink(outside.File("profile").c_str(), (LocalDir(m) + "/notes~").c_str()), 0);

  (void)::chmod(m.Path("notes~").c_str(), 0777);
  (void)Save(m.Path("notes~"), "overwritten");
  EXPECT_EQ(ReadFile(outside.File("profile")), "original");
  struct stat st;
  ASSERT_EQ(::stat(outside.File("profile").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "chmod followed the planted link";
}

}  // namespace
}  // namespace esfs::testing
