#include "sync/reasons.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace esfs::sync {
namespace {

TEST(ReasonKind, DropsQuotedValuesAndNumbers) {
  EXPECT_EQ(ReasonKind("doc must be an object, but is \"junk 1\""), "doc must be an object, but is");
  EXPECT_EQ(ReasonKind("author address \"@x.b\\\"q\" must start with @"), "author address \"…\" must start with @");
  EXPECT_EQ(ReasonKind("timestamp 17 is too far in the future"), "timestamp # is too far in the future");
  EXPECT_EQ(ReasonKind("signature is invalid"), "signature is invalid");
}

TEST(ReasonKind, AMillionDistinctJunkValuesGiveOneReason) {
  std::set<std::string> kinds;
  for (int i = 0; i < 1000; ++i) {
    kinds.insert(ReasonKind("doc must be an object, but is \"junk " + std::to_string(i) + "\""));
    kinds.insert(ReasonKind("path \"/a" + std::to_string(i) + " b\" has invalid characters"));
  }
  EXPECT_EQ(kinds.size(), 2u);
}

TEST(ReasonKind, StaysOneBoundedLine) {
  const std::string kind = ReasonKind(std::string(5000, 'x').append("\n\x1b[2J"), 80);
  EXPECT_EQ(kind.find('\n'), std::string::npos);
  EXPECT_EQ(kind.find('\x1b'), std::string::npos);
  EXPECT_LE(kind.size(), 80u + 32);
  // An unterminated quote swallows the rest, and nothing breaks.
  EXPECT_EQ(ReasonKind("bad \"unterminated"), "bad \"…\"");
}

}  // namespace
}  // namespace esfs::sync
