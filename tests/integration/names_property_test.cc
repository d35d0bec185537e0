// Every name and every byte, property-style: thousands of random names
// (random bytes, every character es.4 paths forbid, long names) with random
// text or binary contents round-trip through the mount, a remount and
// esfs export -> refclient validate --lib 6; documents the reference client
// signed at unusual paths all appear under names that decode to them.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "fs/names.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;

constexpr uint32_t kSeed = 20261201;  // fixed: a failure reproduces
constexpr int kNames = 2000;

// Writes |data| in one create; returns 0 or the errno of the first failing call.
int Save(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    int e = errno;
    close(fd);
    return e;
  }
  return close(fd) == 0 ? 0 : errno;
}

// A random name: a unique prefix (so no two collide and none is junk or an
// ownership marker by chance) and random bytes, biased towards the ones
// es.4 paths forbid.
std::string RandomName(std::mt19937& rng, int index) {
  static const std::string kForbidden = " #?\";<>[]{}|\\^`%*~\t\n\x01\x7f";
  std::string name = "n" + std::to_string(index) + "-";
  // Every tenth name is long and made of bytes that encode to three
  // characters each: over the 512-character path limit.
  const bool long_name = index % 10 == 0;
  const int length =
      long_name ? std::uniform_int_distribution<int>(180, 240)(rng) : std::uniform_int_distribution<int>(1, 40)(rng);
  for (int i = 0; i < length && name.size() < 250; ++i) {
    const int kind = std::uniform_int_distribution<int>(0, long_name ? 1 : 3)(rng);
    char c;
    if (kind == 0) {
      c = kForbidden[std::uniform_int_distribution<size_t>(0, kForbidden.size() - 1)(rng)];
    } else if (kind == 1) {
      c = static_cast<char>(std::uniform_int_distribution<int>(1, 255)(rng));
    } else {
      c = static_cast<char>(std::uniform_int_distribution<int>('a', 'z')(rng));
    }
    if (c != '/' && c != '\0') name.push_back(c);
  }
  // Junk endings (x~, #x#, .part, ...) stay local by design: keep them out.
  while (!name.empty() && (name.back() == '~' || name.back() == '#')) name.pop_back();
  return fs::IsJunkName(name) ? "n" + std::to_string(index) : name;
}

std::string RandomText(std::mt19937& rng) {
  static const std::vector<std::string> kPieces = {"a", "Z", " ", "\n", "é", "🌻", "\"", "\\", "%", "~", "\t", "ü"};
  std::string text;
  const int pieces = std::uniform_int_distribution<int>(1, 200)(rng);
  for (int i = 0; i < pieces; ++i) text += kPieces[std::uniform_int_distribution<size_t>(0, kPieces.size() - 1)(rng)];
  return text;
}

std::string RandomBytes(std::mt19937& rng) {
  std::string bytes(std::uniform_int_distribution<size_t>(1, 3000)(rng), '\0');
  for (auto& b : bytes) b = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
  return bytes;
}

TEST(NamesProperty, RandomNamesAndContentsRoundTripThroughMountRemountAndTheReference) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  const std::string dir = m.Path("random");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  std::mt19937 rng(kSeed);
  std::map<std::string, std::string> stored;  // name -> bytes, the ones that fit
  int too_long = 0, binary_under_text_names = 0;
  for (int i = 0; i < kNames; ++i) {
    std::string name = RandomName(rng, i);
    const int kind = i % 4;  // text, binary under a binary name, binary under a text name
    if (kind == 1) name += ".png";
    std::string data = kind == 0 || kind == 3 ? RandomText(rng) : RandomBytes(rng);
    const std::string path = "/random/" + fs::NameToSegment(name);
    // Every fifth file is made under a plain name and renamed to its own.
    // (Same extension: a binary type stays one.)
    const bool by_rename = i % 5 == 4 && kind != 2;
    const std::string plain = "plain-" + std::to_string(i) + (kind == 1 ? ".png" : "");
    int err = Save(dir + "/" + (by_rename ? plain : name), data);
    if (by_rename && err == 0 && rename((dir + "/" + plain).c_str(), (dir + "/" + name).c_str()) != 0) err = errno;
    if (path.size() > 512) {
      EXPECT_EQ(err, ENAMETOOLONG) << "name #" << i << " (" << path.size() << " characters)";
      ++too_long;
      continue;
    }
    // Bytes that are not UTF-8 under a name that is not a binary type
    // (kind 2) are stored as a data URL: every name takes every content.
    if (kind == 2) ++binary_under_text_names;
    ASSERT_EQ(err, 0) << "name #" << i << ": " << strerror(err) << "\n" << m.LogText().substr(0, 2000);
    stored[name] = data;
  }
  ASSERT_GT(too_long, 10);
  ASSERT_GT(binary_under_text_names, 100);
  RecordProperty("names", static_cast<int>(stored.size()));

  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    std::set<std::string> want;
    for (const auto& [name, data] : stored) want.insert(name);
    EXPECT_EQ(ListDir(dir), want);
    int wrong = 0;
    for (const auto& [name, data] : stored) {
      if (ReadFile(dir + "/" + name) != data && ++wrong <= 3) ADD_FAILURE() << "content of " << name;
    }
    EXPECT_EQ(wrong, 0);
  };
  check("mounted");
  ASSERT_TRUE(m.Remount()) << m.LogText();
  check("after remount");

  // The store holds exactly one living document per published name, at
  // the path the convention gives, and the reference accepts them all.
  auto docs = m.Export();
  std::map<std::string, std::string> live;
  for (const auto& d : docs) {
    // The plain names renamed away left tombstones (empty content).
    if (!d["content"].get<std::string>().empty()) live[d["path"].get<std::string>()] = d["content"].get<std::string>();
  }
  size_t published = 0;
  for (const auto& [name, data] : stored) {
    if (data.empty()) continue;
    ++published;
    const std::string path = "/random/" + fs::NameToSegment(name);
    ASSERT_EQ(live.count(path), 1u) << path;
    EXPECT_EQ(fs::SegmentToName(path.substr(8)), name);
    EXPECT_EQ(path.find('*'), std::string::npos);
  }
  EXPECT_EQ(live.size(), published);
  TempDir tmp;
  WriteFile(tmp.File("export.json"), docs.dump());
  auto ref = RunRefclient({"validate", tmp.File("export.json"), "--lib", "6"});
  EXPECT_EQ(ref.exit_code, 0) << ref.out.substr(0, 2000) << ref.err.substr(0, 2000);
}

// Documents signed by the reference client at unusual paths, imported into
// the store: each has a name that decodes back to its path.
TEST(NamesProperty, ReferenceSignedUnusualPathsAppearUnderDecodableNames) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  TempDir tmp;
  auto matt_key = RunRefclient({"keygen", "matt"});
  WriteFile(tmp.File("matt.json"), matt_key.out);
  const std::string matt = OrderedJson::parse(matt_key.out)["address"];
  struct Doc {
    std::string path, content, name;  // name: where it shows, relative to the workspace
    bool ephemeral = false;
  };
  const std::vector<Doc> docs = {
      {"/a", "the a document", "a.esfs-file"},
      {"/a/b", "below a", "a/b"},
      {"/50%25%", "percent sequences", "50%%"},
      {"/%41%42", "upper-case escapes of allowed letters", "%41%42"},
      // "%82" is an escape esfs makes (upper-case hex of a byte it encodes).
      {"/%e2%82%ac", "mixed-case escapes", "%e2\x82%ac"},
      {"/sp%20ace.txt", "an encoded space", "sp ace.txt"},
      {"/chat/!typing", "ephemeral", "chat/!typing", true},
      {"/about/~" + matt + "/name.txt", "Matt", "about/~" + matt + "/name.txt"},
  };
  OrderedJson all = OrderedJson::array();
  for (const auto& d : docs) {
    std::vector<std::string> args = {
        "sign",   "--keypair", tmp.File("matt.json"), "--workspace", MountedEsfs::kWorkspace,
        "--path", d.path,      "--content",           d.content};
    if (d.ephemeral) args.insert(args.end(), {"--delete-after", "9000000000000000"});
    auto signed_doc = RunRefclient(args);
    ASSERT_EQ(signed_doc.exit_code, 0) << d.path << ": " << signed_doc.err;
    all.push_back(OrderedJson::parse(signed_doc.out));
  }
  WriteFile(tmp.File("docs.json"), all.dump());
  auto imported = m.Esfs({"import", MountedEsfs::kWorkspace, tmp.File("docs.json")});
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  for (const auto& d : docs) {
    EXPECT_EQ(ReadFile(m.Path(d.name)), d.content) << d.path << " as " << d.name;
  }
  // Another author's folder is read-only, the rest can be saved back.
  struct stat st;
  ASSERT_EQ(stat(m.Path("about/~" + matt + "/name.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(Save(m.Path("%e2\x82%ac"), "saved back"), 0);
  auto get = m.Esfs({"get", MountedEsfs::kWorkspace, "/%e2%82%ac"});
  EXPECT_EQ(get.out, "saved back");
}

}  // namespace
}  // namespace esfs::testing
