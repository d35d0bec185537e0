// Both directions through the real reference (../shared/interop/refclient.js):
// what esfs signs validates there, what it signs validates here, and key
// files made by either sign identically in the other.
#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;

RunResult Esfs(const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<std::string> argv = {EsfsBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, input, 60);
}

OrderedJson MustJson(const RunResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto json = OrderedJson::parse(r.out, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << r.out;
  return json;
}

struct DocSpec {
  std::string path, content, delete_after;
};
const std::vector<DocSpec> kDocs = {
    {"/wiki/shared/Flowers", "Flowers are pretty 🌻", ""},
    {"/a/b/c.txt", "line one\nline two\ttabbed \"quoted\" \\ back", ""},
    {"/chat/!typing", "ephemeral", "9000000000000000"},
    {"/x", std::string(5000, 'z'), ""},
    {"/wiki/Caf%C3%A9%20Notes.md", "ünïcödé ✨ e\u0301", ""},
};

std::vector<std::string> SignArgs(const std::string& key, const DocSpec& d, const std::string& ts) {
  std::vector<std::string> args = {"sign",   "--keypair", key,         "--workspace", "+gardening.friends",
                                   "--path", d.path,      "--content", d.content,     "--timestamp",
                                   ts};
  if (!d.delete_after.empty()) args.insert(args.end(), {"--delete-after", d.delete_after});
  return args;
}

std::string NowMicros() {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

TEST(Interop, EsfsSignedDocsValidateInBothReferenceVersions) {
  TempDir dir;
  const std::string key = dir.File("id.json");
  ASSERT_EQ(Esfs({"keygen", "suzy", "--out", key}).exit_code, 0);
  OrderedJson docs = OrderedJson::array();
  for (const auto& d : kDocs) docs.push_back(MustJson(Esfs(SignArgs(key, d, NowMicros()))));
  const std::string file = dir.File("docs.json");
  WriteFile(file, docs.dump());
  for (const char* lib : {"5", "6"}) {
    auto r = RunRefclient({"validate", file, "--lib", lib});
    ASSERT_EQ(r.exit_code, 0) << "lib " << lib << ": " << r.out << r.err;
    auto report = OrderedJson::parse(r.out);
    ASSERT_EQ(report.size(), kDocs.size());
    for (const auto& entry : report) {
      EXPECT_TRUE(entry["valid"].get<bool>()) << entry.dump();
      EXPECT_TRUE(entry["validPub"].get<bool>()) << entry.dump();
    }
  }
  CountChecked("interop: esfs-signed docs validated by refclient (lib 5 and 6)", kDocs.size() * 2);
}

TEST(Interop, ReferenceSignedDocsValidateInEsfs) {
  TempDir dir;
  const std::string key = dir.File("ref.json");
  auto keypair = RunRefclient({"keygen", "matt"});
  ASSERT_EQ(keypair.exit_code, 0) << keypair.err;
  WriteFile(key, keypair.out);
  OrderedJson docs = OrderedJson::array();
  for (const auto& d : kDocs) {
    std::vector<std::string> args = SignArgs(key, d, NowMicros());
    docs.push_back(MustJson(RunRefclient(args)));
  }
  auto r = Esfs({"validate", "-"}, docs.dump());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const auto& entry : OrderedJson::parse(r.out)) EXPECT_TRUE(entry["valid"].get<bool>()) << entry.dump();
  // And the reference's hash text equals ours, byte for byte.
  auto ours = MustJson(Esfs({"hash", "-"}, docs.dump()));
  const std::string file = dir.File("docs.json");
  WriteFile(file, docs.dump());
  auto theirs = MustJson(RunRefclient({"hash", file}));
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i]["serialization"], theirs[i]["serialization"]);
    EXPECT_EQ(ours[i]["hash"], theirs[i]["hash"]);
    EXPECT_TRUE(ours[i]["signatureValid"].get<bool>());
  }
  CountChecked("interop: refclient-signed docs validated and hashed by esfs", kDocs.size());
}

TEST(Interop, KeypairFilesWorkBothWaysWithIdenticalSignatures) {
  TempDir dir;
  const std::string ours = dir.File("ours.json");
  ASSERT_EQ(Esfs({"keygen", "suzy", "--out", ours}).exit_code, 0);
  auto ref_keypair = RunRefclient({"keygen", "fern", "--seed-text", "esfs-interop"});
  ASSERT_EQ(ref_keypair.exit_code, 0);
  const std::string theirs = dir.File("theirs.json");
  WriteFile(theirs, ref_keypair.out);
  chmod(theirs.c_str(), 0600);
  const std::string ts = NowMicros();
  for (const std::string& key : {ours, theirs}) {
    for (const auto& d : kDocs) {
      auto by_esfs = MustJson(Esfs(SignArgs(key, d, ts)));
      auto by_ref = MustJson(RunRefclient(SignArgs(key, d, ts)));
      EXPECT_EQ(by_esfs, by_ref) << key << " " << d.path;
      EXPECT_EQ(by_esfs["signature"], by_ref["signature"]);
    }
  }
  CountChecked("interop: identical signatures from both key files", kDocs.size() * 2);
}

}  // namespace
}  // namespace esfs::testing
