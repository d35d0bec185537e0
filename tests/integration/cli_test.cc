// The esfs binary as a user meets it: help texts, usage errors (exit 2),
// reported failures (exit 1, one line naming the thing and the reason).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

RunResult Esfs(const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<std::string> argv = {EsfsBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, input, 60);
}

int LineCount(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, HelpEverywhere) {
  auto main_help = Esfs({"--help"});
  EXPECT_EQ(main_help.exit_code, 0);
  for (const char* command : {"keygen", "sign", "validate", "hash"}) {
    EXPECT_NE(main_help.out.find(command), std::string::npos) << command;
    auto help = Esfs({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_EQ(help.out.rfind(std::string("usage: esfs ") + command, 0), 0u) << help.out;
  }
}

TEST(Cli, BadUsageExitsTwoWithOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"frobnicate"},
                                                                {"--bogus"},
                                                                {"keygen"},
                                                                {"sign", "--bogus"},
                                                                {"validate"},
                                                                {"sign", "--workspace", "+a.b"},
                                                                {"validate", "x", "--now", "soon"}}) {
    auto r = Esfs(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_EQ(LineCount(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("esfs", 0), 0u) << r.err;
  }
}

TEST(Cli, KeygenWritesA0600FileAndRefusesToOverwrite) {
  TempDir dir;
  const std::string key = dir.File("cfg/id.json");
  auto r = Esfs({"--key", key, "keygen", "suzy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("@suzy.b", 0), 0u);
  struct stat st;
  ASSERT_EQ(stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string before = ReadFile(key);
  auto again = Esfs({"--key", key, "keygen", "matt"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos);
  EXPECT_EQ(ReadFile(key), before);
  // The secret is never printed.
  EXPECT_EQ(r.out.find("secret"), std::string::npos);
  EXPECT_EQ(r.err.find(ReadFile(key).substr(ReadFile(key).find("\"secret\""))), std::string::npos);
}

TEST(Cli, SignRefusesInvalidDocumentsAndBadKeys) {
  TempDir dir;
  const std::string key = dir.File("id.json");
  ASSERT_EQ(Esfs({"keygen", "suzy", "--out", key}).exit_code, 0);
  auto bad_path = Esfs({"sign", "--keypair", key, "--workspace", "+a.b", "--path", "/has space", "--content", "x"});
  EXPECT_EQ(bad_path.exit_code, 1);
  EXPECT_NE(bad_path.err.find("invalid path: must not contain disallowed characters"), std::string::npos);
  auto not_mine = Esfs({"sign", "--keypair", key, "--workspace", "+a.b", "--path", "/~@matt.x/y", "--content", "x"});
  EXPECT_EQ(not_mine.exit_code, 1);
  EXPECT_NE(not_mine.err.find("can't write to path"), std::string::npos);
  auto missing_key =
      Esfs({"sign", "--keypair", dir.File("none.json"), "--workspace", "+a.b", "--path", "/p", "--content", "x"});
  EXPECT_EQ(missing_key.exit_code, 1);
  EXPECT_NE(missing_key.err.find("none.json"), std::string::npos);
  auto folder_key = Esfs({"sign", "--keypair", dir.path(), "--workspace", "+a.b", "--path", "/p", "--content", "x"});
  EXPECT_EQ(folder_key.exit_code, 1);
  EXPECT_NE(folder_key.err.find("not a regular file"), std::string::npos);
  // A key file the user cannot read (as root: run as nobody).
  auto unreadable = RunProgram({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", EsfsBinary(), "sign",
                                "--keypair", key, "--workspace", "+a.b", "--path", "/p", "--content", "x"});
  EXPECT_EQ(unreadable.exit_code, 1) << unreadable.err;
  EXPECT_NE(unreadable.err.find("Permission denied"), std::string::npos) << unreadable.err;
  const std::string binary = dir.File("bin.dat");
  WriteFile(binary, std::string("\x89PNG\r\n\x1a\n\xff\xfe", 10));
  auto not_text = Esfs({"sign", "--keypair", key, "--workspace", "+a.b", "--path", "/p", "--content-file", binary});
  EXPECT_EQ(not_text.exit_code, 1);
  EXPECT_NE(not_text.err.find("not UTF-8"), std::string::npos);
}

TEST(Cli, ValidateReportsEachDocumentAndFailsOnBadInput) {
  TempDir dir;
  const std::string key = dir.File("id.json");
  ASSERT_EQ(Esfs({"keygen", "suzy", "--out", key}).exit_code, 0);
  auto signed_doc = Esfs({"sign", "--keypair", key, "--workspace", "+a.b", "--path", "/p", "--content", "x"});
  ASSERT_EQ(signed_doc.exit_code, 0) << signed_doc.err;
  auto ok = Esfs({"validate", "-"}, signed_doc.out);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  auto doc = core::OrderedJson::parse(signed_doc.out);
  core::OrderedJson tampered = doc;
  tampered["content"] = "y";
  core::OrderedJson list = {doc, tampered, 42};
  auto mixed = Esfs({"validate", "-"}, list.dump());
  EXPECT_EQ(mixed.exit_code, 1);
  auto report = core::OrderedJson::parse(mixed.out);
  ASSERT_EQ(report.size(), 3u);
  EXPECT_TRUE(report[0]["valid"].get<bool>());
  EXPECT_EQ(report[1]["error"].get<std::string>().rfind("content does not match contentHash.  sha256(content) is ", 0),
            0u);
  EXPECT_EQ(report[2]["error"], "doc must be an object, but is 42");
  EXPECT_FALSE(report[2].contains("path"));
  for (const std::string& garbage : {std::string("[{\"format\":"), std::string("\xff\xfe"), std::string("")}) {
    auto r = Esfs({"validate", "-"}, garbage);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("malformed JSON"), std::string::npos) << r.err;
    EXPECT_EQ(LineCount(r.err), 1) << r.err;
  }
  auto missing = Esfs({"validate", dir.File("nope.json")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos);
}

}  // namespace
}  // namespace esfs::testing
