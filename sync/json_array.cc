#include "sync/json_array.h"

#include <string>

namespace esfs::sync {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

Status NotAnArray(const std::string& why) { return Status::InvalidArgument(why); }

}  // namespace

Result<std::vector<std::string_view>> SplitJsonArray(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.front() != '[') return NotAnArray("it does not start with '['");
  std::vector<std::string_view> elements;
  std::vector<char> open;  // the brackets and braces inside the array
  size_t start = 1;        // where the current element began
  bool in_string = false;
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{': open.push_back(c); break;
      case ']':
      case '}':
        if (open.empty()) {
          if (c != ']') return NotAnArray("a '}' closes the array");
          const std::string_view last = Trim(text.substr(start, i - start));
          if (!last.empty()) elements.push_back(last);
          else if (!elements.empty()) return NotAnArray("a ',' before the closing ']'");
          if (i + 1 != text.size()) return NotAnArray("text after the array");
          return elements;
        }
        if ((open.back() == '[') != (c == ']')) return NotAnArray("brackets and braces do not match");
        open.pop_back();
        break;
      case ',':
        if (open.empty()) {
          const std::string_view element = Trim(text.substr(start, i - start));
          if (element.empty()) return NotAnArray("an empty element");
          elements.push_back(element);
          start = i + 1;
        }
        break;
      default: break;
    }
  }
  return NotAnArray(in_string ? "it ends inside a string (cut off?)" : "it ends before the closing ']' (cut off?)");
}

}  // namespace esfs::sync
