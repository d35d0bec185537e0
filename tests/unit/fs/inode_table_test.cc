// The inode table alone: lookup counts, forget, open handles, moves.
#include "fs/inode_table.h"

#include <gtest/gtest.h>

#include "fs/fs_types.h"

namespace esfs::fs {
namespace {

Location Loc(std::vector<std::string> parts) {
  Location loc;
  loc.ws = "+garden.friends";
  loc.parts = parts;
  loc.segs = parts;
  return loc;
}

class InodeTableTest : public ::testing::Test {
 protected:
  InodeTable table_{Loc({})};
};

TEST_F(InodeTableTest, TheRootIsThereAndNeverForgotten) {
  ASSERT_NE(table_.Find(kRootInode), nullptr);
  table_.Forget(kRootInode, 100);
  EXPECT_NE(table_.Find(kRootInode), nullptr);
  EXPECT_EQ(table_.InoAt(Loc({})), kRootInode);
}

TEST_F(InodeTableTest, ANodeLivesUntilEveryLookupIsForgotten) {
  auto node = table_.Remember(Loc({"a.txt"}), false, 1);
  ASSERT_NE(node, nullptr);
  const uint64_t ino = node->ino;
  EXPECT_NE(ino, kRootInode);
  // The same name is the same inode, one more lookup.
  EXPECT_EQ(table_.Remember(Loc({"a.txt"}), false, 1)->ino, ino);
  table_.Forget(ino, 1);
  EXPECT_NE(table_.Find(ino), nullptr) << "one lookup is left";
  table_.Forget(ino, 1);
  EXPECT_EQ(table_.Find(ino), nullptr);
  EXPECT_EQ(table_.InoAt(Loc({"a.txt"})), 0u);
  // Looked up again after it was forgotten: the name's own number again.
  EXPECT_EQ(table_.Remember(Loc({"a.txt"}), false, 1)->ino, ino);
}

TEST_F(InodeTableTest, AnOpenHandleKeepsAForgottenNode) {
  auto node = table_.Remember(Loc({"a.txt"}), false, 1);
  table_.Opened(*node);
  table_.Forget(node->ino, 5);  // more than it had: clamps at 0
  EXPECT_NE(table_.Find(node->ino), nullptr);
  EXPECT_EQ(table_.Closed(*node), 0);
  EXPECT_EQ(table_.Find(node->ino), nullptr);
}

TEST_F(InodeTableTest, OpenNodesAreFoundByNameAndListedUntilUnlinked) {
  auto node = table_.Remember(Loc({"dir", "new.txt"}), false, 1);
  EXPECT_EQ(table_.RememberOpen(Loc({"dir", "new.txt"})), nullptr) << "not open";
  table_.Opened(*node);
  EXPECT_EQ(table_.RememberOpen(Loc({"dir", "new.txt"})), node);
  EXPECT_EQ(table_.Facts(*node).lookups, 2u);
  auto children = table_.OpenChildren(Loc({"dir"}));
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0].first, "new.txt");
  EXPECT_TRUE(table_.OpenChildren(Loc({})).empty()) << "only direct children";
  table_.Unhash(Loc({"dir", "new.txt"}));
  EXPECT_TRUE(table_.Facts(*node).unlinked);
  EXPECT_TRUE(table_.OpenChildren(Loc({"dir"})).empty());
  EXPECT_EQ(table_.FindAt(Loc({"dir", "new.txt"})), nullptr);
  EXPECT_EQ(table_.Find(node->ino), node) << "the kernel still holds it";
}

TEST_F(InodeTableTest, MoveTreeMovesTheFolderAndEverythingBelowAndReplacesTheTarget) {
  auto dir = table_.Remember(Loc({"a"}), true, 1);
  auto file = table_.Remember(Loc({"a", "x", "f.txt"}), false, 1);
  auto sibling = table_.Remember(Loc({"ab"}), true, 1);  // shares a prefix, not a folder below
  auto target = table_.Remember(Loc({"b"}), true, 1);
  const uint64_t epoch = table_.epoch();
  table_.MoveTree(Loc({"a"}), Loc({"b"}));
  EXPECT_GT(table_.epoch(), epoch);
  EXPECT_EQ(table_.InoAt(Loc({"b"})), dir->ino);
  EXPECT_EQ(table_.InoAt(Loc({"b", "x", "f.txt"})), file->ino);
  EXPECT_EQ(table_.LocationOf(*file).parts, (std::vector<std::string>{"b", "x", "f.txt"}));
  EXPECT_EQ(table_.InoAt(Loc({"a"})), 0u);
  EXPECT_EQ(table_.InoAt(Loc({"ab"})), sibling->ino);
  EXPECT_TRUE(table_.Facts(*target).unlinked);
  // A lookup that started before the move is refused, one after it is not.
  EXPECT_EQ(table_.Remember(Loc({"a"}), true, 1, epoch), nullptr);
  EXPECT_NE(table_.Remember(Loc({"c"}), true, 1, table_.epoch()), nullptr);
}

// While a rename is under way the store may show new names before the
// table does: nothing resolved then (an absence too) may be cached, and
// neither may what was resolved across its end.
TEST_F(InodeTableTest, NothingResolvedWhileARenameIsUnderWayIsQuiet) {
  const uint64_t before = table_.epoch();
  EXPECT_TRUE(table_.QuietSince(before));
  {
    InodeTable::MoveScope under_way(table_);
    EXPECT_FALSE(table_.QuietSince(before)) << "a rename began since";
    EXPECT_FALSE(table_.QuietSince(table_.epoch())) << "a rename is still under way";
    {
      InodeTable::MoveScope another(table_);  // renames of files run side by side
      EXPECT_FALSE(table_.QuietSince(table_.epoch()));
    }
    EXPECT_FALSE(table_.QuietSince(table_.epoch())) << "the first rename is still under way";
  }
  EXPECT_FALSE(table_.QuietSince(before)) << "a rename ended since";
  EXPECT_TRUE(table_.QuietSince(table_.epoch()));
  // A lookup that began before a rename began is refused and made again.
  const uint64_t seen = table_.epoch();
  { InodeTable::MoveScope under_way(table_); }
  EXPECT_EQ(table_.Remember(Loc({"a"}), true, 1, seen), nullptr);
}

TEST_F(InodeTableTest, UnhashIfOnlyUnhashesTheNodeThatHasTheName) {
  auto node = table_.Remember(Loc({"a.txt"}), false, 1);
  EXPECT_FALSE(table_.UnhashIf(Loc({"a.txt"}), node->ino + 1));
  EXPECT_EQ(table_.InoAt(Loc({"a.txt"})), node->ino);
  EXPECT_TRUE(table_.UnhashIf(Loc({"a.txt"}), node->ino));
  EXPECT_EQ(table_.InoAt(Loc({"a.txt"})), 0u);
}

TEST_F(InodeTableTest, ChildrenOfListsOneLevel) {
  table_.Remember(Loc({"h", "a"}), false, 1);
  table_.Remember(Loc({"h", "b"}), false, 1);
  table_.Remember(Loc({"h", "b", "deeper"}), false, 1);
  EXPECT_EQ(table_.ChildrenOf(Loc({"h"})).size(), 2u);
}

// The table keeps each place compactly (its key, and segments only where
// they are not the names' own): what comes back must be what went in.
TEST_F(InodeTableTest, PlacesComeBackWholeWithOddSegmentsAndTwinsAcrossMoves) {
  Location odd = Loc({"dir", "a b.txt"});
  odd.segs = {"dir", "a%2Fb.txt"};  // a path another app wrote: not NameToSegment("a b.txt")
  auto odd_node = table_.Remember(odd, false, 1);
  Location twin = Loc({"dir", "wiki.esfs-file"});
  twin.segs = {"dir", "wiki"};
  twin.file_twin = true;
  auto twin_node = table_.Remember(twin, false, 1);
  Location plain = Loc({"dir", "b c.txt"});
  plain.segs = {"dir", "b%20c.txt"};  // what NameToSegment makes
  auto plain_node = table_.Remember(plain, false, 1);

  EXPECT_EQ(table_.LocationOf(*odd_node).segs, odd.segs);
  EXPECT_EQ(table_.LocationOf(*plain_node).segs, plain.segs);
  EXPECT_TRUE(table_.LocationOf(*twin_node).file_twin);
  EXPECT_EQ(table_.LocationOf(*twin_node).EsPath(), "/dir/wiki");

  Location to = Loc({"moved dir"});
  to.segs = {"moved%20dir"};
  table_.MoveTree(Loc({"dir"}), to);
  const Location odd_moved = table_.LocationOf(*odd_node);
  EXPECT_EQ(odd_moved.parts, (std::vector<std::string>{"moved dir", "a b.txt"}));
  EXPECT_EQ(odd_moved.segs, (std::vector<std::string>{"moved%20dir", "a%2Fb.txt"}));
  EXPECT_EQ(table_.LocationOf(*twin_node).EsPath(), "/moved%20dir/wiki");
  EXPECT_TRUE(table_.LocationOf(*twin_node).file_twin);
  EXPECT_EQ(table_.InoAt(odd_moved), odd_node->ino);
  EXPECT_EQ(table_.LocationOf(*plain_node).EsPath(), "/moved%20dir/b%20c.txt");
  EXPECT_EQ(table_.Facts(*plain_node).loc.ws, "+garden.friends");
}

TEST_F(InodeTableTest, OpenChildrenNamesOnlyTheLevelBelow) {
  auto a = table_.Remember(Loc({"h", "a"}), false, 1);
  auto deep = table_.Remember(Loc({"h", "x", "deep"}), false, 1);
  table_.Opened(*a);
  table_.Opened(*deep);
  const auto children = table_.OpenChildren(Loc({"h"}));
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0].first, "a");
  EXPECT_FALSE(children[0].second);
  table_.Closed(*a);
  table_.Closed(*deep);
}

// The kernel may forget an inode under memory pressure and look the name up
// again: the file keeps its number (pjdfstest compares st_ino across calls).
TEST_F(InodeTableTest, AForgottenNameKeepsItsNumberAndAnotherFileAtItsNameGetsAnother) {
  auto first = table_.Remember(Loc({"a.txt"}), false, 1);
  const uint64_t ino = first->ino;
  auto other = table_.Remember(Loc({"b.txt"}), false, 1);
  EXPECT_NE(other->ino, ino);
  EXPECT_GT(ino, kRootInode);
  table_.Forget(ino, 1);
  first.reset();
  ASSERT_EQ(table_.Find(ino), nullptr);
  EXPECT_EQ(table_.Remember(Loc({"a.txt"}), false, 1)->ino, ino);
  // Unlinked while open: a new file at the same name is another file.
  auto open = table_.Find(ino);
  table_.Opened(*open);
  table_.Unhash(Loc({"a.txt"}));
  auto replacement = table_.Remember(Loc({"a.txt"}), false, 1);
  EXPECT_NE(replacement->ino, ino);
  EXPECT_EQ(table_.Find(ino), open);
  table_.Closed(*open);
}

}  // namespace
}  // namespace esfs::fs
