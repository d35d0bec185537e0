#include "core/base32.h"

#include <gtest/gtest.h>

#include <random>

namespace esfs::core {
namespace {

TEST(Base32, RoundTripsRandomBytesOfEveryLength) {
  std::mt19937 rng(42);
  for (size_t len = 0; len < 100; ++len) {
    std::vector<uint8_t> bytes(len);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    std::string text = Base32Encode(bytes);
    EXPECT_EQ(text[0], 'b');
    EXPECT_EQ(text.size(), 1 + (len * 8 + 4) / 5);
    auto back = Base32Decode(text);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, bytes);
  }
}

TEST(Base32, RejectsNonCanonicalTrailingBits) {
  // 32 bytes leave 4 unused bits: only 'a' and 'q' may end the string.
  std::string zeros = Base32Encode(std::vector<uint8_t>(32, 0));
  ASSERT_EQ(zeros.back(), 'a');
  for (char last : std::string("bcdefghijklmnoprstuvwxyz234567")) {
    std::string text = zeros;
    text.back() = last;
    EXPECT_FALSE(Base32Decode(text).ok()) << last;
  }
  zeros.back() = 'q';
  EXPECT_TRUE(Base32Decode(zeros).ok());
}

TEST(Base32, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(Base32Decode("").status().message(), "can't decode base32 string - it should start with a 'b'. ");
  EXPECT_EQ(Base32Decode("bmz=x").status().message(), "Invalid character =");
  EXPECT_EQ(Base32Decode("bmzxw6=").status().message(),
            "can't decode base32 string - it contains padding characters ('=')");
  EXPECT_EQ(Base32Decode("bmzxw6y").status().message(), "Unexpected end of data");
  EXPECT_EQ(Base32Decode(std::string("bm\xff", 3)).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace esfs::core
