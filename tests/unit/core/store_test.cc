// The store's rules, one by one, on a real LMDB store in a temp folder.
#include "core/store.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <thread>

#include "core/signing.h"
#include "core/validate.h"
#include "keys/identity.h"
#include "tests/support/test_support.h"

namespace esfs::core {
namespace {

using testing::TempDir;

constexpr int64_t kNow = 1767229200000000;
constexpr const char* kWs = "+gardening.friends";

using testing::MakeIdentity;
using testing::WaitUntil;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = esfs::testing::OpenStoreWith(dir_.path() + "/data", kWs, &clock_);
    ASSERT_NE(store_, nullptr);
  }

  Document Signed(const keys::Identity& who, const std::string& path, const std::string& content, int64_t timestamp,
                  std::optional<int64_t> delete_after = std::nullopt) {
    Document doc;
    doc.workspace = kWs;
    doc.path = path;
    doc.content = content;
    doc.timestamp = timestamp;
    doc.deleteAfter = delete_after;
    who.Sign(doc);
    return doc;
  }

  TempDir dir_;
  FixedClock clock_{kNow};
  std::unique_ptr<Store> store_;
  keys::Identity suzy_ = MakeIdentity("suzy", 1);
  keys::Identity matt_ = MakeIdentity("matt", 2);
};

TEST_F(StoreTest, IngestAcceptsIgnoresAndRejects) {
  Document v1 = Signed(suzy_, "/a.txt", "one", kNow - 100);
  Document v2 = Signed(suzy_, "/a.txt", "two", kNow - 50);
  EXPECT_EQ(store_->replica().Ingest(kWs, v1)->result, IngestResult::kAccepted);
  EXPECT_EQ(store_->replica().Ingest(kWs, v1)->result, IngestResult::kIgnored);
  EXPECT_EQ(store_->replica().Ingest(kWs, v2)->result, IngestResult::kAccepted);
  EXPECT_EQ(store_->replica().Ingest(kWs, v1)->result, IngestResult::kIgnored);  // older than the stored one
  Document bad = v2;
  bad.content = "forged";
  auto outcome = store_->replica().Ingest(kWs, bad);
  EXPECT_EQ(outcome->result, IngestResult::kInvalid);
  EXPECT_EQ(outcome->reason.rfind("content does not match contentHash", 0), 0u);
  EXPECT_EQ(store_->replica().Winner(kWs, "/a.txt")->value().content, "two");
  // One version per author; the older one was replaced.
  EXPECT_EQ(store_->replica().Versions(kWs, "/a.txt")->size(), 1u);
}

TEST_F(StoreTest, WorkspaceChecks) {
  Document doc = Signed(suzy_, "/a.txt", "x", kNow);
  ASSERT_TRUE(store_->workspaces().Add("+other.space").ok());
  auto outcome = store_->replica().Ingest("+other.space", doc);
  EXPECT_EQ(outcome->result, IngestResult::kInvalid);
  EXPECT_EQ(outcome->reason, "ingestDocument: can't ingest doc from different workspace");
  auto unknown = store_->replica().Ingest("+nope.nope", doc);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(store_->workspaces().Add("not-a-workspace").ok());
  auto json = store_->replica().IngestJson(kWs, OrderedJson::parse(R"({"format":"es.5"})"));
  EXPECT_EQ(json->reason, "ingestDocument: unrecognized format es.5");
}

TEST_F(StoreTest, WinnerIsNewestAcrossAuthorsAndHistoryIsKept) {
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(suzy_, "/p", "suzy", kNow - 10))->result, IngestResult::kAccepted);
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(matt_, "/p", "matt", kNow - 5))->result, IngestResult::kAccepted);
  EXPECT_EQ(store_->replica().Winner(kWs, "/p")->value().content, "matt");
  auto versions = store_->replica().Versions(kWs, "/p");
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].content, "matt");
  EXPECT_EQ((*versions)[1].content, "suzy");
  // A tombstone can win: the path then reads as deleted.
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(suzy_, "/p", "", kNow - 1))->result, IngestResult::kAccepted);
  EXPECT_TRUE(store_->replica().Winner(kWs, "/p")->value().IsTombstone());
  EXPECT_FALSE(store_->replica().Winner(kWs, "/missing")->has_value());
}

TEST_F(StoreTest, WinnerSeqChangesWithTheWinnerAndIgnoresExpiredOnes) {
  EXPECT_EQ(store_->replica().WinnerSeq(kWs, "/none").value(), 0u);
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/p", "one").ok());
  const uint64_t first = store_->replica().WinnerSeq(kWs, "/p").value();
  EXPECT_GT(first, 0u);
  EXPECT_EQ(store_->replica().WinnerSeq(kWs, "/p").value(), first);  // no change, same number
  ASSERT_TRUE(store_->replica().Set(matt_, kWs, "/p", "two").ok());
  EXPECT_GT(store_->replica().WinnerSeq(kWs, "/p").value(), first);
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/chat/!x", "brief", kNow + 10).ok());
  EXPECT_GT(store_->replica().WinnerSeq(kWs, "/chat/!x").value(), 0u);
  clock_.Set(kNow + 1'000'000);
  EXPECT_EQ(store_->replica().WinnerSeq(kWs, "/chat/!x").value(), 0u);
}

TEST_F(StoreTest, VisitWinnerSeesTheWinnerInPlace) {
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/p", "suzy's text").ok());
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(matt_, "/p", "matt's", kNow + 5))->result, IngestResult::kAccepted);
  const Document winner = store_->replica().Winner(kWs, "/p")->value();
  int calls = 0;
  auto found = store_->replica().VisitWinner(kWs, "/p", [&](const DocView& doc) {
    ++calls;
    EXPECT_EQ(doc.content, "matt's");
    EXPECT_EQ(doc.author, winner.author);
    EXPECT_EQ(doc.signature, winner.signature);
    EXPECT_EQ(doc.contentHash, winner.contentHash);
    EXPECT_EQ(doc.path, "/p");
    EXPECT_EQ(doc.timestamp, kNow + 5);
    EXPECT_FALSE(doc.deleteAfter.has_value());
  });
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_TRUE(*found);
  EXPECT_EQ(calls, 1);
  // None: false, and the visitor is not called.
  found = store_->replica().VisitWinner(kWs, "/missing", [&](const DocView&) { ++calls; });
  EXPECT_FALSE(*found);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(store_->replica().VisitWinner("+unknown.ws", "/p", [](const DocView&) {}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(StoreTest, VisitWinnerSkipsAnExpiredWinnerLikeWinner) {
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(suzy_, "/chat/!x", "older", kNow - 10, kNow + 3'600'000'000))->result,
            IngestResult::kAccepted);
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(matt_, "/chat/!x", "brief", kNow - 5, kNow + 10))->result,
            IngestResult::kAccepted);
  std::string seen;
  auto visit = [&](const DocView& doc) { seen = std::string(doc.content); };
  EXPECT_TRUE(*store_->replica().VisitWinner(kWs, "/chat/!x", visit));
  EXPECT_EQ(seen, "brief");
  clock_.Set(kNow + 1'000'000);  // matt's expired: suzy's is the winner again
  EXPECT_TRUE(*store_->replica().VisitWinner(kWs, "/chat/!x", visit));
  EXPECT_EQ(seen, "older");
  EXPECT_EQ(store_->replica().Winner(kWs, "/chat/!x")->value().content, "older");
}

TEST_F(StoreTest, LocalAttrsLaterAreSeenAtOnceAndWrittenByTheTimeTheStoreCloses) {
  auto saved = store_->replica().Set(suzy_, kWs, "/p", "text");
  ASSERT_TRUE(saved.ok());
  const LocalAttrs attrs{saved->signature, 0600u, int64_t{1'234'567'890'123'456'789}};
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/p", attrs, LocalState::Durability::kSoon).ok());
  auto seen = store_->local().GetAttrs(kWs, "/p", saved->signature);
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->mode, std::optional<uint32_t>(0600u));
  EXPECT_EQ((*seen)->mtime_ns, attrs.mtime_ns);
  // The time only for the document it was set on; the mode for later
  // versions too (a private file stays private).
  auto later = store_->local().GetAttrs(kWs, "/p", "another-signature");
  ASSERT_TRUE(later.ok() && later->has_value());
  EXPECT_EQ((*later)->mode, std::optional<uint32_t>(0600u));
  EXPECT_EQ((*later)->mtime_ns, std::nullopt);
  EXPECT_EQ((*later)->signature, "another-signature");
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/q", {saved->signature, std::nullopt, int64_t{5}}).ok());
  EXPECT_FALSE(store_->local().GetAttrs(kWs, "/q", "another-signature")->has_value());
  // Unknown workspaces are refused at once.
  EXPECT_EQ(store_->local().SetAttrs("+unknown.ws", "/p", attrs, LocalState::Durability::kSoon).code(),
            StatusCode::kNotFound);
  store_.reset();  // closing writes what is pending
  auto reopened = Store::Open({dir_.path() + "/data", &clock_});
  ASSERT_TRUE(reopened.ok());
  seen = (*reopened)->local().GetAttrs(kWs, "/p", saved->signature);
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->mtime_ns, attrs.mtime_ns);
}

TEST_F(StoreTest, LocalAttrsTheNewestWinsWhateverTheirDurability) {
  auto saved = store_->replica().Set(suzy_, kWs, "/p", "text");
  ASSERT_TRUE(saved.ok());
  const std::string sig = saved->signature;
  // Later, then now: the batch written afterwards must not bring back
  // the older value.
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/p", {sig, std::nullopt, int64_t{1}}, LocalState::Durability::kSoon).ok());
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/p", {sig, std::nullopt, int64_t{2}}).ok());
  ASSERT_TRUE(store_->local().FlushAttrs().ok());
  EXPECT_EQ(store_->local().GetAttrs(kWs, "/p", sig)->value().mtime_ns, std::optional<int64_t>(2));
  // Now, then later, then the writer writes the batch on its own (its
  // commit is what the test waits for).
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/p", {sig, std::nullopt, int64_t{3}}).ok());
  const uint64_t commits = store_->CommitCount();
  ASSERT_TRUE(store_->local().SetAttrs(kWs, "/p", {sig, std::nullopt, int64_t{4}}, LocalState::Durability::kSoon).ok());
  ASSERT_TRUE(WaitUntil([&] { return store_->CommitCount() > commits; }, std::chrono::seconds(10)))
      << "the writer did not write the pending change";
  EXPECT_EQ(store_->CommitCount(), commits + 1);
  EXPECT_EQ(store_->local().GetAttrs(kWs, "/p", sig)->value().mtime_ns, std::optional<int64_t>(4));
  store_.reset();
  auto reopened = Store::Open({dir_.path() + "/data", &clock_});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->local().GetAttrs(kWs, "/p", sig)->value().mtime_ns, std::optional<int64_t>(4));
}

TEST_F(StoreTest, SetBumpsPastTheNewestDocumentSoALocalWriteWins) {
  // Matt's clock runs 5 minutes ahead: a local save must still win.
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(matt_, "/p", "matt", kNow + 300'000'000))->result,
            IngestResult::kAccepted);
  auto saved = store_->replica().Set(suzy_, kWs, "/p", "suzy");
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  EXPECT_EQ(saved->timestamp, kNow + 300'000'001);
  EXPECT_EQ(store_->replica().Winner(kWs, "/p")->value().content, "suzy");
  EXPECT_TRUE(ValidateDocument(*saved, kNow).ok());
  auto plain = store_->replica().Set(suzy_, kWs, "/q", "x");
  EXPECT_EQ(plain->timestamp, kNow);
}

TEST_F(StoreTest, SetRefusesInvalidAndOthersPaths) {
  auto bad_path = store_->replica().Set(suzy_, kWs, "/has space", "x");
  EXPECT_EQ(bad_path.status().code(), StatusCode::kInvalidDocument);
  EXPECT_NE(bad_path.status().message().find("disallowed characters"), std::string::npos);
  auto not_mine = store_->replica().Set(suzy_, kWs, "/~" + matt_.address() + "/x", "x");
  EXPECT_NE(not_mine.status().message().find("can't write to path"), std::string::npos);
  EXPECT_EQ(store_->replica().LastSeq().value(), 0u);  // nothing was stored
  EXPECT_TRUE(store_->replica().Set(matt_, kWs, "/~" + matt_.address() + "/x", "mine").ok());
}

TEST_F(StoreTest, EphemeralDocumentsExpireAndTheSweeperRemovesThem) {
  const int64_t minute = 60'000'000;
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(suzy_, "/chat/!x", "long", kNow - 10, kNow + 60 * minute))->result,
            IngestResult::kAccepted);
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(matt_, "/chat/!x", "short", kNow - 5, kNow + minute))->result,
            IngestResult::kAccepted);
  EXPECT_EQ(store_->replica().Winner(kWs, "/chat/!x")->value().content, "short");
  clock_.Set(kNow + 2 * minute);
  // Expired documents are filtered before the winner is chosen.
  EXPECT_EQ(store_->replica().Winner(kWs, "/chat/!x")->value().content, "long");
  auto listing = store_->folders().List(kWs, "/chat/");
  ASSERT_EQ(listing->size(), 1u);
  EXPECT_EQ((*listing)[0].author, suzy_.address());
  const uint64_t before = store_->replica().LastSeq().value();
  EXPECT_EQ(store_->replica().SweepExpired().value(), 1u);
  EXPECT_EQ(store_->replica().Versions(kWs, "/chat/!x")->size(), 1u);
  auto changes = store_->replica().ChangesSince(before);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_TRUE((*changes)[0].removed);
  EXPECT_EQ((*changes)[0].path, "/chat/!x");
  clock_.Set(kNow + 61 * minute);
  EXPECT_FALSE(store_->replica().Winner(kWs, "/chat/!x")->has_value());
  EXPECT_EQ(store_->replica().SweepExpired().value(), 1u);
  EXPECT_TRUE(store_->replica().AllDocuments(kWs)->empty());
  // Ingesting an already expired document is invalid.
  auto late = store_->replica().Ingest(kWs, Signed(suzy_, "/chat/!y", "late", kNow, kNow + minute));
  EXPECT_EQ(late->reason, "ephemeral doc has expired");
}

TEST_F(StoreTest, ListFolderGivesDirectChildrenAndSkipsSubtrees) {
  for (const char* p : {"/wiki", "/wiki/a.md", "/wiki/b/c.md", "/wiki/b/d/e.md", "/wiki/z.md", "/top.txt"}) {
    ASSERT_TRUE(store_->replica().Set(suzy_, kWs, p, std::string("content of ") + p).ok());
  }
  auto root = store_->folders().List(kWs, "/");
  ASSERT_TRUE(root.ok());
  std::vector<std::pair<std::string, bool>> names;
  for (const auto& e : *root) names.emplace_back(e.name, e.is_folder);
  // /wiki is both a document and a folder: both are reported.
  EXPECT_EQ(names, (std::vector<std::pair<std::string, bool>>{{"top.txt", false}, {"wiki", false}, {"wiki", true}}));
  auto wiki = store_->folders().List(kWs, "/wiki/");
  names.clear();
  for (const auto& e : *wiki) names.emplace_back(e.name, e.is_folder);
  EXPECT_EQ(names, (std::vector<std::pair<std::string, bool>>{{"a.md", false}, {"b", true}, {"z.md", false}}));
  EXPECT_EQ((*wiki)[0].content_bytes, std::string("content of /wiki/a.md").size());
  EXPECT_FALSE(store_->folders().List(kWs, "wiki").ok());
}

TEST_F(StoreTest, LongPathsNearTheLimit) {
  const std::string base = "/" + std::string(420, 'a') + "/";
  const std::string p1 = base + "one.txt", p2 = base + "two.txt";
  const std::string longest = "/" + std::string(511, 'b');
  for (const auto& p : {p1, p2, longest})
    ASSERT_TRUE(store_->replica().Set(suzy_, kWs, p, "x" + p.substr(p.size() - 3)).ok()) << p.size();
  EXPECT_EQ(store_->replica().Winner(kWs, p1)->value().path, p1);
  EXPECT_EQ(store_->replica().Winner(kWs, p2)->value().content, "xtxt");
  EXPECT_EQ(store_->replica().Winner(kWs, longest)->value().path, longest);
  auto listing = store_->folders().List(kWs, base);
  ASSERT_EQ(listing->size(), 2u);
  Query q;
  q.pathPrefix = base;
  EXPECT_EQ(store_->replica().QueryPaths(kWs, q)->size(), 2u);
}

TEST_F(StoreTest, ChangeFeedIsMonotonicAndKeepsOnlyCurrentDocuments) {
  auto a = store_->replica().Set(suzy_, kWs, "/a", "1");
  auto b = store_->replica().Set(suzy_, kWs, "/b", "1");
  auto a2 = store_->replica().Set(suzy_, kWs, "/a", "2");
  auto changes = store_->replica().ChangesSince(0);
  ASSERT_EQ(changes->size(), 2u);  // /a's first version was replaced
  EXPECT_EQ((*changes)[0].path, "/b");
  EXPECT_EQ((*changes)[1].path, "/a");
  EXPECT_LT((*changes)[0].seq, (*changes)[1].seq);
  EXPECT_EQ(store_->replica().LastSeq().value(), (*changes)[1].seq);
  EXPECT_EQ(store_->replica().ChangesSince((*changes)[0].seq)->size(), 1u);
  EXPECT_EQ(store_->replica().ChangesSince(0, 1)->size(), 1u);
  EXPECT_EQ((*changes)[1].workspace, kWs);
}

TEST_F(StoreTest, BatchIngestSkipsVerifyingKnownDocuments) {
  std::vector<Document> docs;
  for (int i = 0; i < 300; ++i)
    docs.push_back(Signed(suzy_, "/b/" + std::to_string(i), "c" + std::to_string(i), kNow - i));
  docs.push_back(docs[0]);  // a duplicate inside the batch
  auto first = store_->replica().IngestBatch(kWs, docs);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(std::count_if(first->begin(), first->end(), [](auto& o) { return o.result == IngestResult::kAccepted; }),
            300);
  EXPECT_EQ(first->back().result, IngestResult::kIgnored);
  auto again = store_->replica().IngestBatch(kWs, docs);
  for (const auto& o : *again) {
    EXPECT_EQ(o.result, IngestResult::kIgnored);
    EXPECT_EQ(o.reason, "already stored");
  }
  // A forged copy of a known document is not mistaken for it.
  docs[5].content = "forged";
  EXPECT_EQ((*store_->replica().IngestBatch(kWs, std::span(&docs[5], 1)))[0].result, IngestResult::kInvalid);
}

TEST_F(StoreTest, IngestManyMatchesOneBatchAcrossBatchBoundaries) {
  // Batches of 7: duplicates, newer versions and a forgery land in
  // different batches, so the pipelined check of batch k+1 runs before
  // batch k is written.
  std::vector<Document> docs;
  for (int i = 0; i < 40; ++i)
    docs.push_back(Signed(suzy_, "/m/" + std::to_string(i % 25), "v" + std::to_string(i), kNow - 1000 + i));
  docs.push_back(docs[3]);                                  // duplicate of an earlier batch's document
  docs.push_back(Signed(matt_, "/m/1", "matt", kNow - 5));  // another author at a path already there
  Document forged = docs[10];
  forged.content = "forged";
  docs.push_back(forged);
  docs.push_back(Signed(suzy_, "/m/2", "old", kNow - 5000));  // older than what suzy has there

  std::vector<size_t> progress;
  auto many = store_->replica().IngestMany(kWs, docs, 7, [&](size_t done) { progress.push_back(done); });
  ASSERT_TRUE(many.ok()) << many.status().message();
  ASSERT_EQ(many->size(), docs.size());
  EXPECT_EQ(progress.size(), (docs.size() + 6) / 7);
  EXPECT_EQ(progress.back(), docs.size());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));

  // The same documents through one IngestBatch into a second store give the
  // same outcomes and the same winners.
  TempDir other_dir;
  auto other = Store::Open({other_dir.path() + "/data", &clock_});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->workspaces().Add(kWs).ok());
  auto one = (*other)->replica().IngestBatch(kWs, docs);
  ASSERT_TRUE(one.ok());
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_EQ((*many)[i].result, (*one)[i].result) << "document " << i;
  }
  EXPECT_EQ((*many)[40].result, IngestResult::kIgnored);
  EXPECT_EQ((*many)[41].result, IngestResult::kAccepted);
  EXPECT_EQ((*many)[42].result, IngestResult::kInvalid);
  EXPECT_EQ((*many)[43].result, IngestResult::kIgnored);
  for (int p = 0; p < 25; ++p) {
    const std::string path = "/m/" + std::to_string(p);
    EXPECT_EQ(store_->replica().Winner(kWs, path)->value(), (*other)->replica().Winner(kWs, path)->value()) << path;
  }
  EXPECT_EQ(store_->replica().Winner(kWs, "/m/10")->value().content, "v35");

  // A workspace that is not in the store fails the whole call, clearly.
  auto unknown = store_->replica().IngestMany("+nope.nope", docs, 7);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->replica().IngestMany(kWs, {}, 7)->empty());
}
TEST_F(StoreTest, IngesterTakesPartsAsTheyComeAndKeepsTheirOrder) {
  std::vector<std::vector<Document>> parts(3);
  for (int i = 0; i < 30; ++i)
    parts[i % 3].push_back(Signed(suzy_, "/p/" + std::to_string(i % 7), "v" + std::to_string(i), kNow - 100 + i));
  parts[2].push_back(parts[0][0]);  // seen in an earlier part
  std::vector<size_t> progress;
  auto ingester = store_->replica().StartIngest(kWs, [&](size_t done) { progress.push_back(done); });
  for (const auto& part : parts) ASSERT_TRUE(ingester.Add(part).ok());
  auto outcomes = ingester.Finish();
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().message();
  ASSERT_EQ(outcomes->size(), 31u);
  EXPECT_EQ(progress, (std::vector<size_t>{10, 20, 31}));
  EXPECT_EQ(outcomes->back().result, IngestResult::kIgnored);
  // The newest of each path won, whichever part it came in.
  EXPECT_EQ(store_->replica().Winner(kWs, "/p/1")->value().content, "v29");
  EXPECT_EQ(store_->replica().Winner(kWs, "/p/6")->value().content, "v27");

  // An unknown workspace: the error comes back, and again on every call.
  auto lost = store_->replica().StartIngest("+nope.nope");
  Status first = lost.Add(parts[0]);
  Status second = lost.Add(parts[1]);
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.code(), StatusCode::kNotFound);
  EXPECT_EQ(lost.Finish().status().code(), StatusCode::kNotFound);
  (void)first;  // the first part's check may still be running when Add returns
}

TEST_F(StoreTest, IndexesByAuthorAndTime) {
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(suzy_, "/x", "s", kNow - 30))->result, IngestResult::kAccepted);
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(matt_, "/x", "m", kNow - 20))->result, IngestResult::kAccepted);
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(suzy_, "/y", "s", kNow - 10))->result, IngestResult::kAccepted);
  auto suzy = store_->replica().ByAuthor(kWs, suzy_.address());
  ASSERT_EQ(suzy->size(), 2u);
  EXPECT_EQ((*suzy)[0].path, "/x");
  auto window = store_->replica().ByTime(kWs, kNow - 25, kNow - 5);
  ASSERT_EQ(window->size(), 2u);
  EXPECT_EQ((*window)[0].author, matt_.address());
  // Replacing a document moves it in the time index.
  ASSERT_EQ(store_->replica().Ingest(kWs, Signed(suzy_, "/x", "s2", kNow - 1))->result, IngestResult::kAccepted);
  EXPECT_EQ(store_->replica().ByTime(kWs, kNow - 40, kNow - 25)->size(), 0u);
}

TEST_F(StoreTest, WorkspacesAddListRemove) {
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a", "1").ok());
  ASSERT_TRUE(store_->workspaces().Add("+second.ws", {{"pubs", {"http://127.0.0.1:1"}}}).ok());
  auto all = store_->workspaces().List(/*count_documents=*/true);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].address, kWs);
  EXPECT_EQ((*all)[0].documents, 1u);
  EXPECT_EQ((*all)[1].documents, 0u);
  // Without counting (the mount's and the syncer's calls): no walk, 0.
  EXPECT_EQ(store_->workspaces().List()->at(0).documents, 0u);
  EXPECT_EQ(store_->workspaces().Get(kWs)->documents, 0u);
  EXPECT_EQ(store_->workspaces().Get(kWs, /*count_documents=*/true)->documents, 1u);
  EXPECT_EQ((*all)[1].config["pubs"][0], "http://127.0.0.1:1");
  ASSERT_TRUE(store_->workspaces().Remove(kWs).ok());
  EXPECT_EQ(store_->workspaces().List()->size(), 1u);
  EXPECT_EQ(store_->replica().Winner(kWs, "/a").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->replica().ChangesSince(0)->empty());
  // Re-adding starts empty.
  ASSERT_TRUE(store_->workspaces().Add(kWs).ok());
  EXPECT_FALSE(store_->replica().Winner(kWs, "/a")->has_value());
}

// Resident kB of this process's mappings of |file_name| (from smaps).
long MappedKb(const std::string& file_name) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_file = false;
  long kb = 0;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
        line.find(' ') > line.find('-')) {
      in_file = line.size() >= file_name.size() &&
                line.compare(line.size() - file_name.size(), file_name.size(), file_name) == 0;
    } else if (in_file && line.rfind("Rss:", 0) == 0) {
      kb += std::stol(line.substr(4));
    }
  }
  return kb;
}

TEST_F(StoreTest, ReleaseMappedPagesShrinksTheResidentMapAndReadsGoOn) {
  std::vector<Document> docs;
  const std::string content(3000, 'x');
  for (int i = 0; i < 2000; ++i) docs.push_back(Signed(suzy_, "/r/" + std::to_string(i), content, kNow - i));
  ASSERT_TRUE(store_->replica().IngestMany(kWs, docs).ok());
  store_->ReleaseMappedPages();
  const long before = MappedKb("/data.mdb");
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(store_->replica().Winner(kWs, "/r/" + std::to_string(i))->has_value());
  const long touched = MappedKb("/data.mdb");
  EXPECT_GT(touched, before + 4000) << "reading ~6 MB of documents maps their pages";
  store_->ReleaseMappedPages();
  EXPECT_LT(MappedKb("/data.mdb"), touched / 4);
  // Everything is still readable (the pages come back from the page cache).
  for (int i = 0; i < 2000; i += 97)
    EXPECT_EQ(store_->replica().Winner(kWs, "/r/" + std::to_string(i))->value().content, content);
}

// A listing of a big folder lets go of the pages it mapped as it goes (the
// kernel maps a page's neighbours too, so a scan of the winners would
// otherwise leave most of the file mapped), and still lists every name.
TEST_F(StoreTest, ABigListingDoesNotKeepTheFileMappedAndListsEverything) {
  std::vector<Document> docs;
  const std::string content(3000, 'x');
  for (int i = 0; i < 16000; ++i) docs.push_back(Signed(suzy_, "/big/" + std::to_string(i), content, kNow - i));
  ASSERT_TRUE(store_->replica().IngestMany(kWs, docs).ok());
  store_->ReleaseMappedPages();
  const long before = MappedKb("/data.mdb");
  auto listed = store_->folders().List(kWs, "/big/");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 16000u);
  // Without the releases: about 65 MiB, most of the file (measured).
  EXPECT_LT(MappedKb("/data.mdb") - before, 32 * 1024) << "KiB left mapped by one listing of 16,000 names";
}

TEST_F(StoreTest, ReopenKeepsEverything) {
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a", "kept").ok());
  store_.reset();
  auto reopened = Store::Open({dir_.path() + "/data", &clock_});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->replica().Winner(kWs, "/a")->value().content, "kept");
}

TEST(StoreOpen, RefusesFoldersThatAreNotOurs) {
  TempDir dir;
  testing::WriteFile(dir.File("notes.txt"), "mine");
  auto opened = Store::Open({dir.path()});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(opened.status().message().find(dir.path()), std::string::npos);
  testing::WriteFile(dir.File("file"), "x");
  EXPECT_FALSE(Store::Open({dir.File("file")}).ok());
}

TEST(StoreOpen, GrowsASmallMapOnDemand) {
  TempDir dir;
  FixedClock clock(kNow);
  auto store = Store::Open({dir.path() + "/d", &clock, 256 * 1024});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->workspaces().Add(kWs).ok());
  auto suzy = MakeIdentity("suzy", 3);
  const size_t before = (*store)->map_bytes();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(
        (*store)->replica().Set(suzy, kWs, "/big/" + std::to_string(i), std::string(100'000, 'a' + i % 26)).ok())
        << i;
  }
  EXPECT_GT((*store)->map_bytes(), before);
  // The saves that filled the map ran again after it grew, with all their
  // content (Set moves the content in once, outside the retried transaction).
  for (int i = 0; i < 40; ++i) {
    auto winner = (*store)->replica().Winner(kWs, "/big/" + std::to_string(i));
    ASSERT_TRUE(winner.ok() && winner->has_value()) << i;
    EXPECT_EQ((*winner)->content, std::string(100'000, 'a' + i % 26)) << i;
    EXPECT_EQ((*winner)->contentHash, ContentHash((*winner)->content)) << i;
  }
}

}  // namespace
}  // namespace esfs::core
