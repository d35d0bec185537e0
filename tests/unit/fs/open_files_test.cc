// The open-file table alone: handles and the spare buffer.
#include "fs/open_files.h"

#include <gtest/gtest.h>

#include "fs/fs_types.h"

namespace esfs::fs {
namespace {

TEST(OpenFiles, HandlesAreUniqueAndGoneAfterRemove) {
  OpenFiles files;
  auto node = std::make_shared<Node>(7);
  const uint64_t a = files.Add({node, false, true});
  const uint64_t b = files.Add({node, true, false});
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  ASSERT_TRUE(files.Get(b).has_value());
  EXPECT_TRUE(files.Get(b)->append);
  EXPECT_FALSE(files.Get(b)->writable);
  EXPECT_EQ(files.Get(a)->node, node);
  EXPECT_EQ(files.size(), 2u);
  auto removed = files.Remove(a);
  ASSERT_TRUE(removed.has_value());
  EXPECT_TRUE(removed->writable);
  EXPECT_FALSE(files.Get(a).has_value());
  EXPECT_FALSE(files.Remove(a).has_value()) << "a second release finds nothing";
  EXPECT_FALSE(files.Get(12345).has_value());
}

TEST(OpenFiles, OnlyLargeBuffersWithinTheCapAreKeptForReuse) {
  OpenFiles files;
  std::string small(1000, 'x');
  files.OfferSpare(small);
  EXPECT_TRUE(small.empty());
  EXPECT_EQ(files.TakeSpare().capacity() >= kSpareBufferMinBytes, false);

  std::string large(kSpareBufferMinBytes + 10, 'x');
  const size_t capacity = large.capacity();
  files.OfferSpare(large);
  EXPECT_TRUE(large.empty());
  std::string spare = files.TakeSpare();
  EXPECT_TRUE(spare.empty()) << "handed out empty";
  EXPECT_EQ(spare.capacity(), capacity);
  EXPECT_LT(files.TakeSpare().capacity(), kSpareBufferMinBytes) << "taken once";

  std::string huge(kSpareBufferMaxBytes + 1, 'x');
  files.OfferSpare(huge);
  EXPECT_LT(files.TakeSpare().capacity(), kSpareBufferMinBytes) << "over the cap: let go";
}

}  // namespace
}  // namespace esfs::fs
