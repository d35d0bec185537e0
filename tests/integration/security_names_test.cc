// Issue #15 item 6, names from peers that break the tree: documents another
// identity signed at paths such as "/.", "/..", "/a/..", over-long segments,
// "/.esfs-history/x" and "/%7E@x/..." appear under one escaped name each
// (docs/names.md, "Names esfs escapes"): every listing holds "." and ".."
// exactly once, each escaped name reads its document and unlink of it writes
// a tombstone at exactly that path.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "core/document.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;

struct PeerDoc {
  std::string path;  // the es.4 path the peer wrote
  std::string content;
  std::string name;  // where it must show, relative to the workspace
};

// The documented escape of a segment whose name would be over 255 bytes:
// its first 200 bytes, '%' and 16 upper-case hex digits of its SHA-256.
std::string LongName(const std::string& segment) {
  const core::Sha256Digest digest = core::Sha256(segment);
  std::string name = segment.substr(0, 200) + "%";
  for (size_t i = 0; i < 8; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02X", digest[i]);
    name += hex;
  }
  return name;
}

std::vector<PeerDoc> HostileDocs() {
  const std::string long1(300, 'L');
  const std::string long2 = std::string(300, 'L') + "2";
  return {
      {"/.", "dot", "%2E"},
      {"/..", "dot dot", "%2E%2E"},
      {"/a/..", "a dot dot", "a/%2E%2E"},
      {"/a/b.txt", "plain b", "a/b.txt"},
      {"/" + long1, "long one", LongName(long1)},
      {"/" + long2, "long two", LongName(long2)},
      {"/.esfs-history/x", "fake history", "%2Eesfs-history/x"},
      {"/%7E@x/note.txt", "look-alike", "%7E@x/note.txt"},
  };
}

// Signs |docs| as a second identity and imports them into |m|'s store.
void ImportAsPeer(const MountedEsfs& m, const std::vector<PeerDoc>& docs) {
  const keys::Identity matt = MakeIdentity("matt", 2);
  const int64_t now =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  OrderedJson all = OrderedJson::array();
  for (const auto& d : docs) {
    core::Document doc;
    doc.workspace = MountedEsfs::kWorkspace;
    doc.path = d.path;
    doc.content = d.content;
    doc.author = matt.address();
    doc.timestamp = now;
    matt.Sign(doc);
    all.push_back(core::DocumentToJson(doc));
  }
  TempDir tmp;
  WriteFile(tmp.File("docs.json"), all.dump());
  auto imported = m.Esfs({"import", MountedEsfs::kWorkspace, tmp.File("docs.json")});
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
}

// Every entry readdir returns, "." and ".." included, with repeats.
std::multiset<std::string> RawList(const std::string& dir) {
  std::multiset<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) names.insert(e->d_name);
  closedir(d);
  return names;
}

// The newest document at |path| in the store (author, content).
std::optional<std::pair<std::string, std::string>> Winner(const MountedEsfs& m, const std::string& path) {
  std::optional<std::pair<std::string, std::string>> best;
  int64_t best_time = -1;
  for (const auto& doc : m.Export()) {
    if (doc["path"] != path || doc["timestamp"].get<int64_t>() < best_time) continue;
    best_time = doc["timestamp"].get<int64_t>();
    best = {doc["author"].get<std::string>(), doc["content"].get<std::string>()};
  }
  return best;
}

TEST(SecurityNames, EveryListingHoldsOneDotAndOneDotDot) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  ImportAsPeer(m, HostileDocs());
  for (const std::string folder : {"", "a", "%2Eesfs-history", "%7E@x", ".esfs-history", ".esfs-history/a"}) {
    const auto names = RawList(m.Path(folder));
    EXPECT_EQ(names.count("."), 1u) << "folder '" << folder << "'";
    EXPECT_EQ(names.count(".."), 1u) << "folder '" << folder << "'";
    for (const auto& n : names) EXPECT_LE(n.size(), 255u) << n;
  }
}

TEST(SecurityNames, EachPeerDocumentIsListedReadAndDeletedUnderOneEscapedName) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  const auto docs = HostileDocs();
  ImportAsPeer(m, docs);
  const auto root = ListDir(m.Path());
  const auto in_a = ListDir(m.Path("a"));
  for (const auto& d : docs) {
    const size_t slash = d.name.rfind('/');
    const std::string base = slash == std::string::npos ? d.name : d.name.substr(slash + 1);
    const auto& listing = slash == std::string::npos ? root : ListDir(m.Path(d.name.substr(0, slash)));
    EXPECT_EQ(listing.count(base), 1u) << d.path << " should be listed as " << d.name;
    struct stat st;
    ASSERT_EQ(stat(m.Path(d.name).c_str(), &st), 0) << d.path << " as " << d.name << ": " << errno;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << d.name;
    EXPECT_EQ(ReadFile(m.Path(d.name)), d.content) << d.path << " as " << d.name;
  }
  // No look-alike of an owned folder, no second history folder.
  EXPECT_EQ(root.count("~@x"), 0u);
  EXPECT_EQ(root.count(".esfs-history"), 0u);
  EXPECT_EQ(in_a.size(), 2u);  // "%2E%2E" and "b.txt"
  // Unlink of each escaped name deletes exactly that document.
  const std::string me = m.address();
  for (const auto& d : docs) {
    ASSERT_EQ(unlink(m.Path(d.name).c_str()), 0) << d.name << ": " << errno;
    auto winner = Winner(m, d.path);
    ASSERT_TRUE(winner.has_value()) << d.path;
    EXPECT_EQ(winner->first, me) << d.path;
    EXPECT_EQ(winner->second, "") << d.path;
  }
  // Each unlink wrote one tombstone: one per document, at its own path.
  size_t tombstones = 0;
  for (const auto& doc : m.Export()) tombstones += doc["author"] == me && doc["content"] == "";
  EXPECT_EQ(tombstones, docs.size());
}

TEST(SecurityNames, PeerHistoryPathDoesNotShadowTheHistoryFolder) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  WriteFile(m.Path("mine.txt"), "my words");
  ImportAsPeer(m, HostileDocs());
  // The real history folder: it mirrors the workspace, and holds the
  // versions of mine.txt.
  const auto history = ListDir(m.Path(".esfs-history"));
  EXPECT_EQ(history.count("mine.txt"), 1u);
  EXPECT_EQ(history.count("%2Eesfs-history"), 1u);
  EXPECT_EQ(ListDir(m.Path(".esfs-history/mine.txt")).count(m.address()), 1u);
  // The peer's document, with its own history under the escaped name.
  EXPECT_EQ(ReadFile(m.Path("%2Eesfs-history/x")), "fake history");
  EXPECT_EQ(ListDir(m.Path(".esfs-history/%2Eesfs-history/x")).size(), 1u);
  // The escaped names of "." and ".." have a history too.
  EXPECT_EQ(ListDir(m.Path(".esfs-history/%2E")).size(), 1u);
}

TEST(SecurityNames, TildeLookAlikeIsNotShownAsAnOwnedFolder) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  ImportAsPeer(m, {{"/%7E@x/note.txt", "look-alike", "%7E@x/note.txt"}});
  const auto root = ListDir(m.Path());
  EXPECT_EQ(root.count("~@x"), 0u);
  EXPECT_EQ(root.count("%7E@x"), 1u);
  struct stat st;
  EXPECT_EQ(stat(m.Path("~@x").c_str(), &st), -1);
  EXPECT_EQ(ReadFile(m.Path("%7E@x/note.txt")), "look-alike");
  // Anyone may write there (the path holds no '~'): so may we.
  WriteFile(m.Path("%7E@x/note.txt"), "saved back");
  EXPECT_EQ(m.Esfs({"get", MountedEsfs::kWorkspace, "/%7E@x/note.txt"}).out, "saved back");
}

// "/wiki" is both a document and a folder, so "wiki.esfs-file" names the
// document "/wiki" (docs/names.md); a peer's "/wiki.esfs-file" then gets
// the escaped name "wiki%2Eesfs-file".
TEST(SecurityNames, PeerPathWithTheTwinSuffixKeepsANameOfItsOwn) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  const std::vector<PeerDoc> docs = {
      {"/wiki", "the wiki document", "wiki.esfs-file"},
      {"/wiki/x", "below wiki", "wiki/x"},
      {"/wiki.esfs-file", "named like a twin", "wiki%2Eesfs-file"},
  };
  ImportAsPeer(m, docs);
  const auto root = RawList(m.Path());
  EXPECT_EQ(root, (std::multiset<std::string>{".", "..", "wiki", "wiki.esfs-file", "wiki%2Eesfs-file"}));
  for (const auto& d : docs) EXPECT_EQ(ReadFile(m.Path(d.name)), d.content) << d.path << " as " << d.name;
  ASSERT_EQ(unlink(m.Path("wiki%2Eesfs-file").c_str()), 0) << errno;
  EXPECT_EQ(Winner(m, "/wiki.esfs-file"), std::make_pair(m.address(), std::string()));
  EXPECT_EQ(Winner(m, "/wiki")->second, "the wiki document");
}

}  // namespace
}  // namespace esfs::testing
