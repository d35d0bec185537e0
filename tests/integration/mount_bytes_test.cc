// Every byte under every name (DESIGN decision 8, issue #18), with the real
// tools users copy files with: cp, rsync -a, gio copy, tar -x and git
// checkout of binary files under arbitrary names, byte-exact after a
// remount; the stored form is a data URL the reference library accepts; a
// data URL the reference signed reads as its bytes; a file too large for
// es.4 fails with EFBIG and leaves no file behind.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/base64.h"
#include "core/content_codec.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// The files every tool copies: binary bytes under names that are not
// among the 15 binary extensions, one that is, text that looks like a data
// URL, and plain text.
std::map<std::string, std::string> SampleFiles() {
  std::string elf =
      "\x7f"
      "ELF\x02\x01\x01";
  elf += RandomBytes(70'000, 2);
  return {
      {"photo", RandomBytes(200'000, 1)},
      {"a.out", elf},
      {"My Notes ü.txt", std::string("latin-1 \xe9t\xe9\n")},
      {"archive.tar.gz", RandomBytes(3'000, 3)},
      {"picture.png", RandomBytes(5'000, 4)},
      {"looks-like-a-data-url.txt", std::string(core::kDataUrlPrefix) + "aGVsbG8="},
      {"plain.md", "# just text\n"},
  };
}

void WriteSamples(const std::string& dir) {
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  for (const auto& [name, bytes] : SampleFiles()) WriteFile(dir + "/" + name, bytes);
}

void ExpectSamples(const std::string& dir, const char* what) {
  SCOPED_TRACE(what);
  std::set<std::string> names;
  for (const auto& [name, bytes] : SampleFiles()) {
    names.insert(name);
    EXPECT_TRUE(ReadFile(dir + "/" + name) == bytes) << dir << "/" << name << " differs";
    struct stat st;
    ASSERT_EQ(stat((dir + "/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(static_cast<size_t>(st.st_size), bytes.size()) << name;
  }
  EXPECT_EQ(ListDir(dir), names);
}

RunResult RunOk(const std::vector<std::string>& argv) {
  RunResult r = RunProgram(argv);
  EXPECT_EQ(r.exit_code, 0) << argv[0] << " " << argv.back() << ": " << r.err;
  return r;
}

class MountBytes : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(m_.mounted()) << m_.LogText(); }
  MountedEsfs m_;
  TempDir src_;
};

TEST_F(MountBytes, RealToolsCopyBinaryFilesUnderAnyNameByteExact) {
  const std::string src = src_.File("files");
  WriteSamples(src);
  // cp
  ASSERT_EQ(mkdir(m_.Path("cp").c_str(), 0755), 0);
  for (const auto& [name, bytes] : SampleFiles()) RunOk({"cp", src + "/" + name, m_.Path("cp/" + name)});
  // rsync -a (its temp names are local-only; exit 23 was the old failure)
  RunOk({"rsync", "-a", src + "/", m_.Path("rsync") + "/"});
  // gio copy (GIO's local backend: a .goutputstream temp file, then rename)
  ASSERT_EQ(mkdir(m_.Path("gio").c_str(), 0755), 0);
  for (const auto& [name, bytes] : SampleFiles()) RunOk({"gio", "copy", src + "/" + name, m_.Path("gio/" + name)});
  // tar -x
  RunOk({"tar", "-cf", src_.File("files.tar"), "-C", src, "."});
  ASSERT_EQ(mkdir(m_.Path("tar").c_str(), 0755), 0);
  RunOk({"tar", "-xf", src_.File("files.tar"), "-C", m_.Path("tar")});
  // git checkout: a repository whose two commits change binary files; the
  // clone checks out the newest, then the older one is checked out.
  const std::string repo = src_.File("repo");
  RunOk({"git", "init", "-q", repo});
  for (const auto& [name, bytes] : SampleFiles()) WriteFile(repo + "/" + name, bytes + "old");
  RunOk({"git", "-C", repo, "add", "-A"});
  RunOk({"git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "old"});
  for (const auto& [name, bytes] : SampleFiles()) WriteFile(repo + "/" + name, bytes);
  RunOk({"git", "-C", repo, "add", "-A"});
  RunOk({"git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "new"});
  RunOk({"git", "clone", "-q", repo, m_.Path("git")});
  RunOk({"git", "-C", m_.Path("git"), "checkout", "-q", "HEAD~1"});
  RunOk({"git", "-C", m_.Path("git"), "checkout", "-q", "-"});

  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    for (const char* dir : {"cp", "rsync", "gio", "tar"}) ExpectSamples(m_.Path(dir), dir);
    for (const auto& [name, bytes] : SampleFiles()) {
      EXPECT_TRUE(ReadFile(m_.Path("git/" + name)) == bytes) << "git/" << name;
    }
    EXPECT_EQ(RunOk({"git", "-C", m_.Path("git"), "status", "--porcelain"}).out, "");
  };
  check("mounted");
  ASSERT_TRUE(m_.Remount()) << m_.LogText();
  check("after a remount");

  // The stored documents: a data URL under a text name, plain base64 under
  // .png, text as it is; the reference library (5.7.6 and the pub's 6.8.5)
  // validates every one.
  const OrderedJson docs = m_.Export();
  std::map<std::string, std::string> content;
  for (const auto& d : docs) content[d["path"]] = d["content"];
  const auto samples = SampleFiles();
  EXPECT_EQ(content["/cp/photo"], std::string(core::kDataUrlPrefix) + core::Base64Encode(samples.at("photo")));
  EXPECT_EQ(content["/cp/picture.png"], core::Base64Encode(samples.at("picture.png")));
  EXPECT_EQ(content["/cp/plain.md"], "# just text\n");
  EXPECT_TRUE(content["/cp/looks-like-a-data-url.txt"].starts_with(core::kDataUrlPrefix));
  EXPECT_NE(content["/cp/looks-like-a-data-url.txt"], samples.at("looks-like-a-data-url.txt"));
  const std::string file = src_.File("export.json");
  WriteFile(file, docs.dump());
  for (const char* lib : {"5", "6"}) {
    auto r = RunRefclient({"validate", file, "--lib", lib});
    EXPECT_EQ(r.exit_code, 0) << "lib " << lib << ": " << r.out.substr(0, 2000) << r.err;
  }
}

TEST_F(MountBytes, AReferenceDocumentWithADataUrlReadsAsItsBytes) {
  auto keypair = RunRefclient({"keygen", "matt"});
  ASSERT_EQ(keypair.exit_code, 0) << keypair.err;
  const std::string key = src_.File("matt.json");
  WriteFile(key, keypair.out);
  const std::string bytes = RandomBytes(1'000, 7);
  const std::string content_file = src_.File("content");
  WriteFile(content_file, "data:image/jpeg;base64," + core::Base64Encode(bytes));
  auto signed_doc = RunRefclient({"sign", "--keypair", key, "--workspace", MountedEsfs::kWorkspace, "--path",
                                  "/from-the-reference", "--content-file", content_file});
  ASSERT_EQ(signed_doc.exit_code, 0) << signed_doc.err;
  auto imported = m_.Esfs({"import", MountedEsfs::kWorkspace, "-"}, "[" + signed_doc.out + "]");
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  ASSERT_TRUE(Eventually([&] { return ReadFile(m_.Path("from-the-reference")) == bytes; }, 10));
  struct stat st;
  ASSERT_EQ(stat(m_.Path("from-the-reference").c_str(), &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), bytes.size());
  // Copied out with cp: the bytes, not the URL.
  RunProgram({"cp", m_.Path("from-the-reference"), src_.File("out")});
  EXPECT_TRUE(ReadFile(src_.File("out")) == bytes);
}

TEST_F(MountBytes, TooLargeForEs4FailsWithEfbigAndLeavesNoFile) {
  // 3,500,000 bytes that are not text: 4,666,705 as a data URL.
  const std::string big = RandomBytes(3'500'000, 9);
  WriteFile(src_.File("big"), big);
  auto cp = RunProgram({"cp", src_.File("big"), m_.Path("big.bin")});
  EXPECT_NE(cp.exit_code, 0);
  EXPECT_NE(cp.err.find("File too large"), std::string::npos) << cp.err;
  EXPECT_EQ(ListDir(m_.Path()).count("big.bin"), 0u);
  struct stat st;
  EXPECT_TRUE(Eventually([&] { return stat(m_.Path("big.bin").c_str(), &st) != 0 && errno == ENOENT; }, 5));
  EXPECT_NE(m_.LogText().find("big.bin"), std::string::npos) << m_.LogText();
  // rsync: its temp file is local-only, so the failure is at the rename
  // or the write; no file is left either way.
  auto rsync = RunProgram({"rsync", src_.File("big"), m_.Path("big.rsync")});
  EXPECT_NE(rsync.exit_code, 0);
  EXPECT_EQ(ListDir(m_.Path()).count("big.rsync"), 0u);
  // A new file whose last write ends inside a UTF-8 character, in the band
  // where that decides the stored size: every write is taken (the next one
  // might complete the character), the close fails with EFBIG, and the
  // created file is undone, not left empty.
  int fd = open(m_.Path("cut.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  const std::string text_part(3'200'000, 'a');
  ASSERT_EQ(write(fd, text_part.data(), text_part.size()), static_cast<ssize_t>(text_part.size()));
  ASSERT_EQ(write(fd, "\xe2\x82", 2), 2);
  EXPECT_EQ(close(fd), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(ListDir(m_.Path()).count("cut.txt"), 0u);
  EXPECT_TRUE(Eventually([&] { return stat(m_.Path("cut.txt").c_str(), &st) != 0 && errno == ENOENT; }, 5));
  // Over an existing file: the write fails, the previous version stays whole.
  WriteFile(m_.Path("kept.bin"), "previous");
  cp = RunProgram({"cp", src_.File("big"), m_.Path("kept.bin")});
  EXPECT_NE(cp.exit_code, 0);
  EXPECT_EQ(ReadFile(m_.Path("kept.bin")), "previous");
  // The same size as UTF-8 text fits (stored as it is), even though cp's
  // writes split its multi-byte characters.
  std::string text;
  while (text.size() < 3'500'000) text += "Grüße, 🌻 ";
  WriteFile(src_.File("text"), text);
  auto ok = RunProgram({"cp", src_.File("text"), m_.Path("big.txt")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(ReadFile(m_.Path("big.txt")) == text);
}

}  // namespace
}  // namespace esfs::testing
