#include "core/document.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace esfs::core {
namespace {

constexpr const char* kFieldNames[] = {"format", "workspace", "path",        "contentHash", "content",
                                       "author", "timestamp", "deleteAfter", "signature"};

// The reference's integer test: a JSON number whose double value is
// integral (so 1.7e15 and 17.0 count, 17.5 does not).
bool IsJsInteger(const OrderedJson& v) {
  if (!v.is_number()) return false;
  double d = v.get<double>();
  return !std::isnan(d) && d == std::floor(d);
}

// JS numbers are doubles: convert like the reference, then saturate so that
// out-of-range values fail validation's range checks with its messages.
int64_t ToInt64(const OrderedJson& v) {
  double d = v.get<double>();
  if (d >= 9.2e18) return std::numeric_limits<int64_t>::max();
  if (d <= -9.2e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

Status TypesError() { return Status::InvalidDocument("invalid types or missing fields in document"); }

}  // namespace

namespace {

// Nesting depth of JSON text (brackets outside strings). Deep nesting is
// refused before parsing: copying or printing such a value recurses once
// per level and would overflow the stack (found by fuzzing:
// tests/fuzz/regressions/document-deep-*).
size_t NestingDepth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<OrderedJson> ParseJson(std::string_view text) {
  // nlohmann's lexer takes a NUL for the end of the input: "[]\0junk" would
  // parse as "[]". JSON never holds a raw NUL (in strings it is \u0000).
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::InvalidArgument("malformed JSON: a NUL byte at offset " + std::to_string(nul));
  }
  if (NestingDepth(text) > kMaxJsonDepth) {
    return Status::InvalidArgument("malformed JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  OrderedJson json = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    // Find the reason with a second, throwing parse; only on the error path.
    try {
      OrderedJson reparsed = OrderedJson::parse(text);
      (void)reparsed;
    } catch (const OrderedJson::parse_error& e) {
      return Status::InvalidArgument(std::string("malformed JSON: ") + e.what());
    } catch (const std::exception& e) {
      return Status::InvalidArgument(std::string("malformed JSON: ") + e.what());
    }
    return Status::InvalidArgument("malformed JSON");
  }
  return json;
}

Result<Document> DocumentFromJson(const OrderedJson& json) {
  if (!json.is_object()) {
    return Status::InvalidDocument("doc must be an object, but is " + JsStringify(json));
  }
  auto format = json.find("format");
  const OrderedJson* format_value = format == json.end() ? nullptr : &*format;
  if (format_value == nullptr || !format_value->is_string() || *format_value != kFormat) {
    return Status::InvalidDocument("invalid format: " + JsTemplate(format_value));
  }
  for (const char* name : {"workspace", "path", "contentHash", "content", "author", "signature"}) {
    auto it = json.find(name);
    if (it == json.end() || !it->is_string()) return TypesError();
  }
  auto timestamp = json.find("timestamp");
  if (timestamp == json.end() || !IsJsInteger(*timestamp)) return TypesError();
  auto delete_after = json.find("deleteAfter");
  if (delete_after == json.end() || !(delete_after->is_null() || IsJsInteger(*delete_after))) {
    return TypesError();
  }
  if (json.size() != std::size(kFieldNames)) {
    return Status::InvalidDocument("doc has extra fields");
  }
  Document doc;
  doc.workspace = json["workspace"].get<std::string>();
  doc.path = json["path"].get<std::string>();
  doc.contentHash = json["contentHash"].get<std::string>();
  doc.content = json["content"].get<std::string>();
  doc.author = json["author"].get<std::string>();
  doc.signature = json["signature"].get<std::string>();
  doc.timestamp = ToInt64(*timestamp);
  if (!delete_after->is_null()) doc.deleteAfter = ToInt64(*delete_after);
  return doc;
}

OrderedJson DocumentToJson(const Document& doc) {
  OrderedJson json = OrderedJson::object();
  json["format"] = doc.format;
  json["workspace"] = doc.workspace;
  json["path"] = doc.path;
  json["contentHash"] = doc.contentHash;
  json["content"] = doc.content;
  json["author"] = doc.author;
  json["timestamp"] = doc.timestamp;
  json["deleteAfter"] = doc.deleteAfter ? OrderedJson(*doc.deleteAfter) : OrderedJson(nullptr);
  json["signature"] = doc.signature;
  return json;
}

Result<std::vector<OrderedJson>> SplitDocumentList(const OrderedJson& json) {
  if (json.is_array()) return std::vector<OrderedJson>(json.begin(), json.end());
  if (json.is_object()) return std::vector<OrderedJson>{json};
  return Status::InvalidArgument("expected a JSON array of documents or one document object");
}

}  // namespace esfs::core
