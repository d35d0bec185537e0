// The syncer on the process's change feed (issue #16 item 4), against the
// fake pub of tests/support/fake_pub.cc on 127.0.0.1: an idle syncer reads
// nothing from the store (the 50 ms poll is gone) and a save still reaches
// the pub at once; the worker of a workspace removed (or of a pub taken out
// of its config) while the daemon runs stops, and the pub hears no more of
// it.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "core/change_feed.h"
#include "core/store.h"
#include "keys/identity.h"
#include "sync/syncer.h"
#include "tests/support/fake_pub.h"
#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kWs = "+gardening.friends";
constexpr const char* kOther = "+birds.friends";

// A store, its change feed and a syncer on it, with the syncer's log kept.
class FeedPeer {
 public:
  explicit FeedPeer(const std::string& dir) {
    store = std::move(core::Store::Open({dir}).value());
    // The safety look is an hour away: every look in these tests is a commit.
    core::ChangeFeed::Options options;
    options.safety_timeout = 3600s;
    feed = std::move(core::ChangeFeed::Start(*store, options).value());
  }
  ~FeedPeer() { syncer.reset(); }  // before the feed and the store
  void StartSyncer() {
    syncer = std::make_unique<sync::Syncer>(
        *store, [this](const std::string& line) { Log(line); }, sync::HttpOptions{5, 60, 0},
        sync::BackoffPolicy{std::chrono::milliseconds(50), std::chrono::milliseconds(200)}, feed.get());
    syncer->Start();
  }
  void Log(const std::string& line) {
    std::scoped_lock lock(mu_);
    log_ += line + "\n";
  }
  std::string Logged() const {
    std::scoped_lock lock(mu_);
    return log_;
  }

  keys::Identity suzy = MakeIdentity("suzy", 1);
  std::unique_ptr<core::Store> store;
  std::unique_ptr<core::ChangeFeed> feed;
  std::unique_ptr<sync::Syncer> syncer;

 private:
  mutable std::mutex mu_;
  std::string log_;
};

size_t Count(const FakePub& pub, const std::string& mode, const std::string& what) {
  return pub.requests(mode, what).size();
}

// Waits until the feed's and the syncer's counters stay put for |quiet|
// (the pass's own status writes are looked at by the feed once).
bool Settle(FeedPeer& peer, std::chrono::milliseconds quiet) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto reads = peer.feed->reads(), looks = peer.syncer->live_push_looks();
    std::this_thread::sleep_for(quiet);
    if (peer.feed->reads() == reads && peer.syncer->live_push_looks() == looks) return true;
  }
  return false;
}

TEST(SyncFeed, AnIdleSyncerReadsNothingAndASaveReachesThePubAtOnce) {
  FakePub pub;
  TempDir dir;
  FeedPeer peer(dir.path());
  ASSERT_TRUE(peer.store->workspaces().Add(kWs, {{"pubs", {pub.Url("mem")}}}).ok());
  peer.StartSyncer();
  // The pass, the stream, and the catch-up pull once the stream is open.
  ASSERT_TRUE(
      Eventually([&] { return Count(pub, "mem", "GET stream") >= 1 && Count(pub, "mem", "GET documents") >= 2; }));
  ASSERT_TRUE(Settle(peer, 200ms));
  // Idle: over 600 ms (the old live pusher read the feed 12 times in it)
  // neither the feed nor the syncer reads anything. A window is the only
  // way to see that nothing happens; any read in it fails the test.
  const uint64_t reads = peer.feed->reads(), looks = peer.syncer->live_push_looks();
  const size_t posts = Count(pub, "mem", "POST documents");
  EXPECT_FALSE(Eventually([&] { return peer.feed->reads() != reads || peer.syncer->live_push_looks() != looks; }, 1));
  EXPECT_EQ(Count(pub, "mem", "POST documents"), posts);
  // A save: the feed hears the commit and the pusher sends it.
  ASSERT_TRUE(peer.store->replica().Set(peer.suzy, kWs, "/live.txt", "now").ok());
  ASSERT_TRUE(Eventually([&] { return Count(pub, "mem", "POST documents") > posts; }, 10));
  EXPECT_GT(peer.syncer->live_push_looks(), looks);
  EXPECT_LE(peer.syncer->live_push_looks(), looks + 2);  // one look per relevant batch, not a loop
  // The pub counts the POST when it arrives; the syncer records it as pushed
  // once the reply is back.
  EXPECT_TRUE(Eventually([&] { return sync::PendingPushes(*peer.store, kWs, pub.Url("mem"), {}).value() == 0; }, 10));
}

TEST(SyncFeed, ChangesOfAnotherWorkspaceDoNotWakeThePusher) {
  FakePub pub;
  TempDir dir;
  FeedPeer peer(dir.path());
  ASSERT_TRUE(peer.store->workspaces().Add(kWs, {{"pubs", {pub.Url("mem")}}}).ok());
  ASSERT_TRUE(peer.store->workspaces().Add(kOther).ok());  // no pub
  peer.StartSyncer();
  ASSERT_TRUE(
      Eventually([&] { return Count(pub, "mem", "GET stream") >= 1 && Count(pub, "mem", "GET documents") >= 2; }));
  ASSERT_TRUE(Settle(peer, 200ms));
  const uint64_t looks = peer.syncer->live_push_looks(), reads = peer.feed->reads();
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(peer.store->replica().Set(peer.suzy, kOther, "/x" + std::to_string(i), "x").ok());
  ASSERT_TRUE(Eventually([&] { return peer.feed->position() == peer.store->replica().LastSeq().value(); }, 10));
  EXPECT_GT(peer.feed->reads(), reads);
  EXPECT_EQ(peer.syncer->live_push_looks(), looks);
}

// Removing the workspace (or its pub) mid-transfer or mid-stream stops its
// worker; the other workspace's worker keeps going.
void ExpectRemovedWorkerStops(const std::string& mode, bool remove_workspace) {
  SCOPED_TRACE(mode + (remove_workspace ? ": workspace removed" : ": pub taken out"));
  FakePub pub;
  TempDir dir;
  FeedPeer peer(dir.path());
  ASSERT_TRUE(peer.store->workspaces().Add(kWs, {{"pubs", {pub.Url(mode)}}}).ok());
  ASSERT_TRUE(peer.store->workspaces().Add(kOther, {{"pubs", {pub.Url("ok")}}}).ok());
  peer.StartSyncer();
  const std::string what = mode == "stall" ? "GET documents" : "GET stream";
  ASSERT_TRUE(Eventually([&] { return Count(pub, mode, what) >= 1 && Count(pub, "ok", "GET stream") >= 1; }));
  EXPECT_EQ(peer.syncer->RunningWorkers().size(), 2u);
  if (remove_workspace) {
    ASSERT_TRUE(peer.store->workspaces().Remove(kWs).ok());
  } else {
    ASSERT_TRUE(peer.store->workspaces().SetConfig(kWs, {{"pubs", core::OrderedJson::array()}}).ok());
  }
  // The supervisor hears the commit through the feed, cancels the worker's
  // transfer and joins its thread, then says so.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      Eventually([&] { return peer.Logged().find("stopped syncing " + std::string(kWs)) != std::string::npos; }, 10))
      << peer.Logged();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(peer.syncer->RunningWorkers(), std::vector<std::string>{std::string(kOther) + " " + pub.Url("ok")});
  const size_t heard = pub.requests(mode, "GET documents").size() + pub.requests(mode, "GET stream").size() +
                       pub.requests(mode, "POST documents").size();
  // The other worker still works: a save of its workspace reaches the pub.
  const size_t posts = Count(pub, "ok", "POST documents");
  ASSERT_TRUE(peer.store->replica().Set(peer.suzy, kOther, "/still.txt", "here").ok());
  if (!remove_workspace) {
    ASSERT_TRUE(peer.store->replica().Set(peer.suzy, kWs, "/unsynced.txt", "local only").ok());
  }
  ASSERT_TRUE(Eventually([&] { return Count(pub, "ok", "POST documents") > posts; }, 10));
  EXPECT_EQ(pub.requests(mode, "GET documents").size() + pub.requests(mode, "GET stream").size() +
                pub.requests(mode, "POST documents").size(),
            heard);
}

TEST(SyncFeed, ARemovedWorkspacesWorkerStopsWhileItStreams) { ExpectRemovedWorkerStops("mem", true); }
TEST(SyncFeed, ARemovedWorkspacesWorkerStopsMidTransfer) { ExpectRemovedWorkerStops("stall", true); }
TEST(SyncFeed, APubTakenOutOfTheConfigStopsItsWorker) { ExpectRemovedWorkerStops("mem", false); }

}  // namespace
}  // namespace esfs::testing
