// Local versions and conflicts (DESIGN decision 9, issue #18): the content
// a save or a deletion replaced, yours or a peer's, kept in the store's
// local state in the transaction that replaced it; expired by time and
// size with the injected clock; conflicts counted and logged. Real LMDB.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/store.h"
#include "tests/unit/core/store_fixture.h"

namespace esfs::core {
namespace {

class StoreVersionsTest : public StoreFixture {
 protected:
  Document Signed(const keys::Identity& who, const std::string& path, const std::string& content, int64_t ts) {
    Document doc;
    doc.workspace = kWs;
    doc.path = path;
    doc.author = who.address();
    doc.content = content;
    doc.timestamp = ts;
    who.Sign(doc);
    return doc;
  }
  std::vector<std::string> Kept(const std::string& path) {
    std::vector<std::string> out;
    auto versions = store_->local().Versions(kWs, path);
    EXPECT_TRUE(versions.ok()) << versions.status().message();
    for (const auto& v : *versions) {
      auto full = store_->local().Version(kWs, path, v.timestamp, v.author);
      EXPECT_TRUE(full.ok() && full->has_value());
      EXPECT_EQ((*full)->content_bytes, v.content_bytes);
      out.push_back((*full)->content);
    }
    return out;
  }
};

TEST_F(StoreVersionsTest, AnOverwriteAndADeletionKeepWhatTheyReplaced) {
  auto first = store_->replica().Set(suzy_, kWs, "/a.txt", "one");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(Kept("/a.txt").empty());  // a new file replaced nothing
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "two").ok());
  EXPECT_EQ(Kept("/a.txt"), (std::vector<std::string>{"one"}));
  auto versions = store_->local().Versions(kWs, "/a.txt");
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].author, suzy_.address());
  EXPECT_EQ((*versions)[0].timestamp, first->timestamp);
  EXPECT_EQ((*versions)[0].kept_at, kNow);
  // rm: the tombstone keeps "two"; a save over the tombstone keeps nothing
  // (nothing was there), and saving the same content again neither.
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "").ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "three").ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "three").ok());
  EXPECT_EQ(Kept("/a.txt"), (std::vector<std::string>{"one", "two"}));
  // Other paths are not mixed in.
  EXPECT_TRUE(Kept("/a.tx").empty());
  EXPECT_TRUE(Kept("/a.txt/b").empty());
}

TEST_F(StoreVersionsTest, APeersSaveKeepsYoursAndCountsAConflictWithinTheWindow) {
  std::vector<std::string> lines;
  store_->replica().SetLog([&](const std::string& line) { lines.push_back(line); });
  auto mine = store_->replica().Set(suzy_, kWs, "/notes.md", "mine");
  ASSERT_TRUE(mine.ok());
  auto outcome = store_->replica().Ingest(kWs, Signed(matt_, "/notes.md", "theirs", mine->timestamp + 1000));
  ASSERT_EQ(outcome->result, IngestResult::kAccepted) << outcome->reason;
  EXPECT_EQ(outcome->conflict_with, suzy_.address());
  EXPECT_EQ(Kept("/notes.md"), (std::vector<std::string>{"mine"}));
  EXPECT_EQ(store_->local().ConflictCount(kWs).value(), 1u);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("/notes.md"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(suzy_.address()), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(matt_.address()), std::string::npos) << lines[0];
  // A peer replacing a peer's save is no conflict of ours, nor is an older
  // peer save (it does not win), nor one outside the window.
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(suzy_, "/notes.md", "older", mine->timestamp - 5))->result,
            IngestResult::kIgnored);
  auto later = store_->replica().Set(suzy_, kWs, "/later.md", "mine too");
  ASSERT_TRUE(later.ok());
  clock_.Advance(kConflictWindowMicros + 2'000'000);
  ASSERT_EQ(store_->replica()
                .Ingest(kWs, Signed(matt_, "/later.md", "much later", later->timestamp + kConflictWindowMicros + 1))
                ->result,
            IngestResult::kAccepted);
  EXPECT_EQ(Kept("/later.md"), (std::vector<std::string>{"mine too"}));  // kept all the same
  EXPECT_EQ(store_->local().ConflictCount(kWs).value(), 1u);
  EXPECT_EQ(lines.size(), 1u);
  EXPECT_EQ(store_->local().ConflictCount("+other.ws").value(), 0u);
}

TEST_F(StoreVersionsTest, VersionsExpireAfterTheConfiguredTimeAndPastTheSizeCap) {
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "a1").ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "a2").ok());  // keeps a1 at kNow
  clock_.Advance(int64_t{10} * 86'400'000'000);
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/b.txt", std::string(1000, 'b')).ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/b.txt", "b2").ok());  // keeps 1000 bytes at kNow + 10 days
  // The default keeps 30 days.
  EXPECT_EQ(store_->local().GetVersionsConfig()->keep_days, 30);
  EXPECT_EQ(store_->local().SweepVersions().value(), 0u);
  clock_.Set(kNow + int64_t{30} * 86'400'000'000 + 1);
  EXPECT_EQ(store_->local().SweepVersions().value(), 1u);
  EXPECT_TRUE(Kept("/a.txt").empty());
  EXPECT_EQ(Kept("/b.txt").size(), 1u);
  // Configured: keep 5 days; and a size cap.
  ASSERT_TRUE(store_->local().SetValue("versions.keep_days", 25).ok());
  EXPECT_EQ(store_->local().SweepVersions().value(), 0u);  // kept 20 days ago
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/c.txt", "c1").ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/c.txt", "c2").ok());  // 2 bytes kept now
  ASSERT_TRUE(store_->local().SetValue("versions.max_bytes", 500).ok());
  EXPECT_EQ(store_->local().SweepVersions().value(), 1u);  // the oldest (1000 bytes) goes first
  EXPECT_TRUE(Kept("/b.txt").empty());
  EXPECT_EQ(Kept("/c.txt"), (std::vector<std::string>{"c1"}));
  ASSERT_TRUE(store_->local().SetValue("versions.keep_days", 5).ok());
  clock_.Advance(int64_t{5} * 86'400'000'000 + 1);
  EXPECT_EQ(store_->local().SweepVersions().value(), 1u);
  EXPECT_TRUE(Kept("/c.txt").empty());
}

TEST_F(StoreVersionsTest, RemovingAWorkspaceTakesItsVersions) {
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "a1").ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a.txt", "a2").ok());
  ASSERT_TRUE(store_->workspaces().Remove(kWs).ok());
  ASSERT_TRUE(store_->workspaces().Add(kWs).ok());
  EXPECT_TRUE(Kept("/a.txt").empty());
  EXPECT_EQ(store_->local().SweepVersions().value(), 0u);  // the stale age entry goes quietly
}

}  // namespace
}  // namespace esfs::core
