// The resolver, the history view and locations, on a real store and a
// real local area in a temp folder (no FUSE).
#include "fs/resolver.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "fs/fs_types.h"
#include "keys/identity.h"
#include "tests/support/test_support.h"

namespace esfs::fs {
namespace {

constexpr const char* kWs = "+garden.friends";

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = esfs::testing::OpenStoreWith(dir_.path() + "/data", kWs);
    ASSERT_NE(store_, nullptr);
    local_ = std::make_unique<LocalArea>(dir_.path() + "/data", log_fn_);
    history_ = std::make_unique<HistoryView>(*store_, 42);
    resolver_ = std::make_unique<Resolver>(*store_, *local_, *history_, suzy_.address(), log_fn_);
    root_.ws = kWs;
  }
  void Set(const keys::Identity& who, const std::string& path, const std::string& content) {
    ASSERT_TRUE(store_->replica().Set(who, kWs, path, content).ok()) << path;
  }

  esfs::testing::TempDir dir_;
  keys::Identity suzy_ = esfs::testing::MakeIdentity("suzy", 7);
  keys::Identity bob_ = esfs::testing::MakeIdentity("bobo", 9);
  std::vector<std::string> log_;
  std::function<void(const std::string&)> log_fn_ = [this](const std::string& l) { log_.push_back(l); };
  std::unique_ptr<core::Store> store_;
  std::unique_ptr<LocalArea> local_;
  std::unique_ptr<HistoryView> history_;
  std::unique_ptr<Resolver> resolver_;
  Location root_;
};

TEST_F(ResolverTest, BadNamesAreRefusedWithTheirCodes) {
  EXPECT_EQ(resolver_->ChildLocation(root_, "..").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resolver_->ChildLocation(root_, "a/b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resolver_->ChildLocation(root_, std::string(256, 'x')).status().code(), StatusCode::kNameTooLong);
}

TEST_F(ResolverTest, ExistsSeesDocumentsFoldersAndNotTombstones) {
  Set(suzy_, "/wiki/Bees.md", "bees");
  Set(suzy_, "/gone.txt", "x");
  Set(suzy_, "/gone.txt", "");
  bool is_dir = false;
  auto wiki = resolver_->ChildLocation(root_, "wiki");
  ASSERT_TRUE(wiki.ok());
  EXPECT_TRUE(*resolver_->Exists(*wiki, &is_dir));
  EXPECT_TRUE(is_dir);
  EXPECT_TRUE(*resolver_->Exists(wiki->Child("Bees.md"), &is_dir));
  EXPECT_FALSE(is_dir);
  EXPECT_FALSE(*resolver_->Exists(root_.Child("gone.txt"), &is_dir));
  EXPECT_FALSE(*resolver_->Exists(root_.Child("never.txt"), &is_dir));
  EXPECT_NE(resolver_->CurrentSeq(wiki->Child("Bees.md")), 0u);
  EXPECT_EQ(resolver_->CurrentSeq(root_.Child("never.txt")), 0u);
}

TEST_F(ResolverTest, ATwinFileNamesTheDocumentBesideAFolderOfTheSameName) {
  Set(suzy_, "/wiki", "the page");
  Set(suzy_, "/wiki/Bees.md", "bees");
  auto twin = resolver_->ChildLocation(root_, std::string("wiki") + kTwinSuffix);
  ASSERT_TRUE(twin.ok());
  EXPECT_TRUE(twin->file_twin);
  EXPECT_EQ(twin->EsPath(), "/wiki");
  bool is_dir = true;
  EXPECT_TRUE(*resolver_->Exists(*twin, &is_dir));
  EXPECT_FALSE(is_dir);
  // Without the folder, the suffix is just part of a name.
  auto plain = resolver_->ChildLocation(root_, std::string("notes") + kTwinSuffix);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->file_twin);
}

TEST_F(ResolverTest, JunkNamesAreLocalOnlyAndOthersAuthorsPathsAreNotWritable) {
  EXPECT_TRUE(resolver_->LocalOnly(root_.Child(".notes.txt.swp")));
  EXPECT_TRUE(resolver_->LocalOnly(root_.Child(".git").Child("HEAD")));
  EXPECT_FALSE(resolver_->LocalOnly(root_.Child("notes.txt")));
  const Location mine = root_.Child("~" + suzy_.address()).Child("a.txt");
  const Location bobs = root_.Child("~" + bob_.address()).Child("a.txt");
  EXPECT_TRUE(resolver_->Writable(mine));
  EXPECT_FALSE(resolver_->Writable(bobs));
  EXPECT_EQ(resolver_->CheckWritable(bobs, "create").code(), StatusCode::kPermissionDenied);
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.back().find("belongs to another author"), std::string::npos) << log_.back();
  // A junk file in Bob's folder is refused like a real one.
  EXPECT_FALSE(resolver_->Writable(root_.Child("~" + bob_.address()).Child(".a.txt.swp")));
}

TEST_F(ResolverTest, SizeLimitsDependOnTheKindOfFile) {
  EXPECT_EQ(resolver_->MaxFileBytes(root_.Child("a.txt")), core::kMaxContentBytes);
  EXPECT_EQ(resolver_->MaxFileBytes(root_.Child("a.png")), kMaxBinaryFileBytes);
  EXPECT_EQ(resolver_->MaxFileBytes(root_.Child(".a.txt.swp")), kMaxLocalFileBytes);
  EXPECT_TRUE(resolver_->CheckFileSize(root_.Child("a.txt"), 0, core::kMaxContentBytes, "write").ok());
  EXPECT_EQ(resolver_->CheckFileSize(root_.Child("a.txt"), 1, core::kMaxContentBytes, "write").code(),
            StatusCode::kTooLarge);
  EXPECT_EQ(resolver_->CheckFileSize(root_.Child("a.txt"), UINT64_MAX, 2, "write").code(), StatusCode::kTooLarge)
      << "no overflow";
}

TEST_F(ResolverTest, HistoryShowsEachAuthorsNewestVersionReadOnly) {
  Set(suzy_, "/wiki/Bees.md", "suzy's");
  Set(bob_, "/wiki/Bees.md", "bob's");
  const Location folder = root_.Child(kHistoryFolder).Child("wiki").Child("Bees.md");
  std::map<std::string, bool> names;
  ASSERT_TRUE(history_->List(folder, &names).ok());
  // Both authors' newest versions, and the local version Bob's save
  // replaced (Suzy's content, named by its time and author).
  EXPECT_EQ(names.size(), 3u);
  EXPECT_EQ(names.count(suzy_.address()), 1u);
  EXPECT_EQ(names.count(bob_.address()), 1u);
  auto kept = std::find_if(names.begin(), names.end(), [](const auto& n) { return n.first[0] != '@'; });
  ASSERT_NE(kept, names.end());
  EXPECT_TRUE(kept->first.ends_with("Z_" + suzy_.address())) << kept->first;
  int64_t timestamp = 0;
  std::string author;
  EXPECT_TRUE(ParseLocalVersionName(kept->first, &timestamp, &author));
  EXPECT_EQ(author, suzy_.address());
  EXPECT_EQ(LocalVersionName(timestamp, author), kept->first);
  EXPECT_FALSE(ParseLocalVersionName("2026-12-03T17.10.45.12345Z_@a.b", &timestamp, &author));
  EXPECT_FALSE(ParseLocalVersionName("2026-13-03T17.10.45.123456Z_" + author, &timestamp, &author));
  auto kept_bytes = history_->Bytes(folder.Child(kept->first));
  ASSERT_TRUE(kept_bytes.ok());
  EXPECT_EQ(*kept_bytes, "suzy's");
  const Location version = folder.Child(bob_.address());
  auto bytes = history_->Bytes(version);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "bob's");
  Attr attr;
  ASSERT_TRUE(history_->Fill(version, &attr).ok());
  EXPECT_EQ(attr.mode, 0444u);
  EXPECT_TRUE(attr.uncached);
  EXPECT_EQ(attr.size, 5u);
  bool is_dir = true;
  EXPECT_TRUE(*history_->Exists(version, &is_dir));
  EXPECT_FALSE(is_dir);
  EXPECT_FALSE(resolver_->Writable(version));
  EXPECT_EQ(history_->Fill(folder.Child("@nobody.bxxx"), &attr).code(), StatusCode::kNotFound);
}

TEST(LocationTest, KeysOfAFolderPrefixExactlyTheKeysBelowIt) {
  const Location a = LocationOfPath("+w.x", "/a");
  const Location below = LocationOfPath("+w.x", "/a/b%20c");
  const Location sibling = LocationOfPath("+w.x", "/ab");
  EXPECT_EQ(below.parts.back(), "b c");
  EXPECT_EQ(below.segs.back(), "b%20c");
  EXPECT_EQ(below.EsPath(), "/a/b%20c");
  EXPECT_TRUE(below.Key().starts_with(a.Key()));
  EXPECT_FALSE(sibling.Key().starts_with(a.Key()));
  EXPECT_TRUE(below.IsChildOf(a));
  EXPECT_EQ(below.Parent().Key(), a.Key());
}

TEST(LocationTest, BinaryNamesAreBase64InTheDocument) {
  const Location png = LocationOfPath("+w.x", "/a.png");
  const std::string bytes("\x89PNG\0\x01", 6);
  const std::string doc = DocContent(png, bytes);
  EXPECT_NE(doc, bytes);
  EXPECT_EQ(FileBytes(png, doc), bytes);
  EXPECT_EQ(FileSize(png, doc), bytes.size());
  const Location txt = LocationOfPath("+w.x", "/a.txt");
  EXPECT_EQ(DocContent(txt, "hello"), "hello");
}

}  // namespace
}  // namespace esfs::fs
