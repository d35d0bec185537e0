// How the reference (JavaScript) turns values into text, for the few error
// messages that embed a value: JSON.stringify for quoted addresses and for
// "doc must be an object, but is <JSON>", String(x) for "invalid format: <x>",
// and Number→string for timestamps in the signing text.
//
// JSON values are nlohmann::ordered_json so that object keys keep the order
// they had in the input, as JSON.stringify would print them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace esfs::core {

using OrderedJson = nlohmann::ordered_json;

// JSON.stringify(string): quotes and JS escapes (\" \\ \b \f \n \r \t, \u00xx).
std::string JsQuote(std::string_view text);

// String(number) / JSON.stringify(number): shortest round-trip digits, plain
// decimal below 1e21, exponent form ("1e+21") above, "NaN"/"Infinity".
std::string JsNumber(double value);

// JSON.stringify(value) without indentation, numbers as JS prints them.
std::string JsStringify(const OrderedJson& value);

// `${value}` in a template string: strings as they are, undefined for a
// missing value (pass nullptr), arrays joined with ",", objects as
// "[object Object]".
std::string JsTemplate(const OrderedJson* value);

}  // namespace esfs::core
