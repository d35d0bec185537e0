// fs/names: the escaped names of segments no file name can stand for
// (docs/names.md, "Names esfs escapes"), and that names esfs makes still
// map back to themselves.
#include "fs/names.h"

#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace esfs::fs {
namespace {

TEST(NamesEscape, ReservedSegmentsGetNamesWithAPercent) {
  struct Case {
    const char* segment;
    bool workspace_root;
    const char* name;
  };
  const Case cases[] = {
      {".", false, "%2E"},
      {"..", false, "%2E%2E"},
      {".", true, "%2E"},
      {"..", true, "%2E%2E"},
      {".esfs-history", true, "%2Eesfs-history"},
      {".esfs-history", false, ".esfs-history"},  // only the root's is reserved
      {"%7E@x", false, "%7E@x"},
      {"%7E@x", true, "%7E@x"},
      {"~@x", false, "~@x"},        // a real owner marker
      {"%7E%7E@x", false, "~~@x"},  // no look-alike of a marker
      {"...", false, "..."},
      {"a%2E", false, "a%2E"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SegmentToName(c.segment, c.workspace_root), c.name) << c.segment << " root=" << c.workspace_root;
  }
}

TEST(NamesEscape, LongSegmentsGetShortDistinctNamesKeepingTheExtension) {
  const std::string a(300, 'L'), b = std::string(300, 'L').append("2");
  const std::string na = SegmentToName(a), nb = SegmentToName(b);
  EXPECT_NE(na, nb);
  EXPECT_EQ(na.size(), 200u + 1 + 16);
  EXPECT_EQ(na.substr(0, 200), a.substr(0, 200));
  const std::string png = SegmentToName(std::string(400, 'p').append(".png"));
  EXPECT_LE(png.size(), kMaxNameBytes);
  EXPECT_TRUE(png.ends_with(".png")) << png;
  // Encoded bytes count as what they decode to: 100 x "%C3%BC" is 200 bytes.
  std::string umlauts;
  for (int i = 0; i < 100; ++i) umlauts += "%C3%BC";
  EXPECT_EQ(SegmentToName(umlauts).size(), 200u);
  // A cut at 200 bytes would split a 3-byte character: the cut is before it.
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "%E2%82%AC";
  const std::string cut = SegmentToName(euros);
  EXPECT_LE(cut.size(), kMaxNameBytes);
  EXPECT_EQ(cut.find('%'), 198u);
}

// Random segments of path characters, dots and escapes: never a name a
// folder cannot list, and the names esfs makes still round-trip.
TEST(NamesEscape, NoSegmentBecomesAnUnlistableName) {
  std::mt19937 rng(20261203);
  const std::string pieces[] = {".", "..", "%2E", "%7E", "~", "@", "a", "%C3%BC", "%25", "%2F", "%00", "-", "_"};
  for (int i = 0; i < 20000; ++i) {
    std::string segment;
    const int n = std::uniform_int_distribution<int>(1, i % 50 == 0 ? 200 : 6)(rng);
    for (int k = 0; k < n; ++k) segment += pieces[std::uniform_int_distribution<size_t>(0, 12)(rng)];
    for (bool root : {false, true}) {
      const std::string name = SegmentToName(segment, root);
      ASSERT_FALSE(name.empty()) << segment;
      ASSERT_NE(name, ".") << segment;
      ASSERT_NE(name, "..") << segment;
      ASSERT_LE(name.size(), kMaxNameBytes) << segment;
      ASSERT_EQ(name.find('/'), std::string::npos) << segment;
      ASSERT_EQ(name.find('\0'), std::string::npos) << segment;
      if (root) {
        ASSERT_NE(name, ".esfs-history") << segment;
      }
      if (name.starts_with("~@")) {
        ASSERT_TRUE(segment.starts_with("~@")) << segment;
      }
    }
    // A name esfs makes: the canonical segment maps back to it.
    const std::string name = SegmentToName(segment);
    if (name.size() <= kMaxNameBytes && name != "." && name != "..") {
      EXPECT_EQ(SegmentToName(NameToSegment(name)), name) << segment;
    }
  }
}

}  // namespace
}  // namespace esfs::fs
