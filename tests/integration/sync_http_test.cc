// The HTTP side of sync against real servers on 127.0.0.1 (the fake pub of
// tests/support/fake_pub.cc, plain and over TLS): https and how a pub's
// certificate is trusted, the User-Agent, redirects, the retry backoff,
// and invalid documents arriving on the live stream.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "core/store.h"
#include "keys/identity.h"
#include "sync/syncer.h"
#include "tests/support/fake_pub.h"
#include "tests/support/sync_peer.h"
#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;
using std::chrono::milliseconds;
constexpr const char* kWs = "+gardening.friends";

// A store with one workspace synced with |pub| as suzy.
struct Peer : SyncPeer {
  Peer(const std::string& dir, const std::string& pub, sync::HttpOptions http = {5, 5},
       sync::BackoffPolicy backoff = {})
      : SyncPeer(dir, kWs, pub, "suzy", 1, std::move(http), backoff) {}
};

// esfs with one --data and --key; |env| ("NAME=value") goes before it.
struct Cli {
  std::string data, key;
  RunResult operator()(std::vector<std::string> args, const std::vector<std::string>& env = {}) const {
    args.insert(args.begin(), {EsfsBinary(), "--data", data, "--key", key});
    if (!env.empty()) {
      args.insert(args.begin(), env.begin(), env.end());
      args.insert(args.begin(), "/usr/bin/env");
    }
    return RunProgram(args, "", 120);
  }
};

// A certificate authority and a pub certificate for 127.0.0.1 signed by
// it, made with the openssl command for this test; and a second CA that
// signed nothing here.
struct TestCerts {
  TempDir dir;
  std::string ca = dir.File("ca.pem"), ca_key = dir.File("ca.key");
  std::string other_ca = dir.File("other-ca.pem"), other_ca_key = dir.File("other-ca.key");
  std::string cert = dir.File("pub.pem"), key = dir.File("pub.key");
  bool ok = false;
  TestCerts() {
    auto run = [](std::vector<std::string> argv) {
      auto r = RunProgram(argv, "", 60);
      EXPECT_EQ(r.exit_code, 0) << argv[1] << ": " << r.err;
      return r.exit_code == 0;
    };
    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    auto req = [&](std::vector<std::string> argv) {
      argv.insert(argv.begin() + 2, ec.begin(), ec.end());
      return run(argv);
    };
    WriteFile(dir.File("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    ok = req({"openssl", "req", "-x509", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=esfs test CA"}) &&
         req({"openssl", "req", "-x509", "-keyout", other_ca_key, "-out", other_ca, "-days", "2", "-subj",
              "/CN=some other CA"}) &&
         req({"openssl", "req", "-keyout", key, "-out", dir.File("pub.csr"), "-subj", "/CN=127.0.0.1"}) &&
         run({"openssl", "x509", "-req", "-in", dir.File("pub.csr"), "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
              "-out", cert, "-days", "2", "-extfile", dir.File("ext.cnf")});
  }
};

// ESFS_CA_FILE of the test's own environment must not decide a test.
struct NoCaFromEnvironment {
  NoCaFromEnvironment() { unsetenv("ESFS_CA_FILE"); }
};

std::string EsfsVersion() {
  auto r = RunProgram({EsfsBinary(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  std::string v = r.out.substr(r.out.find(' ') + 1);
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

// ---- https ----

// The pub's certificate is trusted through a CA file (HttpOptions::ca_file,
// or $ESFS_CA_FILE for the esfs command): two stores sync through an https
// pub, both ways, and the live stream runs over TLS too.
TEST(SyncTls, SyncsThroughAnHttpsPubWhoseCaIsGiven) {
  NoCaFromEnvironment clean;
  TestCerts certs;
  ASSERT_TRUE(certs.ok);
  FakePub pub(certs.cert, certs.key);
  const std::string url = pub.Url("mem");
  ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << url;
  TempDir dir;
  sync::HttpOptions trusting{5, 5};
  trusting.ca_file = certs.ca;
  Peer a(dir.File("a"), url, trusting), b(dir.File("b"), url, trusting);
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/wiki/Bees.md", "bees over tls").ok());
  auto pushed = a.syncer->SyncOnce(kWs, url);
  ASSERT_TRUE(pushed.ok()) << pushed.status().message();
  EXPECT_EQ(pushed->pushed, 1u);
  auto pulled = b.syncer->SyncOnce(kWs, url);
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(pulled->accepted, 1u);
  EXPECT_EQ(b.Content("/wiki/Bees.md"), "bees over tls");
  // Live, over TLS: the stream opens and a save is pushed at once.
  b.syncer->Start();
  ASSERT_TRUE(Eventually([&] { return !pub.requests("mem", "GET stream").empty(); }, 20)) << b.Logged();
  const auto keys = MakeIdentity("matt", 2);
  ASSERT_TRUE(b.store->replica().Set(keys, kWs, "/wiki/Live.md", "saved live").ok());
  ASSERT_TRUE(Eventually([&] { return *sync::PendingPushes(*b.store, kWs, url, {}) == 0; }, 20)) << b.Logged();
  b.syncer->Stop();
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, url).ok());
  EXPECT_EQ(a.Content("/wiki/Live.md"), "saved live");
  EXPECT_TRUE(sync::LoadPubStatus(*b.store, kWs, url).last_error.empty()) << b.Logged();

  // The esfs command trusts the CA given by $ESFS_CA_FILE.
  const Cli esfs{dir.File("cli"), dir.File("fern.json")};
  ASSERT_EQ(esfs({"keygen", "fern"}).exit_code, 0);
  ASSERT_EQ(esfs({"workspace", "add", kWs, "--pub", url}).exit_code, 0);
  auto once = esfs({"sync", kWs, "--once"}, {"ESFS_CA_FILE=" + certs.ca});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_NE(once.out.find("pulled 2 (2 new"), std::string::npos) << once.out;
  EXPECT_EQ(esfs({"get", kWs, "/wiki/Live.md"}).out, "saved live");
}

// A pub whose certificate no trusted CA signed: a failed pass with a clear
// message in the status (what failed, and how to trust a CA), nothing
// stored, no crash — with the system CAs, with the wrong CA file, and from
// the esfs command.
TEST(SyncTls, AnUntrustedCertificateIsAClearErrorInStatus) {
  NoCaFromEnvironment clean;
  TestCerts certs;
  ASSERT_TRUE(certs.ok);
  FakePub pub(certs.cert, certs.key);
  const std::string url = pub.Url("badsig");  // would offer documents, if trusted
  TempDir dir;
  sync::HttpOptions wrong_ca{5, 5};
  wrong_ca.ca_file = certs.other_ca;
  sync::HttpOptions missing_ca{5, 5};
  missing_ca.ca_file = dir.File("no-such-ca.pem");
  struct Case {
    const char* name;
    sync::HttpOptions http;
    const char* expect;
  };
  for (const auto& c :
       {Case{"system CAs", sync::HttpOptions{5, 5}, "certificate"}, Case{"another CA", wrong_ca, "certificate"},
        Case{"a CA file that is not there", missing_ca, "cannot be read"}}) {
    Peer peer(dir.File(std::string("store-") + c.name), url, c.http);
    ASSERT_TRUE(peer.store->replica().Set(peer.identity, kWs, "/mine.txt", "not for an untrusted pub").ok());
    auto pass = peer.syncer->SyncOnce(kWs, url);
    ASSERT_FALSE(pass.ok()) << c.name;
    const std::string message = pass.status().message();
    std::cerr << c.name << ": " << message << "\n";
    EXPECT_NE(message.find(url), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find("ESFS_CA_FILE"), std::string::npos) << c.name << ": " << message;
    EXPECT_EQ(sync::LoadPubStatus(*peer.store, kWs, url).last_error, message) << c.name;
    EXPECT_EQ(peer.store->replica().AllDocuments(kWs)->size(), 1u) << c.name;
  }
  EXPECT_TRUE(pub.requests("badsig", "GET documents").empty()) << "a request got through the TLS handshake";
  EXPECT_EQ(pub.posts(), 0);
  // The esfs command: exit status 1, the reason on stderr and in status.
  const Cli esfs{dir.File("cli"), dir.File("fern.json")};
  ASSERT_EQ(esfs({"keygen", "fern"}).exit_code, 0);
  ASSERT_EQ(esfs({"workspace", "add", kWs, "--pub", url}).exit_code, 0);
  auto once = esfs({"sync", "--once"});
  EXPECT_EQ(once.exit_code, 1) << once.err;
  EXPECT_NE(once.err.find("SSL certificate problem"), std::string::npos) << once.err;
  auto status = esfs({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto json = OrderedJson::parse(status.out, nullptr, false);
  ASSERT_TRUE(json.is_array() && json.size() == 1) << status.out;
  const auto& error = json[0]["pubs"][0]["last_error"];
  ASSERT_TRUE(error.is_string()) << status.out;
  EXPECT_NE(error.get<std::string>().find("not trusted"), std::string::npos) << status.out;
  const auto text = esfs({"status"}).out;
  EXPECT_NE(text.find("last error: " + url), std::string::npos) << text;
}

// ---- User-Agent ----

TEST(SyncHttp, EveryRequestSaysItIsEsfsAndWhichVersion) {
  FakePub pub;
  const std::string url = pub.Url("mem");
  TempDir dir;
  Peer a(dir.File("a"), url);
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/a.txt", "a").ok());
  ASSERT_TRUE(a.syncer->SyncOnce(kWs, url).ok());  // GET and POST documents
  a.syncer->Start();                               // and the stream
  ASSERT_TRUE(Eventually([&] { return !pub.requests("mem", "GET stream").empty(); }, 20)) << a.Logged();
  a.syncer->Stop();
  // The esfs command too.
  const Cli esfs{dir.File("cli"), dir.File("fern.json")};
  ASSERT_EQ(esfs({"keygen", "fern"}).exit_code, 0);
  ASSERT_EQ(esfs({"workspace", "add", kWs, "--pub", pub.Url("ok")}).exit_code, 0);
  ASSERT_EQ(esfs({"sync", "--once"}).exit_code, 0);

  const std::string version = EsfsVersion();
  ASSERT_TRUE(std::regex_match(version, std::regex(R"(\d+\.\d+\.\d+)"))) << version;
  const std::regex agent("esfs/" + std::regex_replace(version, std::regex(R"(\.)"), R"(\.)") +
                         R"( \(\+Earthstar es\.4; libcurl/[0-9.]+\))");
  const auto seen = pub.requests();
  std::set<std::string> kinds;
  for (const auto& r : seen) {
    EXPECT_TRUE(std::regex_match(r.user_agent, agent)) << r.what << ": '" << r.user_agent << "'";
    kinds.insert(r.mode + " " + r.what);
  }
  EXPECT_EQ(kinds,
            (std::set<std::string>{"mem GET documents", "mem POST documents", "mem GET stream", "ok GET documents"}));
}

// ---- redirects ----

// GET (the listing and the stream) follows 301, 302, 307 and 308 to the
// real path; POST does not (curl would turn a 301/302 POST into a GET and
// drop the documents): the push fails and says where the pub points.
TEST(SyncHttp, GetFollowsRedirectsAndPostSaysWhereTheyPoint) {
  FakePub pub;
  TempDir dir;
  Peer seeder(dir.File("seeder"), pub.Url("mem"));
  ASSERT_TRUE(seeder.store->replica().Set(seeder.identity, kWs, "/seed.txt", "at the real address").ok());
  ASSERT_TRUE(seeder.syncer->SyncOnce(kWs, pub.Url("mem")).ok());
  for (const std::string mode : {"r301", "r302", "r307", "r308"}) {
    const std::string url = pub.Url(mode);
    Peer b(dir.File("b-" + mode), url);
    auto pulled = b.syncer->SyncOnce(kWs, url);
    ASSERT_TRUE(pulled.ok()) << mode << ": " << pulled.status().message();
    EXPECT_EQ(pulled->accepted, 1u) << mode;
    EXPECT_EQ(b.Content("/seed.txt"), "at the real address") << mode;
    // Now b has something of its own to push.
    const auto matt = MakeIdentity("matt", 2);
    ASSERT_TRUE(b.store->replica().Set(matt, kWs, "/from-b.txt", "b").ok());
    const size_t mem_posts = pub.requests("mem", "POST documents").size();
    auto pushed = b.syncer->SyncOnce(kWs, url);
    ASSERT_FALSE(pushed.ok()) << mode;
    const std::string message = pushed.status().message();
    EXPECT_NE(message.find("HTTP " + mode.substr(1) + ", a redirect to " + pub.Url("mem") +
                           "/earthstar-api/v1/+gardening.friends/documents"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("uploads do not follow redirects"), std::string::npos) << message;
    EXPECT_EQ(pub.requests("mem", "POST documents").size(), mem_posts) << mode << ": a POST was redirected";
    EXPECT_EQ(sync::LoadPubStatus(*b.store, kWs, url).last_error, message);
  }
  // The stream follows a redirect too.
  std::atomic<bool> cancel{false};
  sync::HttpOptions options{5, 5};
  options.cancel = &cancel;
  sync::PubClient client(pub.Url("r307"), options);
  bool opened = false;
  Status streamed = client.Stream(
      kWs, [&] { opened = true, cancel = true; }, [](const OrderedJson&) { return true; });
  EXPECT_TRUE(opened) << streamed.message();
  EXPECT_EQ(pub.requests("r307", "GET stream").size(), 1u);
  EXPECT_EQ(pub.requests("mem", "GET stream").size(), 1u);
}

// ---- backoff ----

// Against a pub that fails every pass (503), the syncer's attempts are
// spaced out by the backoff (each wait within its jitter range, growing),
// and it is back as soon as the pub is (within one wait). The schedule is
// shortened for the test (200 ms doubling up to 1.6 s); the default one
// (1 s … 5 min) is the next test's. The test waits for attempts, not for
// a time: each gap between two attempts is the claim.
TEST(SyncBackoff, RetriesAgainstAFailingPubAreSpacedOutAndStopWhenItIsBack) {
  FakePub pub;
  const std::string url = pub.Url("outage");
  TempDir dir;
  const sync::BackoffPolicy policy{milliseconds(200), milliseconds(1600), 0.5};
  Peer a(dir.File("a"), url, {5, 5}, policy);
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/written-offline.txt", "x").ok());
  const auto t0 = std::chrono::steady_clock::now();
  a.syncer->Start();
  // Six attempts: five waits, the last two at the cap (nominal 0.2, 0.4,
  // 0.8, 1.6, 1.6 s; at their longest 0.3 … 2.4 s, 7.5 s in all). Retrying
  // every second, or without any wait, breaks the lower bounds below.
  ASSERT_TRUE(WaitUntil([&] { return pub.requests("outage", "GET documents").size() >= 6; }, std::chrono::seconds(20)))
      << a.Logged();
  const auto attempts = pub.requests("outage", "GET documents");
  for (size_t i = 1; i < attempts.size(); ++i) {
    const double gap = std::chrono::duration<double>(attempts[i].at - attempts[i - 1].at).count();
    const double nominal = sync::BackoffNominal(static_cast<int>(i), policy).count() / 1000.0;
    EXPECT_GE(gap, nominal * 0.5 - 0.01) << "wait " << i;
    EXPECT_LE(gap, nominal * 1.5 + 0.5) << "wait " << i;  // + the time a pass takes on a busy machine
  }
  EXPECT_NE(sync::LoadPubStatus(*a.store, kWs, url).last_error.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(sync::LoadPubStatus(*a.store, kWs, url).last_success_us, 0);
  // The pub is back: the next attempt (at most 2.4 s away) succeeds and
  // pushes what waited.
  pub.outage = false;
  const auto back = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return sync::LoadPubStatus(*a.store, kWs, url).last_success_us > 0; }, 10))
      << a.Logged();
  EXPECT_LT(std::chrono::steady_clock::now() - back, std::chrono::milliseconds(2400 + 1500));
  EXPECT_TRUE(Eventually([&] { return *sync::PendingPushes(*a.store, kWs, url, {}) == 0; }, 5));
  EXPECT_TRUE(sync::LoadPubStatus(*a.store, kWs, url).last_error.empty());
  EXPECT_GE(pub.requests("outage", "POST documents").size(), 1u);
  // Live now: no more passes while the stream is open. A save made now is
  // pushed by the live pusher (no listing first), and the one stream stays
  // open for three more keep-alives (the pub sends one every 500 ms).
  const size_t passes = pub.requests("outage", "GET documents").size();
  ASSERT_TRUE(WaitUntil([&] { return pub.requests("outage", "GET stream").size() == 1; }, std::chrono::seconds(10)));
  const size_t posts = pub.requests("outage", "POST documents").size();
  ASSERT_TRUE(a.store->replica().Set(a.identity, kWs, "/written-live.txt", "y").ok());
  ASSERT_TRUE(
      WaitUntil([&] { return pub.requests("outage", "POST documents").size() > posts; }, std::chrono::seconds(10)));
  const int keepalives = pub.keepalives("outage");
  ASSERT_TRUE(WaitUntil([&] { return pub.keepalives("outage") >= keepalives + 3; }, std::chrono::seconds(10)));
  EXPECT_LE(pub.requests("outage", "GET documents").size(), passes + 1);  // + the catch-up pull
  EXPECT_EQ(pub.requests("outage", "GET stream").size(), 1u);
  a.syncer->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
}

// The syncer's own schedule against a pub that is down (503): waits of
// 1 s, then 2 s, each ± 50 % (a retry every second, or at once, breaks the
// second gap's lower bound). Stopping the syncer does not wait for the
// backoff (then 4 s) to run out.
TEST(SyncBackoff, TheDefaultScheduleDoesNotHammerADownPub) {
  FakePub pub;
  const std::string url = pub.Url("outage");
  TempDir dir;
  Peer a(dir.File("a"), url);
  a.syncer->Start();
  ASSERT_TRUE(WaitUntil([&] { return pub.requests("outage", "GET documents").size() >= 3; }, std::chrono::seconds(15)))
      << a.Logged();
  const auto attempts = pub.requests("outage", "GET documents");
  for (size_t i = 1; i < attempts.size(); ++i) {
    const double gap = std::chrono::duration<double>(attempts[i].at - attempts[i - 1].at).count();
    const double nominal = sync::BackoffNominal(static_cast<int>(i), {}).count() / 1000.0;
    EXPECT_NEAR(nominal, 1.0 * (1 << (i - 1)), 1e-9) << "the default schedule starts at 1 s and doubles";
    EXPECT_GE(gap, nominal * 0.5 - 0.01) << "wait " << i;
    EXPECT_LE(gap, nominal * 1.5 + 0.5) << "wait " << i;
  }
  const auto t0 = std::chrono::steady_clock::now();
  a.syncer->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_NE(a.Logged().find("(retrying in "), std::string::npos) << a.Logged();
}

// A pub whose stream fails at once (404: it has none) answers every pass:
// the syncer must not run a full pass every second against it.
TEST(SyncBackoff, APubWithoutAStreamIsNotPassedEverySecond) {
  FakePub pub;
  const std::string url = pub.Url("nostream");
  TempDir dir;
  const sync::BackoffPolicy policy{milliseconds(2000), milliseconds(300'000), 0.5};
  Peer a(dir.File("a"), url, {5, 5}, policy);
  a.syncer->Start();
  // The wait after the first stream that failed at once: 2 s ± 50 %, not
  // the second's pause that follows a stream that had settled.
  ASSERT_TRUE(WaitUntil([&] { return pub.requests("nostream", "GET stream").size() >= 2; }, std::chrono::seconds(10)))
      << a.Logged();
  const auto streams = pub.requests("nostream", "GET stream");
  for (size_t i = 1; i < streams.size(); ++i) {
    EXPECT_GE(streams[i].at - streams[i - 1].at, milliseconds(1000)) << i;
    EXPECT_LE(streams[i].at - streams[i - 1].at, milliseconds(3500)) << i;
  }
  // Each pass succeeded; the status shows why live sync is not running.
  // (Looked at while the syncer runs: a pass that just succeeded clears
  // the error until its stream fails again, milliseconds later, and the
  // 6 s may end in between.)
  sync::PubStatus status;
  EXPECT_TRUE(Eventually(
      [&] {
        status = sync::LoadPubStatus(*a.store, kWs, url);
        return status.last_success_us > 0 &&
               status.last_error.find("does not know this workspace (404)") != std::string::npos;
      },
      5))
      << status.last_error;
  a.syncer->Stop();
  EXPECT_NE(a.Logged().find("ended at once"), std::string::npos) << a.Logged();
}

// ---- the live stream ----

// Documents arriving on the live stream that do not validate (a bad
// signature) or do not parse are rejected, logged and counted in the
// status as those of a pull are, and never stored.
TEST(SyncLive, InvalidDocumentsFromTheStreamAreCountedInStatus) {
  FakePub pub;
  const std::string url = pub.Url("badstream");
  TempDir dir;
  Peer a(dir.File("a"), url);
  a.syncer->Start();
  ASSERT_TRUE(Eventually([&] { return sync::LoadPubStatus(*a.store, kWs, url).invalid_total >= 2; }, 20)) << a.Logged();
  // Nothing counted twice: Stop() ends the stream and saves what its tally
  // still holds, so once it returns every count that will ever be made is
  // in the status.
  a.syncer->Stop();
  EXPECT_EQ(sync::LoadPubStatus(*a.store, kWs, url).invalid_total, 2u) << a.Logged();
  EXPECT_EQ(pub.requests("badstream", "GET stream").size(), 1u);
  EXPECT_TRUE(a.store->replica().AllDocuments(kWs)->empty());
  const std::string log = a.Logged();
  EXPECT_NE(log.find("[/evil.txt: "), std::string::npos) << log;  // one summary line with examples
  EXPECT_NE(log.find("signature"), std::string::npos) << log;
  EXPECT_NE(log.find("[a streamed event: not JSON]"), std::string::npos) << log;
  // And `esfs status` shows it, in words and as JSON.
  a.syncer.reset();
  a.store.reset();
  const Cli esfs{dir.File("a"), dir.File("none.json")};
  auto json = OrderedJson::parse(esfs({"status", "--json"}).out, nullptr, false);
  ASSERT_TRUE(json.is_array() && !json.empty());
  EXPECT_EQ(json[0]["pubs"][0]["invalid_rejected"], 2) << json.dump();
  EXPECT_NE(esfs({"status"}).out.find("2 invalid documents rejected"), std::string::npos);
}

}  // namespace
}  // namespace esfs::testing
