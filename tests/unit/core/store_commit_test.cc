// Local writes and their group commit (core/store_commit.cc) on a real
// LMDB store: concurrent Set calls share commits, a bad request fails
// alone, SetMany is all or nothing. Batching is made deterministic with
// Replica::HoldCommitsForTest, not with timing.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/store.h"
#include "core/validate.h"
#include "keys/identity.h"
#include "tests/support/test_support.h"
#include "tests/unit/core/store_fixture.h"

namespace esfs::core {
namespace {

class StoreCommitTest : public StoreFixture {
 protected:
  std::optional<Document> WinnerAt(const std::string& path) {
    auto winner = store_->replica().Winner(kWs, path);
    EXPECT_TRUE(winner.ok()) << winner.status().message();
    return winner.ok() ? *winner : std::nullopt;
  }
};

// One Set per thread; returns each thread's result, in thread order.
std::vector<Result<Document>> SetFromThreads(Store& store, const Signer& signer, const std::vector<std::string>& paths,
                                             const std::string& workspace = StoreFixture::kWs) {
  std::vector<std::optional<Result<Document>>> results(paths.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < paths.size(); ++i) {
    threads.emplace_back(
        [&, i] { results[i] = store.replica().Set(signer, workspace, paths[i], "content of " + paths[i]); });
  }
  for (auto& t : threads) t.join();
  std::vector<Result<Document>> out;
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

TEST_F(StoreCommitTest, ConcurrentSetsShareOneCommitAndEachCallerGetsItsOwnDocument) {
  constexpr size_t kThreads = 8;
  std::vector<std::string> paths;
  for (size_t i = 0; i < kThreads; ++i) paths.push_back("/many/f" + std::to_string(i) + ".txt");
  const uint64_t commits_before = store_->CommitCount();
  store_->replica().HoldCommitsForTest(kThreads);
  auto results = SetFromThreads(*store_, suzy_, paths);
  const uint64_t commits = store_->CommitCount() - commits_before;
  EXPECT_LT(commits, kThreads);
  EXPECT_EQ(commits, 1u);  // the hold made the first caller wait for all eight
  for (size_t i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().message();
    EXPECT_EQ(results[i]->path, paths[i]);
    EXPECT_EQ(results[i]->content, "content of " + paths[i]);
    EXPECT_EQ(results[i]->author, suzy_.address());
    EXPECT_TRUE(ValidateDocument(*results[i], kNow).ok());
    auto stored = WinnerAt(paths[i]);
    ASSERT_TRUE(stored.has_value()) << paths[i];
    EXPECT_EQ(*stored, *results[i]);
  }
  EXPECT_EQ(store_->replica().LastSeq().value(), kThreads);
}

TEST_F(StoreCommitTest, ManyThreadsSavingAtOnceStoreEverything) {
  // Without a hold: whatever the timing, every save lands and none costs
  // more than one commit.
  constexpr int kThreads = 8, kSaves = 40;
  const uint64_t commits_before = store_->CommitCount();
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSaves; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/f" + std::to_string(i);
        auto saved = store_->replica().Set(t % 2 ? suzy_ : matt_, kWs, path, path);
        if (!saved.ok() || saved->path != path || saved->content != path) ++failures[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_LE(store_->CommitCount() - commits_before, uint64_t{kThreads * kSaves});
  EXPECT_EQ(store_->replica().LastSeq().value(), uint64_t{kThreads * kSaves});
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kSaves; ++i) {
      const std::string path = "/t" + std::to_string(t) + "/f" + std::to_string(i);
      auto stored = WinnerAt(path);
      ASSERT_TRUE(stored.has_value()) << path;
      EXPECT_EQ(stored->content, path);
    }
  }
}

TEST_F(StoreCommitTest, ALoneCallerCommitsAtOnce) {
  // Sequential saves are not held back to wait for company: each one is
  // committed (and visible) when Set returns.
  for (int i = 0; i < 3; ++i) {
    const uint64_t before = store_->CommitCount();
    const std::string path = "/alone" + std::to_string(i);
    ASSERT_TRUE(store_->replica().Set(suzy_, kWs, path, "x").ok());
    EXPECT_EQ(store_->CommitCount(), before + 1);
    EXPECT_TRUE(WinnerAt(path).has_value());
  }
}

TEST_F(StoreCommitTest, AnInvalidRequestInABatchFailsAlone) {
  ASSERT_TRUE(store_->workspaces().Add("+other.space").ok());
  const std::string not_mine = "/~" + matt_.address() + "/x";
  const std::vector<std::string> paths = {"/ok1", "/has space", "/ok2", not_mine, "/ok3"};
  const uint64_t commits_before = store_->CommitCount();
  store_->replica().HoldCommitsForTest(paths.size() + 1);
  std::optional<Result<Document>> unknown_ws;
  std::thread stranger([&] { unknown_ws = store_->replica().Set(suzy_, "+nope.nope", "/ok4", "x"); });
  auto results = SetFromThreads(*store_, suzy_, paths);
  stranger.join();
  EXPECT_EQ(store_->CommitCount() - commits_before, 1u);
  EXPECT_EQ(results[1].status().code(), StatusCode::kInvalidDocument);
  EXPECT_NE(results[1].status().message().find("/has space"), std::string::npos);
  EXPECT_EQ(results[3].status().code(), StatusCode::kInvalidDocument);
  EXPECT_NE(results[3].status().message().find("can't write to path"), std::string::npos);
  EXPECT_EQ(unknown_ws->status().code(), StatusCode::kNotFound);
  for (size_t i : {0, 2, 4}) {
    ASSERT_TRUE(results[i].ok()) << paths[i] << ": " << results[i].status().message();
    EXPECT_EQ(WinnerAt(paths[i])->content, "content of " + paths[i]);
  }
  EXPECT_FALSE(WinnerAt("/has space").has_value());
  EXPECT_FALSE(WinnerAt(not_mine).has_value());
  EXPECT_EQ(store_->replica().LastSeq().value(), 3u);
}

TEST_F(StoreCommitTest, ABatchWhereEveryRequestFailsWritesNothing) {
  const uint64_t commits_before = store_->CommitCount();
  store_->replica().HoldCommitsForTest(2);
  auto results = SetFromThreads(*store_, suzy_, {"no-slash", "/bad space"});
  EXPECT_FALSE(results[0].ok());
  EXPECT_FALSE(results[1].ok());
  EXPECT_EQ(store_->CommitCount(), commits_before);
  EXPECT_EQ(store_->replica().LastSeq().value(), 0u);
}

TEST_F(StoreCommitTest, SetManyStoresAllInOneCommitAndTheLaterOfTwoForOnePathWins) {
  const std::vector<SetRequest> requests = {
      {kWs, "/a.txt", "a", std::nullopt},
      {kWs, "/!b.txt", "b", kNow + 60'000'000},
      {kWs, "/a.txt", "a again", std::nullopt},
  };
  const uint64_t commits_before = store_->CommitCount();
  auto docs = store_->replica().SetMany(suzy_, requests);
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  EXPECT_EQ(store_->CommitCount(), commits_before + 1);
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0].content, "a");
  EXPECT_EQ((*docs)[1].deleteAfter, kNow + 60'000'000);
  EXPECT_GT((*docs)[2].timestamp, (*docs)[0].timestamp);
  EXPECT_EQ(WinnerAt("/a.txt")->content, "a again");
  EXPECT_EQ(*WinnerAt("/!b.txt"), (*docs)[1]);
  // One version per author: the first save of /a.txt was replaced.
  EXPECT_EQ(store_->replica().Versions(kWs, "/a.txt")->size(), 1u);
  for (const Document& d : *docs) EXPECT_TRUE(ValidateDocument(d, kNow).ok());
  // A later Set still wins over the batch.
  auto later = store_->replica().Set(suzy_, kWs, "/a.txt", "third");
  EXPECT_GT(later->timestamp, (*docs)[2].timestamp);
  EXPECT_TRUE(store_->replica().SetMany(suzy_, {}).value().empty());
}

TEST_F(StoreCommitTest, SetManyIsAllOrNothingAndNamesTheFailingPath) {
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "before").ok());
  const uint64_t commits_before = store_->CommitCount();
  const uint64_t seq_before = store_->replica().LastSeq().value();
  const std::vector<SetRequest> bad_doc = {
      {kWs, "/a.txt", "after", std::nullopt},
      {kWs, "/b.txt", "b", std::nullopt},
      {kWs, "/c d.txt", "c", std::nullopt},
  };
  auto failed = store_->replica().SetMany(suzy_, bad_doc);
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidDocument);
  EXPECT_NE(failed.status().message().find("/c d.txt"), std::string::npos) << failed.status().message();
  const std::vector<SetRequest> bad_ws = {
      {kWs, "/b.txt", "b", std::nullopt},
      {"+nope.nope", "/e.txt", "e", std::nullopt},
  };
  auto unknown = store_->replica().SetMany(suzy_, bad_ws);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("/e.txt"), std::string::npos) << unknown.status().message();
  EXPECT_EQ(store_->CommitCount(), commits_before);
  EXPECT_EQ(store_->replica().LastSeq().value(), seq_before);
  EXPECT_EQ(WinnerAt("/a.txt")->content, "before");
  EXPECT_FALSE(WinnerAt("/b.txt").has_value());
}

TEST_F(StoreCommitTest, AFailedSetManyDoesNotSpoilTheSetsThatShareItsCommit) {
  // The SetMany writes /m1 before its second request fails: the commit is
  // run again without it, and the Sets in it are stored.
  const std::vector<SetRequest> requests = {
      {kWs, "/m1", "m1", std::nullopt},
      {kWs, "/m 2", "m2", std::nullopt},
  };
  const uint64_t commits_before = store_->CommitCount();
  store_->replica().HoldCommitsForTest(requests.size() + 2);
  std::optional<Result<std::vector<Document>>> many;
  std::thread batch([&] { many = store_->replica().SetMany(suzy_, requests); });
  auto results = SetFromThreads(*store_, matt_, {"/s1", "/s2"});
  batch.join();
  EXPECT_EQ(many->status().code(), StatusCode::kInvalidDocument);
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(store_->CommitCount() - commits_before, 1u);
  EXPECT_FALSE(WinnerAt("/m1").has_value());
  EXPECT_EQ(WinnerAt("/s1")->content, "content of /s1");
  EXPECT_EQ(WinnerAt("/s2")->content, "content of /s2");
  // The feed has exactly the two Sets: nothing of the aborted run leaked.
  auto changes = store_->replica().ChangesSince(0);
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ(store_->replica().LastSeq().value(), 2u);
}

TEST_F(StoreCommitTest, ConcurrentSetsOfOnePathAllLandAndTheWinnerIsTheNewest) {
  constexpr size_t kThreads = 6;
  store_->replica().HoldCommitsForTest(kThreads);
  auto results = SetFromThreads(*store_, suzy_, std::vector<std::string>(kThreads, "/same"));
  std::set<int64_t> timestamps;
  int64_t newest = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().message();
    timestamps.insert(r->timestamp);
    newest = std::max(newest, r->timestamp);
  }
  EXPECT_EQ(timestamps.size(), kThreads);  // each bumped past the one before
  EXPECT_EQ(WinnerAt("/same")->timestamp, newest);
  EXPECT_EQ(store_->replica().Versions(kWs, "/same")->size(), 1u);
}

TEST_F(StoreCommitTest, SetsOfManyCallersSurviveReopening) {
  store_->replica().HoldCommitsForTest(4);
  auto results = SetFromThreads(*store_, suzy_, {"/r1", "/r2", "/r3", "/r4"});
  for (const auto& r : results) ASSERT_TRUE(r.ok());
  store_.reset();
  auto reopened = Store::Open({dir_.path() + "/data", &clock_});
  ASSERT_TRUE(reopened.ok());
  for (const auto& r : results) EXPECT_EQ(*reopened.value()->replica().Winner(kWs, r->path).value(), *r);
}

}  // namespace
}  // namespace esfs::core
