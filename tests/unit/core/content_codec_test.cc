// core/content_codec.h: every byte string round-trips under every name;
// peers' content (data URLs with other media types, malformed ones, text
// under binary names) reads as something sensible and never fails.
#include "core/content_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/base64.h"
#include "core/utf8.h"

namespace esfs::core {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

void ExpectRoundTrip(NameKind kind, const std::string& bytes) {
  const std::string stored = EncodeContent(kind, bytes);
  EXPECT_TRUE(IsValidUtf8(stored)) << "stored content must be es.4 text";
  EXPECT_EQ(EncodedSize(kind, bytes), stored.size());
  EXPECT_EQ(DecodeContent(kind, stored), bytes);
  EXPECT_EQ(DecodedSize(kind, stored), bytes.size());
}

TEST(ContentCodec, Utf8TextUnderATextNameIsStoredAsItIs) {
  EXPECT_EQ(EncodeContent(NameKind::kText, "hello\n"), "hello\n");
  EXPECT_EQ(EncodeContent(NameKind::kText, "gr\xc3\xbc\xc3\x9f"), "gr\xc3\xbc\xc3\x9f");
  ExpectRoundTrip(NameKind::kText, "hello\n");
  ExpectRoundTrip(NameKind::kText, std::string("nul\0inside", 10));
}

TEST(ContentCodec, BytesThatAreNotUtf8BecomeADataUrl) {
  const std::string bytes = Bytes({0x89, 'P', 'N', 'G', 0x00, 0xff});
  const std::string stored = EncodeContent(NameKind::kText, bytes);
  EXPECT_EQ(stored, std::string(kDataUrlPrefix) + Base64Encode(bytes));
  EXPECT_EQ(stored, "data:application/octet-stream;base64,iVBORwD/");
  ExpectRoundTrip(NameKind::kText, bytes);
}

TEST(ContentCodec, TextThatLooksLikeADataUrlIsEncodedItself) {
  for (const std::string& text : {std::string(kDataUrlPrefix) + "aGk=", std::string("data:image/png;base64,aGk="),
                                  std::string("DATA:text/plain;BASE64,aGk=")}) {
    const std::string stored = EncodeContent(NameKind::kText, text);
    EXPECT_NE(stored, text);
    EXPECT_TRUE(stored.starts_with(kDataUrlPrefix));
    ExpectRoundTrip(NameKind::kText, text);
  }
  // Only the prefix, and data URLs that would not decode, stay text.
  ExpectRoundTrip(NameKind::kText, std::string(kDataUrlPrefix));
  EXPECT_EQ(EncodeContent(NameKind::kText, "data:,hello"), "data:,hello");
  EXPECT_EQ(EncodeContent(NameKind::kText, "data:text/plain;base64,not base64"), "data:text/plain;base64,not base64");
}

TEST(ContentCodec, BinaryNamesKeepPlainBase64) {
  const std::string bytes = Bytes({0xff, 0xd8, 0xff, 0xe0});
  EXPECT_EQ(EncodeContent(NameKind::kBinary, bytes), Base64Encode(bytes));
  EXPECT_EQ(EncodeContent(NameKind::kBinary, "text"), Base64Encode("text"));
  ExpectRoundTrip(NameKind::kBinary, bytes);
  ExpectRoundTrip(NameKind::kBinary, "text too");
}

TEST(ContentCodec, EmptyStaysEmpty) {
  for (NameKind kind : {NameKind::kText, NameKind::kBinary}) {
    EXPECT_EQ(EncodeContent(kind, ""), "");
    EXPECT_EQ(EncodedSize(kind, ""), 0u);
    EXPECT_EQ(DecodeContent(kind, ""), "");
    EXPECT_EQ(DecodedSize(kind, ""), 0u);
  }
}

TEST(ContentCodec, AFileThatChangesBetweenTextAndBinaryRoundTripsEachTime) {
  const std::string versions[] = {"plain text",        Bytes({0xc3, 0x28}),
                                  "text again",        std::string(kDataUrlPrefix).append("AA=="),
                                  Bytes({0x00, 0x80}), ""};
  for (const auto& v : versions) ExpectRoundTrip(NameKind::kText, v);
}

TEST(ContentCodec, RandomBytesRoundTripUnderEveryKind) {
  std::mt19937 rng(18);
  for (int i = 0; i < 500; ++i) {
    std::string bytes(rng() % 70, '\0');
    // Mostly ASCII, sometimes not: both outcomes are exercised.
    for (char& c : bytes) c = static_cast<char>(rng() % 8 == 0 ? rng() % 256 : 32 + rng() % 90);
    ExpectRoundTrip(NameKind::kText, bytes);
    ExpectRoundTrip(NameKind::kBinary, bytes);
  }
}

TEST(ContentCodec, PeersContentReadsAsItsBytesOrAsItsText) {
  // Another app's data URL with its own media type: its bytes.
  EXPECT_EQ(DecodeContent(NameKind::kText, "data:image/gif;base64,R0lG"), "GIF");
  EXPECT_EQ(DecodedSize(NameKind::kText, "data:image/gif;base64,R0lG"), 3u);
  EXPECT_EQ(DecodeContent(NameKind::kBinary, "data:image/gif;base64,R0lG"), "GIF");
  // Malformed: shown as the text it is, with its own size.
  for (const std::string& text :
       {std::string("data:application/octet-stream;base64,R0l"), std::string("data:;base64,!!!!"), std::string("data:"),
        std::string("data:application/octet-stream;base64,R0l="),  // stray bits: not canonical
        "data:" + std::string(300, 'x') + ";base64,R0lG"}) {
    EXPECT_EQ(DecodeContent(NameKind::kText, text), text);
    EXPECT_EQ(DecodedSize(NameKind::kText, text), text.size());
  }
  // Text under a binary name (another app wrote text there).
  EXPECT_EQ(DecodeContent(NameKind::kBinary, "just text"), "just text");
  EXPECT_EQ(DecodedSize(NameKind::kBinary, "just text"), 9u);
}

TEST(ContentCodec, DecodedSizeReadsAllIsTrueForEveryContentItScans) {
  // The store maps such content in one go before DecodedSize reads it.
  std::mt19937 rng(5);
  std::string bytes(100000, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng());
  EXPECT_TRUE(DecodedSizeReadsAll(EncodeContent(NameKind::kText, bytes)));    // a data URL
  EXPECT_TRUE(DecodedSizeReadsAll(EncodeContent(NameKind::kBinary, bytes)));  // plain base64
  EXPECT_TRUE(DecodedSizeReadsAll("data:image/gif;base64,R0lG"));
  // Text is sized by its length: nothing to read in advance.
  EXPECT_FALSE(DecodedSizeReadsAll("# Bees\n\nThey like lavender, and the hive is by the shed.\n"));
  EXPECT_FALSE(DecodedSizeReadsAll(std::string(100000, ' ')));
  EXPECT_FALSE(DecodedSizeReadsAll(""));
}

TEST(ContentCodec, TheLimitsAreExact) {
  const std::string binary(kMaxAlwaysFitTextBytes, '\xff');
  EXPECT_LE(EncodedSize(NameKind::kText, binary), 4'000'000u);
  EXPECT_GT(EncodedSize(NameKind::kText, binary + "\xff\xff\xff\xff"), 4'000'000u);
  EXPECT_EQ(EncodedSize(NameKind::kBinary, std::string(kMaxBinaryBytes, 'a')), 4'000'000u);
}

TEST(ContentCodec, APartialUtf8TailCountsAsTextOnlyWhenAllowed) {
  const std::string cut = "abc\xe2\x82";  // "€" without its last byte
  EXPECT_EQ(EncodedSize(NameKind::kText, cut, true), cut.size());
  EXPECT_GT(EncodedSize(NameKind::kText, cut, false), cut.size());
  const std::string broken = "abc\xe2\x82x";
  EXPECT_GT(EncodedSize(NameKind::kText, broken, true), broken.size());
}

}  // namespace
}  // namespace esfs::core
