// Floods from a hostile pub (issue #15 item 4), against the hostile pub of
// tests/support/hostile_pub.cc on 127.0.0.1: a junk listing gives one
// summary line, not a line per object; a reply over the cap is refused and
// stores nothing; a reply that trickles ends at the pass deadline; junk
// stream events write nothing to the store.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <future>

#include "core/document.h"
#include "sync/syncer.h"
#include "tests/support/hostile_pub.h"
#include "tests/support/sync_peer.h"
#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

constexpr const char* kWs = "+gardening.friends";

// Sets an environment variable for the scope of a test.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  const char* name_;
};

struct Peer : SyncPeer {
  Peer(const std::string& dir, const std::string& pub)
      : SyncPeer(dir, kWs, pub, "suzy", 1, sync::HttpOptions{5, 30},
                 sync::BackoffPolicy{std::chrono::milliseconds(50), std::chrono::milliseconds(200)}) {}
};

TEST(SyncHostile, JunkListingGivesOneBoundedSummaryLine) {
  HostilePub pub;
  pub.junk_count = 200'000;
  TempDir dir;
  Peer peer(dir.path(), pub.Url("junk"));
  auto pass = peer.syncer->SyncOnce(kWs, pub.Url("junk"));
  ASSERT_TRUE(pass.ok()) << pass.status().message();
  EXPECT_EQ(pass->invalid, 200'000u);
  const std::string log = peer.Logged();
  EXPECT_LT(log.size(), 4096u) << "first bytes: " << log.substr(0, 400);
  EXPECT_NE(log.find("rejected 200000 of 200000"), std::string::npos) << log.substr(0, 400);
  EXPECT_EQ(log.find('\x1b'), std::string::npos);  // the junk's ESC is escaped
  EXPECT_EQ(sync::LoadPubStatus(*peer.store, kWs, pub.Url("junk")).invalid_total, 200'000u);
}

TEST(SyncHostile, ReplyOverTheCapIsRefusedAndStoresNothing) {
  ScopedEnv cap("ESFS_MAX_REPLY_BYTES", "1048576");
  HostilePub pub;
  pub.huge_bytes = size_t{4} << 20;
  TempDir dir;
  Peer peer(dir.path(), pub.Url("huge"));
  const uint64_t seq = peer.store->replica().LastSeq().value();
  auto pass = peer.syncer->SyncOnce(kWs, pub.Url("huge"));
  ASSERT_FALSE(pass.ok());
  EXPECT_NE(pass.status().message().find("larger than"), std::string::npos) << pass.status().message();
  EXPECT_EQ(peer.store->replica().LastSeq().value(), seq);
  EXPECT_NE(sync::LoadPubStatus(*peer.store, kWs, pub.Url("huge")).last_error.find("larger than"), std::string::npos);
}

TEST(SyncHostile, TricklingReplyEndsAtThePassDeadline) {
  ScopedEnv deadline("ESFS_PASS_DEADLINE_S", "3");
  HostilePub pub;
  TempDir dir;
  Peer peer(dir.path(), pub.Url("slow"));
  const auto start = std::chrono::steady_clock::now();
  auto pass = std::async(std::launch::async, [&] { return peer.syncer->SyncOnce(kWs, pub.Url("slow")); });
  const bool ended = pass.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  if (!ended) peer.syncer->Stop();  // cancels the transfer, so the test ends
  ASSERT_TRUE(ended) << "a pub sending one byte a second held the pass for 30 s";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  auto result = pass.get();
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(sync::LoadPubStatus(*peer.store, kWs, pub.Url("slow")).last_error.empty());
}

TEST(SyncHostile, JunkStreamEventsWriteNothing) {
  HostilePub pub;
  pub.junk_count = 300;
  // After the junk, one new valid document: once it is stored, the junk
  // before it has been handled.
  keys::Identity author = MakeIdentity("mall", 7);
  core::Document doc;
  doc.workspace = kWs;
  doc.path = "/after-the-junk.txt";
  doc.content = "real";
  doc.author = author.address();
  doc.timestamp = 1767225600000000;
  author.Sign(doc);
  pub.final_event = core::DocumentToJson(doc).dump();
  TempDir dir;
  Peer peer(dir.path(), pub.Url("stream"));
  peer.syncer->Start();
  // The first pass and the catch-up pull are over once the stream is open
  // and the listing was served twice.
  ASSERT_TRUE(Eventually([&] { return pub.streams_opened > 0 && pub.listings_served >= 2; }));
  ASSERT_TRUE(Eventually([&] { return sync::LoadPubStatus(*peer.store, kWs, pub.Url("stream")).last_success_us > 0; }));
  const uint64_t before = peer.store->CommitCount();
  const auto start = std::chrono::steady_clock::now();
  pub.release = true;
  ASSERT_TRUE(Eventually([&] { return peer.Content("/after-the-junk.txt") == "real"; }));
  const uint64_t writes = peer.store->CommitCount() - before;
  const auto seconds = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count());
  // The new document, one sync-status update, and the rejected events'
  // tally, saved at most once a second (more than one window may pass on a
  // slow, sanitized build) — never one write per event (300 before).
  EXPECT_LE(writes, 3u + seconds) << "junk events each wrote to the store";
  EXPECT_LT(writes, 30u);
  EXPECT_LT(peer.Logged().size(), 4096u) << peer.Logged().substr(0, 400);
  peer.syncer->Stop();
}

}  // namespace
}  // namespace esfs::testing
