// The facade's lock discipline, without FUSE: saves of different files
// reach the store together (one commit for a batch), requests keep
// answering while a save or a folder rename waits for the disk, and a
// folder rename is one commit. Store::HoldCommitsForTest holds the store's
// next commit until enough writes are queued: with a lock held across
// Store::Set these tests would wait until their deadline and fail.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <chrono>
#include <future>
#include <thread>

#include "tests/unit/fs/fs_fixture.h"

namespace esfs::fs {
namespace {

using testing::FsTest;
using testing::kWs;
using namespace std::chrono_literals;

constexpr auto kDeadline = 20s;

class LockingTest : public FsTest {
 protected:
  void TearDown() override { store_->replica().HoldCommitsForTest(0); }
  std::string ReadFile(uint64_t parent, const std::string& name) {
    auto attr = fs_->Lookup(parent, name);
    if (!attr.ok()) return "lookup: " + attr.status().message();
    bool keep = false;
    auto fh = fs_->Open(attr->ino, O_RDONLY, &keep);
    if (!fh.ok()) return "open: " + fh.status().message();
    std::string got;
    Status s = fs_->Read(attr->ino, *fh, 1 << 20, 0, [&](std::string_view b) { got.assign(b); });
    (void)fs_->Release(attr->ino, *fh);
    fs_->Forget(attr->ino, 1);
    return s.ok() ? got : "read: " + s.message();
  }
};

TEST_F(LockingTest, SavesOfDifferentFilesShareOneCommit) {
  constexpr int kSavers = 4;
  store_->replica().HoldCommitsForTest(kSavers);
  const uint64_t before = store_->CommitCount();
  std::vector<std::future<Status>> saves;
  for (int i = 0; i < kSavers; ++i) {
    saves.push_back(std::async(std::launch::async, [this, i] {
      return Save(kRootInode, "f" + std::to_string(i) + ".txt", "content " + std::to_string(i));
    }));
  }
  for (auto& save : saves) {
    if (save.wait_for(kDeadline) != std::future_status::ready) {
      store_->replica().HoldCommitsForTest(0);  // let them finish, then fail
      FAIL() << "the saves did not reach the store together (serialized by a lock?)";
    }
    EXPECT_TRUE(save.get().ok());
  }
  EXPECT_EQ(store_->CommitCount(), before + 1);
  for (int i = 0; i < kSavers; ++i) {
    EXPECT_EQ(Published("/f" + std::to_string(i) + ".txt"), "content " + std::to_string(i));
  }
}

TEST_F(LockingTest, RequestsAnswerWhileASaveWaitsForTheDisk) {
  ASSERT_TRUE(Save(kRootInode, "other.txt", "other").ok());
  store_->replica().HoldCommitsForTest(2);
  auto waiting = std::async(std::launch::async, [this] { return Save(kRootInode, "a.txt", "a"); });
  // The save above is inside Store::Set (or about to be); everything else answers.
  EXPECT_EQ(ReadFile(kRootInode, "other.txt"), "other");
  auto listed = fs_->ReadDir(kRootInode);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(fs_->GetAttr(kRootInode).ok());
  EXPECT_EQ(waiting.wait_for(0s), std::future_status::timeout) << "held by the store until a second save";
  // A second save of another file joins the held commit: both finish.
  EXPECT_TRUE(Save(kRootInode, "b.txt", "b").ok());
  ASSERT_EQ(waiting.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(waiting.get().ok());
  EXPECT_EQ(Published("/a.txt"), "a");
  EXPECT_EQ(Published("/b.txt"), "b");
}

TEST_F(LockingTest, AFolderRenameIsOneCommitAndOthersAnswerWhileItRuns) {
  constexpr int kFiles = 300;
  std::vector<core::SetRequest> files;
  for (int i = 0; i < kFiles; ++i) {
    files.push_back({kWs, "/dir/sub" + std::to_string(i % 3) + "/f" + std::to_string(i) + ".txt",
                     "file " + std::to_string(i), std::nullopt});
  }
  ASSERT_TRUE(store_->replica().SetMany(identity_, files).ok());
  ASSERT_TRUE(Save(kRootInode, "outside.txt", "outside").ok());
  const uint64_t dir_ino = Ino(kRootInode, "dir");  // the kernel knows the folder and a file in it
  const uint64_t sub_ino = Ino(dir_ino, "sub0");
  const uint64_t file_ino = Ino(sub_ino, "f0.txt");
  const uint64_t before = store_->CommitCount();
  // Held until one more write than the rename's 600 is queued: released below.
  store_->replica().HoldCommitsForTest(2 * kFiles + 1);
  auto rename =
      std::async(std::launch::async, [&] { return fs_->Rename(kRootInode, "dir", kRootInode, "moved", false); });
  // Meanwhile: lookups, reads and listings of other files answer.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ReadFile(kRootInode, "outside.txt"), "outside");
  EXPECT_TRUE(fs_->ReadDir(kRootInode).ok());
  EXPECT_TRUE(fs_->GetAttr(file_ino).ok());
  EXPECT_EQ(rename.wait_for(0s), std::future_status::timeout) << "the rename should still wait in the store";
  store_->replica().HoldCommitsForTest(0);
  ASSERT_EQ(rename.wait_for(kDeadline), std::future_status::ready);
  Status renamed = rename.get();
  ASSERT_TRUE(renamed.ok()) << renamed.message();
  EXPECT_EQ(store_->CommitCount(), before + 1) << "every moved document and tombstone in one commit";
  for (int i = 0; i < kFiles; ++i) {
    const std::string rest = "/sub" + std::to_string(i % 3) + "/f" + std::to_string(i) + ".txt";
    EXPECT_EQ(Published("/moved" + rest), "file " + std::to_string(i)) << rest;
    auto old = store_->replica().Winner(kWs, "/dir" + rest);
    ASSERT_TRUE(old.ok() && old->has_value());
    EXPECT_TRUE((*old)->IsTombstone()) << rest;
  }
  // The kernel's inodes moved with the folder.
  EXPECT_EQ(fs_->inodes().InoAt(LocationOfPath(kWs, "/moved/sub0/f0.txt")), file_ino);
  EXPECT_EQ(ReadFile(Ino(Ino(kRootInode, "moved"), "sub0"), "f0.txt"), "file 0");
  EXPECT_FALSE(fs_->Lookup(kRootInode, "dir").ok());
}

TEST_F(LockingTest, ARenameOfAnOpenFileBeforeItsSavePublishesUnderTheNewName) {
  auto created = fs_->Create(kRootInode, "draft.txt", 0644, 0);
  ASSERT_TRUE(created.ok());
  const uint64_t ino = created->first.ino, fh = created->second;
  ASSERT_TRUE(fs_->Write(ino, fh, "text", 0).ok());
  ASSERT_TRUE(fs_->Rename(kRootInode, "draft.txt", kRootInode, "final.txt", false).ok());
  ASSERT_TRUE(fs_->Write(ino, fh, " more", 4).ok());
  ASSERT_TRUE(fs_->Flush(ino, fh).ok());
  ASSERT_TRUE(fs_->Release(ino, fh).ok());
  EXPECT_EQ(Published("/final.txt"), "text more");
  EXPECT_EQ(Published("/draft.txt"), std::nullopt);
}

TEST_F(LockingTest, LookupCountsComeBackToZeroAndNodesGo) {
  ASSERT_TRUE(Save(kRootInode, "a.txt", "a").ok());
  const size_t nodes = fs_->inodes().size();
  auto one = fs_->Lookup(kRootInode, "a.txt");
  auto two = fs_->Lookup(kRootInode, "a.txt");
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(one->ino, two->ino);
  fs_->Forget(one->ino, 2);
  EXPECT_EQ(fs_->inodes().size(), nodes);
  // A failed lookup counts nothing.
  EXPECT_FALSE(fs_->Lookup(kRootInode, "missing.txt").ok());
  EXPECT_EQ(fs_->inodes().size(), nodes);
  EXPECT_EQ(fs_->open_files().size(), 0u);
}

}  // namespace
}  // namespace esfs::fs
