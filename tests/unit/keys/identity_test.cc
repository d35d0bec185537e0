#include "keys/identity.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/signing.h"
#include "tests/support/test_support.h"

namespace esfs::keys {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

TEST(Identity, GenerateSaveLoadRoundTrip) {
  TempDir dir;
  auto id = Identity::Generate("suzy");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->address().rfind("@suzy.b", 0), 0u);
  const std::string file = dir.File("nested/id.json");
  ASSERT_TRUE(SaveIdentity(*id, file, false).ok());
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::vector<std::string> warnings;
  auto loaded = LoadIdentity(file, [&](const std::string& w) { warnings.push_back(w); });
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(loaded->address(), id->address());
  core::Document a, b;
  a.content = b.content = "same";
  a.path = b.path = "/p";
  a.workspace = b.workspace = "+a.b";
  a.timestamp = b.timestamp = 1767225600000000;
  id->Sign(a);
  loaded->Sign(b);
  EXPECT_EQ(a.signature, b.signature);
  EXPECT_TRUE(core::SignatureIsValid(a));
}

TEST(Identity, NeverOverwritesWithoutForce) {
  TempDir dir;
  const std::string file = dir.File("id.json");
  auto first = Identity::Generate("suzy");
  auto second = Identity::Generate("matt");
  ASSERT_TRUE(SaveIdentity(*first, file, false).ok());
  Status again = SaveIdentity(*second, file, false);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(LoadIdentity(file, nullptr)->address(), first->address());
  ASSERT_TRUE(SaveIdentity(*second, file, true).ok());
  EXPECT_EQ(LoadIdentity(file, nullptr)->address(), second->address());
}

TEST(Identity, BadShortnames) {
  EXPECT_FALSE(Identity::Generate("su").ok());
  EXPECT_FALSE(Identity::Generate("1uzy").ok());
  EXPECT_FALSE(Identity::Generate("SUZY").ok());
  EXPECT_EQ(Identity::Generate("suzyq").status().message(), "author shortname \"suzyq\" must be 4 characters long");
}

TEST(Identity, WarnsAboutReadableKeyFiles) {
  TempDir dir;
  const std::string file = dir.File("id.json");
  ASSERT_TRUE(SaveIdentity(*Identity::Generate("suzy"), file, false).ok());
  chmod(file.c_str(), 0644);
  std::vector<std::string> warnings;
  auto loaded = LoadIdentity(file, [&](const std::string& w) { warnings.push_back(w); });
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("mode 0644"), std::string::npos);
  // The warning never contains the secret.
  EXPECT_EQ(warnings[0].find(loaded->EncodedSecret()), std::string::npos);
}

TEST(Identity, MalformedFilesNameTheFileAndTheReason) {
  TempDir dir;
  struct Case {
    std::string content;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"", "not a keypair file (not valid JSON)"},
      {"{\"address\": \"@suzy.b", "not a keypair file (not valid JSON)"},
      {"[1,2]", "not a keypair file (expected a JSON object)"},
      {"{\"address\": 1, \"secret\": \"b\"}", "the \"address\" field is missing or not a string"},
      {"{\"address\": \"suzy\", \"secret\": \"b\"}", "the \"address\" field is not a valid author address"},
      {"{\"address\": \"@suzy.bfhcpxc5ixkxvzhwq4futxms2dxesgrk2qxpaknu4pfdd6unqjugq\", \"secret\": \"bzz1\"}",
       "the \"secret\" field is not lowercase base32"},
      {std::string("{\"address\": \"\xff\xfe\"}"), "not a keypair file (not valid JSON)"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string file = dir.File("bad" + std::to_string(i) + ".json");
    WriteFile(file, cases[i].content);
    chmod(file.c_str(), 0600);
    auto loaded = LoadIdentity(file, nullptr);
    ASSERT_FALSE(loaded.ok()) << i;
    EXPECT_NE(loaded.status().message().find(file), std::string::npos) << loaded.status().message();
    EXPECT_NE(loaded.status().message().find(cases[i].reason), std::string::npos) << loaded.status().message();
  }
}

TEST(Identity, UnreadableAndMissingFiles) {
  TempDir dir;
  auto missing = LoadIdentity(dir.File("none.json"), nullptr);
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_NE(missing.status().message().find("No such file"), std::string::npos);
  auto folder = LoadIdentity(dir.path(), nullptr);
  EXPECT_FALSE(folder.ok());
  const std::string big = dir.File("big.json");
  WriteFile(big, std::string(100000, ' '));
  EXPECT_NE(LoadIdentity(big, nullptr).status().message().find("too large"), std::string::npos);
}

TEST(Identity, SaveFailsCleanlyInAnUnwritableFolder) {
  auto id = Identity::Generate("suzy");
  Status s = SaveIdentity(*id, "/proc/esfs-cannot-write/id.json", false);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/proc/esfs-cannot-write/id.json"), std::string::npos);
}

}  // namespace
}  // namespace esfs::keys
