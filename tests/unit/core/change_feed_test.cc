// The change feed and the expiry sweeper on a real LMDB store in a temp
// folder: commits by this process and by another one reach subscribers,
// once each and in order; unsubscribing is final; expired documents are
// swept when they expire, not at the next period.
#include "core/change_feed.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/expiry_sweeper.h"
#include "keys/identity.h"
#include "tests/support/test_support.h"

namespace esfs::core {
namespace {

using testing::MakeIdentity;
using testing::TempDir;
using namespace std::chrono_literals;

constexpr const char* kWs = "+gardening.friends";

// What one subscriber received, for the test thread to wait on.
class Received {
 public:
  ChangeFeed::Callback Callback() {
    return [this](const ChangeFeed::Batch& batch) {
      std::scoped_lock lock(mu_);
      for (const auto& c : batch) changes_.push_back(c);
      ++calls_;
      cv_.notify_all();
    };
  }
  // True once |pred| holds for the changes received, within |limit|.
  bool WaitFor(const std::function<bool(const std::vector<Change>&)>& pred, std::chrono::seconds limit = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return pred(changes_); });
  }
  bool WaitForCount(size_t n) {
    return WaitFor([n](const std::vector<Change>& c) { return c.size() >= n; });
  }
  std::vector<Change> changes() const {
    std::scoped_lock lock(mu_);
    return changes_;
  }
  size_t calls() const {
    std::scoped_lock lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Change> changes_;
  size_t calls_ = 0;
};

class ChangeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::Open({data_dir()});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened.value());
    ASSERT_TRUE(store_->workspaces().Add(kWs).ok());
  }
  std::string data_dir() const { return dir_.path() + "/data"; }

  std::unique_ptr<ChangeFeed> StartFeed() {
    // The safety look is an hour away: whatever arrives came by inotify.
    ChangeFeed::Options options;
    options.safety_timeout = 3600s;
    auto feed = ChangeFeed::Start(*store_, options);
    EXPECT_TRUE(feed.ok());
    EXPECT_TRUE((*feed)->watching());
    return std::move(feed.value());
  }
  uint64_t Write(const std::string& path, const std::string& content) {
    auto doc = store_->replica().Set(suzy_, kWs, path, content);
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    return store_->replica().LastSeq().value();
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  keys::Identity suzy_ = MakeIdentity("suzy", 1);
};

TEST_F(ChangeFeedTest, ACommitByAnotherProcessReachesASubscriber) {
  auto feed = StartFeed();
  Received got;
  auto sub = feed->Subscribe(got.Callback());
  EXPECT_EQ(sub.position, store_->replica().LastSeq().value());
  // LMDB: an environment never crosses fork(); the child opens its own.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto other = Store::Open({data_dir()});
    if (!other.ok()) _exit(2);
    auto doc = (*other)->replica().Set(MakeIdentity("matt", 2), kWs, "/from-elsewhere.txt", "hello");
    _exit(doc.ok() ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_TRUE(got.WaitForCount(1));
  const auto changes = got.changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "/from-elsewhere.txt");
  EXPECT_EQ(changes[0].workspace, kWs);
  EXPECT_EQ(changes[0].seq, store_->replica().LastSeq().value());
  EXPECT_FALSE(changes[0].removed);
}

TEST_F(ChangeFeedTest, TwoSubscribersGetEveryChangeOnceAndInOrder) {
  auto feed = StartFeed();
  Received a, b;
  const uint64_t start = feed->Subscribe(a.Callback()).position;
  EXPECT_EQ(feed->Subscribe(b.Callback()).position, start);
  std::vector<uint64_t> written;
  for (int i = 0; i < 300; ++i) written.push_back(Write("/f" + std::to_string(i % 50) + ".txt", std::to_string(i)));
  for (Received* r : {&a, &b}) {
    ASSERT_TRUE(r->WaitForCount(written.size()));
    std::vector<uint64_t> seqs;
    for (const auto& c : r->changes()) seqs.push_back(c.seq);
    // The feed holds one entry per current document: a path written again
    // moves to the end, so the seqs seen are the ones written, in order,
    // each once (a later batch never repeats an earlier one).
    EXPECT_EQ(seqs, written);
  }
  // 300 commits, far fewer looks: bursts are coalesced.
  EXPECT_LT(feed->wakeups(), written.size());
  EXPECT_EQ(feed->position(), written.back());
}

TEST_F(ChangeFeedTest, ALaterSubscriberStartsAtThePositionItIsGiven) {
  auto feed = StartFeed();
  Received early, late;
  feed->Subscribe(early.Callback());
  const uint64_t first = Write("/one.txt", "1");
  ASSERT_TRUE(early.WaitForCount(1));
  const auto sub = feed->Subscribe(late.Callback());
  EXPECT_EQ(sub.position, first);
  const uint64_t second = Write("/two.txt", "2");
  ASSERT_TRUE(late.WaitForCount(1));
  ASSERT_TRUE(early.WaitForCount(2));
  ASSERT_EQ(late.changes().size(), 1u);
  EXPECT_EQ(late.changes()[0].seq, second);
}

TEST_F(ChangeFeedTest, UnsubscribeDuringABurstWaitsForTheRunningCallbackAndIsFinal) {
  auto feed = StartFeed();
  Received other;
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, release = false, unsubscribed = false, left = false;
  std::atomic<int> calls_after_unsubscribe{0};
  const auto id = feed->Subscribe([&](const ChangeFeed::Batch&) {
                        std::unique_lock lock(mu);
                        if (unsubscribed) ++calls_after_unsubscribe;
                        inside = true;
                        cv.notify_all();
                        cv.wait(lock, [&] { return release; });  // held here until the test lets go
                        left = true;
                      })
                      .id;
  feed->Subscribe(other.Callback());
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; writing; ++i) Write("/burst" + std::to_string(i % 20) + ".txt", std::to_string(i));
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return inside; }));
  }
  std::atomic<bool> returned{false};
  bool callback_had_left = false;
  std::thread unsubscriber([&] {
    feed->Unsubscribe(id);
    std::scoped_lock lock(mu);
    callback_had_left = left;  // false: Unsubscribe returned while the callback ran
    unsubscribed = true;
    returned = true;
  });
  {
    std::scoped_lock lock(mu);
    release = true;
  }
  cv.notify_all();
  unsubscriber.join();
  EXPECT_TRUE(returned.load());
  EXPECT_TRUE(callback_had_left);
  // More changes flow to the other subscriber, none to the one that left.
  const uint64_t marker = Write("/after.txt", "x");
  ASSERT_TRUE(other.WaitFor([&](const std::vector<Change>& c) { return !c.empty() && c.back().seq >= marker; }));
  writing = false;
  writer.join();
  const uint64_t last = Write("/last.txt", "y");
  ASSERT_TRUE(other.WaitFor([&](const std::vector<Change>& c) { return !c.empty() && c.back().seq >= last; }));
  EXPECT_EQ(calls_after_unsubscribe.load(), 0);
}

TEST_F(ChangeFeedTest, UnsubscribingFromItsOwnCallbackDoesNotDeadlock) {
  auto feed = StartFeed();
  Received other;
  std::atomic<int> calls{0};
  ChangeFeed::SubscriptionId id = 0;
  std::mutex id_mu;
  {
    std::scoped_lock lock(id_mu);
    id = feed->Subscribe([&](const ChangeFeed::Batch&) {
               ++calls;
               std::scoped_lock lock(id_mu);
               feed->Unsubscribe(id);
             })
             .id;
  }
  feed->Subscribe(other.Callback());
  Write("/a.txt", "1");
  ASSERT_TRUE(other.WaitForCount(1));
  const uint64_t second = Write("/b.txt", "2");
  ASSERT_TRUE(other.WaitFor([&](const std::vector<Change>& c) { return c.back().seq == second; }));
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(ChangeFeedTest, ThePositionIsTheStoresWhenTheFeedStarts) {
  const uint64_t before = Write("/old.txt", "old");
  auto feed = StartFeed();
  EXPECT_EQ(feed->position(), before);
  Received got;
  feed->Subscribe(got.Callback());
  const uint64_t after = Write("/new.txt", "new");
  ASSERT_TRUE(got.WaitForCount(1));
  EXPECT_EQ(got.changes().front().seq, after);  // the old change is not replayed
}

TEST_F(ChangeFeedTest, TheSweeperRemovesAnEphemeralDocumentWhenItExpiresNotAtTheNextPeriod) {
  auto feed = StartFeed();
  Received got;
  feed->Subscribe(got.Callback());
  std::vector<std::string> logged;
  std::mutex log_mu;
  ExpirySweeper sweeper(*store_, *feed, {.period = 3600s, .log = [&](const std::string& l) {
                                           std::scoped_lock lock(log_mu);
                                           logged.push_back(l);
                                         }});
  // The start-up sweep.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sweeper.sweeps() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(sweeper.sweeps(), 1u);
  // A plain document does not make it sweep; an ephemeral one expiring in
  // 300 ms is swept then, long before the hour-long period.
  Write("/plain.txt", "stays");
  const int64_t expires = store_->clock().NowMicros() + 300'000;
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/chat!/hello.txt", "soon gone", expires).ok());
  ASSERT_TRUE(got.WaitFor([](const std::vector<Change>& c) {
    return std::any_of(c.begin(), c.end(), [](const Change& x) { return x.removed && x.path == "/chat!/hello.txt"; });
  }));
  EXPECT_GE(store_->clock().NowMicros(), expires);  // not before it expired
  EXPECT_EQ(sweeper.removed(), 1u);
  EXPECT_EQ(sweeper.sweeps(), 2u);
  EXPECT_FALSE(store_->replica().Winner(kWs, "/chat!/hello.txt").value().has_value());
  EXPECT_TRUE(store_->replica().Winner(kWs, "/plain.txt").value().has_value());
  std::scoped_lock lock(log_mu);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0], "removed 1 expired ephemeral documents");
}

}  // namespace
}  // namespace esfs::core
