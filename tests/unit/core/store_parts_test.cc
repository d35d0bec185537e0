// The store's parts (core/store.h) against the contracts in their headers:
// what each owns and the Status codes each returns. Real LMDB in a temp
// folder, an injected clock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/store.h"
#include "keys/identity.h"
#include "tests/support/test_support.h"
#include "tests/unit/core/store_fixture.h"

namespace esfs::core {
namespace {

using StorePartsTest = StoreFixture;

TEST_F(StorePartsTest, FolderIndexStatusCodes) {
  EXPECT_EQ(store_->folders().List(kWs, "wiki/").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->folders().List(kWs, "/wiki").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->folders().List("+nope.nope", "/").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->folders().Exists("+nope.nope", "/a/").status().code(), StatusCode::kNotFound);
  // An empty folder is an empty answer, not an error.
  EXPECT_TRUE(store_->folders().List(kWs, "/empty/")->empty());
  EXPECT_FALSE(store_->folders().Exists(kWs, "/empty/").value());
}

TEST_F(StorePartsTest, FolderIndexSeesAFolderOnlyWhileALivingDocumentIsBelowIt) {
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/d/x.txt", "x").ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/!e/y.txt", "y", kNow + 1000).ok());
  EXPECT_TRUE(store_->folders().Exists(kWs, "/d/").value());
  EXPECT_TRUE(store_->folders().Exists(kWs, "/!e/").value());
  // A tombstone (empty content) does not keep its folder.
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/d/x.txt", "").ok());
  EXPECT_FALSE(store_->folders().Exists(kWs, "/d/").value());
  auto root = store_->folders().List(kWs, "/");
  ASSERT_TRUE(root.ok());
  ASSERT_EQ(root->size(), 1u);
  EXPECT_EQ((*root)[0].name, "!e");
  // An expired one neither.
  clock_.Set(kNow + 2000);
  EXPECT_FALSE(store_->folders().Exists(kWs, "/!e/").value());
  EXPECT_TRUE(store_->folders().List(kWs, "/")->empty());
}

TEST_F(StorePartsTest, WorkspacesStatusCodes) {
  EXPECT_EQ(store_->workspaces().Add("not-an-address").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->workspaces().SetConfig("+nope.nope", OrderedJson::object()).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->workspaces().Remove("+nope.nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->workspaces().Get("+nope.nope").status().code(), StatusCode::kNotFound);
  // SetConfig did not add it.
  EXPECT_EQ(store_->workspaces().List()->size(), 1u);
  ASSERT_TRUE(store_->workspaces().SetConfig(kWs, {{"pubs", OrderedJson::array()}}).ok());
  EXPECT_TRUE(store_->workspaces().Get(kWs)->config["pubs"].is_array());
}

TEST_F(StorePartsTest, RemovingAWorkspaceTakesItsDocumentsLocalAttrsAndFeedWithIt) {
  ASSERT_TRUE(store_->workspaces().Add("+keep.ws").ok());
  auto gone = store_->replica().Set(suzy_, kWs, "/a", "a");
  auto kept = store_->replica().Set(suzy_, "+keep.ws", "/b", "b");
  ASSERT_TRUE(gone.ok() && kept.ok());
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/a", {gone->signature, 0600u, std::nullopt}).ok());
  ASSERT_TRUE(store_->workspaces().Remove(kWs).ok());
  auto changes = store_->replica().ChangesSince(0);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].workspace, "+keep.ws");
  EXPECT_EQ(store_->local().GetAttrs(kWs, "/a", gone->signature).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->workspaces().Add(kWs).ok());
  EXPECT_FALSE(store_->local().GetAttrs(kWs, "/a", gone->signature)->has_value());
  EXPECT_FALSE(store_->replica().Winner(kWs, "/a")->has_value());
  EXPECT_EQ(store_->replica().Winner("+keep.ws", "/b")->value(), *kept);
}

TEST_F(StorePartsTest, LocalStateStatusCodesAndStop) {
  EXPECT_EQ(store_->local().SetAttrs("+nope.nope", "/a", {}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->local().GetAttrs("+nope.nope", "/a", "sig").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(store_->local().GetValue("missing")->has_value());
  const uint64_t before = store_->CommitCount();
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/a", {"sig", 0640u, int64_t{7}}, LocalState::Durability::kSoon).ok());
  // Stop writes what is pending (unless the writer thread just did: one
  // commit either way) and refuses later kSoon changes; kNow still works.
  store_->local().Stop();
  EXPECT_EQ(store_->CommitCount(), before + 1);
  EXPECT_EQ(store_->local().SetAttrs(kWs, "/b", {"sig", 0600u, std::nullopt}, LocalState::Durability::kSoon).code(),
            StatusCode::kStorage);
  EXPECT_TRUE(store_->local().SetAttrs(kWs, "/b", {"sig", 0600u, std::nullopt}).ok());
  store_->local().Stop();  // idempotent
  store_.reset();
  auto reopened = Store::Open({dir_.path() + "/data", &clock_});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->local().GetAttrs(kWs, "/a", "sig")->value().mtime_ns, std::optional<int64_t>(7));
  EXPECT_EQ((*reopened)->local().GetAttrs(kWs, "/b", "sig")->value().mode, 0600u);
}

TEST_F(StorePartsTest, LocalAttrsKeepAtimeMtimeAndCtimeApart) {
  const LocalAttrs all{"sig", 0600u, int64_t{2'000}, int64_t{1'000}, int64_t{3'000}};
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/times", all).ok());
  // Without atime and ctime the value has its old, shorter layout.
  const LocalAttrs old_layout{"sig", 0640u, int64_t{7}, std::nullopt, std::nullopt};
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/old", old_layout).ok());
  const LocalAttrs ctime_only{"sig", std::nullopt, std::nullopt, std::nullopt, int64_t{9}};
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/ctime", ctime_only).ok());
  store_.reset();
  auto reopened = Store::Open({dir_.path() + "/data", &clock_});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->local().GetAttrs(kWs, "/times", "sig")->value(), all);
  EXPECT_EQ((*reopened)->local().GetAttrs(kWs, "/old", "sig")->value(), old_layout);
  EXPECT_EQ((*reopened)->local().GetAttrs(kWs, "/ctime", "sig")->value(), ctime_only);
  // A later document keeps the mode only: its times are its own.
  const LocalAttrs later{"sig2", 0600u, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ((*reopened)->local().GetAttrs(kWs, "/times", "sig2")->value(), later);
  EXPECT_FALSE((*reopened)->local().GetAttrs(kWs, "/ctime", "sig2")->has_value());
}

TEST_F(StorePartsTest, LocalAttrsWrittenLaterReachTheDiskWithoutAFlush) {
  // The writer thread commits on its own within kAttrsDelayMs: wait for
  // its commit (polled, with a deadline), then read from a fresh store.
  const uint64_t before = store_->CommitCount();
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/a", {"sig", 0600u, std::nullopt}, LocalState::Durability::kSoon).ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return store_->CommitCount() != before; }, std::chrono::seconds(10)));
  ASSERT_EQ(store_->CommitCount(), before + 1);
  auto other = Store::Open({dir_.path() + "/data", &clock_});  // a second handle, as another process would
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->local().GetAttrs(kWs, "/a", "sig")->value().mode, 0600u);
}

TEST_F(StorePartsTest, PartsWorkFromManyThreadsAtOnce) {
  // Local writes (group commit), local attrs (their own writer), folder
  // listings and workspace config, all at once: nothing is lost.
  constexpr int kSaves = 30;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  threads.emplace_back([&] {
    for (int i = 0; i < kSaves; ++i) {
      if (!store_->replica().Set(suzy_, kWs, "/s/" + std::to_string(i), "x").ok()) ++failures;
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kSaves; ++i) {
      LocalAttrs attrs{"sig", static_cast<uint32_t>(0600 + i), std::nullopt};
      if (!store_->local().SetAttrs(kWs, "/l/" + std::to_string(i), attrs, LocalState::Durability::kSoon).ok()) {
        ++failures;
      }
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kSaves; ++i) {
      if (!store_->folders().List(kWs, "/s/").ok()) ++failures;
      if (!store_->workspaces().SetConfig(kWs, {{"n", i}}).ok()) ++failures;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->folders().List(kWs, "/s/")->size(), size_t{kSaves});
  ASSERT_TRUE(store_->local().FlushAttrs().ok());
  for (int i = 0; i < kSaves; ++i) {
    EXPECT_EQ(store_->local().GetAttrs(kWs, "/l/" + std::to_string(i), "sig")->value().mode,
              static_cast<uint32_t>(0600 + i));
  }
  EXPECT_EQ(store_->workspaces().Get(kWs)->config["n"], kSaves - 1);
}

}  // namespace
}  // namespace esfs::core
