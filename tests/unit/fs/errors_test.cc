// Typed errors (issue #16 item 3): each code is born where the error is,
// and the FUSE boundary maps codes, never messages, to errno.
#include <gtest/gtest.h>

#include <cerrno>

#include "fs/errno_map.h"
#include "tests/unit/fs/fs_fixture.h"

namespace esfs::fs {
namespace {

using testing::FsTest;
using testing::kOtherWs;
using testing::kWs;

TEST(ErrnoMap, OneErrnoPerCodeWhateverTheMessage) {
  const struct {
    StatusCode code;
    int errno_value;
  } kTable[] = {
      {StatusCode::kOk, 0},
      {StatusCode::kNotFound, ENOENT},
      {StatusCode::kInvalidArgument, EINVAL},
      {StatusCode::kInvalidDocument, EINVAL},
      {StatusCode::kPermissionDenied, EACCES},
      {StatusCode::kAlreadyExists, EEXIST},
      {StatusCode::kIoError, EIO},
      {StatusCode::kStorage, EIO},
      {StatusCode::kCorruption, EIO},
      {StatusCode::kNetwork, EIO},
      {StatusCode::kCancelled, EINTR},
      {StatusCode::kTooLarge, EFBIG},
      {StatusCode::kIsFolder, EISDIR},
      {StatusCode::kNotFolder, ENOTDIR},
      {StatusCode::kNotEmpty, ENOTEMPTY},
      {StatusCode::kCrossDevice, EXDEV},
      {StatusCode::kStale, ESTALE},
      {StatusCode::kNameTooLong, ENAMETOOLONG},
      {StatusCode::kNoSpace, ENOSPC},
      {StatusCode::kNotSupported, ENOTSUP},
  };
  for (const auto& row : kTable) {
    if (row.code == StatusCode::kOk) {
      EXPECT_EQ(ToErrno(Status::Ok()), 0);
      continue;
    }
    // The message must not matter: the old mapping read "disk is full" and
    // "is a folder" out of the text.
    for (const char* message : {"", "is a folder", "the disk is full", "folder not empty", "stale"}) {
      EXPECT_EQ(ToErrno(Status(row.code, message)), row.errno_value)
          << "code " << static_cast<int>(row.code) << " with message \"" << message << "\"";
    }
  }
}

TEST(ErrnoMap, StorageSayingDiskIsFullIsStillEio) {
  // Only the code kNoSpace means ENOSPC.
  EXPECT_EQ(ToErrno(Status::Storage("commit: the disk is full")), EIO);
  EXPECT_EQ(ToErrno(Status::NoSpace("commit: out of room")), ENOSPC);
}

class FsErrorsTest : public FsTest {};

TEST_F(FsErrorsTest, RmdirOfANonEmptyFolderIsNotEmpty) {
  auto dir = fs_->Mkdir(kRootInode, "notes", 0755);
  ASSERT_TRUE(dir.ok()) << dir.status().message();
  ASSERT_TRUE(Save(dir->ino, "a.txt", "hello").ok());
  Status s = fs_->Rmdir(kRootInode, "notes");
  EXPECT_EQ(s.code(), StatusCode::kNotEmpty) << s.message();
  EXPECT_EQ(ToErrno(s), ENOTEMPTY);
  // Emptied, it goes.
  ASSERT_TRUE(fs_->Unlink(dir->ino, "a.txt").ok());
  EXPECT_TRUE(fs_->Rmdir(kRootInode, "notes").ok());
}

TEST_F(FsErrorsTest, RmdirOfAFileIsNotFolder) {
  ASSERT_TRUE(Save(kRootInode, "a.txt", "hello").ok());
  Status s = fs_->Rmdir(kRootInode, "a.txt");
  EXPECT_EQ(s.code(), StatusCode::kNotFolder) << s.message();
}

TEST_F(FsErrorsTest, FileOperationsOnAFolderAreIsFolder) {
  auto dir = fs_->Mkdir(kRootInode, "notes", 0755);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(fs_->Unlink(kRootInode, "notes").code(), StatusCode::kIsFolder);
  bool keep = false;
  EXPECT_EQ(fs_->Open(dir->ino, 0, &keep).status().code(), StatusCode::kIsFolder);
  SetAttrRequest truncate;
  truncate.size = 0;
  EXPECT_EQ(fs_->SetAttr(dir->ino, truncate).status().code(), StatusCode::kIsFolder);
  ASSERT_TRUE(Save(kRootInode, "a.txt", "hello").ok());
  EXPECT_EQ(fs_->Rename(kRootInode, "a.txt", kRootInode, "notes", false).code(), StatusCode::kIsFolder);
}

TEST_F(FsErrorsTest, FolderOperationsOnAFileAreNotFolder) {
  ASSERT_TRUE(Save(kRootInode, "a.txt", "hello").ok());
  const uint64_t file = Ino(kRootInode, "a.txt");
  EXPECT_EQ(fs_->ReadDir(file).status().code(), StatusCode::kNotFolder);
  ASSERT_TRUE(fs_->Mkdir(kRootInode, "notes", 0755).ok());
  EXPECT_EQ(fs_->Rename(kRootInode, "notes", kRootInode, "a.txt", false).code(), StatusCode::kNotFolder);
}

TEST_F(FsErrorsTest, LongNamesAndPathsAreNameTooLong) {
  const std::string long_name(256, 'n');
  EXPECT_EQ(fs_->Create(kRootInode, long_name, 0644, 0).status().code(), StatusCode::kNameTooLong);
  EXPECT_EQ(fs_->Mkdir(kRootInode, long_name, 0755).status().code(), StatusCode::kNameTooLong);
  // Names that fit, but an es.4 path over 512 characters: "/a…/b…/" is 403.
  uint64_t parent = kRootInode;
  for (int i = 0; i < 2; ++i) {
    auto dir = fs_->Mkdir(parent, std::string(200, static_cast<char>('a' + i)), 0755);
    ASSERT_TRUE(dir.ok()) << dir.status().message();
    parent = dir->ino;
  }
  EXPECT_EQ(fs_->Create(parent, std::string(110, 'x'), 0644, 0).status().code(), StatusCode::kNameTooLong);
  // A folder no file could be in (its "/<path>/" and a name over 512).
  EXPECT_EQ(fs_->Mkdir(parent, std::string(108, 'c'), 0755).status().code(), StatusCode::kNameTooLong);
  EXPECT_TRUE(fs_->Mkdir(parent, std::string(107, 'c'), 0755).ok());
}

TEST_F(FsErrorsTest, OpenOfAReplacedInodeGetsTheReplacedFileWhole) {
  // A reader that resolved the name before an atomic save (rename over
  // it) opens the old inode afterwards: it gets the old file, all of it,
  // not the new file's bytes under the old size (a torn read).
  ASSERT_TRUE(Save(kRootInode, "a.txt", "the old version").ok());
  ASSERT_TRUE(Save(kRootInode, "b.txt", "new").ok());
  const uint64_t old_ino = Ino(kRootInode, "a.txt");
  ASSERT_TRUE(fs_->Rename(kRootInode, "b.txt", kRootInode, "a.txt", false).ok());
  bool keep = false;
  auto opened = fs_->Open(old_ino, 0, &keep);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  std::string got;
  ASSERT_TRUE(fs_->Read(old_ino, *opened, 1 << 20, 0, [&](std::string_view b) { got.assign(b); }).ok());
  EXPECT_EQ(got, "the old version");
  ASSERT_TRUE(fs_->Release(old_ino, *opened).ok());
  // Closed again, it still answers with the old file until it is forgotten.
  auto again = fs_->Open(old_ino, 0, &keep);
  ASSERT_TRUE(again.ok()) << again.status().message();
  got.clear();
  ASSERT_TRUE(fs_->Read(old_ino, *again, 1 << 20, 0, [&](std::string_view b) { got.assign(b); }).ok());
  EXPECT_EQ(got, "the old version");
  ASSERT_TRUE(fs_->Release(old_ino, *again).ok());
  // The name holds the new file under another inode.
  EXPECT_NE(Ino(kRootInode, "a.txt"), old_ino);
  EXPECT_EQ(Published("/a.txt"), "new");
}

TEST_F(FsErrorsTest, OpenOfARemovedInodeThatWasNotLoadedIsStale) {
  // Its content is gone from the store: the kernel gets ESTALE and looks
  // the name up again.
  ASSERT_TRUE(Save(kRootInode, "a.txt", "old").ok());
  const uint64_t old_ino = Ino(kRootInode, "a.txt");
  ASSERT_TRUE(fs_->Unlink(kRootInode, "a.txt").ok());
  bool keep = false;
  auto opened = fs_->Open(old_ino, 0, &keep);
  EXPECT_EQ(opened.status().code(), StatusCode::kStale) << opened.status().message();
  EXPECT_EQ(ToErrno(opened.status()), ESTALE);
}

TEST_F(FsErrorsTest, ChangingOtherXattrsIsNotSupported) {
  ASSERT_TRUE(Save(kRootInode, "a.txt", "hello").ok());
  const uint64_t ino = Ino(kRootInode, "a.txt");
  EXPECT_EQ(fs_->RefuseXattrChange(ino, "user.comment").code(), StatusCode::kNotSupported);
  EXPECT_EQ(fs_->RefuseXattrChange(ino, "user.earthstar.author").code(), StatusCode::kPermissionDenied);
}

class FsAllWorkspacesErrorsTest : public FsTest {
 protected:
  FsAllWorkspacesErrorsTest() : FsTest(true) {}
};

TEST_F(FsAllWorkspacesErrorsTest, RenameBetweenWorkspacesIsCrossDevice) {
  const uint64_t garden = Ino(kRootInode, kWs);
  const uint64_t pond = Ino(kRootInode, kOtherWs);
  ASSERT_TRUE(Save(garden, "a.txt", "hello").ok());
  Status s = fs_->Rename(garden, "a.txt", pond, "a.txt", false);
  EXPECT_EQ(s.code(), StatusCode::kCrossDevice) << s.message();
  EXPECT_EQ(ToErrno(s), EXDEV);
  EXPECT_EQ(Published("/a.txt"), "hello");
  EXPECT_EQ(Published("/a.txt", kOtherWs), std::nullopt);
}

}  // namespace
}  // namespace esfs::fs

namespace esfs::fs {
namespace {

TEST(LocalAreaErrors, RemovingANonEmptyLocalFolderIsNotEmpty) {
  esfs::testing::TempDir dir;
  LocalRoot root(dir.path() + "/local");
  auto folder = LocalRelPath().Child("a");
  ASSERT_TRUE(folder.ok());
  auto file = folder->Child("b");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(root.MakeDirs(*folder).ok());
  ASSERT_TRUE(root.WriteFileAtomic(*file, "x", 0644).ok());
  Status s = root.Rmdir(*folder);
  EXPECT_EQ(s.code(), StatusCode::kNotEmpty) << s.message();
  EXPECT_EQ(ToErrno(s), ENOTEMPTY);
}

}  // namespace
}  // namespace esfs::fs
