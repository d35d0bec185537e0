#include "core/printable.h"

#include <gtest/gtest.h>

#include <random>

#include "core/utf8.h"

namespace esfs::core {
namespace {

TEST(Printable, KeepsOrdinaryText) {
  EXPECT_EQ(Printable("/wiki/Bees.md"), "/wiki/Bees.md");
  EXPECT_EQ(Printable("/~@suzy.bxyz/caf%C3%A9 notes"), "/~@suzy.bxyz/caf%C3%A9 notes");
  EXPECT_EQ(Printable("Grüße, 日本"), "Grüße, 日本");
  EXPECT_EQ(Printable(""), "");
}

TEST(Printable, EscapesTerminalControls) {
  EXPECT_EQ(Printable("a\x1b[2Jb"), "a\\x1B[2Jb");
  EXPECT_EQ(Printable("line1\nline2\r"), "line1\\x0Aline2\\x0D");
  EXPECT_EQ(Printable(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(Printable("del\x7f"), "del\\x7F");
  // C1 control U+009B (CSI) as UTF-8.
  EXPECT_EQ(Printable("c1\xc2\x9b"), "c1\\xC2\\x9B");
}

TEST(Printable, BackslashCannotFakeAnEscape) { EXPECT_EQ(Printable("\\x1B"), "\\\\x1B"); }

TEST(Printable, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(Printable("a\xff"
                      "b"),
            "a\\xFFb");
  EXPECT_EQ(Printable("\xc0\xaf"), "\\xC0\\xAF");           // overlong '/'
  EXPECT_EQ(Printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // surrogate
}

TEST(Printable, EscapesBidiOverrides) {
  EXPECT_EQ(Printable("evil\xe2\x80\xae"
                      "txt.exe"),
            "evil\\u{202E}txt.exe");
  EXPECT_EQ(Printable("\xef\xbb\xbfx"), "\\u{FEFF}x");
}

TEST(Printable, BoundsTheLength) {
  const std::string long_text(10000, 'a');
  const std::string out = Printable(long_text, 100);
  EXPECT_EQ(out, std::string(100, 'a').append("...(+9900 bytes)"));
  // A character cut by the bound is not split.
  EXPECT_EQ(Printable("ab\xc3\xa9", 3), "ab...(+2 bytes)");
}

TEST(Printable, AnyInputGivesOneSafeLine) {
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::string in(rng() % 64, '\0');
    for (auto& c : in) c = static_cast<char>(rng());
    const std::string out = Printable(in, 40);
    ASSERT_TRUE(IsValidUtf8(out));
    for (unsigned char c : out) {
      ASSERT_FALSE(c < 0x20 || c == 0x7f) << "control byte in output";
    }
    ASSERT_LE(out.size(), 40u * 4 + 32);
  }
}

}  // namespace
}  // namespace esfs::core
