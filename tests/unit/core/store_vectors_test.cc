// The reference's ordering and query vectors, run through the real LMDB
// store (a fresh store in a temp folder per scenario, an injected clock).
#include <gtest/gtest.h>

#include <set>

#include "core/store.h"
#include "tests/support/test_support.h"

namespace esfs::core {
namespace {

using testing::CountChecked;
using testing::LoadVectors;
using testing::TempDir;

std::unique_ptr<Store> OpenStore(const TempDir& dir, const Clock& clock, const std::string& ws) {
  auto store = Store::Open({dir.path() + "/data", &clock});
  EXPECT_TRUE(store.ok()) << store.status().message();
  EXPECT_TRUE((*store)->workspaces().Add(ws).ok());
  return std::move(store.value());
}

TEST(StoreVectors, OrderingScenariosAsIngestSequences) {
  auto vectors = LoadVectors("ordering.json");
  size_t checked = 0;
  for (const auto& s : vectors["scenarios"]) {
    const std::string id = s["id"];
    TempDir dir;
    FixedClock clock(s.value("now", vectors["meta"]["now"].get<int64_t>()));
    auto store = OpenStore(dir, clock, "+gardening.friends");
    std::map<std::string, std::string> label_of_sig;
    for (const auto& [label, json] : s["docs"].items()) label_of_sig[json["signature"]] = label;
    const auto& expected_ingest = s["ingest"]["es6"];
    for (size_t i = 0; i < s["ingestOrder"].size(); ++i) {
      const auto& json = s["docs"][s["ingestOrder"][i].get<std::string>()];
      auto outcome = store->replica().IngestJson("+gardening.friends", json);
      ASSERT_TRUE(outcome.ok()) << outcome.status().message();
      std::string got = IngestResultName(outcome->result);
      if (outcome->result == IngestResult::kInvalid) got = "ERROR: " + outcome->reason;
      EXPECT_EQ(got, expected_ingest[i]["result"].get<std::string>()) << id << " step " << i;
    }
    std::vector<int64_t> nows;
    if (s.contains("queryNows")) {
      for (const auto& n : s["queryNows"]) nows.push_back(n);
    } else {
      nows.push_back(clock.NowMicros());
    }
    for (const auto& path : s["paths"]) {
      for (int64_t now : nows) {
        clock.Set(now);
        std::string key = path.get<std::string>();
        if (s.contains("queryNows")) key += " @now=" + std::to_string(now);
        const auto& expected = s["results"][key]["es6"];
        auto versions = store->replica().Versions("+gardening.friends", path);
        ASSERT_TRUE(versions.ok());
        std::multiset<std::string> got_all, want_all;
        for (const auto& d : *versions) got_all.insert(label_of_sig[d.signature]);
        for (const auto& l : expected["all"]) want_all.insert(l);
        EXPECT_EQ(got_all, want_all) << id << " " << key;
        auto winner = store->replica().Winner("+gardening.friends", path);
        ASSERT_TRUE(winner.ok());
        const auto& latest = expected["latestAfterDiscardExpired"];
        ASSERT_EQ(winner->has_value(), latest.size() == 1) << id << " " << key;
        if (winner->has_value()) {
          EXPECT_EQ(label_of_sig[(*winner)->signature], latest[0].get<std::string>()) << id;
        }
      }
    }
    ++checked;
  }
  CountChecked("ordering.json scenarios through the LMDB store", checked);
}

TEST(StoreVectors, Es5Queries) {
  auto vectors = LoadVectors("queries.json");
  TempDir dir;
  FixedClock clock(vectors["meta"]["now"]);
  auto store = OpenStore(dir, clock, "+gardening.friends");
  std::map<std::string, std::string> label_of_sig;
  for (const auto& [label, json] : vectors["docs"].items()) {
    label_of_sig[json["signature"]] = label;
  }
  for (const auto& step : vectors["ingest"]) {
    auto outcome = store->replica().IngestJson("+gardening.friends", vectors["docs"][step["doc"].get<std::string>()]);
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(IngestResultName(outcome->result), step["es5"].get<std::string>()) << step["doc"];
  }
  int64_t swept_up_to = 0;
  size_t checked = 0;
  for (const auto& r : vectors["es5"]["queries"]) {
    const auto& qj = r["query"];
    Query q;
    auto str = [&](const char* k, std::optional<std::string>* field) {
      if (qj.contains(k)) *field = qj[k].get<std::string>();
    };
    str("path", &q.path);
    str("pathPrefix", &q.pathPrefix);
    str("lowPath", &q.lowPath);
    str("highPath", &q.highPath);
    str("participatingAuthor", &q.participatingAuthor);
    str("versionsByAuthor", &q.versionsByAuthor);
    q.includeHistory = qj.value("includeHistory", false);
    if (qj.contains("contentIsEmpty")) q.contentIsEmpty = qj["contentIsEmpty"].get<bool>();
    if (qj.contains("limit")) q.limit = qj["limit"].get<int64_t>();
    const int64_t now = r["effectiveNow"];
    q.now = now;
    // The reference purges expired documents for good when a query runs at
    // a later now; our sweeper does that job, so run it as time advances.
    if (now > swept_up_to) {
      clock.Set(now);
      ASSERT_TRUE(store->replica().SweepExpired().ok());
      swept_up_to = now;
    }
    auto docs = store->replica().QueryDocuments("+gardening.friends", q);
    ASSERT_TRUE(docs.ok()) << docs.status().message();
    std::vector<std::string> got, want;
    for (const auto& d : *docs) got.push_back(label_of_sig[d.signature]);
    for (const auto& d : r["documents"]) want.push_back(d["doc"]);
    EXPECT_EQ(got, want) << qj.dump();
    auto paths = store->replica().QueryPaths("+gardening.friends", q);
    ASSERT_TRUE(paths.ok());
    std::vector<std::string> want_paths;
    for (const auto& p : r["paths"]) want_paths.push_back(p);
    EXPECT_EQ(*paths, want_paths) << qj.dump();
    ++checked;
  }
  CountChecked("queries.json es5 queries through the LMDB store", checked);
}

}  // namespace
}  // namespace esfs::core
