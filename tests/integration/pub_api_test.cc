// `esfs pub` on its own (issue #20): the reference API's routes and shapes,
// validation with per-document results, the body limit, bad workspaces,
// closed and read-only pubs, restart and SIGKILL in the middle of a push,
// the incremental extension and the HTML page (in headless Chromium).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/store.h"
#include "core/validate.h"
#include "tests/support/esfs_pub.h"

namespace esfs::testing {
namespace {

constexpr const char* kWs = "+gardening.friends";
const std::string kDocs = std::string("/earthstar-api/v1/") + kWs + "/documents";

core::OrderedJson ParsedBody(const HttpReply& reply) {
  auto json = core::ParseJson(reply.body);
  EXPECT_TRUE(json.ok()) << reply.body.substr(0, 300);
  return json.ok() ? *json : core::OrderedJson();
}

TEST(PubApi, PostReportsEachDocumentAndStoresOnlyValidOnes) {
  EsfsPub pub;
  ASSERT_TRUE(pub.ready());
  auto suzy = MakeIdentity("suzy", 1);
  auto docs = SignedDocs(suzy, kWs, "ok", 3);
  core::OrderedJson batch = core::OrderedJson::array();
  for (const auto& d : docs) batch.push_back(core::DocumentToJson(d));
  auto bad_sig = core::DocumentToJson(SignedDocs(suzy, kWs, "badsig", 1)[0]);
  bad_sig["content"] = "changed after signing";  // contentHash no longer matches
  batch.push_back(bad_sig);
  batch.push_back(core::DocumentToJson(SignedDocs(suzy, "+other.ws", "elsewhere", 1)[0]));
  batch.push_back(nullptr);  // the reference pub crashes on this (500); we report it
  auto extra = core::DocumentToJson(SignedDocs(suzy, kWs, "extra", 1)[0]);
  extra["_localIndex"] = 7;
  batch.push_back(extra);
  batch.push_back(core::DocumentToJson(docs[0]));  // a copy: ignored

  auto reply = HttpPostText(pub.url(), kDocs, batch.dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto json = ParsedBody(reply);
  EXPECT_EQ(json["numIngested"], 3);
  EXPECT_EQ(json["numIgnored"], 5);
  EXPECT_EQ(json["numTotal"], 8);
  ASSERT_EQ(json["results"].size(), 8u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(json["results"][i]["result"], "ACCEPTED") << i;
  EXPECT_EQ(json["results"][3]["result"], "INVALID");
  EXPECT_NE(json["results"][3]["reason"].get<std::string>().find("contentHash"), std::string::npos)
      << json["results"][3];
  EXPECT_EQ(json["results"][4]["reason"], "ingestDocument: can't ingest doc from different workspace");
  EXPECT_EQ(json["results"][5]["reason"], "ingestDocument: unrecognized format undefined");
  EXPECT_EQ(json["results"][6]["result"], "INVALID");  // extra fields: as the store's ingest
  EXPECT_EQ(json["results"][7]["result"], "IGNORED");

  auto listing = HttpGetText(pub.url(), kDocs);
  ASSERT_EQ(listing.status, 200);
  EXPECT_EQ(ParsedBody(listing).size(), 3u);
  auto paths = HttpGetText(pub.url(), std::string("/earthstar-api/v1/") + kWs + "/paths");
  ASSERT_EQ(paths.status, 200);
  EXPECT_EQ(ParsedBody(paths), core::OrderedJson({"/test/ok0.txt", "/test/ok1.txt", "/test/ok2.txt"}));
  // What the pub serves is what its store holds: every one valid.
  pub.Stop();
  auto store = core::Store::Open({pub.data_dir()});
  ASSERT_TRUE(store.ok());
  auto all = (*store)->replica().AllDocuments(kWs);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

TEST(PubApi, BadRequestsGetClearStatusCodes) {
  EsfsPub pub({"--max-body", "100000"});
  ASSERT_TRUE(pub.ready());
  // An invalid workspace address: 400 with the reason, on every route.
  auto bad = HttpPostText(pub.url(), "/earthstar-api/v1/+Bad.Workspace/documents", "[]");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("workspace"), std::string::npos) << bad.body;
  EXPECT_EQ(HttpGetText(pub.url(), "/earthstar-api/v1/nope/documents").status, 400);
  // Unknown workspace: 404 (GET never creates one).
  EXPECT_EQ(HttpGetText(pub.url(), "/earthstar-api/v1/+never.pushed/documents").status, 404);
  EXPECT_EQ(HttpGetText(pub.url(), "/earthstar-api/v1/+never.pushed/stream").status, 404);
  // Not an array, not JSON: 400.
  EXPECT_EQ(HttpPostText(pub.url(), kDocs, "{\"a\":1}").status, 400);
  EXPECT_EQ(HttpPostText(pub.url(), kDocs, "<html>").status, 400);
  // A bad body does not make a new workspace.
  EXPECT_EQ(HttpPostText(pub.url(), "/earthstar-api/v1/+fresh.ws/documents", "not json").status, 400);
  EXPECT_EQ(HttpGetText(pub.url(), "/earthstar-api/v1/+fresh.ws/documents").status, 404);
  // Over the body limit: 413 with a message, and the pub goes on.
  auto big = HttpPostText(pub.url(), kDocs, "[" + std::string(200000, ' ') + "]");
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.body.find("100000 bytes"), std::string::npos) << big.body;
  auto suzy = MakeIdentity("suzy", 1);
  auto ok = HttpPostText(pub.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "after413", 2)));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ParsedBody(ok)["numIngested"], 2);
}

// A connection to 127.0.0.1:|port| that sends |text| and nothing more.
int SendPartial(int port, const std::string& text) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  (void)!write(fd, text.data(), text.size());
  return fd;
}

// True once the pub has closed |fd| (EOF or reset), within |ms|; what it sent is appended to |got|.
bool ClosedWithin(int fd, int ms, std::string* got) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[1024];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return true;
    got->append(buf, static_cast<size_t>(n));
  }
  return false;
}

TEST(PubApi, SlowAndCrowdedClientsAreBounded) {
  EsfsPub pub({"--max-connections", "2", "--request-deadline", "2"});
  ASSERT_TRUE(pub.ready());
  // Two clients that trickle: headers never finished, a body never sent.
  const int slow_headers = SendPartial(pub.port(), "GET / HTTP/1.1\r\nHost: x\r\n");
  const int slow_body = SendPartial(pub.port(), "POST " + kDocs +
                                                    " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                                    "Content-Length: 100000\r\n\r\n[");
  ASSERT_GE(slow_headers, 0);
  ASSERT_GE(slow_body, 0);
  // The pub is full: the next connection gets 503 at once.
  std::string busy;
  const int third = SendPartial(pub.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(ClosedWithin(third, 3000, &busy));
  EXPECT_NE(busy.find("503"), std::string::npos) << busy;
  close(third);
  // The deadline cuts both trickling clients (2 s, checked every second).
  std::string ignored;
  EXPECT_TRUE(ClosedWithin(slow_headers, 6000, &ignored));
  EXPECT_TRUE(ClosedWithin(slow_body, 6000, &ignored));
  close(slow_headers);
  close(slow_body);
  // And the pub serves again.
  EXPECT_TRUE(Eventually([&] { return HttpGetText(pub.url(), "/").status == 200; }, 10));
}

TEST(PubApi, ClosedPubServesOnlyItsWorkspacesAndReadonlyAcceptsNothing) {
  auto suzy = MakeIdentity("suzy", 1);
  {
    EsfsPub closed({"--workspace", kWs});
    ASSERT_TRUE(closed.ready());
    EXPECT_EQ(HttpGetText(closed.url(), kDocs).body, "[]");  // served from the start
    auto other = HttpPostText(closed.url(), "/earthstar-api/v1/+other.ws/documents",
                              DocsJson(SignedDocs(suzy, "+other.ws", "x", 1)));
    EXPECT_EQ(other.status, 404) << other.body;
    EXPECT_EQ(HttpPostText(closed.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "x", 1))).status, 200);
  }
  EsfsPub readonly({"--readonly"});
  ASSERT_TRUE(readonly.ready());
  auto refused = HttpPostText(readonly.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "x", 1)));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(HttpGetText(readonly.url(), kDocs).status, 404);  // nothing was created
}

TEST(PubApi, RestartKeepsEverything) {
  auto suzy = MakeIdentity("suzy", 1);
  TempDir keep;  // the data folder outlives both runs
  const std::string data = keep.File("data");
  std::string before;
  {
    EsfsPub pub({}, data);
    ASSERT_TRUE(pub.ready());
    ASSERT_EQ(HttpPostText(pub.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "kept", 50))).status, 200);
    before = HttpGetText(pub.url(), kDocs).body;
    EXPECT_EQ(pub.Stop(), 0);
  }
  EsfsPub again({}, data);
  ASSERT_TRUE(again.ready());
  auto after = HttpGetText(again.url(), kDocs);
  EXPECT_EQ(after.status, 200);
  EXPECT_TRUE(after.body == before) << "the listing changed across the restart";
  EXPECT_EQ(ParsedBody(after).size(), 50u);
}

TEST(PubApi, SigkillInTheMiddleOfABigPushLeavesAConsistentStore) {
  auto suzy = MakeIdentity("suzy", 1);
  const auto docs = SignedDocs(suzy, kWs, "bulk", 6000, 200);
  EsfsPub pub;
  ASSERT_TRUE(pub.ready());
  // The workspace exists before the push, so the store can be watched.
  ASSERT_EQ(HttpPostText(pub.url(), kDocs, DocsJson({docs[0]})).status, 200);
  std::thread pusher([&] { (void)HttpPostText(pub.url(), kDocs, DocsJson(docs)); });
  // Killed once part of the push is committed (the pub writes in batches).
  auto store = core::Store::Open({pub.data_dir()});
  ASSERT_TRUE(store.ok());
  const bool some = Eventually(
      [&] {
        auto page = (*store)->replica().DocumentsAfter(kWs, 0, 5000);
        return page.ok() && page->docs.size() > 1;
      },
      30);
  pub.Kill();
  pusher.join();
  ASSERT_TRUE(some);
  store->reset();
  EsfsPub again({}, pub.data_dir());
  ASSERT_TRUE(again.ready());
  auto listing = HttpGetText(again.url(), kDocs, 60);
  ASSERT_EQ(listing.status, 200);
  auto served = ParsedBody(listing);
  ASSERT_GT(served.size(), 1u);
  // Everything it serves validates (signatures included).
  size_t valid = 0;
  for (const auto& json : served) {
    auto doc = core::DocumentFromJson(json);
    ASSERT_TRUE(doc.ok());
    if (core::ValidateDocument(*doc, doc->timestamp + 1).ok()) ++valid;
  }
  EXPECT_EQ(valid, served.size());
  // And the rest of the push can be sent again.
  auto rest = HttpPostText(again.url(), kDocs, DocsJson(docs), "application/json", 120);
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(ParsedBody(rest)["numIngested"].get<size_t>(), docs.size() - served.size());
}

TEST(PubApi, IncrementalExtensionServesWhatCameAfterANumber) {
  auto suzy = MakeIdentity("suzy", 1);
  EsfsPub pub;
  ASSERT_TRUE(pub.ready());
  ASSERT_EQ(HttpPostText(pub.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "a", 5))).status, 200);
  auto info = ParsedBody(HttpGetText(pub.url(), "/earthstar-api/esfs/v1/info"));
  EXPECT_EQ(info["extensions"], core::OrderedJson({"changes"}));
  const std::string changes = std::string("/earthstar-api/esfs/v1/") + kWs + "/changes";
  auto first = ParsedBody(HttpGetText(pub.url(), changes + "?after=0&limit=3"));
  EXPECT_EQ(first["docs"].size(), 3u);
  EXPECT_TRUE(first["more"].get<bool>());
  auto second = ParsedBody(HttpGetText(pub.url(), changes + "?after=" + first["next"].dump()));
  EXPECT_EQ(second["docs"].size(), 2u);
  EXPECT_FALSE(second["more"].get<bool>());
  EXPECT_EQ(second["storeId"], first["storeId"]);
  const auto last = second["next"].get<uint64_t>();
  EXPECT_EQ(second["last"].get<uint64_t>(), last);
  // One new document: exactly it comes after |last|.
  ASSERT_EQ(HttpPostText(pub.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "b", 1))).status, 200);
  auto third = ParsedBody(HttpGetText(pub.url(), changes + "?after=" + std::to_string(last)));
  ASSERT_EQ(third["docs"].size(), 1u);
  EXPECT_EQ(third["docs"][0]["path"], "/test/b0.txt");
}

// --log-level and --log-file as for mount and sync (cli/log_options.h): the
// pub's lines go to the file at the chosen level; a bad level is a usage error.
TEST(PubApi, LogLevelAndLogFile) {
  TempDir logs;
  {
    EsfsPub pub({"--log-file", logs.File("pub.log")});
    ASSERT_TRUE(pub.ready());
    EXPECT_TRUE(WaitUntil([&] { return ReadFile(logs.File("pub.log")).find("pub: listening on") != std::string::npos; },
                          std::chrono::seconds(10)))
        << ReadFile(logs.File("pub.log"));
    // Its output holds the stdout line "esfs pub: listening on ..." only:
    // the log line went to the file, not to stderr.
    const std::string out = pub.Output();
    const size_t first = out.find("pub: listening on");
    ASSERT_NE(first, std::string::npos) << out;
    EXPECT_EQ(out.find("pub: listening on", first + 1), std::string::npos) << out;
  }
  {
    EsfsPub quiet({"--log-file", logs.File("quiet.log"), "--log-level", "error"});
    ASSERT_TRUE(quiet.ready());
    EXPECT_EQ(quiet.Stop(), 0);
    EXPECT_EQ(ReadFile(logs.File("quiet.log")).find("pub: listening on"), std::string::npos) << "an info line at error";
  }
  auto bad = RunProgram({EsfsBinary(), "pub", "--port", "0", "--log-level", "loud"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--log-level must be error, warn, info or debug"), std::string::npos) << bad.err;
}

TEST(PubApi, PageInHeadlessChromiumShowsWorkspacesAndCounts) {
  auto suzy = MakeIdentity("suzy", 1);
  EsfsPub pub({"--peer", "http://127.0.0.1:9/"});
  ASSERT_TRUE(pub.ready());
  ASSERT_EQ(HttpPostText(pub.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "page", 7))).status, 200);
  auto hostile = SignedDocs(suzy, "+evil.ws", "x", 1);
  hostile[0].content = "<script>alert(1)</script>";
  suzy.Sign(hostile[0]);
  ASSERT_EQ(HttpPostText(pub.url(), "/earthstar-api/v1/+evil.ws/documents", DocsJson(hostile)).status, 200);
  TempDir profile;
  auto run = RunProgram({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run",
                         "--user-data-dir=" + profile.path(), "--dump-dom", pub.url() + "/"},
                        "", 60);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string& dom = run.out;
  EXPECT_NE(dom.find("<code>+gardening.friends</code></td><td class=\"n count\">7</td>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("<code>+evil.ws</code></td><td class=\"n count\">1</td>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("2 workspaces, 8 documents"), std::string::npos) << dom;
  EXPECT_NE(dom.find("http://127.0.0.1:9/"), std::string::npos) << dom;  // the peer
  // A path is escaped: no script element ever comes from a document.
  EXPECT_EQ(dom.find("<script>"), std::string::npos);
}

// Issue #20 item 5: the page and the API answer while a big push is being
// ingested (the pub commits in batches and never holds its store's write
// lock across a reply). Several posts of 3,000 documents run one after the
// other in a thread; the test reads the page, the workspace list and the
// path list until the pusher is done, and counts the answers it got while
// the push was still running.
TEST(PubApi, PageAndApiAnswerDuringABigPush) {
  auto suzy = MakeIdentity("suzy", 1);
  constexpr int kPosts = 8;
  std::vector<std::string> bodies;
  for (int i = 0; i < kPosts; ++i) {
    bodies.push_back(DocsJson(SignedDocs(suzy, kWs, "bulk" + std::to_string(i) + "-", 3000, 200)));
  }
  EsfsPub pub;
  ASSERT_TRUE(pub.ready());
  ASSERT_EQ(HttpPostText(pub.url(), kDocs, DocsJson(SignedDocs(suzy, kWs, "first", 1))).status, 200);

  std::atomic<bool> pushing{true};
  std::atomic<int> pushed_ok{0};
  std::thread pusher([&] {
    for (const auto& body : bodies) {
      if (HttpPostText(pub.url(), kDocs, body, "application/json", 120).status == 200) ++pushed_ok;
    }
    pushing = false;
  });
  int answered_during = 0, failed_during = 0;
  std::string failure;
  while (pushing.load()) {
    const HttpReply page = HttpGetText(pub.url(), "/", 20);
    const HttpReply list = HttpGetText(pub.url(), "/earthstar-api/esfs/v1/workspaces", 20);
    const HttpReply one = HttpGetText(pub.url(), std::string("/earthstar-api/v1/") + kWs + "/paths", 20);
    if (!pushing.load()) break;  // only answers given while the push ran count
    const bool ok = page.status == 200 && page.body.find(kWs) != std::string::npos && list.status == 200 &&
                    list.body.find(kWs) != std::string::npos && one.status == 200 &&
                    one.body.find("/test/first0.txt") != std::string::npos;
    if (ok) {
      ++answered_during;
    } else {
      ++failed_during;
      failure = "page " + std::to_string(page.status) + ", workspaces " + std::to_string(list.status) + " " +
                list.body.substr(0, 200) + ", query " + std::to_string(one.status) + " " + one.body.substr(0, 200);
    }
  }
  pusher.join();
  EXPECT_EQ(pushed_ok.load(), kPosts) << pub.Output();
  EXPECT_EQ(failed_during, 0) << failure;
  EXPECT_GE(answered_during, 3) << "the push ended before the page and API were asked three times";
  // Everything arrived.
  auto all = HttpGetText(pub.url(), kDocs, 60);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(ParsedBody(all).size(), 1u + kPosts * 3000u);
}

}  // namespace
}  // namespace esfs::testing
