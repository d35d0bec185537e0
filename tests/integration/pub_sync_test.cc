// `esfs pub` with real clients (issue #20): the REAL reference client
// (../shared/interop/refclient.js) pushes, pulls and syncs with it; our own
// client uses the incremental extension (a resync after one change moves
// about one document); two pubs with --peer converge; two mounts sync live
// through it.
#include <gtest/gtest.h>

#include "tests/support/esfs_pub.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

constexpr const char* kWs = "+gardening.friends";
const std::string kDocs = std::string("/earthstar-api/v1/") + kWs + "/documents";

core::OrderedJson Json(const std::string& text) {
  auto json = core::ParseJson(text);
  EXPECT_TRUE(json.ok()) << text.substr(0, 400);
  return json.ok() ? *json : core::OrderedJson();
}

size_t DocCount(const std::string& url) {
  auto reply = HttpGetText(url, kDocs);
  if (reply.status != 200) return 0;
  auto json = core::ParseJson(reply.body);
  return json.ok() && json->is_array() ? json->size() : 0;
}

TEST(PubSync, ReferenceClientPushesPullsAndSyncs) {
  EsfsPub pub;
  ASSERT_TRUE(pub.ready());
  TempDir tmp;
  auto key = RunRefclient({"keygen", "suzy", "--seed-text", "pub-test-suzy"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  WriteFile(tmp.File("suzy.json"), key.out);
  core::OrderedJson batch = core::OrderedJson::array();
  for (const char* path : {"/wiki/shared/Flowers", "/about/~@suzy/x", "/chat/hello.txt"}) {
    auto signed_doc = RunRefclient({"sign", "--keypair", tmp.File("suzy.json"), "--workspace", kWs, "--path", path,
                                    "--content", std::string("content of ") + path});
    ASSERT_EQ(signed_doc.exit_code, 0) << signed_doc.err;
    batch.push_back(Json(signed_doc.out));
  }
  // "/about/~@suzy/x" names nobody's full address: no author may write it.
  WriteFile(tmp.File("batch.json"), batch.dump());

  auto pushed = RunRefclient({"push", pub.url(), kWs, tmp.File("batch.json"), "--raw"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err << pushed.out;
  auto push_reply = Json(pushed.out)["body"];
  EXPECT_EQ(push_reply["numIngested"], 2);
  EXPECT_EQ(push_reply["numIgnored"], 1);
  EXPECT_EQ(push_reply["numTotal"], 3);

  // The reference's own pushOnce (its local store drops the invalid one).
  auto again = RunRefclient({"push", pub.url(), kWs, tmp.File("batch.json")});
  ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
  EXPECT_EQ(Json(again.out)["numIngested"], 0);
  EXPECT_EQ(Json(again.out)["numIgnored"], 2);

  auto pulled = RunRefclient({"pull", pub.url(), kWs});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(Json(pulled.out).size(), 2u);  // every one passed the reference validator
  auto unknown = RunRefclient({"pull", pub.url(), "+never.seen"});
  EXPECT_EQ(unknown.exit_code, 4) << unknown.err;  // the reference's NotFoundError for a 404

  // syncLocalAndHttp: pull everything, push everything (one new document).
  auto extra = RunRefclient({"sign", "--keypair", tmp.File("suzy.json"), "--workspace", kWs, "--path",
                             "/wiki/shared/New", "--content", "new page"});
  ASSERT_EQ(extra.exit_code, 0);
  WriteFile(tmp.File("store.json"), "[" + extra.out + "]");
  auto synced = RunRefclient({"sync", pub.url(), kWs, tmp.File("store.json")});
  ASSERT_EQ(synced.exit_code, 0) << synced.err << synced.out;
  auto sync_json = Json(synced.out);
  EXPECT_EQ(sync_json["pull"]["numIngested"], 2);
  EXPECT_EQ(sync_json["push"]["numIngested"], 1);
  EXPECT_EQ(sync_json["stored"], 3);
  EXPECT_EQ(DocCount(pub.url()), 3u);
}

TEST(PubSync, OurClientResyncsIncrementally) {
  EsfsPub pub;
  ASSERT_TRUE(pub.ready());
  auto suzy = MakeIdentity("suzy", 1);
  ASSERT_EQ(HttpPostText(pub.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "base", 2000))).status, 200);
  TempDir client;
  const std::string data = client.File("data");
  auto esfs = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {EsfsBinary(), "--data", data});
    return RunProgram(args);
  };
  ASSERT_EQ(esfs({"workspace", "add", kWs, "--pub", pub.url()}).exit_code, 0);
  auto first = esfs({"sync", "--once"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("pulled 2000 (2000 new"), std::string::npos) << first.out;
  // One new document on the pub, one saved locally: the next pass moves
  // just those two, not 2,000.
  ASSERT_EQ(HttpPostText(pub.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "later", 1))).status, 200);
  RunResult put = RunProgram({EsfsBinary(), "--data", data, "--key", client.File("k.json"), "keygen", "matt"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  put = RunProgram({EsfsBinary(), "--data", data, "--key", client.File("k.json"), "put", kWs, "/local.txt", "-"},
                   "saved here");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto second = esfs({"sync", "--once"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("pulled 1 (1 new, 0 invalid rejected), pushed 1"), std::string::npos) << second.out;
  EXPECT_EQ(DocCount(pub.url()), 2002u);
  // A pub made again from nothing at the same address (another store id)
  // gets a full pass: everything it lacks is pushed again.
  const int port = pub.port();
  pub.Stop();
  EsfsPub fresh({"--port", std::to_string(port)});
  ASSERT_TRUE(fresh.ready());
  auto third = esfs({"sync", "--once"});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(DocCount(fresh.url()), 2002u);
}

TEST(PubSync, TwoPubsWithPeerConverge) {
  auto suzy = MakeIdentity("suzy", 1);
  EsfsPub a;
  ASSERT_TRUE(a.ready());
  ASSERT_EQ(HttpPostText(a.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "on-a", 20))).status, 200);
  EsfsPub b({"--peer", a.url()});
  ASSERT_TRUE(b.ready());
  // b learns a's workspace, pulls it, and from then on both ways, live.
  EXPECT_TRUE(Eventually([&] { return DocCount(b.url()) == 20; }, 20)) << b.Output();
  ASSERT_EQ(HttpPostText(b.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "on-b", 5))).status, 200);
  EXPECT_TRUE(Eventually([&] { return DocCount(a.url()) == 25; }, 20)) << b.Output();
  ASSERT_EQ(HttpPostText(a.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "on-a-later", 3))).status, 200);
  EXPECT_TRUE(Eventually([&] { return DocCount(b.url()) == 28; }, 20)) << b.Output();
  EXPECT_EQ(HttpGetText(a.url(), kDocs).body, HttpGetText(b.url(), kDocs).body);
}

TEST(PubSync, TwoMountsSyncLiveThroughOurPub) {
  EsfsPub pub;
  ASSERT_TRUE(pub.ready());
  MountedEsfs one("suzy", pub.url());
  MountedEsfs two("matt", pub.url());
  if (!one.mounted() || !two.mounted()) GTEST_SKIP() << "FUSE mount refused";
  // Both are live once a first save in each has arrived in the other.
  WriteFile(one.Path("warmup-one.txt"), "1");
  WriteFile(two.Path("warmup-two.txt"), "2");
  ASSERT_TRUE(Eventually([&] { return ReadFile(two.Path("warmup-one.txt")) == "1"; }, 30)) << two.LogText();
  ASSERT_TRUE(Eventually([&] { return ReadFile(one.Path("warmup-two.txt")) == "2"; }, 30)) << one.LogText();
  // Then a save in one shows up in the other within a second.
  for (int i = 0; i < 3; ++i) {
    const std::string name = "note" + std::to_string(i) + ".txt", text = "saved " + std::to_string(i);
    const auto start = std::chrono::steady_clock::now();
    WriteFile(one.Path(name), text);
    EXPECT_TRUE(WaitUntil([&] { return ReadFile(two.Path(name)) == text; }, std::chrono::milliseconds(1000)))
        << name << " did not arrive within 1 s";
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    std::cout << "[ live ] " << name << " visible in the other mount after " << ms << " ms\n";
  }
}

}  // namespace
}  // namespace esfs::testing
