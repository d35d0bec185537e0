// Sync against a misbehaving fake server and against the REAL reference
// pub (../shared/interop) on 127.0.0.1.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "core/store.h"
#include "core/validate.h"
#include "keys/identity.h"
#include "sync/syncer.h"
#include "tests/support/fake_pub.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/ref_pub.h"
#include "tests/support/sync_peer.h"
#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;
constexpr const char* kWs = "+gardening.friends";

struct Peer : SyncPeer {
  Peer(const std::string& dir, const std::string& pub, const char* name, uint8_t seed,
       size_t max_body = size_t{64} << 20)
      : SyncPeer(dir, kWs, pub, name, seed, sync::HttpOptions{5, 3, 0, max_body, nullptr}) {}
};

// "path author signature" of every document in a JSON array; |dups| counts
// (path, author) pairs seen twice.
std::set<std::string> DocKeys(const OrderedJson& docs, size_t* dups = nullptr) {
  std::set<std::string> keys, pairs;
  for (const auto& d : docs) {
    const std::string pair = d["path"].get<std::string>() + " " + d["author"].get<std::string>();
    if (!pairs.insert(pair).second && dups) ++*dups;
    keys.insert(pair + " " + d["signature"].get<std::string>());
  }
  return keys;
}

std::set<std::string> PathsOf(const OrderedJson& docs) {
  std::set<std::string> paths;
  for (const auto& d : docs) paths.insert(d["path"].get<std::string>());
  return paths;
}

// What the pub holds, as the reference client pulls (and validates) it.
OrderedJson RefPull(const std::string& url, const TempDir& dir) {
  const std::string out = dir.File("refpull.json");
  auto r = RunRefclient({"pull", url, kWs, "--out", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return OrderedJson::parse(ReadFile(out), nullptr, false);
}

// Signs |path| = |content| as a fresh reference identity and pushes it with
// the reference client.
void RefPush(const std::string& url, const TempDir& dir, const std::vector<std::pair<std::string, std::string>>& docs) {
  if (!std::ifstream(dir.File("fern.json")).good())
    WriteFile(dir.File("fern.json"), RunRefclient({"keygen", "fern"}).out);
  std::string batch = "[";
  for (const auto& [path, content] : docs) {
    auto signed_doc = RunRefclient(
        {"sign", "--keypair", dir.File("fern.json"), "--workspace", kWs, "--path", path, "--content", content});
    ASSERT_EQ(signed_doc.exit_code, 0) << signed_doc.err;
    batch += (batch.size() > 1 ? "," : "") + signed_doc.out;
  }
  WriteFile(dir.File("ref-batch.json"), batch + "]");
  auto pushed = RunRefclient({"push", url, kWs, dir.File("ref-batch.json")});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
}

// esfs with one --data and --key.
struct Cli {
  std::string data, key;
  RunResult operator()(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {EsfsBinary(), "--data", data, "--key", key});
    return RunProgram(args, input, 120);
  }
  OrderedJson Export() const {
    auto r = (*this)({"export", kWs});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return OrderedJson::parse(r.out, nullptr, false);
  }
  OrderedJson Status() const {
    auto r = (*this)({"status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return OrderedJson::parse(r.out, nullptr, false);
  }
};

// `esfs sync` (live) as a child; SIGTERM and reaped when it goes out of scope.
class LiveSync {
 public:
  LiveSync(const Cli& cli, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      const std::string e = EsfsBinary();
      execl(e.c_str(), e.c_str(), "--data", cli.data.c_str(), "--key", cli.key.c_str(), "sync", kWs,
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~LiveSync() { (void)Stop(); }
  bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  // The exit status (-1 if it had to be killed).
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    if (auto status = WaitForChild(pid_, std::chrono::seconds(10))) {
      pid_ = -1;
      return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

TEST(SyncFaults, EveryBadReplyIsAClearStatusAndStoresNothing) {
  TempDir dir;
  FakePub fake;
  struct Case {
    std::string mode, expect;
  };
  const std::vector<Case> cases = {
      {"403", "read-only (403)"},     {"413", "too large (413)"}, {"500", "HTTP 500"},
      {"html", "not JSON"},           {"truncated", "not JSON"},  {"notarray", "not a JSON array"},
      {"huge", "larger than 16 MiB"}, {"stall", "Timeout"},
  };
  for (const auto& c : cases) {
    Peer peer(dir.File("store-" + c.mode), fake.Url(c.mode), "suzy", 1, size_t{16} << 20);
    auto pass = peer.syncer->SyncOnce(kWs, fake.Url(c.mode));
    ASSERT_FALSE(pass.ok()) << c.mode;
    EXPECT_NE(pass.status().message().find(c.expect), std::string::npos) << c.mode << ": " << pass.status().message();
    auto status = sync::LoadPubStatus(*peer.store, kWs, fake.Url(c.mode));
    EXPECT_EQ(status.last_error, pass.status().message());
    EXPECT_TRUE(peer.store->replica().AllDocuments(kWs)->empty());
  }
  // Documents with bad signatures (and junk elements) are rejected and
  // counted; the rest of the pass goes on.
  Peer peer(dir.File("store-badsig"), fake.Url("badsig"), "suzy", 1);
  auto pass = peer.syncer->SyncOnce(kWs, fake.Url("badsig"));
  ASSERT_TRUE(pass.ok()) << pass.status().message();
  EXPECT_EQ(pass->pulled, 3u);
  EXPECT_EQ(pass->invalid, 3u);
  EXPECT_EQ(pass->accepted, 0u);
  EXPECT_TRUE(peer.store->replica().AllDocuments(kWs)->empty());
  EXPECT_NE(peer.Logged().find("signature is invalid"), std::string::npos) << peer.Logged();
  EXPECT_EQ(sync::LoadPubStatus(*peer.store, kWs, fake.Url("badsig")).invalid_total, 3u);
  // A pub that is not there at all.
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(FreeLocalPort());
  Peer lonely(dir.File("store-down"), nowhere, "suzy", 1);
  auto down = lonely.syncer->SyncOnce(kWs, nowhere);
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.status().message().find("connect"), std::string::npos) << down.status().message();
}

TEST(SyncFaults, AnElementThatIsNotJsonIsRejectedAloneAndTheRestIsStored) {
  TempDir dir;
  FakePub fake;
  Peer a(dir.File("a"), fake.Url("mem"), "suzy", 1);
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/ok.txt", "fine").ok());
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, fake.Url("mem")).ok());
  Peer b(dir.File("b"), fake.Url("mixed"), "matt", 2);
  auto pass = b.syncer->SyncOnce(kWs, fake.Url("mixed"));
  ASSERT_TRUE(pass.ok()) << pass.status().message();
  EXPECT_EQ(pass->pulled, 3u);
  EXPECT_EQ(pass->invalid, 2u);
  EXPECT_EQ(pass->accepted, 1u);
  auto held = b.store->replica().AllDocuments(kWs);
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].content, "fine");
  EXPECT_NE(b.Logged().find("[document 0: not JSON"), std::string::npos) << b.Logged();
  EXPECT_NE(b.Logged().find("signature is invalid"), std::string::npos) << b.Logged();
}

TEST(SyncReferencePub, TwoStoresConvergeThroughTheRealPub) {
  TempDir dir;
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  Peer a(dir.File("a"), pub.url(), "suzy", 1), b(dir.File("b"), pub.url(), "matt", 2);
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/wiki/Bees.md", "bees from a").ok());
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, pub.url()).ok());
  auto pulled = b.syncer->SyncOnce(kWs, pub.url());
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(b.Content("/wiki/Bees.md"), "bees from a");
  // Both edit the same path; after syncing both ways they agree, and the
  // other version stays as history.
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/wiki/Bees.md", "a's edit").ok());
  ASSERT_TRUE(b.store->replica().Set(b.identity, kWs, "/wiki/Bees.md", "b's edit").ok());
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(a.syncer->SyncOnce(kWs, pub.url()).ok());
    ASSERT_TRUE(b.syncer->SyncOnce(kWs, pub.url()).ok());
  }
  EXPECT_EQ(a.Content("/wiki/Bees.md"), b.Content("/wiki/Bees.md"));
  EXPECT_EQ(a.store->replica().Versions(kWs, "/wiki/Bees.md")->size(), 2u);
  // A delete in A removes the file in B.
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/wiki/Bees.md", "").ok());
  ASSERT_TRUE(b.store->replica().Set(b.identity, kWs, "/wiki/Bees.md", "").ok());
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, pub.url()).ok());
  ASSERT_TRUE(b.syncer->SyncOnce(kWs, pub.url()).ok());
  EXPECT_EQ(b.Content("/wiki/Bees.md"), "");
  // The reference client sees our documents and validates every one.
  auto ref = RunRefclient({"pull", pub.url(), kWs, "--out", dir.File("pulled.json")});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  auto docs = OrderedJson::parse(ReadFile(dir.File("pulled.json")));
  EXPECT_EQ(docs.size(), a.store->replica().AllDocuments(kWs)->size());
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

TEST(SyncReferencePub, OfflineEditsConvergeWhenAnEmptyPubReturnsOnTheSamePort) {
  TempDir dir;
  auto pub = std::make_unique<ReferencePub>();
  ASSERT_TRUE(pub->ready());
  const int port = pub->port();
  const std::string url = pub->url();
  Peer a(dir.File("a"), url, "suzy", 1), b(dir.File("b"), url, "matt", 2);
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/seed.txt", "seed").ok());
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, url).ok());
  ASSERT_TRUE(b.syncer->SyncOnce(kWs, url).ok());
  pub->Stop();
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/offline-a.txt", "written offline in a").ok());
  ASSERT_TRUE(b.store->replica().Set(b.identity, kWs, "/offline-b.txt", "written offline in b").ok());
  auto failed = a.syncer->SyncOnce(kWs, url);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(sync::LoadPubStatus(*a.store, kWs, url).last_error, failed.status().message());
  // A memory pub on the same port: it lost everything, /seed.txt included,
  // although both stores had already pushed (or received) it.
  pub = std::make_unique<ReferencePub>("", port);
  ASSERT_TRUE(pub->ready());
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(a.syncer->SyncOnce(kWs, url).ok());
    ASSERT_TRUE(b.syncer->SyncOnce(kWs, url).ok());
  }
  EXPECT_EQ(a.Content("/offline-b.txt"), "written offline in b");
  EXPECT_EQ(b.Content("/offline-a.txt"), "written offline in a");
  const auto on_pub = RefPull(url, dir);
  EXPECT_EQ(PathsOf(on_pub), (std::set<std::string>{"/offline-a.txt", "/offline-b.txt", "/seed.txt"}));
  EXPECT_TRUE(sync::LoadPubStatus(*a.store, kWs, url).last_error.empty());
}

// While the live stream stays open, a push that fails is tried again (it
// used to end the pusher: saves then waited until the stream dropped,
// which may be hours).
TEST(SyncFaults, ALivePushThatFailsIsRetriedWhileTheStreamStaysOpen) {
  TempDir dir;
  FakePub fake;
  const std::string url = fake.Url("flaky");
  Peer a(dir.File("a"), url, "suzy", 1);
  a.syncer->Start();
  // The first pass (nothing to pull, nothing to push) succeeds; then live:
  // the stream opens and the catch-up pull follows (the second listing),
  // and nothing was POSTed on the way.
  ASSERT_TRUE(Eventually([&] { return sync::LoadPubStatus(*a.store, kWs, url).last_success_us > 0; }, 20));
  ASSERT_TRUE(Eventually(
      [&] {
        return fake.requests("flaky", "GET stream").size() == 1 && fake.requests("flaky", "GET documents").size() >= 2;
      },
      10));
  EXPECT_EQ(fake.posts(), 0);
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/saved.txt", "saved while live").ok());
  // The first POST gets a 500 and shows in the status ...
  ASSERT_TRUE(Eventually([&] { return fake.posts() >= 1; }, 10));
  ASSERT_TRUE(Eventually([&] { return !sync::LoadPubStatus(*a.store, kWs, url).last_error.empty(); }, 5));
  EXPECT_NE(sync::LoadPubStatus(*a.store, kWs, url).last_error.find("HTTP 500"), std::string::npos);
  // ... and is retried on the same stream until the pub takes it.
  ASSERT_TRUE(Eventually([&] { return fake.posts() >= 2 && *sync::PendingPushes(*a.store, kWs, url, {}) == 0; }, 10))
      << "posts: " << fake.posts();
  EXPECT_TRUE(sync::LoadPubStatus(*a.store, kWs, url).last_error.empty());
  a.syncer->Stop();
  EXPECT_NE(a.Logged().find("live push of +gardening.friends"), std::string::npos) << a.Logged();
  EXPECT_EQ(a.Logged().find("synced +gardening.friends"), std::string::npos)
      << "a new pass did the push: " << a.Logged();
}

// The pub takes at most 10 MB per POST: 12 MB of documents go in batches
// it accepts, all of them.
TEST(SyncReferencePub, PushesOver10MegabytesInBatchesThePubAccepts) {
  TempDir dir;
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  Peer a(dir.File("a"), pub.url(), "suzy", 1);
  for (int i = 0; i < 4; ++i) {
    const std::string content(3'000'000, static_cast<char>('a' + i));
    ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/big/" + std::to_string(i) + ".txt", content).ok());
  }
  auto pass = a.syncer->SyncOnce(kWs, pub.url());
  ASSERT_TRUE(pass.ok()) << pass.status().message();
  EXPECT_EQ(pass->pushed, 4u);
  const auto on_pub = RefPull(pub.url(), dir);
  ASSERT_EQ(on_pub.size(), 4u);
  for (const auto& d : on_pub) EXPECT_EQ(d["content"].get<std::string>().size(), 3'000'000u);
}

// A pub that stalls never blocks the mount: saves and reads answer at
// once, and unmounting cancels the stalled transfer instead of waiting.
TEST(SyncFaults, AStalledPubNeverBlocksTheMount) {
  FakePub fake;
  MountedEsfs m("suzy", fake.Url("stall"));
  ASSERT_TRUE(m.mounted());
  // The syncer is inside the stalled GET once the pub has it.
  ASSERT_TRUE(Eventually([&] { return fake.requests("stall", "GET documents").size() == 1; }, 10)) << m.LogText();
  auto t0 = std::chrono::steady_clock::now();
  WriteFile(m.Path("saved.txt"), "saved while the pub stalls");
  EXPECT_EQ(ReadFile(m.Path("saved.txt")), "saved while the pub stalls");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  auto status = m.Esfs({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(OrderedJson::parse(status.out)[0]["pubs"][0]["pending_pushes"], 1) << status.out;
  t0 = std::chrono::steady_clock::now();
  m.Unmount();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8)) << m.LogText();
}

// Item "selective sync" of issue 7, end to end through the command line:
// `workspace add --only` → the workspace config → the syncer, for the
// first pass (pull and push) and for the live stream and live pushes.
TEST(SyncLive, APubThatIsDownAtStartIsRetriedNotGivenUpOn) {
  TempDir dir;
  const Cli esfs{dir.File("data"), dir.File("suzy.json")};
  ASSERT_EQ(esfs({"keygen", "suzy"}).exit_code, 0);
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(FreeLocalPort());
  ASSERT_EQ(esfs({"workspace", "add", kWs, "--pub", nowhere}).exit_code, 0);
  EXPECT_EQ(esfs({"sync", kWs, "--once"}).exit_code, 1);  // one pass: it failed
  const std::string log = dir.File("live.log");
  LiveSync live(esfs, log);
  ASSERT_TRUE(Eventually([&] { return ReadFile(log).find("syncing live") != std::string::npos; }, 10));
  // Two failed attempts in the background (1 s ± 50 % apart), and still
  // running: retried, not given up on.
  auto retries = [&] {
    const std::string text = ReadFile(log);
    size_t n = 0;
    for (size_t at = text.find("(retrying in "); at != std::string::npos; at = text.find("(retrying in ", at + 1)) ++n;
    return n;
  };
  ASSERT_TRUE(Eventually([&] { return retries() >= 2; }, 10)) << ReadFile(log);
  EXPECT_TRUE(live.Running()) << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("retrying in the background"), std::string::npos) << ReadFile(log);
  EXPECT_EQ(live.Stop(), 0);
}

TEST(SyncSelective, OnlyPrefixesLimitPushPullAndLiveSync) {
  TempDir dir;
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  const Cli esfs{dir.File("data"), dir.File("suzy.json")};
  ASSERT_EQ(esfs({"keygen", "suzy"}).exit_code, 0);
  auto add = esfs({"workspace", "add", kWs, "--pub", pub.url(), "--only", "/wiki/", "--only", "/chat/"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(esfs({"workspace", "add", kWs, "--only", "wiki"}).exit_code, 2);  // not a path prefix
  auto list = OrderedJson::parse(esfs({"workspace", "list", "--json"}).out, nullptr, false);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["config"]["only"], OrderedJson::parse(R"(["/wiki/", "/chat/"])"));
  for (const char* path : {"/wiki/Bees.md", "/chat/hello.txt", "/notes/private.txt", "/wikipedia.txt"}) {
    ASSERT_EQ(esfs({"put", kWs, path, "-"}, std::string("content of ") + path).exit_code, 0) << path;
  }
  // Two of the four are outside the prefixes: never pending, never pushed.
  EXPECT_EQ(esfs.Status()[0]["pubs"][0]["pending_pushes"], 2);
  auto once = esfs({"sync", kWs, "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_EQ(PathsOf(RefPull(pub.url(), dir)), (std::set<std::string>{"/chat/hello.txt", "/wiki/Bees.md"}));
  EXPECT_EQ(esfs.Status()[0]["pubs"][0]["pending_pushes"], 0);
  // Pull: what others put outside the prefixes is not stored.
  RefPush(pub.url(), dir, {{"/wiki/FromFern.md", "in"}, {"/other/fern.txt", "out"}, {"/chatter.txt", "out"}});
  once = esfs({"sync", kWs, "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_EQ(esfs({"get", kWs, "/wiki/FromFern.md"}).out, "in");
  EXPECT_EQ(PathsOf(esfs.Export()), (std::set<std::string>{"/chat/hello.txt", "/notes/private.txt", "/wiki/Bees.md",
                                                           "/wiki/FromFern.md", "/wikipedia.txt"}));
  // Live: the stream brings /chat/live.txt; /other/live.txt, pushed to the
  // pub before it, must not have been stored when it arrives.
  LiveSync live(esfs, dir.File("live.log"));
  ASSERT_TRUE(Eventually([&] { return ReadFile(dir.File("live.log")).find("syncing live") != std::string::npos; }, 30))
      << ReadFile(dir.File("live.log"));
  // The background pass, then the stream opens (the pub says so).
  ASSERT_TRUE(Eventually([&] { return pub.StreamsOpened() >= 1; }, 30)) << pub.Output();
  RefPush(pub.url(), dir, {{"/other/live.txt", "out"}, {"/chat/live.txt", "in"}});
  ASSERT_TRUE(Eventually(
      [&] {
        return esfs({"get", kWs, "/chat/live.txt"}).exit_code == 0;
      },
      30))
      << ReadFile(dir.File("live.log"));
  EXPECT_EQ(esfs({"get", kWs, "/other/live.txt"}).exit_code, 1);
  // Live pushes: /notes/later.txt (written first) stays local.
  ASSERT_EQ(esfs({"put", kWs, "/notes/later.txt", "-"}, "local").exit_code, 0);
  ASSERT_EQ(esfs({"put", kWs, "/wiki/later.md", "-"}, "shared").exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return PathsOf(RefPull(pub.url(), dir)).count("/wiki/later.md") == 1; }, 30))
      << ReadFile(dir.File("live.log"));
  const auto on_pub = PathsOf(RefPull(pub.url(), dir));
  EXPECT_EQ(on_pub.count("/notes/later.txt"), 0u);
  EXPECT_EQ(on_pub.count("/notes/private.txt"), 0u);
  EXPECT_EQ(on_pub.count("/wikipedia.txt"), 0u);
  EXPECT_EQ(live.Stop(), 0);
}

// Item "faults" of issue 7: the pub (sqlite, so it keeps what it ingested)
// is SIGKILLed in the middle of a 10,000-document push, restarted on the
// same data, and the next pass completes the set: nothing lost or doubled,
// and only what the pub lacked is sent again.
TEST(SyncFaults, PubKilledInTheMiddleOfA10000DocumentPush) {
  constexpr size_t kDocs = 10'000;
  TempDir dir;
  auto pub = std::make_unique<ReferencePub>("--sqlite");
  ASSERT_TRUE(pub->ready());
  const std::string url = pub->url();
  Peer a(dir.File("a"), url, "suzy", 1);
  // A sqlite pub ingests ~600 documents/s: a batch takes seconds to answer.
  sync::Syncer syncer(*a.store, a.Logger(), sync::HttpOptions{5, 60, 0});
  std::vector<core::Document> docs(kDocs);
  const int64_t now =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (size_t i = 0; i < kDocs; ++i) {
    docs[i].workspace = kWs;
    docs[i].path = "/fault/" + std::to_string(i) + ".txt";
    docs[i].content = "document " + std::to_string(i) + " " + std::string(100, 'x');
    docs[i].author = a.identity.address();
    docs[i].timestamp = now - static_cast<int64_t>(kDocs - i);
    a.identity.Sign(docs[i]);
  }
  ASSERT_TRUE(a.store->replica().IngestBatch(kWs, docs).ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) + " s";
  };
  std::atomic<size_t> sent{0};
  std::atomic<bool> killed{false};
  std::thread killer([&] {
    // Once 3,000 were acknowledged, wait for the pub to be inside the next
    // batch (its database changes again after that acknowledgement: it
    // commits document by document) and kill it there.
    if (!Eventually([&] { return sent.load() >= 3000; }, 90)) return;
    const std::string db = pub->data_dir() + "/gardening.friends.sqlite";
    auto stamp = [&] {
      struct stat st {};
      if (stat(db.c_str(), &st) != 0) return std::pair<int64_t, int64_t>{-1, -1};
      return std::pair<int64_t, int64_t>{st.st_size, int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
    };
    const auto acknowledged = stamp();
    if (acknowledged.first < 0 || !Eventually([&] { return stamp() != acknowledged; }, 30)) return;
    killed = pub->Kill();
  });
  auto first = syncer.SyncOnce(kWs, url, [&](const std::string& phase, size_t done, size_t) {
    if (phase == "push") sent = done;
  });
  killer.join();
  std::cerr << "pub killed after " << sent << " documents were acknowledged, at " << elapsed() << "\n";
  ASSERT_TRUE(killed) << "sent " << sent << ": " << a.Logged();
  ASSERT_FALSE(first.ok()) << "the push finished before the kill";
  EXPECT_EQ(sync::LoadPubStatus(*a.store, kWs, url).last_error, first.status().message());
  EXPECT_LT(sent.load(), kDocs);
  // Restart on the same port and data.
  ReferencePub again("--sqlite", pub->port(), pub->data_dir());
  ASSERT_TRUE(again.ready());
  auto second = syncer.SyncOnce(kWs, url);
  std::cerr << "pub restarted; the second pass ended at " << elapsed() << "\n";
  ASSERT_TRUE(second.ok()) << second.status().message();
  std::cerr << "the pub had kept " << second->pulled << "; " << second->pushed << " sent again\n";
  EXPECT_GE(second->pulled, sent.load()) << "the pub lost acknowledged documents";
  EXPECT_LT(second->pulled, kDocs);
  EXPECT_EQ(second->pulled + second->pushed, kDocs) << "pushed more than the pub lacked";
  EXPECT_TRUE(sync::LoadPubStatus(*a.store, kWs, url).last_error.empty());
  // Both sides hold the same set: esfs export against the reference client.
  const Cli esfs{dir.File("a"), dir.File("no-key.json")};
  size_t ours_doubled = 0, theirs_doubled = 0;
  const auto ours = DocKeys(esfs.Export(), &ours_doubled);
  const auto on_pub = RefPull(url, dir);
  const auto theirs = DocKeys(on_pub, &theirs_doubled);
  EXPECT_EQ(on_pub.size(), kDocs);
  EXPECT_EQ(ours.size(), kDocs);
  EXPECT_EQ(ours_doubled + theirs_doubled, 0u);
  EXPECT_TRUE(ours == theirs);
  // A third pass has nothing left to send.
  auto third = syncer.SyncOnce(kWs, url);
  ASSERT_TRUE(third.ok()) << third.status().message();
  EXPECT_EQ(third->pushed, 0u);
  EXPECT_EQ(third->accepted, 0u);
}

// Item "faults" of issue 7, the other direction: the pub (sqlite) is
// SIGKILLed while esfs is in the middle of pulling 10,000 documents (30 MB)
// from it, and restarted on the same data. The cut-off reply stores
// nothing (a listing is ingested only once it is whole), the store's own
// documents are kept, and the next pass brings exactly the pub's set:
// nothing lost, nothing doubled, every stored document valid.
TEST(SyncFaults, PubKilledInTheMiddleOfA10000DocumentPull) {
  constexpr size_t kDocs = 10'000, kOwn = 100;
  TempDir dir;
  auto pub = std::make_unique<ReferencePub>("--sqlite");
  ASSERT_TRUE(pub->ready());
  const std::string url = pub->url();
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) + " s";
  };
  // Seed the pub: 10,000 documents of ~3 KB from store A (30 MB: far more
  // than socket buffers hold, so a kill really cuts the reply).
  Peer a(dir.File("a"), url, "suzy", 1);
  const int64_t now =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::vector<core::Document> docs(kDocs);
  for (size_t i = 0; i < kDocs; ++i) {
    docs[i].workspace = kWs;
    docs[i].path = "/pulled/" + std::to_string(i) + ".txt";
    docs[i].content = "document " + std::to_string(i) + " " + std::string(3000, static_cast<char>('a' + i % 26));
    docs[i].author = a.identity.address();
    docs[i].timestamp = now - static_cast<int64_t>(kDocs - i);
    a.identity.Sign(docs[i]);
  }
  ASSERT_TRUE(a.store->replica().IngestBatch(kWs, docs).ok());
  sync::Syncer seeder(*a.store, a.Logger(), sync::HttpOptions{5, 60, 0});
  auto seeded = seeder.SyncOnce(kWs, url);
  ASSERT_TRUE(seeded.ok()) << seeded.status().message();
  ASSERT_EQ(seeded->pushed, kDocs);
  std::cerr << "pub seeded with " << kDocs << " documents at " << elapsed() << "\n";

  // Store B has documents of its own, then pulls; once the first 64 KB of
  // the reply are in, the pub is killed (from inside the transfer, so the
  // kill lands while the pub is still sending).
  Peer b(dir.File("b"), url, "matt", 2);
  for (size_t i = 0; i < kOwn; ++i) {
    ASSERT_TRUE(
        b.store->replica().Set(b.identity, kWs, "/own/" + std::to_string(i) + ".txt", "b's " + std::to_string(i)).ok());
  }
  std::atomic<bool> killed{false};
  size_t received_at_kill = 0;
  sync::HttpOptions http{5, 60, 0};
  http.on_received = [&](size_t bytes) {
    if (!killed && bytes >= 64 * 1024) {
      received_at_kill = bytes;
      killed = pub->Kill();
    }
  };
  sync::Syncer syncer(*b.store, b.Logger(), http);
  auto first = syncer.SyncOnce(kWs, url);
  ASSERT_TRUE(killed) << "the pub was not killed: " << (first.ok() ? "pass ok" : first.status().message());
  std::cerr << "pub killed after " << received_at_kill << " bytes of the listing, at " << elapsed() << "\n";
  ASSERT_FALSE(first.ok()) << "the whole 30 MB reply was already in the socket buffers";
  std::cerr << "the pass failed: " << first.status().message() << "\n";
  EXPECT_EQ(sync::LoadPubStatus(*b.store, kWs, url).last_error, first.status().message());
  EXPECT_EQ(b.store->replica().AllDocuments(kWs)->size(), kOwn) << "a cut-off listing was (partly) ingested";
  EXPECT_EQ(*sync::PendingPushes(*b.store, kWs, url, {}), kOwn);

  // Restart on the same port and data; the next pass completes.
  ReferencePub again("--sqlite", pub->port(), pub->data_dir());
  ASSERT_TRUE(again.ready());
  auto second = syncer.SyncOnce(kWs, url);
  std::cerr << "pub restarted; the second pass ended at " << elapsed() << "\n";
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->pulled, kDocs);
  EXPECT_EQ(second->accepted, kDocs);
  EXPECT_EQ(second->invalid, 0u);
  EXPECT_EQ(second->pushed, kOwn);
  EXPECT_TRUE(sync::LoadPubStatus(*b.store, kWs, url).last_error.empty());
  auto third = syncer.SyncOnce(kWs, url);
  ASSERT_TRUE(third.ok()) << third.status().message();
  EXPECT_EQ(third->accepted, 0u);
  EXPECT_EQ(third->pushed, 0u);

  // The store holds exactly the pub's set: esfs export against what the
  // reference client pulls (and validates); nothing doubled on either side.
  const Cli esfs{dir.File("b"), dir.File("no-key.json")};
  size_t ours_doubled = 0, theirs_doubled = 0;
  const auto ours = DocKeys(esfs.Export(), &ours_doubled);
  const auto on_pub = RefPull(url, dir);
  const auto theirs = DocKeys(on_pub, &theirs_doubled);
  EXPECT_EQ(on_pub.size(), kDocs + kOwn);
  EXPECT_EQ(ours.size(), kDocs + kOwn);
  EXPECT_EQ(ours_doubled + theirs_doubled, 0u);
  EXPECT_TRUE(ours == theirs);
  // And A's 10,000 are all there, byte for byte as signed.
  auto stored = b.store->replica().AllDocuments(kWs);
  ASSERT_TRUE(stored.ok());
  size_t from_a = 0;
  const int64_t check_time =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (const auto& doc : *stored) {
    EXPECT_TRUE(core::ValidateDocument(doc, check_time).ok()) << doc.path;
    if (doc.author == a.identity.address()) {
      ++from_a;
      const size_t i = std::stoul(doc.path.substr(8));
      EXPECT_EQ(doc.signature, docs[i].signature) << doc.path;
      EXPECT_EQ(doc.content, docs[i].content) << doc.path;
    }
  }
  EXPECT_EQ(from_a, kDocs);
}

// Item "esfs status" of issue 7: per workspace documents and pubs; per pub
// last success, pending pushes and the last error, as JSON and as text.
TEST(SyncStatus, ShowsDocumentsPubsLastSyncPendingAndErrors) {
  TempDir dir;
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  const std::string down = "http://127.0.0.1:" + std::to_string(FreeLocalPort());
  const Cli esfs{dir.File("data"), dir.File("suzy.json")};
  ASSERT_EQ(esfs({"keygen", "suzy"}).exit_code, 0);
  ASSERT_EQ(esfs({"workspace", "add", kWs, "--pub", pub.url(), "--pub", down}).exit_code, 0);
  ASSERT_EQ(esfs({"workspace", "add", "+local.only"}).exit_code, 0);
  for (const char* path : {"/a.txt", "/b.txt", "/c.txt"}) ASSERT_EQ(esfs({"put", kWs, path, "-"}, "x").exit_code, 0);
  auto before = esfs.Status();
  ASSERT_EQ(before.size(), 2u) << before.dump();
  const auto& ws = before[0]["workspace"] == kWs ? before[0] : before[1];
  EXPECT_EQ(ws["documents"], 3);
  // Who wrote what, without reading documents.
  ASSERT_EQ(ws["authors"].size(), 1u) << ws.dump();
  const std::string suzy = ws["authors"][0]["author"];
  EXPECT_EQ(suzy.rfind("@suzy.", 0), 0u) << suzy;
  EXPECT_EQ(ws["authors"][0]["documents"], 3);
  EXPECT_TRUE(ws["authors"][0]["last_write"].is_string()) << ws.dump();
  ASSERT_EQ(ws["pubs"].size(), 2u);
  for (const auto& p : ws["pubs"]) {
    EXPECT_EQ(p["pending_pushes"], 3) << p.dump();
    EXPECT_TRUE(p["last_success"].is_null()) << p.dump();
    EXPECT_TRUE(p["last_error"].is_null()) << p.dump();
  }
  // One pub answers, the other is down: exit status 1, and status says which.
  auto sync = esfs({"sync", "--once"});
  EXPECT_EQ(sync.exit_code, 1);
  EXPECT_NE(sync.err.find(down), std::string::npos) << sync.err;
  EXPECT_NE(sync.err.find(kWs + std::string(" push: 3/3")), std::string::npos) << sync.err;  // progress, not a tty
  auto after = esfs.Status();
  const auto& ws2 = after[0]["workspace"] == kWs ? after[0] : after[1];
  const auto& good = ws2["pubs"][0]["url"] == pub.url() ? ws2["pubs"][0] : ws2["pubs"][1];
  const auto& bad = ws2["pubs"][0]["url"] == pub.url() ? ws2["pubs"][1] : ws2["pubs"][0];
  EXPECT_EQ(good["pending_pushes"], 0);
  EXPECT_GT(good["last_success_us"].get<int64_t>(), 0);
  EXPECT_TRUE(good["last_success"].is_string()) << good.dump();
  EXPECT_TRUE(good["last_error"].is_null()) << good.dump();
  EXPECT_EQ(bad["pending_pushes"], 3);
  EXPECT_TRUE(bad["last_success"].is_null()) << bad.dump();
  ASSERT_TRUE(bad["last_error"].is_string()) << bad.dump();
  EXPECT_NE(bad["last_error"].get<std::string>().find("connect"), std::string::npos) << bad.dump();
  // The text form says the same in words.
  auto text = esfs({"status"});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find(kWs + std::string(": 3 documents")), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("+local.only: 0 documents"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(suzy + ": 3 documents, last wrote 20"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("no pubs (local only)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("last sync never, 3 pending pushes"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("last error: " + down), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("0 pending pushes"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace esfs::testing
