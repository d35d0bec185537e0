#include "cli/args.h"

#include <gtest/gtest.h>

namespace esfs::cli {
namespace {

const std::vector<OptionSpec> kSpecs = {{"out", true}, {"force", false}, {"pub", true, true}};

TEST(Args, ValuesFlagsAndPositionals) {
  auto parsed = ParseArgs({"suzy", "--out", "f.json", "--force", "--pub=a", "--pub", "b"}, kSpecs);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->positional, std::vector<std::string>{"suzy"});
  EXPECT_EQ(parsed->Get("out"), "f.json");
  EXPECT_TRUE(parsed->Has("force"));
  EXPECT_EQ(parsed->GetAll("pub"), (std::vector<std::string>{"a", "b"}));
}

TEST(Args, Errors) {
  EXPECT_EQ(ParseArgs({"--nope"}, kSpecs).status().message(), "unknown option --nope");
  EXPECT_EQ(ParseArgs({"--out"}, kSpecs).status().message(), "option --out needs a value");
  EXPECT_EQ(ParseArgs({"--out", "a", "--out", "b"}, kSpecs).status().message(), "option --out given twice");
  EXPECT_EQ(ParseArgs({"--force=1"}, kSpecs).status().message(), "option --force takes no value");
  EXPECT_EQ(ParseArgs({"-x"}, kSpecs).status().message(), "unknown option -x");
}

TEST(Args, HelpAndDoubleDash) {
  auto parsed = ParseArgs({"-h", "--", "--out", "-"}, kSpecs);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->help);
  EXPECT_EQ(parsed->positional, (std::vector<std::string>{"--out", "-"}));
}

TEST(Args, Integers) {
  EXPECT_EQ(ParseInteger("1767225600000000", "--now").value(), 1767225600000000);
  EXPECT_FALSE(ParseInteger("12x", "--now").ok());
  EXPECT_FALSE(ParseInteger("", "--now").ok());
  EXPECT_FALSE(ParseInteger("99999999999999999999", "--now").ok());
}

TEST(Args, Durations) {
  EXPECT_EQ(ParseDuration("90", "--x").value(), 90'000'000);
  EXPECT_EQ(ParseDuration("90s", "--x").value(), 90'000'000);
  EXPECT_EQ(ParseDuration("30m", "--x").value(), int64_t{1800} * 1'000'000);
  EXPECT_EQ(ParseDuration("24h", "--x").value(), int64_t{86400} * 1'000'000);
  EXPECT_EQ(ParseDuration("7d", "--x").value(), int64_t{7} * 86400 * 1'000'000);
  for (const char* bad : {"", "s", "0", "-5m", "1.5h", "3w", "h24", "36501d", "99999999999999999999"}) {
    auto parsed = ParseDuration(bad, "--ephemeral-lifetime");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("--ephemeral-lifetime must be a duration"), std::string::npos);
  }
}

}  // namespace
}  // namespace esfs::cli
