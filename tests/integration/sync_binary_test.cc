// Bytes through the whole chain: a binary file saved in mount A travels
// as base64 through the REAL reference pub and reads back byte-exact in
// mount B; the reference client sees the standard base64 the reference's
// own folder sync writes.
#include <chrono>

#include <gtest/gtest.h>

#include "tests/support/mount_fixture.h"
#include "tests/support/ref_pub.h"

namespace esfs::testing {
namespace {

TEST(SyncBinary, EveryByteValueRoundTripsThroughTheReferencePub) {
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  MountedEsfs a("suzy", pub.url());
  MountedEsfs b("matt", pub.url());
  ASSERT_TRUE(a.mounted() && b.mounted());
  std::string bytes;
  for (int round = 0; round < 300; ++round) {
    for (int v = 0; v < 256; ++v) bytes.push_back(static_cast<char>((v * 7 + round) % 256));
  }
  WriteFile(a.Path("photo.JPG"), bytes);
  std::string seen;
  WaitUntil([&] { return (seen = ReadFile(b.Path("photo.JPG"))) == bytes; }, std::chrono::seconds(20));
  ASSERT_EQ(seen.size(), bytes.size()) << b.LogText();
  EXPECT_TRUE(seen == bytes) << "bytes differ after the trip through the pub";
  ASSERT_TRUE(b.Remount());
  EXPECT_TRUE(ReadFile(b.Path("photo.JPG")) == bytes) << "bytes differ after a remount";
  // What the pub holds is what the reference reads: standard base64.
  TempDir tmp;
  auto pulled = RunRefclient({"pull", pub.url(), MountedEsfs::kWorkspace, "--out", tmp.File("pulled.json")});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  auto docs = core::OrderedJson::parse(ReadFile(tmp.File("pulled.json")), nullptr, false);
  ASSERT_TRUE(docs.is_array() && docs.size() == 1) << docs.dump().substr(0, 300);
  EXPECT_EQ(docs[0]["path"], "/photo.JPG");
  const std::string content = docs[0]["content"];
  EXPECT_EQ(content.size(), (bytes.size() + 2) / 3 * 4);
  EXPECT_EQ(content.substr(0, 4), "AAcO");  // base64 of 00 07 0e
}

}  // namespace
}  // namespace esfs::testing
