// Failure paths of parsing and validation: each a clear error, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include "core/signing.h"
#include "core/validate.h"

#include "keys/identity.h"
#include "tests/support/test_support.h"

namespace esfs::core {
namespace {

constexpr int64_t kNow = 1767229200000000;

keys::Identity TestIdentity() {
  std::array<uint8_t, 32> seed{};
  seed[0] = 7;
  return std::move(keys::Identity::FromSeed("test", seed).value());
}

OrderedJson SignedJson(const std::string& path = "/a/b.txt", const std::string& content = "hello") {
  Document doc;
  doc.workspace = "+gardening.friends";
  doc.path = path;
  doc.content = content;
  doc.timestamp = kNow - 1000;
  TestIdentity().Sign(doc);
  return DocumentToJson(doc);
}

TEST(Document, JsonRoundTrip) {
  OrderedJson json = SignedJson();
  auto doc = ParseAndValidate(json, kNow);
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ(DocumentToJson(*doc).dump(), json.dump());
  auto reparsed = ParseJson(json.dump());
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(DocumentFromJson(*reparsed).value(), *doc);
}

TEST(Document, MalformedAndTruncatedJson) {
  std::string text = SignedJson().dump();
  for (size_t cut : {size_t{0}, size_t{1}, text.size() / 2, text.size() - 1}) {
    auto parsed = ParseJson(text.substr(0, cut));
    ASSERT_FALSE(parsed.ok()) << cut;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("malformed JSON"), std::string::npos);
  }
}

TEST(Document, NonUtf8BytesAreRejected) {
  std::string text = SignedJson().dump();
  text.replace(text.find("hello"), 5, "he\xff\xfeo");
  EXPECT_FALSE(ParseJson(text).ok());
}

TEST(Document, WrongTypesAndHugeNumbers) {
  for (const char* field : {"timestamp", "content", "path", "signature"}) {
    OrderedJson json = SignedJson();
    json[field] = OrderedJson::array();
    EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "invalid types or missing fields in document");
  }
  OrderedJson json = SignedJson();
  json["timestamp"] = 1e300;
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "timestamp greater than maximum allowed value");
  json["timestamp"] = -1e300;
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "timestamp less than minimum allowed value");
  auto huge = ParseJson(R"({"timestamp": 123456789012345678901234567890})");
  ASSERT_TRUE(huge.ok());
  json["timestamp"] = (*huge)["timestamp"];
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "timestamp greater than maximum allowed value");
  json["timestamp"] = 18446744073709551615ull;
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "timestamp greater than maximum allowed value");
}

TEST(Document, FormatMessagesUseJsStringConversion) {
  OrderedJson json = SignedJson();
  json["format"] = OrderedJson::parse(R"(["es.4"])");
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "invalid format: es.4");
  json["format"] = OrderedJson::object();
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "invalid format: [object Object]");
  json.erase("format");
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "invalid format: undefined");
}

TEST(Document, SignatureSuffixesAndTamperingAreRejected) {
  OrderedJson json = SignedJson();
  json["signature"] = json["signature"].get<std::string>() + "aaaaaaaa";
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "signature is invalid");
  json = SignedJson();
  json["path"] = "/a/c.txt";
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(), "signature is invalid");
}

TEST(Document, OwnDocumentCheckSkipsOnlyTheSignatureAndTheHash) {
  // A local write's document: every rule but the Ed25519 and content-hash
  // checks still holds (the store signed it and hashed this content).
  Document doc = *DocumentFromJson(SignedJson());
  ASSERT_TRUE(ValidateOwnDocument(doc, kNow).ok());
  Document forged_sig = doc;
  forged_sig.signature = "b" + std::string(103, 'a');
  EXPECT_TRUE(ValidateOwnDocument(forged_sig, kNow).ok());
  EXPECT_EQ(ValidateDocument(forged_sig, kNow).message(), "signature is invalid");
  Document changed = doc;
  changed.content = "changed";
  EXPECT_TRUE(ValidateOwnDocument(changed, kNow).ok());
  EXPECT_EQ(ValidateDocument(changed, kNow).message().rfind("content does not match contentHash", 0), 0u);
  Document bad_path = doc;
  bad_path.path = "no-slash";
  EXPECT_FALSE(ValidateOwnDocument(bad_path, kNow).ok());
  Document future = doc;
  future.timestamp = kNow + kMaxFutureMicros + 1;
  EXPECT_EQ(ValidateOwnDocument(future, kNow).message(), "timestamp too far in the future");
}
TEST(Document, ContentLimitIsFourMillionUtf8Bytes) {
  // 1,333,334 three-byte characters: 4,000,002 bytes but fewer JS chars.
  std::string content;
  for (int i = 0; i < 1333334; ++i) content += "\xe2\x82\xac";
  OrderedJson json = SignedJson("/big", content);
  EXPECT_EQ(ParseAndValidate(json, kNow).status().message(),
            "doc content is greater than max allowed length (4000000 bytes when encoded as utf-8)");
}

TEST(Document, DeepNestingIsRefusedNotACrash) {
  for (size_t depth : {size_t{100}, size_t{257}, size_t{100000}}) {
    std::string text = std::string(depth, '[') + std::string(depth, ']');
    auto parsed = ParseJson(text);
    EXPECT_EQ(parsed.ok(), depth <= kMaxJsonDepth) << depth;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("nested deeper"), std::string::npos);
    }
  }
  // Brackets inside strings do not count.
  EXPECT_TRUE(ParseJson("[\"" + std::string(1000, '[') + "\"]").ok());
}

// Inputs that once crashed a fuzz target run through the same steps as
// `esfs validate`; each must end in a verdict.
TEST(Document, FuzzRegressionsEndInAVerdict) {
  const std::string dir = testing::SourceDir() + "/tests/fuzz/regressions";
  size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto parsed = ParseJson(testing::ReadFile(entry.path()));
    if (parsed.ok()) {
      auto list = SplitDocumentList(*parsed);
      if (list.ok()) {
        for (const auto& json : *list) (void)ParseAndValidate(json, kNow).ok();
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

TEST(Document, BatchValidationMatchesOneByOne) {
  std::vector<Document> docs;
  for (int i = 0; i < 1000; ++i) {
    auto doc = DocumentFromJson(SignedJson("/d/" + std::to_string(i), "x" + std::to_string(i)));
    docs.push_back(*doc);
  }
  docs[500].content = "tampered";
  docs[999].timestamp = kNow + 3'600'000'000;
  auto verdicts = ValidateBatch(docs, kNow, 2);
  ASSERT_EQ(verdicts.size(), docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_EQ(verdicts[i].message(), ValidateDocument(docs[i], kNow).message()) << i;
  }
  EXPECT_FALSE(verdicts[500].ok());
  EXPECT_FALSE(verdicts[999].ok());
  EXPECT_TRUE(verdicts[0].ok());
}

}  // namespace
}  // namespace esfs::core
