#include <gtest/gtest.h>

#include "core/address.h"
#include "core/path.h"

namespace esfs::core {
namespace {

constexpr const char* kSuzy = "@suzy.bfhcpxc5ixkxvzhwq4futxms2dxesgrk2qxpaknu4pfdd6unqjugq";

TEST(AuthorAddress, ParsesParts) {
  auto a = ParseAuthorAddress(kSuzy);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->shortname, "suzy");
  EXPECT_EQ(a->pubkey.size(), 53u);
  EXPECT_TRUE(ParseAuthorAddress("@a1b2.bfhcpxc5ixkxvzhwq4futxms2dxesgrk2qxpaknu4pfdd6unqjugq").ok());
}

TEST(AuthorAddress, ChecksInTheReferenceOrder) {
  // Non-ASCII is reported before the missing '@'.
  EXPECT_EQ(ParseAuthorAddress("süzy").status().message(),
            "author address \"süzy\" must not have nonprintable or non-ASCII characters");
  // A tab is nonprintable, and JSON-quoted in the message.
  EXPECT_EQ(ParseAuthorAddress("@a\tb").status().message(),
            "author address \"@a\\tb\" must not have nonprintable or non-ASCII characters");
  EXPECT_EQ(ParseAuthorAddress("@suzy").status().message(),
            "author address \"@suzy\" must be two parts separated by \".\"");
  // Length of the pubkey is checked before the shortname's first digit.
  EXPECT_EQ(ParseAuthorAddress("@1uzy.bxx").status().message(), "author pubkey \"bxx\" must be 53 characters long");
}

TEST(WorkspaceAddress, AcceptsAndRejects) {
  EXPECT_TRUE(ParseWorkspaceAddress("+a.b").ok());
  EXPECT_TRUE(ParseWorkspaceAddress("+gardening.friends").ok());
  EXPECT_EQ(ParseWorkspaceAddress("+.b").status().message(),
            "workspace name \"\" must be between 1 and 15 characters long");
  EXPECT_EQ(ParseWorkspaceAddress("+a+b.c").status().message(),
            "workspace name \"a+b\" must not use disallowed characters");
}

TEST(Path, ChecksInOrder) {
  EXPECT_TRUE(CheckPath("/a", false).ok());
  EXPECT_TRUE(CheckPath("/chat/!x", true).ok());
  EXPECT_EQ(CheckPath("", false).message(), "invalid path: must start with /");
  EXPECT_EQ(CheckPath("/", false).message(), "invalid path: must not end with /");
  EXPECT_EQ(CheckPath("/a*b", false).message(), "invalid path: must not contain disallowed characters");
  EXPECT_EQ(CheckPath("/a b", false).message(), "invalid path: must not contain disallowed characters");
  EXPECT_EQ(CheckPath("/x!", false).message(), "when deleteAfter is null, path must not contain '!'");
  EXPECT_EQ(CheckPath("/x", true).message(), "when deleteAfter is set, path must contain '!'");
  EXPECT_TRUE(CheckPath("/" + std::string(511, 'a'), false).ok());
  EXPECT_EQ(CheckPath("/" + std::string(512, 'a'), false).message(),
            "invalid path: must not be longer than 512 characters");
}

TEST(Path, LengthCountsUtf16UnitsLikeTheReference) {
  // 300 two-byte characters are 600 bytes but 300 JS characters: the
  // reference reports the bad characters, not the length.
  std::string path = "/";
  for (int i = 0; i < 300; ++i) path += "\xc3\xbc";
  EXPECT_EQ(CheckPath(path, false).message(), "invalid path: must not contain disallowed characters");
}

TEST(Tilde, SubstringRule) {
  const std::string suzy = kSuzy;
  EXPECT_TRUE(AuthorCanWrite(suzy, "/wiki/x"));
  EXPECT_TRUE(AuthorCanWrite(suzy, "/about/~" + suzy + "/name"));
  EXPECT_TRUE(AuthorCanWrite(suzy, "/about/~" + suzy + "extra/name"));
  EXPECT_FALSE(AuthorCanWrite(suzy, "/example/~"));
  EXPECT_FALSE(AuthorCanWrite(suzy, "/x/~suzy/y"));
  EXPECT_EQ(CheckAuthorCanWrite(suzy, "/n~").message(), "author " + suzy + " can't write to path /n~");
  EXPECT_EQ(CheckAuthorCanWrite(suzy, "/n~").code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace esfs::core
