// Sync against a misbehaving fake server and against the REAL reference
// pub (../shared/interop) on 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/store.h"
#include "keys/identity.h"
#include "sync/syncer.h"
#include "tests/support/fake_pub.h"
#include "tests/support/ref_pub.h"
#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;
constexpr const char* kWs = "+gardening.friends";

keys::Identity MakeIdentity(const char* name, uint8_t seed_byte) {
  std::array<uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return std::move(keys::Identity::FromSeed(name, seed).value());
}

struct Peer {
  explicit Peer(const std::string& dir, const std::string& pub, const char* name, uint8_t seed,
                size_t max_body = size_t{64} << 20)
      : identity(MakeIdentity(name, seed)) {
    store = std::move(core::Store::Open({dir}).value());
    EXPECT_TRUE(store->AddWorkspace(kWs, {{"pubs", {pub}}}).ok());
    syncer = std::make_unique<sync::Syncer>(*store, [this](const std::string& l) { log += l + "\n"; },
                                            sync::HttpOptions{5, 3, 0, max_body, nullptr});
  }
  std::string Content(const std::string& path) {
    auto w = store->Winner(kWs, path);
    return w.ok() && w->has_value() ? (*w)->content : "<none>";
  }
  keys::Identity identity;
  std::unique_ptr<core::Store> store;
  std::unique_ptr<sync::Syncer> syncer;
  std::string log;
};

TEST(SyncFaults, EveryBadReplyIsAClearStatusAndStoresNothing) {
  TempDir dir;
  FakePub fake;
  struct Case {
    std::string mode, expect;
  };
  const std::vector<Case> cases = {
      {"403", "read-only (403)"},       {"413", "too large (413)"},     {"500", "HTTP 500"},
      {"html", "not JSON"},             {"truncated", "not JSON"},      {"notarray", "not a JSON array"},
      {"huge", "larger than 16 MiB"},   {"stall", "Timeout"},
  };
  for (const auto& c : cases) {
    Peer peer(dir.File("store-" + c.mode), fake.Url(c.mode), "suzy", 1, size_t{16} << 20);
    auto pass = peer.syncer->SyncOnce(kWs, fake.Url(c.mode));
    ASSERT_FALSE(pass.ok()) << c.mode;
    EXPECT_NE(pass.status().message().find(c.expect), std::string::npos) << c.mode << ": " << pass.status().message();
    auto status = sync::LoadPubStatus(*peer.store, kWs, fake.Url(c.mode));
    EXPECT_EQ(status.last_error, pass.status().message());
    EXPECT_TRUE(peer.store->AllDocuments(kWs)->empty());
  }
  // Documents with bad signatures (and junk elements) are rejected and
  // counted; the rest of the pass goes on.
  Peer peer(dir.File("store-badsig"), fake.Url("badsig"), "suzy", 1);
  auto pass = peer.syncer->SyncOnce(kWs, fake.Url("badsig"));
  ASSERT_TRUE(pass.ok()) << pass.status().message();
  EXPECT_EQ(pass->pulled, 3u);
  EXPECT_EQ(pass->invalid, 3u);
  EXPECT_EQ(pass->accepted, 0u);
  EXPECT_TRUE(peer.store->AllDocuments(kWs)->empty());
  EXPECT_NE(peer.log.find("signature is invalid"), std::string::npos) << peer.log;
  EXPECT_EQ(sync::LoadPubStatus(*peer.store, kWs, fake.Url("badsig")).invalid_total, 3u);
  // A pub that is not there at all.
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(FreeLocalPort());
  Peer lonely(dir.File("store-down"), nowhere, "suzy", 1);
  auto down = lonely.syncer->SyncOnce(kWs, nowhere);
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.status().message().find("connect"), std::string::npos) << down.status().message();
}

TEST(SyncReferencePub, TwoStoresConvergeThroughTheRealPub) {
  TempDir dir;
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  Peer a(dir.File("a"), pub.url(), "suzy", 1), b(dir.File("b"), pub.url(), "matt", 2);
  ASSERT_TRUE(a.store->Set(a.identity, kWs, "/wiki/Bees.md", "bees from a").ok());
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, pub.url()).ok());
  auto pulled = b.syncer->SyncOnce(kWs, pub.url());
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(b.Content("/wiki/Bees.md"), "bees from a");
  // Both edit the same path; after syncing both ways they agree, and the
  // other version stays as history.
  ASSERT_TRUE(a.store->Set(a.identity, kWs, "/wiki/Bees.md", "a's edit").ok());
  ASSERT_TRUE(b.store->Set(b.identity, kWs, "/wiki/Bees.md", "b's edit").ok());
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(a.syncer->SyncOnce(kWs, pub.url()).ok());
    ASSERT_TRUE(b.syncer->SyncOnce(kWs, pub.url()).ok());
  }
  EXPECT_EQ(a.Content("/wiki/Bees.md"), b.Content("/wiki/Bees.md"));
  EXPECT_EQ(a.store->Versions(kWs, "/wiki/Bees.md")->size(), 2u);
  // A delete in A removes the file in B.
  ASSERT_TRUE(a.store->Set(a.identity, kWs, "/wiki/Bees.md", "").ok());
  ASSERT_TRUE(b.store->Set(b.identity, kWs, "/wiki/Bees.md", "").ok());
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, pub.url()).ok());
  ASSERT_TRUE(b.syncer->SyncOnce(kWs, pub.url()).ok());
  EXPECT_EQ(b.Content("/wiki/Bees.md"), "");
  // The reference client sees our documents and validates every one.
  auto ref = RunRefclient({"pull", pub.url(), kWs, "--out", dir.File("pulled.json")});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  auto docs = OrderedJson::parse(ReadFile(dir.File("pulled.json")));
  EXPECT_EQ(docs.size(), a.store->AllDocuments(kWs)->size());
  // And what the reference client pushes shows up here.
  auto keypair = RunRefclient({"keygen", "fern"});
  WriteFile(dir.File("fern.json"), keypair.out);
  auto signed_doc = RunRefclient({"sign", "--keypair", dir.File("fern.json"), "--workspace", kWs, "--path",
                                  "/from/reference.txt", "--content", "hello from the reference"});
  WriteFile(dir.File("ref-doc.json"), "[" + signed_doc.out + "]");
  ASSERT_EQ(RunRefclient({"push", pub.url(), kWs, dir.File("ref-doc.json")}).exit_code, 0);
  ASSERT_TRUE(b.syncer->SyncOnce(kWs, pub.url()).ok());
  EXPECT_EQ(b.Content("/from/reference.txt"), "hello from the reference");
}

TEST(SyncReferencePub, OfflineEditsConvergeWhenThePubReturns) {
  TempDir dir;
  auto pub = std::make_unique<ReferencePub>("--sqlite");
  ASSERT_TRUE(pub->ready());
  const int port = pub->port();
  const std::string url = pub->url();
  Peer a(dir.File("a"), url, "suzy", 1), b(dir.File("b"), url, "matt", 2);
  ASSERT_TRUE(a.store->Set(a.identity, kWs, "/seed.txt", "seed").ok());
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, url).ok());
  pub->Stop();
  ASSERT_TRUE(a.store->Set(a.identity, kWs, "/offline-a.txt", "written offline in a").ok());
  ASSERT_TRUE(b.store->Set(b.identity, kWs, "/offline-b.txt", "written offline in b").ok());
  EXPECT_FALSE(a.syncer->SyncOnce(kWs, url).ok());
  EXPECT_NE(sync::LoadPubStatus(*a.store, kWs, url).last_error, "");
  (void)port;
  pub.reset();
}

}  // namespace
}  // namespace esfs::testing
