// SplitJsonArray: the element texts of a listing, and every malformed
// outline refused before any element is used.
#include "sync/json_array.h"

#include <gtest/gtest.h>

#include "core/document.h"

namespace esfs::sync {
namespace {

std::vector<std::string> Split(std::string_view text) {
  auto parts = SplitJsonArray(text);
  EXPECT_TRUE(parts.ok()) << text << ": " << parts.status().message();
  if (!parts.ok()) return {};
  return {parts->begin(), parts->end()};
}

TEST(JsonArray, SplitsTopLevelElementsOnly) {
  EXPECT_TRUE(Split("[]").empty());
  EXPECT_TRUE(Split("  [ \n ]\r\n").empty());
  EXPECT_EQ(Split("[1]"), (std::vector<std::string>{"1"}));
  EXPECT_EQ(Split(R"([ {"a": [1, 2], "b": {"c": ","}} ,"x,y", null ])"),
            (std::vector<std::string>{R"({"a": [1, 2], "b": {"c": ","}})", R"("x,y")", "null"}));
  // Quotes, backslashes and brackets inside strings are not structure.
  EXPECT_EQ(Split(R"(["a\"],[", "\\", "}{"])"), (std::vector<std::string>{R"("a\"],[")", R"("\\")", R"("}{")"}));
}

TEST(JsonArray, EachElementParsesToTheSameValueAsTheWholeArray) {
  const std::string text = R"([{"path":"/a","content":"x, [y]"},{"path":"/b\u00e9","n":1e3},[],"s"])";
  auto whole = core::ParseJson(text);
  ASSERT_TRUE(whole.ok());
  auto parts = SplitJsonArray(text);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), whole->size());
  for (size_t i = 0; i < parts->size(); ++i) {
    auto one = core::ParseJson(std::string((*parts)[i]));
    ASSERT_TRUE(one.ok()) << (*parts)[i];
    EXPECT_EQ(*one, (*whole)[i]);
  }
}

TEST(JsonArray, RefusesWhatIsNotOneWholeArray) {
  for (const char* bad : {"", "   ", "<!DOCTYPE html><html></html>", R"({"a": 1})", "[1, 2", R"(["abc)",
                          R"([{"a": [1}])", "[1,]", "[,1]", "[1,,2]", "[1] [2]", "[1]x", "[1}", R"(["a\"])"}) {
    auto parts = SplitJsonArray(bad);
    EXPECT_FALSE(parts.ok()) << "accepted: " << bad;
    if (!parts.ok()) {
      EXPECT_FALSE(parts.status().message().empty());
    }
  }
  // A listing cut off anywhere is refused, not split into what arrived.
  const std::string listing = R"([{"path":"/a","content":"one"},{"path":"/b","content":"two"}])";
  for (size_t cut = 0; cut < listing.size(); ++cut) {
    EXPECT_FALSE(SplitJsonArray(listing.substr(0, cut)).ok()) << "cut at " << cut;
  }
  EXPECT_EQ(SplitJsonArray(listing)->size(), 2u);
}

// Found by fuzz_pub_reply (tests/fuzz/regressions/pub_reply-nul-after-array):
// nlohmann's lexer takes a NUL byte for the end of the input, so ParseJson
// read "[]\0junk" as "[]" and an element or stream event "{...}\0junk" as
// the document before the NUL. A NUL is never JSON (inside strings it is
// written \u0000): the text is refused, as the splitter refuses it.
TEST(JsonArray, NulAndJunkAfterJsonIsNotJson) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(SplitJsonArray("[]\0\x04"sv).ok());
  EXPECT_FALSE(core::ParseJson("[]\0\x04"sv).ok());
  auto parts = SplitJsonArray("[{\"a\":1}\0junk, 2]"sv);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  auto first = core::ParseJson((*parts)[0]);
  EXPECT_FALSE(first.ok()) << first->dump();
  EXPECT_TRUE(core::ParseJson((*parts)[1]).ok());
  EXPECT_FALSE(core::ParseJson("{\"a\":1}\0"sv).ok());
  // Escaped, a NUL inside a string is fine.
  EXPECT_TRUE(core::ParseJson(R"(["a\u0000b"])").ok());
}

}  // namespace
}  // namespace esfs::sync
