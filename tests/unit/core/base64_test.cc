#include "core/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace esfs::core {
namespace {

// Base64DecodedSize must agree with Base64Decode on every input: the mount
// shows a binary file's size from it without decoding the document.
void ExpectSizeAgreesWithDecode(const std::string& text) {
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
    for (auto& b : bytes) b = static_cast<char>(rng());
    const std::string text = Base64Encode(bytes);
    ASSERT_EQ(Base64DecodedSize(text), std::optional<size_t>(len)) << text;
    ExpectSizeAgreesWithDecode(text);
  }
}

TEST(Base64, DecodedSizeRefusesWhatDecodeRefuses) {
  for (const char* text : {"Q", "QQ", "QQ=", "QR==", "QUJ=", "====", "A===", "QQ=A", "Q===", "QUJD QUJD", "QUJD\n",
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
    for (auto& c : text) c = chars[rng() % chars.size()];
    ExpectSizeAgreesWithDecode(text);
    if (HasFailure()) return;
  }
}

TEST(Base64, EncodeAppendAddsExactlyTheEncodingAfterWhatIsThere) {
  // Every tail length (0, 1 or 2 bytes left over) gets its padding.
  for (const auto& [bytes, text] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}}) {
    std::string out = "data:x;base64,";
    Base64EncodeAppend(bytes, &out);
    EXPECT_EQ(out, "data:x;base64," + text);
    EXPECT_EQ(Base64Encode(bytes), text);
  }
}

TEST(Base64, DecodedSizeFindsABadCharacterInAnyBlock) {
  // Large text is checked block by block: a stranger in the first, a middle
  // or the last block (or right at a block's edge) is found wherever it is.
  std::mt19937 rng(3);
  std::string bytes(3 * 20000, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng());
  const std::string good = Base64Encode(bytes);
  ASSERT_EQ(Base64DecodedSize(good), std::optional<size_t>(bytes.size()));
  for (size_t at : {size_t{0}, size_t{4095}, size_t{4096}, size_t{20000}, good.size() - 5, good.size() - 1}) {
    std::string bad = good;
    bad[at] = '!';
    EXPECT_FALSE(Base64DecodedSize(bad).has_value()) << "bad character at " << at;
    ExpectSizeAgreesWithDecode(bad);
  }
}

}  // namespace
}  // namespace esfs::core
