// The store from the command line, and its interop with the reference:
// what the reference signs or serves imports with the reference's counts,
// and what we export validates there.
#include <gtest/gtest.h>

#include "tests/support/ref_pub.h"
#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;

class StoreCli : public ::testing::Test {
 protected:
  RunResult Esfs(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {EsfsBinary(), "--data", dir_.File("data"), "--key", dir_.File("id.json")});
    return RunProgram(args, input, 120);
  }
  TempDir dir_;
};

TEST_F(StoreCli, PutGetExportImportRoundTrip) {
  ASSERT_EQ(Esfs({"keygen", "suzy"}).exit_code, 0);
  ASSERT_EQ(Esfs({"workspace", "add", "+gardening.friends", "--pub", "http://127.0.0.1:1"}).exit_code, 0);
  ASSERT_EQ(Esfs({"put", "+gardening.friends", "/wiki/Bees.md"}, "Bees are fuzzy 🐝\n").exit_code, 0);
  ASSERT_EQ(Esfs({"put", "+gardening.friends", "/wiki/Ants.md", "-"}, "Ants\n").exit_code, 0);
  auto got = Esfs({"get", "+gardening.friends", "/wiki/Bees.md"});
  EXPECT_EQ(got.exit_code, 0);
  EXPECT_EQ(got.out, "Bees are fuzzy 🐝\n");
  EXPECT_EQ(Esfs({"get", "+gardening.friends", "/nope"}).exit_code, 1);
  // Deleting writes a tombstone; get then says so.
  ASSERT_EQ(Esfs({"put", "+gardening.friends", "/wiki/Ants.md", "--delete"}, "").exit_code, 0);
  auto deleted = Esfs({"get", "+gardening.friends", "/wiki/Ants.md"});
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_NE(deleted.err.find("deleted"), std::string::npos);
  auto exported = Esfs({"export", "+gardening.friends"});
  ASSERT_EQ(exported.exit_code, 0);
  auto docs = OrderedJson::parse(exported.out);
  ASSERT_EQ(docs.size(), 2u);
  WriteFile(dir_.File("export.json"), exported.out);
  auto ref = RunRefclient({"validate", dir_.File("export.json"), "--lib", "6"});
  EXPECT_EQ(ref.exit_code, 0) << ref.out;
  // Into a second store: everything is accepted, then everything ignored.
  RunResult first = RunProgram({EsfsBinary(), "--data", dir_.File("other"), "workspace", "add", "+gardening.friends"});
  ASSERT_EQ(first.exit_code, 0);
  for (int round = 0; round < 2; ++round) {
    auto imported =
        RunProgram({EsfsBinary(), "--data", dir_.File("other"), "import", "+gardening.friends", "-"}, exported.out);
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    auto counts = OrderedJson::parse(imported.out);
    EXPECT_EQ(counts["accepted"], round == 0 ? 2 : 0);
    EXPECT_EQ(counts["ignored"], round == 0 ? 0 : 2);
  }
  auto list = Esfs({"workspace", "list"});
  EXPECT_NE(list.out.find("+gardening.friends\t2 documents\thttp://127.0.0.1:1"), std::string::npos) << list.out;
  EXPECT_EQ(Esfs({"workspace", "remove", "+gardening.friends"}).exit_code, 1);
  EXPECT_EQ(Esfs({"workspace", "remove", "+gardening.friends", "--yes"}).exit_code, 0);
  EXPECT_EQ(Esfs({"get", "+gardening.friends", "/wiki/Bees.md"}).exit_code, 1);
}

TEST_F(StoreCli, ImportReportsInvalidDocumentsAndNeverStoresThem) {
  ASSERT_EQ(Esfs({"keygen", "suzy"}).exit_code, 0);
  ASSERT_EQ(Esfs({"workspace", "add", "+gardening.friends"}).exit_code, 0);
  auto vectors = LoadVectors("invalid-docs.json");
  // Time-sensitive records were judged at the vectors' now, not today's.
  OrderedJson all = OrderedJson::array(), records = OrderedJson::array();
  for (const auto& r : vectors["docs"]) {
    if (r["timeSensitive"].get<bool>()) continue;
    all.push_back(r["doc"]);
    records.push_back(r);
  }
  ASSERT_GT(all.size(), 100u);
  auto imported = Esfs({"import", "+gardening.friends", "-"}, all.dump());
  EXPECT_EQ(imported.exit_code, 1);
  auto counts = OrderedJson::parse(imported.out);
  EXPECT_EQ(counts["accepted"], 0);
  EXPECT_EQ(counts["invalid"].size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& r = records[i];
    // The reference's ingest message for each (es5Ingest), except THROWS
    // (null), where the reference crashes and we report the format.
    if (r["es5Ingest"]["result"] == "ERROR") {
      std::string want = r["es5Ingest"]["error"];
      EXPECT_EQ(counts["invalid"][i]["error"], want) << r["id"];
    }
  }
  auto exported = Esfs({"export", "+gardening.friends"});
  EXPECT_EQ(OrderedJson::parse(exported.out).size(), 0u) << exported.out;
  EXPECT_EQ(Esfs({"import", "+gardening.friends", "-"}, "[{\"broken\"").exit_code, 1);
  EXPECT_EQ(Esfs({"import", "+not.added", "-"}, "[]").exit_code, 1);
  CountChecked("store: invalid-docs.json rejected by esfs import", all.size());
}

TEST_F(StoreCli, ImportMatchesTheReferencePubsCounts) {
  // A batch with replacements, duplicates and an older version, signed by
  // the reference client.
  auto keypair = RunRefclient({"keygen", "matt"});
  ASSERT_EQ(keypair.exit_code, 0);
  WriteFile(dir_.File("matt.json"), keypair.out);
  const int64_t now =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  OrderedJson batch = OrderedJson::array();
  auto sign = [&](const std::string& path, const std::string& content, int64_t ts) {
    auto r = RunRefclient({"sign", "--keypair", dir_.File("matt.json"), "--workspace", "+gardening.friends", "--path",
                           path, "--content", content, "--timestamp", std::to_string(ts)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    batch.push_back(OrderedJson::parse(r.out));
  };
  sign("/a", "a1", now - 3000);
  sign("/a", "a2", now - 2000);  // replaces a1
  sign("/a", "a0", now - 5000);  // older: ignored
  sign("/b", "b", now - 1000);
  batch.push_back(batch[3]);  // duplicate: ignored
  sign("/c", "c", now - 500);
  WriteFile(dir_.File("batch.json"), batch.dump());

  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  auto pushed = RunRefclient({"push", pub.url(), "+gardening.friends", dir_.File("batch.json"), "--raw"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  auto pub_counts = OrderedJson::parse(pushed.out)["body"];

  ASSERT_EQ(Esfs({"workspace", "add", "+gardening.friends"}).exit_code, 0);
  auto ours = Esfs({"import", "+gardening.friends", dir_.File("batch.json")});
  ASSERT_EQ(ours.exit_code, 0) << ours.out << ours.err;
  auto counts = OrderedJson::parse(ours.out);
  EXPECT_EQ(counts["accepted"], pub_counts["numIngested"]);
  EXPECT_EQ(counts["ignored"].get<int>() + static_cast<int>(counts["invalid"].size()),
            pub_counts["numIgnored"].get<int>());

  // What the pub serves (the reference's pull) imports completely, and our
  // export of it validates under 6.8.5's rules.
  auto pulled = RunRefclient({"pull", pub.url(), "+gardening.friends", "--out", dir_.File("pulled.json")});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  auto pulled_docs = OrderedJson::parse(ReadFile(dir_.File("pulled.json")));
  RunResult add = RunProgram({EsfsBinary(), "--data", dir_.File("fresh"), "workspace", "add", "+gardening.friends"});
  ASSERT_EQ(add.exit_code, 0);
  auto fresh = RunProgram(
      {EsfsBinary(), "--data", dir_.File("fresh"), "import", "+gardening.friends", dir_.File("pulled.json")});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.out;
  EXPECT_EQ(OrderedJson::parse(fresh.out)["accepted"], pulled_docs.size());
  auto exported = RunProgram({EsfsBinary(), "--data", dir_.File("fresh"), "export", "+gardening.friends"});
  WriteFile(dir_.File("export.json"), exported.out);
  auto valid = RunRefclient({"validate", dir_.File("export.json"), "--lib", "6"});
  EXPECT_EQ(valid.exit_code, 0) << valid.out;
  EXPECT_EQ(OrderedJson::parse(exported.out).size(), pulled_docs.size());
}

}  // namespace
}  // namespace esfs::testing
