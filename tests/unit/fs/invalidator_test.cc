// What the kernel is told to drop after changes in the store's feed: the
// invalidator working on the inode table through the facade (no FUSE).
#include <gtest/gtest.h>

#include <fcntl.h>

#include "tests/unit/fs/fs_fixture.h"

namespace esfs::fs {
namespace {

using testing::FsTest;
using testing::kWs;

class InvalidatorTest : public FsTest {
 protected:
  std::vector<Invalidation> ChangesSince(uint64_t seq) {
    auto changes = store_->replica().ChangesSince(seq);
    EXPECT_TRUE(changes.ok());
    return fs_->OnChanges(changes.ok() ? *changes : std::vector<core::Change>{});
  }
  uint64_t LastSeq() { return store_->replica().LastSeq().ok() ? *store_->replica().LastSeq() : 0; }
  static const Invalidation* For(const std::vector<Invalidation>& all, uint64_t ino) {
    for (const auto& inv : all) {
      if (inv.inode == ino) return &inv;
    }
    return nullptr;
  }
  std::string ReadAll(uint64_t ino, uint64_t fh) {
    std::string got;
    EXPECT_TRUE(fs_->Read(ino, fh, 1 << 20, 0, [&](std::string_view b) { got.assign(b); }).ok());
    return got;
  }
  keys::Identity bob_ = esfs::testing::MakeIdentity("bobo", 9);
};

TEST_F(InvalidatorTest, OwnSaveKeepsThePagesAnotherAuthorsChangeDropsThem) {
  const uint64_t before = LastSeq();
  ASSERT_TRUE(Save(kRootInode, "a.txt", "mine").ok());
  const uint64_t ino = Ino(kRootInode, "a.txt");
  bool keep = false;
  auto fh = fs_->Open(ino, O_RDONLY, &keep);  // the kernel reads it: cached_seq is this winner
  ASSERT_TRUE(fh.ok());
  ASSERT_TRUE(fs_->Release(ino, *fh).ok());
  auto own = ChangesSince(before);
  const Invalidation* mine = For(own, ino);
  ASSERT_NE(mine, nullptr);
  EXPECT_TRUE(mine->attributes_only);

  const uint64_t after_own = LastSeq();
  ASSERT_TRUE(store_->replica().Set(bob_, kWs, "/a.txt", "bob's").ok());
  auto theirs = ChangesSince(after_own);
  const Invalidation* dropped = For(theirs, ino);
  ASSERT_NE(dropped, nullptr);
  EXPECT_FALSE(dropped->attributes_only) << "the pages hold the old version";
  auto reopened = fs_->Open(ino, O_RDONLY, &keep);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(keep);
  EXPECT_EQ(ReadAll(ino, *reopened), "bob's");
  ASSERT_TRUE(fs_->Release(ino, *reopened).ok());
}

TEST_F(InvalidatorTest, AReaderKeepsItsVersionAndTheNameGetsAFreshInode) {
  ASSERT_TRUE(Save(kRootInode, "a.txt", "old").ok());
  const uint64_t ino = Ino(kRootInode, "a.txt");
  bool keep = false;
  auto fh = fs_->Open(ino, O_RDONLY, &keep);
  ASSERT_TRUE(fh.ok());
  const uint64_t before = LastSeq();
  ASSERT_TRUE(store_->replica().Set(bob_, kWs, "/a.txt", "new").ok());
  auto invs = ChangesSince(before);
  bool entry_dropped = false;
  for (const auto& inv : invs) entry_dropped |= inv.parent == kRootInode && inv.name == "a.txt";
  EXPECT_TRUE(entry_dropped);
  EXPECT_EQ(ReadAll(ino, *fh), "old") << "an open reader never mixes versions";
  const uint64_t fresh = Ino(kRootInode, "a.txt");
  EXPECT_NE(fresh, ino);
  auto fh2 = fs_->Open(fresh, O_RDONLY, &keep);
  ASSERT_TRUE(fh2.ok());
  EXPECT_EQ(ReadAll(fresh, *fh2), "new");
  ASSERT_TRUE(fs_->Release(ino, *fh).ok());
  ASSERT_TRUE(fs_->Release(fresh, *fh2).ok());
}

TEST_F(InvalidatorTest, ANewDocumentDropsTheNegativeEntryInItsFolder) {
  auto dir = fs_->Mkdir(kRootInode, "notes", 0755);
  ASSERT_TRUE(dir.ok());
  const uint64_t before = LastSeq();
  ASSERT_TRUE(store_->replica().Set(bob_, kWs, "/notes/new.txt", "hello").ok());
  auto invs = ChangesSince(before);
  bool entry = false;
  for (const auto& inv : invs) entry |= inv.parent == dir->ino && inv.name == "new.txt";
  EXPECT_TRUE(entry);
}

}  // namespace
}  // namespace esfs::fs
