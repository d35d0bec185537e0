#include "core/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace esfs::core {
namespace {

// Base64DecodedSize must agree with Base64Decode on every input: the mount
// shows a binary file's size from it without decoding the document.
void ExpectSizeAgreesWithDecode(const std::string &text) {
  auto decoded = Base64Decode(text);
  auto size = Base64DecodedSize(text);
  ASSERT_EQ(decoded.has_value(), size.has_value()) << "'" << text << "'";
  if (decoded) {
    EXPECT_EQ(decoded->size(), *size) << "'" << text << "'";
  }
}

TEST(Base64, DecodedSizeOfCanonicalTextOfEveryLength) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 64; ++len) {
    std::string bytes(len, '\0');
    for (auto &b : bytes) b = static_cast<char>(rng());
    const std::string text = Base64Encode(bytes);
    ASSERT_EQ(Base64DecodedSize(text), std::optional<size_t>(len)) << text;
    ExpectSizeAgreesWithDecode(text);
  }
}

TEST(Base64, DecodedSizeRefusesWhatDecodeRefuses) {
  for (const char *text : {"Q", "QQ", "QQ=", "QR==", "QUJ=", "====", "A===", "QQ=A", "Q===", "QUJD QUJD", "QUJD\n",
                           "QUJ-", "QUJ_", "=QUJ", "QQ==QUJD"}) {
    EXPECT_FALSE(Base64DecodedSize(text).has_value()) << text;
    ExpectSizeAgreesWithDecode(text);
  }
}

TEST(Base64, DecodedSizeAgreesWithDecodeOnRandomText) {
  // Short strings over the alphabet plus '=' and a few strangers: most are
  // not canonical, and every kind of near miss comes up.
  const std::string chars = "AQgwBCDEFab+/09==-_ \n";
  std::mt19937 rng(11);
  for (int i = 0; i < 200000; ++i) {
    std::string text(rng() % 13, '\0');
    for (auto &c : text) c = chars[rng() % chars.size()];
    ExpectSizeAgreesWithDecode(text);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace esfs::core
