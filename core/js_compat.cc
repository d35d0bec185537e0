#include "core/js_compat.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace esfs::core {
namespace {

double NumberOf(const OrderedJson& v) { return v.get<double>(); }

// Splits the shortest round-trip representation of |value| (> 0) into its
// decimal digits and the exponent n such that value = 0.d1d2... × 10^n.
void ShortestDigits(double value, std::string* digits, int* n) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "1.767225600000031e+15"
  size_t e = sci.find('e');
  int exp10 = std::stoi(sci.substr(e + 1));
  digits->clear();
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits->push_back(sci[i]);
  }
  while (digits->size() > 1 && digits->back() == '0') digits->pop_back();
  *n = exp10 + 1;
}

}  // namespace

std::string JsQuote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

// ECMAScript Number::toString (ES2023 §6.1.6.1.20) for radix 10.
std::string JsNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (value == 0) return "0";
  if (value < 0) return "-" + JsNumber(-value);
  if (std::isinf(value)) return "Infinity";
  // Whole numbers below 2^53 (every timestamp) print as their digits; no
  // shortest-round-trip search needed (signing formats two per document).
  if (value < 9007199254740992.0 && value == std::floor(value)) {
    return std::to_string(static_cast<int64_t>(value));
  }
  std::string digits;
  int n = 0;
  ShortestDigits(value, &digits, &n);
  const int k = static_cast<int>(digits.size());
  if (k <= n && n <= 21) return digits + std::string(n - k, '0');
  if (0 < n && n <= 21) return digits.substr(0, n) + "." + digits.substr(n);
  if (-6 < n && n <= 0) return "0." + std::string(-n, '0') + digits;
  std::string exponent = (n - 1 >= 0 ? "+" : "-") + std::to_string(std::abs(n - 1));
  if (k == 1) return digits + "e" + exponent;
  return digits.substr(0, 1) + "." + digits.substr(1) + "e" + exponent;
}

std::string JsStringify(const OrderedJson& value) {
  switch (value.type()) {
    case OrderedJson::value_t::null: return "null";
    case OrderedJson::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case OrderedJson::value_t::number_integer:
    case OrderedJson::value_t::number_unsigned:
    case OrderedJson::value_t::number_float: {
      double d = NumberOf(value);
      return std::isfinite(d) ? JsNumber(d) : "null";
    }
    case OrderedJson::value_t::string: return JsQuote(value.get_ref<const std::string&>());
    case OrderedJson::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ",";
        first = false;
        out += JsStringify(item);
      }
      return out + "]";
    }
    case OrderedJson::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ",";
        first = false;
        out += JsQuote(key) + ":" + JsStringify(item);
      }
      return out + "}";
    }
    default: return "null";
  }
}

std::string JsTemplate(const OrderedJson* value) {
  if (value == nullptr) return "undefined";
  switch (value->type()) {
    case OrderedJson::value_t::null: return "null";
    case OrderedJson::value_t::string: return value->get<std::string>();
    case OrderedJson::value_t::array: {
      // Array.prototype.join: null/undefined elements become "".
      std::string out;
      bool first = true;
      for (const auto& item : *value) {
        if (!first) out += ",";
        first = false;
        if (!item.is_null()) out += JsTemplate(&item);
      }
      return out;
    }
    case OrderedJson::value_t::object: return "[object Object]";
    default: return JsStringify(*value);
  }
}

}  // namespace esfs::core
