// The replica's numbers per workspace (core/store_replica_seq.cc): what a
// pub's incremental extension serves. Real LMDB in a temp folder, an
// injected clock.
#include <gtest/gtest.h>
#include <lmdb.h>

#include "core/store.h"
#include "tests/unit/core/store_fixture.h"

namespace esfs::core {
namespace {

using StoreSeqTest = StoreFixture;

std::vector<std::string> Paths(const std::vector<Document>& docs) {
  std::vector<std::string> out;
  for (const auto& d : docs) out.push_back(d.path);
  return out;
}

TEST_F(StoreSeqTest, DocumentsAfterPagesInOrderAndAReplacedDocumentMovesToTheEnd) {
  ASSERT_TRUE(store_->workspaces().Add("+other.ws").ok());
  for (const char* p : {"/a", "/b", "/c"}) ASSERT_TRUE(store_->replica().Set(suzy_, kWs, p, "x").ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, "+other.ws", "/elsewhere", "x").ok());
  auto all = store_->replica().DocumentsAfter(kWs, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Paths(all->docs), (std::vector<std::string>{"/a", "/b", "/c"}));  // not the other workspace's
  EXPECT_FALSE(all->more);
  EXPECT_EQ(all->next, all->last);
  // Pages of two.
  auto first = store_->replica().DocumentsAfter(kWs, 0, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Paths(first->docs), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_TRUE(first->more);
  auto second = store_->replica().DocumentsAfter(kWs, first->next, 2);
  EXPECT_EQ(Paths(second->docs), (std::vector<std::string>{"/c"}));
  EXPECT_FALSE(second->more);
  // A new version of /a: numbered anew; the old number is gone.
  const uint64_t seen = all->next;
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/a", "y").ok());
  auto after = store_->replica().DocumentsAfter(kWs, seen);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->docs.size(), 1u);
  EXPECT_EQ(after->docs[0].content, "y");
  EXPECT_EQ(Paths(store_->replica().DocumentsAfter(kWs, 0)->docs), (std::vector<std::string>{"/b", "/c", "/a"}));
  EXPECT_EQ(Paths(*store_->replica().LatestBySeq(kWs, 2)), (std::vector<std::string>{"/a", "/c"}));
  EXPECT_EQ(store_->replica().DocumentsAfter("+nope.nope", 0).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreSeqTest, ExpiredDocumentsAreLeftOutAndSweptOnesUnnumbered) {
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/!soon", "x", kNow + 1000).ok());
  ASSERT_TRUE(store_->replica().Set(suzy_, kWs, "/stays", "x").ok());
  EXPECT_EQ(store_->replica().DocumentsAfter(kWs, 0)->docs.size(), 2u);
  clock_.Set(kNow + 5000);
  EXPECT_EQ(Paths(store_->replica().DocumentsAfter(kWs, 0)->docs), (std::vector<std::string>{"/stays"}));
  ASSERT_EQ(store_->replica().SweepExpired().value(), 1u);
  EXPECT_EQ(Paths(store_->replica().DocumentsAfter(kWs, 0)->docs), (std::vector<std::string>{"/stays"}));
}

// A store written before the numbering existed (no by_seq database, no
// store_id) is numbered when it is opened, and gets its id then.
TEST_F(StoreSeqTest, AnOldStoreIsNumberedOnOpen) {
  for (const char* p : {"/a", "/b"}) ASSERT_TRUE(store_->replica().Set(suzy_, kWs, p, "x").ok());
  const std::string first_id = store_->replica().StoreId().value();
  store_.reset();
  {
    // Take the store back to the old layout with LMDB itself.
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    ASSERT_EQ(mdb_env_open(env, (dir_.path() + "/data/store").c_str(), 0, 0600), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi by_seq, meta;
    ASSERT_EQ(mdb_dbi_open(txn, "by_seq", 0, &by_seq), 0);
    ASSERT_EQ(mdb_drop(txn, by_seq, 1), 0);
    ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val key{8, const_cast<char*>("store_id")};
    ASSERT_EQ(mdb_del(txn, meta, &key, nullptr), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }
  auto reopened = Store::Open({dir_.path() + "/data", &clock_});
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  EXPECT_EQ(Paths((*reopened)->replica().DocumentsAfter(kWs, 0)->docs), (std::vector<std::string>{"/a", "/b"}));
  const std::string id = (*reopened)->replica().StoreId().value();
  EXPECT_FALSE(id.empty());
  EXPECT_NE(id, first_id);  // its numbers are vouched for afresh
}

}  // namespace
}  // namespace esfs::core
