#include "core/js_compat.h"

#include <gtest/gtest.h>

namespace esfs::core {
namespace {

TEST(JsNumber, MatchesJavaScript) {
  EXPECT_EQ(JsNumber(0), "0");
  EXPECT_EQ(JsNumber(42), "42");
  EXPECT_EQ(JsNumber(-7), "-7");
  EXPECT_EQ(JsNumber(1767225600000031.0), "1767225600000031");
  EXPECT_EQ(JsNumber(9007199254740991.0), "9007199254740991");  // 2^53 - 1: the fast path
  EXPECT_EQ(JsNumber(9007199254740992.0), "9007199254740992");  // 2^53: the general one
  EXPECT_EQ(JsNumber(1.5), "1.5");
  EXPECT_EQ(JsNumber(0.000001), "0.000001");
  EXPECT_EQ(JsNumber(1e-7), "1e-7");
  EXPECT_EQ(JsNumber(1e21), "1e+21");
  EXPECT_EQ(JsNumber(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(JsNumber(1.25e22), "1.25e+22");
}

TEST(JsStringify, KeepsKeyOrderAndJsNumbers) {
  auto json = OrderedJson::parse(R"({"b":1.0,"a":[null,true,"x\n"],"c":{}})");
  EXPECT_EQ(JsStringify(json), R"({"b":1,"a":[null,true,"x\n"],"c":{}})");
}

TEST(JsTemplate, LikeStringOfAValue) {
  OrderedJson arr = OrderedJson::parse(R"(["es.4", null, 3])");
  EXPECT_EQ(JsTemplate(&arr), "es.4,,3");
  OrderedJson obj = OrderedJson::object();
  EXPECT_EQ(JsTemplate(&obj), "[object Object]");
  EXPECT_EQ(JsTemplate(nullptr), "undefined");
  OrderedJson t = true;
  EXPECT_EQ(JsTemplate(&t), "true");
}

}  // namespace
}  // namespace esfs::core
