// The publisher alone, on a real store: signing, ephemeral lifetimes, and
// many documents in one commit or none.
#include "fs/publisher.h"

#include <gtest/gtest.h>

#include "keys/identity.h"
#include "tests/support/test_support.h"

namespace esfs::fs {
namespace {

constexpr const char* kWs = "+garden.friends";
constexpr int64_t kNowUs = 1767229200000000;
constexpr int64_t kLifetimeUs = 3'600'000'000;

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = esfs::testing::OpenStoreWith(dir_.path() + "/data", kWs);
    ASSERT_NE(store_, nullptr);
  }
  esfs::testing::TempDir dir_;
  keys::Identity identity_ = esfs::testing::MakeIdentity("suzy", 7);
  std::unique_ptr<core::Store> store_;
};

TEST_F(PublisherTest, PublishesAsTheAuthorAndEphemeralPathsGetALifetime) {
  Publisher fixed(*store_, identity_, kLifetimeUs, [] { return kNowUs; });
  EXPECT_EQ(fixed.DeleteAfterFor("/chat/!now.txt"), kNowUs + kLifetimeUs);
  Publisher publisher(*store_, identity_, kLifetimeUs);  // the system clock, as the store's
  EXPECT_EQ(publisher.author(), identity_.address());
  auto plain = publisher.Publish(kWs, "/a.txt", "hello");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->author, identity_.address());
  EXPECT_FALSE(plain->deleteAfter.has_value());
  EXPECT_EQ(publisher.DeleteAfterFor("/a.txt"), std::nullopt);
  auto ephemeral = publisher.Publish(kWs, "/chat/!now.txt", "hi");
  ASSERT_TRUE(ephemeral.ok()) << ephemeral.status().message();
  ASSERT_TRUE(ephemeral->deleteAfter.has_value());
  EXPECT_GT(*ephemeral->deleteAfter, ephemeral->timestamp);
}

TEST_F(PublisherTest, PublishManyIsOneCommit) {
  Publisher publisher(*store_, identity_, kLifetimeUs);
  std::vector<Publisher::Item> items;
  for (int i = 0; i < 300; ++i)
    items.push_back({kWs, "/new/" + std::to_string(i) + ".txt", "doc " + std::to_string(i)});
  const uint64_t before = store_->CommitCount();
  auto docs = publisher.PublishMany(items);
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  EXPECT_EQ(store_->CommitCount(), before + 1);
  EXPECT_EQ(docs->size(), 300u);
  auto winner = store_->replica().Winner(kWs, "/new/299.txt");
  ASSERT_TRUE(winner.ok() && winner->has_value());
  EXPECT_EQ((*winner)->content, "doc 299");
}

TEST_F(PublisherTest, PublishManyStoresNothingIfOneFails) {
  Publisher publisher(*store_, identity_, kLifetimeUs);
  std::vector<Publisher::Item> items = {{kWs, "/ok/1.txt", "one"}, {kWs, "no-leading-slash", "bad"}};
  const uint64_t before = store_->CommitCount();
  auto docs = publisher.PublishMany(items);
  EXPECT_FALSE(docs.ok());
  EXPECT_EQ(store_->CommitCount(), before);
  auto winner = store_->replica().Winner(kWs, "/ok/1.txt");
  ASSERT_TRUE(winner.ok());
  EXPECT_FALSE(winner->has_value());
}

}  // namespace
}  // namespace esfs::fs
